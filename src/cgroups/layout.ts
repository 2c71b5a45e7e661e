/**
 * The host's cgroup layout, read from /proc/self/mountinfo: pure v2 (one cgroup2 mount with the controllers),
 * v1 (one mount per controller or comounted set, e.g. `cpu,cpuacct`), or hybrid (v1 controllers plus a cgroup2
 * mount, with few or no controllers, as on the dev VM). Parsers are pure; {@link readCgroupLayout} reads the files.
 * @module
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** The controllers pod-init uses. On v2, `cpuacct` is `cpu.stat` and `freezer` is `cgroup.freeze` (both core). */
export type Controller = 'memory' | 'cpu' | 'cpuacct' | 'pids' | 'devices' | 'freezer' | 'hugetlb';
export const podControllers: readonly Controller[] = [
  'memory',
  'cpu',
  'cpuacct',
  'pids',
  'devices',
  'freezer',
  'hugetlb',
];

/** v2 features that need no controller in `cgroup.controllers`. `devices` is a BPF program (not a file). */
const v2CoreFeatures: readonly Controller[] = ['cpuacct', 'freezer', 'devices'];

/** One cgroup filesystem mount (a line of mountinfo). */
export interface CgroupMount {
  version: 1 | 2;
  /** Where it is mounted, e.g. `/sys/fs/cgroup/memory`. */
  mountPoint: string;
  /** The cgroup of the hierarchy that is mounted there (`/` unless a cgroup namespace or a bind mount). */
  root: string;
  /** v1: the controllers from the super options (`cpu,cpuacct`); v2: empty (see `cgroup.controllers`). */
  controllers: string[];
  readOnly: boolean;
}

/** A hierarchy pod-init creates cgroups in. */
export interface Hierarchy {
  version: 1 | 2;
  mountPoint: string;
  root: string;
  /** The pod-init controllers this hierarchy serves. */
  controllers: Controller[];
  readOnly: boolean;
}

export interface CgroupLayout {
  /** `v2`: cgroup2 only; `v1`: v1 only; `hybrid`: v1 controllers and a cgroup2 mount; `none`: no cgroup fs. */
  mode: 'v1' | 'v2' | 'hybrid' | 'none';
  /** Each pod-init controller → the hierarchy that serves it; missing = unavailable on this host. */
  controllers: Partial<Record<Controller, Hierarchy>>;
  /** The hierarchies pod-init uses (v1 ones, then the v2 one), one cgroup directory each per pod/container. */
  hierarchies: Hierarchy[];
  /** The cgroup2 hierarchy, when mounted (in hybrid mode it may serve no controller; cgroup.kill still works). */
  unified?: Hierarchy;
}

/** mountinfo escapes space, tab, newline and backslash as octal. */
function unescape(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}

/**
 * The cgroup mounts of a mountinfo text (proc(5): `id parent maj:min root mountpoint options [optional…] - fstype
 * source superoptions`).
 *
 * @example
 * parseCgroupMounts('34 30 0:31 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n');
 * // [{ version: 1, mountPoint: '/sys/fs/cgroup/memory', root: '/', controllers: ['memory'], readOnly: false }]
 */
export function parseCgroupMounts(mountinfo: string): CgroupMount[] {
  const mounts: CgroupMount[] = [];
  for (const line of mountinfo.split('\n')) {
    const fields = line.split(' ');
    const dash = fields.indexOf('-');
    if (dash < 6) continue;
    const fstype = fields[dash + 1];
    if (fstype !== 'cgroup' && fstype !== 'cgroup2') continue;
    const options = (fields[5] ?? '').split(',');
    const superOptions = (fields[dash + 3] ?? '').split(',');
    mounts.push({
      version: fstype === 'cgroup2' ? 2 : 1,
      mountPoint: unescape(fields[4] ?? ''),
      root: unescape(fields[3] ?? '/'),
      controllers: fstype === 'cgroup2' ? [] : superOptions.filter((o) => podControllers.includes(o as Controller)),
      readOnly: options.includes('ro'),
    });
  }
  return mounts;
}

/** The first mount of a hierarchy wins, preferring one that shows its root (`/`) over a bind of a sub-cgroup. */
function preferred<T extends CgroupMount>(candidates: T[]): T | undefined {
  return candidates.find((m) => m.root === '/') ?? candidates[0];
}

/**
 * The layout from the mounts and the v2 mount's `cgroup.controllers` (space-separated, as in the file).
 *
 * @example
 * const layout = layoutFromMounts(parseCgroupMounts(mountinfo), 'hugetlb');
 * layout.mode; // 'hybrid'
 * layout.controllers.memory?.mountPoint; // '/sys/fs/cgroup/memory'
 */
