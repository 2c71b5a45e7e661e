/**
 * `PodCgroups`: a pod's cgroups as the kubelet lays them out (`kubepods[/burstable|/besteffort]/pod<uid>`, one
 * child per container and one for the sandbox), in every hierarchy pod-init uses (v1: one per controller set; v2:
 * one), with the kubelet's limits written, OOM kills read from the kernel's counters, kill-all and removal.
 * Rootless without a delegated v2 subtree it does nothing and says so (`enforcement`).
 * @module
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { PodQOSClass } from '../manifest/types';
import { cgroupAccess, type CgroupAccess } from './access';
import { applyWrites, enableControllers, limitWrites, v2DevicesRootlessNote } from './apply';
import { attachDeviceProgram } from './device-program';
import type { DeviceRule } from './devices';
import { killCgroup, type CgroupDirs } from './kill';
import { parseProcCgroup, readCgroupLayout, type CgroupLayout, type Hierarchy } from './layout';
import { podCgroupPath } from './paths';
import type { CgroupLimits } from './resources';
import type { PodCgroupSpec } from './spec';
import { keyedValue, readCgroupFile, removeCgroupTree } from './tree';

export interface PodCgroupsOptions {
  /** The host's layout; default {@link readCgroupLayout}. */
  layout?: CgroupLayout;
  /** Whether limits can be enforced; default {@link cgroupAccess} for this process. */
  access?: CgroupAccess;
  /** kubelet `--cgroup-root`, relative to each hierarchy's mount; default `/` (rootless: the delegated subtree). */
  cgroupRoot?: string;
  /** Deadline for processes to die and directories to go, ms (default 10000). */
  timeoutMs?: number;
}

/** What is enforced: `enforced: false` with a one-line reason, or a list of parts that are not. */
export interface CgroupEnforcement {
  enforced: boolean;
  /** Why nothing is enforced (rootless without delegation, read-only mount…). */
  reason?: string;
  /** Parts that are not enforced although the rest is, one line each (e.g. v2 device rules). */
  notEnforced: string[];
}

/** Per-container usage, for a future `top`. */
export interface CgroupUsage {
  /** Total CPU time in ns (v1 `cpuacct.usage`, v2 `cpu.stat usage_usec` × 1000). */
  cpuNanos?: number;
  /** Memory charged now, bytes (v1 `memory.usage_in_bytes`, v2 `memory.current`). */
  memoryBytes?: number;
}

/** Defaults the layout and access for this process. */
function resolve(options: PodCgroupsOptions): { layout: CgroupLayout; access: CgroupAccess } {
  const layout = options.layout ?? readCgroupLayout();
  const access = options.access ?? cgroupAccess(layout, parseProcCgroup(fs.readFileSync('/proc/self/cgroup', 'utf8')));
  return { layout, access };
}

/** The effective cgroup root: the option, else a rootless user's delegated subtree, else `/`. */
export function effectiveCgroupRoot(options: PodCgroupsOptions, access: CgroupAccess): string {
  return options.cgroupRoot ?? (access.enforced ? (access.delegated ?? '/') : '/');
}

/**
 * A pod's cgroups. Create with {@link PodCgroups.create}; pass {@link containerDirs} as `SpawnOptions.cgroups`.
 *
 * @example
 * const cgroups = await PodCgroups.create(podCgroupSpec(pod, uid, { podPidsLimit }));
 * if (!cgroups.enforcement.enforced) console.warn(`cgroup limits not applied: ${cgroups.enforcement.reason}`);
 * const dirs = await cgroups.prepareContainer('app'); // SpawnOptions.cgroups
 * // on exit 137: cgroups.oomKilled('app') ? 'OOMKilled' : 'Error'
 * await cgroups.remove();
 */
/**
 * mkdir -p of a pod's cgroup. Another pod-init may remove an empty `kubepods` parent between two of
 * its steps (removeEmptyParents): then it is made again.
 */
function mkdirInCgroup(dir: string): void {
  for (let attempt = 0; ; attempt++) {
    try {
      fs.mkdirSync(dir, { recursive: true });
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || attempt >= 5) throw error;
    }
  }
}

export class PodCgroups {
  readonly enforcement: CgroupEnforcement;
  readonly qosClass: PodQOSClass;
  private readonly hierarchies: Hierarchy[];
  private readonly podDirs: Map<Hierarchy, string>;
  private readonly specs: Map<string, PodCgroupSpec['containers'][number]>;
  private readonly timeoutMs: number;
  /** Rootless in a delegated v2 subtree: no device program (it needs root). */
  private readonly rootless: boolean;

