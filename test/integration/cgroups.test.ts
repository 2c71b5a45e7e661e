// Pod and container cgroups on a real kernel (this VM: cgroup v1 hybrid). What ran where:
// - v1, real kernel: every limit file, devices rules, OOM kill counter, pids.max, CFS quota, freezer kill, sweep.
// - v2, real kernel (/sys/fs/cgroup/unified, which has only hugetlb here): directory create/remove,
//   cgroup.subtree_control (+hugetlb), hugetlb.2MB.max, cgroup.procs, cgroup.events populated, cgroup.kill,
//   the device program attached (device-program.test.ts shows it refusing on its own).
// - v2 memory/cpu/pids files (memory.max, memory.oom.group, cpu.max, cpu.weight, pids.max) and rootless
//   delegation: against a temporary directory tree laid out as cgroup2's, NOT a real kernel.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { cgroupAccess } from '../../src/cgroups/access';
import { applyWrites, enableControllers, limitWrites } from '../../src/cgroups/apply';
import { attachedDevicePrograms } from '../../src/cgroups/device-program';
import { killCgroup } from '../../src/cgroups/kill';
import {
  layoutFromMounts,
  parseCgroupMounts,
  parseProcCgroup,
  readCgroupLayout,
  readHugepageSizes,
  type CgroupLayout,
} from '../../src/cgroups/layout';
import { PodCgroups } from '../../src/cgroups/manager';
import { qosSegments } from '../../src/cgroups/paths';
import { containerLimits } from '../../src/cgroups/resources';
import { podCgroupSpec, sandboxCgroupName } from '../../src/cgroups/spec';
import { sweepLeftovers } from '../../src/cgroups/sweep';
import { pidsIn, removeCgroupTree } from '../../src/cgroups/tree';
import type { Container, Pod } from '../../src/manifest/types';
import { privilegeSkipReason, titled } from '../helpers/privileges';
import { measurementWindow, pollUntil, waitForLine } from '../helpers/wait';

const reason = privilegeSkipReason();
const layout: CgroupLayout | undefined = reason === undefined ? readCgroupLayout() : undefined;
const testRoot = `/pod-init-test-cgroups-${process.pid}`;
const Mi = 1024 * 1024;
const unifiedSubtreeBefore =
  layout?.unified === undefined
    ? ''
    : fs.readFileSync(path.join(layout.unified.mountPoint, 'cgroup.subtree_control'), 'utf8');

/** The same host without its cgroup2 mount: a pure v1 layout (kills go through the freezer). */
function v1Only(l: CgroupLayout): CgroupLayout {
  const hierarchies = l.hierarchies.filter((h) => h.version === 1);
  const controllers = Object.fromEntries(Object.entries(l.controllers).filter(([, h]) => h.version === 1));
  return { mode: 'v1', hierarchies, controllers };
}

function pod(containers: Container[]): Pod {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers } };
}

let uidCounter = 0;
const newUid = () => `t${process.pid}x${++uidCounter}`;

async function create(containers: Container[], options: { podPidsLimit?: number; l?: CgroupLayout } = {}) {
  const spec = podCgroupSpec(pod(containers), newUid(), {
    ...(options.podPidsLimit === undefined ? {} : { podPidsLimit: options.podPidsLimit }),
    hugepageSizes: readHugepageSizes(),
  });
  return PodCgroups.create(spec, { layout: options.l ?? layout!, access: { enforced: true }, cgroupRoot: testRoot });
}

const children: ChildProcess[] = [];

/** A shell that waits for a line on stdin before running `script`, so it can be moved into cgroups first. */
function gated(
  script: string,
  dirs: string[],
): { child: ChildProcess; release: () => void; exited: Promise<NodeJS.Signals | number | null> } {
  const child = spawn('/bin/sh', ['-c', `read x; ${script}`], { stdio: ['pipe', 'pipe', 'pipe'] });
  children.push(child);
  const exited = new Promise<NodeJS.Signals | number | null>((resolve) =>
    child.once('exit', (code, signal) => resolve(signal ?? code)),
  );
  for (const dir of dirs) fs.writeFileSync(path.join(dir, 'cgroup.procs'), String(child.pid));
  return { child, exited, release: () => child.stdin!.write('go\n') };
}

/** Alive and not a zombie. */
function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