export function layoutFromMounts(mounts: readonly CgroupMount[], v2Controllers: string): CgroupLayout {
  const controllers: Partial<Record<Controller, Hierarchy>> = {};
  const hierarchies: Hierarchy[] = [];
  const v1 = mounts.filter((m) => m.version === 1 && m.controllers.length > 0);
  const bySet = new Map<string, CgroupMount[]>();
  for (const m of v1) {
    const key = [...m.controllers].sort().join(',');
    bySet.set(key, [...(bySet.get(key) ?? []), m]);
  }
  for (const group of bySet.values()) {
    const mount = preferred(group)!;
    const h: Hierarchy = { ...mount, controllers: mount.controllers as Controller[] };
    hierarchies.push(h);
    for (const c of h.controllers) controllers[c] ??= h;
  }
  const v2Mount = preferred(mounts.filter((m) => m.version === 2));
  let unified: Hierarchy | undefined;
  if (v2Mount !== undefined) {
    const available = v2Controllers.split(/\s+/).filter((c) => c !== '');
    const served = podControllers.filter(
      (c) => controllers[c] === undefined && (available.includes(c) || v2CoreFeatures.includes(c)),
    );
    // In hybrid mode the "core" v2 features (freezer, cpuacct) are served by v1 where v1 has them; devices BPF
    // only counts when v1 has no devices hierarchy.
    unified = {
      version: 2,
      mountPoint: v2Mount.mountPoint,
      root: v2Mount.root,
      controllers: served,
      readOnly: v2Mount.readOnly,
    };
    hierarchies.push(unified);
    for (const c of served) controllers[c] = unified;
  }
  const mode = v1.length === 0 ? (unified ? 'v2' : 'none') : unified ? 'hybrid' : 'v1';
  const layout: CgroupLayout = { mode, controllers, hierarchies };
  if (unified !== undefined) layout.unified = unified;
  return layout;
}

/**
 * Reads the layout of this host (or of `procSelf`'s mount namespace).
 *
 * @example
 * readCgroupLayout().mode; // 'hybrid' on the dev VM
 */
export function readCgroupLayout(procSelf = '/proc/self'): CgroupLayout {
  const mounts = parseCgroupMounts(fs.readFileSync(path.join(procSelf, 'mountinfo'), 'utf8'));
  const v2 = preferred(mounts.filter((m) => m.version === 2));
  let v2Controllers = '';
  if (v2 !== undefined) {
    try {
      v2Controllers = fs.readFileSync(path.join(v2.mountPoint, 'cgroup.controllers'), 'utf8');
    } catch {
      // an unreadable cgroup2 mount serves no controller
    }
  }
  return layoutFromMounts(mounts, v2Controllers);
}

/** One line of /proc/<pid>/cgroup: `id:controllers:path` (v2: `0::/path`). */
export interface ProcCgroupEntry {
  id: number;
  controllers: string[];
  path: string;
}

/**
 * Parses /proc/<pid>/cgroup.
 *
 * @example
 * parseProcCgroup('4:memory:/a/b\n0::/\n');
 * // [{ id: 4, controllers: ['memory'], path: '/a/b' }, { id: 0, controllers: [], path: '/' }]
 */
export function parseProcCgroup(text: string): ProcCgroupEntry[] {
  const entries: ProcCgroupEntry[] = [];
  for (const line of text.split('\n')) {
    const first = line.indexOf(':');
    const second = line.indexOf(':', first + 1);
    if (first < 0 || second < 0) continue;
    const names = line.slice(first + 1, second);
    entries.push({
      id: Number(line.slice(0, first)),
      controllers: names === '' ? [] : names.split(','),
      path: line.slice(second + 1),
    });
  }
  return entries;
}

/**
 * Where a process sits in a hierarchy, as a directory under the hierarchy's mount (undefined when the process's
 * cgroup is outside what is mounted).
 *
 * @example
 * cgroupDirOf(layout.controllers.memory!, parseProcCgroup(fs.readFileSync('/proc/self/cgroup', 'utf8')));
 * // '/sys/fs/cgroup/memory/process_api/…'
 */
export function cgroupDirOf(hierarchy: Hierarchy, entries: readonly ProcCgroupEntry[]): string | undefined {
  const entry = entries.find((e) =>
    hierarchy.version === 2
      ? e.id === 0 && e.controllers.length === 0
      : hierarchy.controllers.every((c) => e.controllers.includes(c)),
  );
  if (entry === undefined) return undefined;
  const root = hierarchy.root === '/' ? '' : hierarchy.root;
  if (root !== '' && entry.path !== root && !entry.path.startsWith(`${root}/`)) return undefined;
  return path.join(hierarchy.mountPoint, entry.path.slice(root.length));
}

/**
 * The huge page sizes the kernel supports, in bytes (from `/sys/kernel/mm/hugepages/hugepages-<n>kB`), for
 * `ResourceOptions.hugepageSizes`.
 *
 * @example
 * readHugepageSizes(); // [2097152] on the dev VM
 */
export function readHugepageSizes(dir = '/sys/kernel/mm/hugepages'): number[] {
  try {
    return fs
      .readdirSync(dir)
      .map((name) => /^hugepages-(\d+)kB$/.exec(name)?.[1])
      .filter((kb): kb is string => kb !== undefined)
      .map((kb) => Number(kb) * 1024)
      .sort((a, b) => a - b);
  } catch {
    return [];
  }
}