  private constructor(
    private readonly layout: CgroupLayout,
    spec: PodCgroupSpec,
    cgroupRoot: string,
    enforcement: CgroupEnforcement,
    timeoutMs: number,
    rootless: boolean,
  ) {
    this.enforcement = enforcement;
    this.rootless = rootless;
    this.qosClass = spec.qosClass;
    this.timeoutMs = timeoutMs;
    this.hierarchies = enforcement.enforced ? layout.hierarchies : [];
    const relative = podCgroupPath(cgroupRoot, spec.qosClass, spec.uid);
    this.podDirs = new Map(this.hierarchies.map((h) => [h, path.join(h.mountPoint, relative)]));
    this.specs = new Map(spec.containers.map((c) => [c.name, c]));
  }

  /**
   * Creates the pod cgroup and one child per container (and the sandbox), limits written. A left-over cgroup of
   * the same pod uid is killed and removed first. Not enforced → a no-op manager that says why.
   */
  static async create(spec: PodCgroupSpec, options: PodCgroupsOptions = {}): Promise<PodCgroups> {
    if (!/^[A-Za-z0-9_-]+$/.test(spec.uid)) throw new Error(`pod uid ${JSON.stringify(spec.uid)} cannot name a cgroup`);
    const { layout, access } = resolve(options);
    const enforcement: CgroupEnforcement = access.enforced
      ? { enforced: true, notEnforced: [] }
      : { enforced: false, reason: access.reason, notEnforced: [] };
    const cgroups = new PodCgroups(
      layout,
      spec,
      effectiveCgroupRoot(options, access),
      enforcement,
      options.timeoutMs ?? 10_000,
      access.enforced && access.delegated !== undefined,
    );
    if (!access.enforced) return cgroups;
    await cgroups.kill();
    await cgroups.removeDirs();
    for (const [h, dir] of cgroups.podDirs) {
      mkdirInCgroup(dir);
      if (h.version === 2)
        for (const note of enableControllers(h.mountPoint, dir, h.controllers)) cgroups.noteOnce(note);
    }
    cgroups.writeLimits(cgroups.podDirs, spec.limits);
    for (const c of spec.containers) cgroups.makeContainer(c.name);
    return cgroups;
  }

  /** The directories a container's process must enter (one per v1 hierarchy, or the v2 one); [] if not enforced. */
  containerDirs(name: string): string[] {
    this.spec(name);
    return [...this.podDirs.values()].map((dir) => path.join(dir, name));
  }

  /**
   * A fresh cgroup for a container (re)start: what is left in the old one is killed, the directory made again
   * (OOM counters and accounting start at zero) and the limits written. Returns {@link containerDirs}.
   */
  async prepareContainer(name: string): Promise<string[]> {
    this.spec(name);
    if (!this.enforcement.enforced) return [];
    const dirs = this.dirsOf(name);
    await killCgroup(dirs, this.timeoutMs);
    for (const dir of this.containerDirs(name)) await removeCgroupTree(dir, this.timeoutMs);
    this.makeContainer(name);
    return this.containerDirs(name);
  }

  /**
   * Whether the kernel OOM-killed a process of the container since its cgroup was made (v1 `memory.oom_control`
   * `oom_kill`, v2 `memory.events` `oom_kill`/`oom_group_kill`). Call it when a container exits with 137; never
   * guess from the exit code. False when memory is not enforced.
   */
  oomKilled(name: string): boolean {
    const memory = this.layout.controllers.memory;
    const podDir = memory && this.podDirs.get(memory);
    if (memory === undefined || podDir === undefined) return false;
    const dir = path.join(podDir, this.spec(name).name);
    if (memory.version === 1) return (keyedValue(readCgroupFile(dir, 'memory.oom_control'), 'oom_kill') ?? 0) > 0;
    const events = readCgroupFile(dir, 'memory.events');
    return (keyedValue(events, 'oom_kill') ?? 0) > 0 || (keyedValue(events, 'oom_group_kill') ?? 0) > 0;
  }

  /**
   * Kills every process of a container (or, without a name, of the whole pod), including processes that changed
   * their uid or were re-parented, and resolves when the cgroups are empty.
   */
  async killAll(name?: string): Promise<void> {
    if (name !== undefined) this.spec(name);
    await this.kill(name);
  }

  /** Kills what is left and removes the pod's cgroups, leaf first. */
  async remove(): Promise<void> {
    await this.kill();
    await this.removeDirs();
    this.removeEmptyParents();
  }