function read(dir: string, file: string): string {
  return fs.readFileSync(path.join(dir, file), 'utf8').trim();
}

/** `pod<uid>` directories left under the test root's kubepods, in any hierarchy. */
function leftovers(): string[] {
  const out: string[] = [];
  for (const h of layout!.hierarchies) {
    for (const segment of qosSegments) {
      const dir = path.join(h.mountPoint, testRoot, 'kubepods', segment);
      if (!fs.existsSync(dir)) continue;
      for (const name of fs.readdirSync(dir)) if (name.startsWith('pod')) out.push(path.join(dir, name));
    }
  }
  return out;
}

describe.skipIf(reason)(titled('pod cgroups on this host (real kernel)', reason), () => {
  afterEach(async () => {
    for (const child of children.splice(0))
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    const left = leftovers();
    // Clean up whatever a failed test left, then fail on it.
    for (const h of layout!.hierarchies) {
      const dir = path.join(h.mountPoint, testRoot);
      await killCgroup(
        h.version === 2
          ? { v1: [], v2: dir }
          : { v1: [dir], ...(h.controllers.includes('freezer') ? { freezer: dir } : {}) },
        10_000,
      );
      await removeCgroupTree(dir, 10_000);
    }
    expect(left).toEqual([]);
  });

  afterAll(() => {
    // The hybrid test enables hugetlb at the cgroup2 root; put the root back as it was.
    const unified = layout?.unified;
    if (unified === undefined) return;
    const file = path.join(unified.mountPoint, 'cgroup.subtree_control');
    const before = unifiedSubtreeBefore.trim().split(/\s+/);
    for (const c of fs.readFileSync(file, 'utf8').trim().split(/\s+/)) {
      if (c === '' || before.includes(c)) continue;
      try {
        fs.writeFileSync(file, `-${c}`);
      } catch (error) {
        // EBUSY: another run's cgroups below still use it; that run puts it back.
        if ((error as NodeJS.ErrnoException).code !== 'EBUSY') throw error;
      }
    }
  });

  it('detects this host as hybrid: memory, cpu, pids, devices, freezer on v1', () => {
    expect(layout!.mode).toBe('hybrid');
    for (const c of ['memory', 'cpu', 'cpuacct', 'pids', 'devices', 'freezer'] as const)
      expect(layout!.controllers[c]?.version).toBe(1);
    const self = parseProcCgroup(fs.readFileSync('/proc/self/cgroup', 'utf8'));
    expect(cgroupAccess(layout!, self)).toEqual({ enforced: true });
  });

  it('writes the kubelet limits where the kubelet would, and reads them back (v1; hugetlb on the real v2 mount)', async () => {
    const cgroups = await create(
      [
        {
          name: 'app',
          image: 'i',
          resources: { requests: { cpu: '100m' }, limits: { cpu: '200m', memory: '64Mi', 'hugepages-2Mi': '4Mi' } },
        },
        { name: 'priv', image: 'i', securityContext: { privileged: true } },
      ],
      { podPidsLimit: 64 },
    );
    expect(cgroups.qosClass).toBe('Burstable');
    const c = layout!.controllers;
    const podDir = (ctrl: keyof typeof c) =>
      path.join(c[ctrl]!.mountPoint, testRoot, 'kubepods/burstable', `pod${uidOf(cgroups)}`);
    // Pod: pids.max; no cpu quota or memory limit (one container has none); shares from the 100m request.
    expect(read(podDir('pids'), 'pids.max')).toBe('64');
    expect(read(podDir('cpu'), 'cpu.cfs_quota_us')).toBe('-1');
    expect(read(podDir('cpu'), 'cpu.shares')).toBe('102');
    const app = (ctrl: keyof typeof c) => path.join(podDir(ctrl), 'app');
    expect(read(app('memory'), 'memory.limit_in_bytes')).toBe(String(64 * Mi));
    expect(read(app('memory'), 'memory.memsw.limit_in_bytes')).toBe(String(64 * Mi));
    expect(read(app('cpu'), 'cpu.shares')).toBe('102');
    expect(read(app('cpu'), 'cpu.cfs_quota_us')).toBe('20000');
    expect(read(app('cpu'), 'cpu.cfs_period_us')).toBe('100000');
    // Devices: deny all + runc's list for app; everything for the privileged one.
    const devices = read(app('devices'), 'devices.list').split('\n');
    expect(devices).toContain('c 1:3 rwm');
    expect(devices).toContain('c 136:* rwm');
    expect(devices).not.toContain('a *:* rwm');
    expect(read(path.join(podDir('devices'), 'priv'), 'devices.list')).toBe('a *:* rwm');
    // The sandbox: minimum shares.
    expect(read(path.join(podDir('cpu'), sandboxCgroupName), 'cpu.shares')).toBe('2');
    // hugetlb lives on the real cgroup2 mount here: subtree_control enabled down the path, limits written.
    if (c.hugetlb?.version === 2) {
      expect(read(podDir('hugetlb'), 'cgroup.subtree_control')).toContain('hugetlb');
      expect(read(app('hugetlb'), 'hugetlb.2MB.max')).toBe(String(4 * Mi));
      expect(read(path.join(podDir('hugetlb'), 'priv'), 'hugetlb.2MB.max')).toBe('0');
    }
    // The cgroup2 directories get the device program too (v1 enforces the same list here; that the program alone
    // refuses is shown in device-program.test.ts).
    if (layout!.unified !== undefined) {
      const v2 = path.join(layout!.unified.mountPoint, testRoot, 'kubepods/burstable', `pod${uidOf(cgroups)}`);
      expect(attachedDevicePrograms(path.join(v2, 'app'))).toBe(1);
      expect(attachedDevicePrograms(path.join(v2, 'priv'))).toBe(0);
    }
    // One directory per hierarchy to join.
    expect(cgroups.containerDirs('app')).toEqual(
      layout!.hierarchies.map((h) =>
        path.join(h.mountPoint, testRoot, 'kubepods/burstable', `pod${uidOf(cgroups)}`, 'app'),
      ),
    );
    expect(cgroups.enforcement).toEqual({ enforced: true, notEnforced: [] });
    await cgroups.remove();
    for (const dir of cgroups.podCgroupDirs()) expect(fs.existsSync(dir)).toBe(false);
  });

  it('puts Guaranteed pods directly under kubepods and BestEffort ones under besteffort', async () => {
    const g = await create([{ name: 'a', image: 'i', resources: { limits: { cpu: '100m', memory: '16Mi' } } }]);
    const b = await create([{ name: 'a', image: 'i' }]);
    try {
      expect(g.podCgroupDirs()[0]).toBe(
        path.join(layout!.hierarchies[0]!.mountPoint, testRoot, 'kubepods', `pod${uidOf(g)}`),
      );
      expect(b.podCgroupDirs()[0]).toBe(
        path.join(layout!.hierarchies[0]!.mountPoint, testRoot, 'kubepods/besteffort', `pod${uidOf(b)}`),
      );
      const memory = layout!.controllers.memory!.mountPoint;
      expect(read(path.join(memory, testRoot, 'kubepods', `pod${uidOf(g)}`), 'memory.limit_in_bytes')).toBe(
        String(16 * Mi),
      );
    } finally {
      await g.remove();
      await b.remove();
    }
  });

  it('reports an OOM kill from the kernel counter, and a plain SIGKILL as no OOM', async () => {
    const cgroups = await create([
      { name: 'hog', image: 'i', resources: { limits: { memory: '32Mi' } } },
      { name: 'plain', image: 'i', resources: { limits: { memory: '32Mi' } } },
    ]);
    try {
      const hog = gated('exec tail /dev/zero', await cgroups.prepareContainer('hog'));
      hog.release();
      expect(await hog.exited).toBe('SIGKILL');
      expect(cgroups.oomKilled('hog')).toBe(true);
      // Negative control: killed with -9 from outside, same exit status, no OOM.
      const plain = gated('exec sleep 1000', await cgroups.prepareContainer('plain'));
      plain.child.kill('SIGKILL');
      expect(await plain.exited).toBe('SIGKILL');
      expect(cgroups.oomKilled('plain')).toBe(false);
      // A restart gets a fresh cgroup: the old OOM is not reported again.
      await cgroups.prepareContainer('hog');
      expect(cgroups.oomKilled('hog')).toBe(false);
    } finally {
      await cgroups.remove();
    }
  });

  it('stops a fork bomb at the pod pids limit, and the host still forks', async () => {
    const cgroups = await create([{ name: 'bomb', image: 'i' }], { podPidsLimit: 40 });
    try {
      const bomb = gated(
        'i=0; while [ $i -lt 500 ]; do sleep 1000 & i=$((i+1)); done; wait',
        await cgroups.prepareContainer('bomb'),
      );
      bomb.release();
      const pidsDir = cgroups.podCgroupDirs()[layout!.hierarchies.indexOf(layout!.controllers.pids!)]!;
      // v1 counts the refused fork in the forking cgroup (the container's), v2 in the one whose limit was hit.
      const bombDir = path.join(pidsDir, 'bomb');
      await pollUntil(
        () => [pidsDir, bombDir].some((d) => /^max [1-9]/m.test(read(d, 'pids.events'))),
        'pids.events max > 0',
      );
      expect(Number(read(pidsDir, 'pids.current'))).toBeLessThanOrEqual(40);
      expect(pidsIn(pidsDir).length).toBeLessThanOrEqual(40);
      expect(spawnSync('/bin/true').status).toBe(0);
      await cgroups.killAll();
      expect(pidsIn(pidsDir)).toEqual([]);
    } finally {
      await cgroups.remove();
    }
  });

  it('holds a CPU-bound container with a 200m limit to 0.2 CPU (± 0.05) over a 2 s window', async () => {
    const cgroups = await create([
      { name: 'capped', image: 'i', resources: { limits: { cpu: '200m' } } },
      { name: 'free', image: 'i', resources: { requests: { cpu: '200m' } } },
      // An idle container whose request gives the pod cpu.shares 2252, more than the other busy cgroups and tasks
      // of this shared 2-core host get (1024 each), so the loops are held by the quota, not by contention.
      { name: 'reserve', image: 'i', resources: { requests: { cpu: '2' } } },
    ]);
    /** The CPU share one loop in `name` gets over a 2 s window; the loop runs alone in the pod. */
    const measure = async (name: string): Promise<number> => {
      const loop = gated('while :; do :; done', await cgroups.prepareContainer(name));
      loop.release();
      await pollUntil(() => (cgroups.usage()[name]?.cpuNanos ?? 0) > 0, `${name} running`);
      const t0 = process.hrtime.bigint();
      const u0 = cgroups.usage()[name]!.cpuNanos!;
      await measurementWindow(2000);
      const u1 = cgroups.usage()[name]!.cpuNanos!;
      const wall = Number(process.hrtime.bigint() - t0);
      await cgroups.killAll(name);
      return (u1 - u0) / wall;
    };
    try {
      const capped = await measure('capped');
      const free = await measure('free');
      console.info(`cpu share over 2 s: 200m limit ${capped.toFixed(3)}, no limit ${free.toFixed(3)}`);
      expect(capped).toBeGreaterThan(0.15);
      expect(capped).toBeLessThan(0.25);
      // Negative control: the same loop without a limit runs above the tolerance band, so the band can fail.
      expect(free).toBeGreaterThan(0.25);
      expect(cgroups.usage().capped?.memoryBytes).toBeTypeOf('number');
    } finally {
      await cgroups.remove();
    }
  });

  for (const variant of ['v1 freezer', 'cgroup.kill (cgroup2 mount)'] as const) {
    it(`kills a container's processes that changed uid and detached (${variant})`, async () => {
      const l = variant === 'v1 freezer' ? v1Only(layout!) : layout!;
      const cgroups = await create([{ name: 'c', image: 'i' }], { l });
      try {
        const dirs = await cgroups.prepareContainer('c');
        const v2 = dirs.find((d) => l.unified !== undefined && d.startsWith(`${l.unified.mountPoint}/`));
        expect(v2 !== undefined && fs.existsSync(path.join(v2, 'cgroup.kill'))).toBe(variant !== 'v1 freezer');
        const p = gated(
          "exec setpriv --reuid=1000 --regid=1000 --clear-groups sh -c 'setsid sleep 1000 & (sleep 1000 &); echo ready; exec sleep 1000'",
          dirs,
        );
        p.release();
        await waitForLine(p.child.stdout, /ready/);
        const pids = await pollUntil(
          () => (pidsIn(dirs[0]!).length >= 3 ? pidsIn(dirs[0]!) : undefined),
          '3 processes',
        );
        for (const pid of pids) expect(fs.readFileSync(`/proc/${pid}/status`, 'utf8')).toMatch(/^Uid:\s+1000\b/m);
        // Negative control: killing the process pod-init started leaves the detached ones running.
        p.child.kill('SIGKILL');
        await p.exited;
        const rest = pids.filter((pid) => pid !== p.child.pid);
        expect(rest.length).toBeGreaterThanOrEqual(2);
        expect(rest.every(alive)).toBe(true);
        await cgroups.killAll('c');
        expect(pids.filter(alive)).toEqual([]);
        for (const dir of dirs) expect(pidsIn(dir)).toEqual([]);
      } finally {
        await cgroups.remove();
      }
    });
  }

  it('uses cgroup.procs and cgroup.events of the real cgroup2 mount (populated 1 → 0)', async () => {
    const cgroups = await create([{ name: 'c', image: 'i' }]);
    try {
      const dirs = await cgroups.prepareContainer('c');
      const v2 = dirs.find((d) => d.startsWith(layout!.unified!.mountPoint))!;
      expect(v2).toBeDefined();
      const p = gated('exec sleep 1000', dirs);
      expect(read(v2, 'cgroup.procs')).toBe(String(p.child.pid));
      expect(read(v2, 'cgroup.events')).toMatch(/^populated 1$/m);
      await cgroups.killAll('c');
      expect(await p.exited).toBe('SIGKILL');
      expect(read(v2, 'cgroup.events')).toMatch(/^populated 0$/m);
    } finally {
      await cgroups.remove();
    }
  });

  it('remove() kills what is inside and leaves no directory in any hierarchy', async () => {
    const cgroups = await create([
      { name: 'a', image: 'i' },
      { name: 'b', image: 'i' },
    ]);
    const p = gated('sleep 1000 & exec sleep 1000', await cgroups.prepareContainer('a'));
    p.release();
    await pollUntil(() => pidsIn(cgroups.containerDirs('a')[0]!).length === 2, 'two processes');
    await cgroups.remove();
    expect(await p.exited).toBe('SIGKILL');
    for (const dir of cgroups.podCgroupDirs()) expect(fs.existsSync(dir)).toBe(false);
    expect(leftovers()).toEqual([]);
  });

  it('sweepLeftovers removes the cgroups of a dead pod (killing what is inside) and keeps a live one', async () => {
    const dead = await create([{ name: 'a', image: 'i' }]);
    const live = await create([{ name: 'a', image: 'i' }]);
    try {
      const p = gated('exec sleep 1000', await dead.prepareContainer('a'));
      const deadUid = uidOf(dead);
      const swept = await sweepLeftovers(layout!, testRoot, (uid) => uid === uidOf(live));
      expect(swept.map((s) => s.podUid)).toEqual([deadUid]);
      expect(swept[0]!.dirs.sort()).toEqual(dead.podCgroupDirs().sort());
      expect(await p.exited).toBe('SIGKILL');
      for (const dir of dead.podCgroupDirs()) expect(fs.existsSync(dir)).toBe(false);
      for (const dir of live.podCgroupDirs()) expect(fs.existsSync(dir)).toBe(true);
    } finally {
      await live.remove();
      await dead.remove();
    }
  });

  it('is a no-op that says why when limits cannot be enforced', async () => {
    const spec = podCgroupSpec(pod([{ name: 'a', image: 'i' }]), newUid());
    const cgroups = await PodCgroups.create(spec, {
      layout: layout!,
      access: { enforced: false, reason: 'rootless on cgroup v1' },
      cgroupRoot: testRoot,
    });
    expect(cgroups.enforcement).toEqual({ enforced: false, reason: 'rootless on cgroup v1', notEnforced: [] });
    expect(await cgroups.prepareContainer('a')).toEqual([]);
    expect(cgroups.oomKilled('a')).toBe(false);
    expect(leftovers()).toEqual([]);
    await cgroups.remove();
  });
});