  /**
   * `kubepods[/burstable|/besteffort]` go too once no pod is left in them (the kubelet keeps them for
   * ever; pod-init runs pods one command at a time). rmdir refuses a cgroup with children, so a pod
   * another pod-init runs keeps them; one being created meanwhile makes them again (mkdirInCgroup).
   */
  private removeEmptyParents(): void {
    for (const dir of this.podDirs.values()) {
      for (let parent = path.dirname(dir); ; parent = path.dirname(parent)) {
        const name = path.basename(parent);
        if (name !== 'kubepods' && name !== 'burstable' && name !== 'besteffort') break;
        try {
          fs.rmdirSync(parent);
        } catch {
          break; // EBUSY/ENOTEMPTY: another pod is there; ENOENT: gone already
        }
        if (name === 'kubepods') break;
      }
    }
  }

  /** CPU time and memory of each container (and the sandbox). */
  usage(): Record<string, CgroupUsage> {
    const out: Record<string, CgroupUsage> = {};
    const cpu = this.layout.controllers.cpuacct;
    const memory = this.layout.controllers.memory;
    for (const name of this.specs.keys()) {
      const usage: CgroupUsage = {};
      const cpuDir = cpu && this.podDirs.get(cpu);
      if (cpu !== undefined && cpuDir !== undefined) {
        const dir = path.join(cpuDir, name);
        const value =
          cpu.version === 1
            ? Number(readCgroupFile(dir, 'cpuacct.usage'))
            : (keyedValue(readCgroupFile(dir, 'cpu.stat'), 'usage_usec') ?? NaN) * 1000;
        if (Number.isFinite(value)) usage.cpuNanos = value;
      }
      const memoryDir = memory && this.podDirs.get(memory);
      if (memory !== undefined && memoryDir !== undefined) {
        const value = Number(
          readCgroupFile(path.join(memoryDir, name), memory.version === 1 ? 'memory.usage_in_bytes' : 'memory.current'),
        );
        if (Number.isFinite(value)) usage.memoryBytes = value;
      }
      out[name] = usage;
    }
    return out;
  }

  /** The pod cgroup's directory in each hierarchy (for tests and diagnostics). */
  podCgroupDirs(): string[] {
    return [...this.podDirs.values()];
  }

  private spec(name: string): PodCgroupSpec['containers'][number] {
    const spec = this.specs.get(name);
    if (spec === undefined) throw new Error(`no cgroup for container ${JSON.stringify(name)} in this pod`);
    return spec;
  }

  private dirsOf(name?: string): CgroupDirs {
    const dirs: CgroupDirs = { v1: [] };
    for (const [h, podDir] of this.podDirs) {
      const dir = name === undefined ? podDir : path.join(podDir, name);
      if (h.version === 2) dirs.v2 = dir;
      else dirs.v1.push(dir);
      if (h.version === 1 && h.controllers.includes('freezer')) dirs.freezer = dir;
    }
    return dirs;
  }

  private async kill(name?: string): Promise<void> {
    if (this.enforcement.enforced) await killCgroup(this.dirsOf(name), this.timeoutMs);
  }

  private async removeDirs(): Promise<void> {
    for (const dir of this.podDirs.values()) await removeCgroupTree(dir, this.timeoutMs);
  }

  private makeContainer(name: string): void {
    const spec = this.spec(name);
    const dirs = new Map<Hierarchy, string>();
    for (const [h, podDir] of this.podDirs) {
      const dir = path.join(podDir, name);
      fs.mkdirSync(dir);
      dirs.set(h, dir);
    }
    this.writeLimits(dirs, spec.limits, { privileged: spec.privileged });
  }

  /** Writes limits (and, for containers, device rules) into one cgroup's directories. */
  private writeLimits(dirs: Map<Hierarchy, string>, limits: CgroupLimits, devices?: { privileged: boolean }): void {
    for (const [h, dir] of dirs) {
      const { writes, notes, deviceRules } = limitWrites(this.layout, h, limits, devices);
      for (const note of [...notes, ...applyWrites(dir, writes)]) this.noteOnce(note);
      if (deviceRules !== undefined) this.attachDevices(h, dir, deviceRules);
    }
  }

  /**
   * v2: attaches the device program. Rootless (a delegated subtree) cannot, and a kernel may refuse: each is said
   * once (on a hybrid host, where v1's devices controller enforces the same rules, the note names the v2 mount).
   */
  private attachDevices(h: Hierarchy, dir: string, rules: readonly DeviceRule[]): void {
    if (this.rootless) {
      this.noteOnce(v2DevicesRootlessNote);
      return;
    }
    try {
      attachDeviceProgram(dir, rules);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
      const where = this.layout.controllers.devices === h ? '' : ` in ${h.mountPoint}`;
      this.noteOnce(`devices: the cgroup v2 device program was refused (${code}) (not enforced${where})`);
    }
  }

  private noteOnce(line: string): void {
    if (!this.enforcement.notEnforced.includes(line)) this.enforcement.notEnforced.push(line);
  }
}