function uidOf(cgroups: PodCgroups): string {
  return path.basename(cgroups.podCgroupDirs()[0]!).slice('pod'.length);
}

describe.skipIf(reason)(
  titled('cgroup v2 controller files, against a directory tree laid out as cgroup2 (not a kernel)', reason),
  () => {
    let tmp = '';
    afterEach(() => {
      if (tmp !== '') fs.rmSync(tmp, { recursive: true, force: true });
      tmp = '';
    });

    /** Makes `dir` with the control files a kernel would show there. */
    function fakeCgroup(dir: string, files: string[]): void {
      fs.mkdirSync(dir, { recursive: true });
      for (const f of ['cgroup.procs', 'cgroup.subtree_control', 'cgroup.controllers', ...files])
        fs.writeFileSync(path.join(dir, f), '');
    }

    it('writes memory.max, memory.oom.group, cpu.max, cpu.weight, pids.max and enables controllers down the path', () => {
      tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cgroup2-'));
      const l = layoutFromMounts(
        parseCgroupMounts(`26 22 0:23 / ${tmp} rw - cgroup2 cgroup2 rw\n`),
        'cpu memory pids hugetlb',
      );
      const h = l.unified!;
      const pod = path.join(tmp, 'kubepods/burstable/podu');
      const app = path.join(pod, 'app');
      for (const d of [tmp, path.join(tmp, 'kubepods'), path.join(tmp, 'kubepods/burstable'), pod]) fakeCgroup(d, []);
      // No memory.swap.max: swap accounting off, the optional write is skipped.
      fakeCgroup(app, ['cpu.weight', 'cpu.max', 'memory.max', 'memory.oom.group', 'pids.max', 'hugetlb.2MB.max']);
      expect(enableControllers(tmp, pod, h.controllers)).toEqual([]);
      for (const d of [tmp, pod]) expect(read(d, 'cgroup.subtree_control')).toBe('+memory +cpu +pids +hugetlb');
      const limits = containerLimits(
        { name: 'app', resources: { requests: { cpu: '1' }, limits: { cpu: '2', memory: '64Mi' } } },
        { hugepageSizes: [2 * Mi] },
      );
      const { writes, notes, deviceRules } = limitWrites(l, h, { ...limits, pidsLimit: 100 }, { privileged: false });
      expect(notes).toEqual([]);
      // The device program's rules (attached by PodCgroups: test/integration/device-program.test.ts).
      expect(deviceRules).toContainEqual({ type: 'c', major: 1, minor: 3, access: 'rwm' });
      expect(limitWrites(l, h, limits, { privileged: true }).deviceRules).toBeUndefined();
      expect(applyWrites(app, writes)).toEqual([]);
      expect(read(app, 'cpu.weight')).toBe('39');
      expect(read(app, 'cpu.max')).toBe('200000 100000');
      expect(read(app, 'memory.max')).toBe(String(64 * Mi));
      expect(read(app, 'memory.oom.group')).toBe('1');
      expect(read(app, 'pids.max')).toBe('100');
      expect(read(app, 'hugetlb.2MB.max')).toBe('0');
      expect(fs.existsSync(path.join(app, 'memory.swap.max'))).toBe(false);
      // A controller that is not enabled there (its file missing) is reported, not silently skipped.
      fs.rmSync(path.join(app, 'memory.max'));
      expect(applyWrites(app, writes)).toEqual([`memory: memory.max does not exist in ${pod} (not enforced)`]);
    });

    it('finds a rootless user’s delegated subtree (owned cgroup.subtree_control and cgroup.procs), and nothing otherwise', () => {
      tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cgroup2-'));
      const l = layoutFromMounts(parseCgroupMounts(`26 22 0:23 / ${tmp} rw - cgroup2 cgroup2 rw\n`), 'cpu memory pids');
      const service = path.join(tmp, 'user.slice/user-1000.slice/user@1000.service');
      const scope = path.join(service, 'app.slice/pod-init.scope');
      for (const d of [
        path.join(tmp, 'user.slice'),
        path.join(tmp, 'user.slice/user-1000.slice'),
        service,
        path.dirname(scope),
        scope,
      ])
        fakeCgroup(d, []);
      const self = parseProcCgroup('0::/user.slice/user-1000.slice/user@1000.service/app.slice/pod-init.scope\n');
      expect(cgroupAccess(l, self, 1000).enforced).toBe(false);
      for (const d of [service, path.dirname(scope), scope]) {
        for (const f of ['cgroup.subtree_control', 'cgroup.procs']) fs.chownSync(path.join(d, f), 1000, 1000);
      }
      expect(cgroupAccess(l, self, 1000)).toEqual({
        enforced: true,
        delegated: 'user.slice/user-1000.slice/user@1000.service',
      });
    });
  },
);
