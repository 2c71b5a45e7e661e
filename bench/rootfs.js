// rootfs-start (issue: Confinement): a container in a busybox root filesystem with the default
// confinement (containerd's capabilities, RuntimeDefault seccomp, masked and read-only paths, a fresh
// cgroup) started and waited for `true`, in-process through the library: a new pod per start
// (`rootfs-start`, what crun does: new namespaces every time, the pod destroyed after) and a start into
// a pod made once (`rootfs-start-joined`), against `crun run` of an OCI bundle of the same root and
// confinement, and `bwrap` with the same root, capabilities, filter and masks (no cgroup: bwrap has
// none). And `defences`: what each defence adds to spawn-join, one at a time; all of them for a spawn into a
// running container (exec, exec probes, hooks: its mount namespace is masked already) and for a container's
// first process (own mount namespace, masks, fresh cgroup); and the kernel's cost of the cgroup moves.
'use strict';
const { spawn: cpSpawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { Keeper, Sandbox, spawn } = require(path.join(__dirname, '..', 'dist'));
const { summarize } = require('./stats');
const c = require('./confinement');

const ms = (t0) => Number(process.hrtime.bigint() - t0) / 1e6;
function which(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' }).stdout.trim() || undefined;
}

/**
 * CPU time of this process's reaped children so far, in ms (/proc/self/stat cutime + cstime, 10 ms
 * ticks): steadier than wall time on a loaded host, and it counts what a spawned child did itself
 * (its setup before execve: filters attached, cgroups entered) however long it waited for a core.
 */
function childCpuMs() {
  const fields = fs.readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ');
  return (Number(fields[13]) + Number(fields[14])) * 10; // cutime, cstime (USER_HZ 100)
}

/**
 * Runs each function of `fns` in turn, `n` rounds after a warm-up of 10; { name: summary }, each
 * summary with `childCpuMs`: the children's CPU time per call.
 */
async function interleave(n, fns) {
  const times = Object.fromEntries(Object.keys(fns).map((k) => [k, []]));
  const cpu = Object.fromEntries(Object.keys(fns).map((k) => [k, 0]));
  for (let i = 0; i < 10; i++) for (const fn of Object.values(fns)) await fn();
  for (let i = 0; i < n; i++) {
    for (const [name, fn] of Object.entries(fns)) {
      const c0 = childCpuMs();
      const t0 = process.hrtime.bigint();
      await fn();
      times[name].push(ms(t0));
      cpu[name] += childCpuMs() - c0;
    }
  }
  return Object.fromEntries(Object.entries(times).map(([k, v]) => [k, { ...summarize(v), childCpuMs: cpu[k] / n }]));
}

async function mustSucceed(proc, what) {
  const status = await proc.exited;
  if (status.exitCode !== 0) throw new Error(`${what} ended with ${JSON.stringify(status)}`);
}

/**
 * crun on a cgroup v1 "hybrid" host refuses to run while a cgroup2 with controllers is mounted at
 * /sys/fs/cgroup/unified (DESIGN.md pitfall 31): a helper in a private mount namespace without that
 * mount, whose mount namespace each crun run joins. Resolves with { launch(args), stop() }, or a reason.
 */
async function crunLauncher(crun) {
  const hybrid = fs.existsSync('/sys/fs/cgroup/unified/cgroup.procs');
  if (!hybrid) {
    const launch = (args) =>
      new Promise((resolve, reject) =>
        cpSpawn(crun, args, { stdio: 'ignore' }).on('exit', (code) =>
          code === 0 ? resolve() : reject(new Error(`crun exited ${code}`)),
        ),
      );
    return { launch, stop: async () => {}, how: 'crun run' };
  }
  const helper = spawn({
    file: '/bin/sh',
    args: ['-c', 'umount /sys/fs/cgroup/unified && echo R && exec cat'],
    newNamespaces: ['mnt'],
    stdio: ['pipe', 'pipe', 'ignore'],
    dieWithParent: true,
  });
  const ready = await new Promise((resolve) => {
    helper.stdout.once('data', (chunk) => resolve(String(chunk).includes('R')));
    helper.stdout.once('end', () => resolve(false));
  });
  helper.stdout.destroy();
  const stop = async () => {
    helper.stdin.end();
    await helper.exited;
  };
  if (!ready) {
    await stop();
    return { reason: 'could not unmount /sys/fs/cgroup/unified in a private mount namespace' };
  }
  const launch = (args) =>
    mustSucceed(
      spawn({ file: crun, args, join: { process: helper, namespaces: ['mnt'] }, stdio: 'ignore' }),
      `crun ${args.join(' ')}`,
    );
  return { launch, stop, how: 'crun run (in a mount ns without the cgroup2 mount)' };
}

/** An OCI bundle for crun: `crun spec` edited to the same root, process and confinement as ours. */
function writeBundle(crun, dir, root, profile, cgroupsPath) {
  const made = spawnSync(crun, ['spec'], { cwd: dir, encoding: 'utf8' });
  if (made.status !== 0) throw new Error(`crun spec: ${made.stderr}`);
  const file = path.join(dir, 'config.json');
  const config = JSON.parse(fs.readFileSync(file, 'utf8'));
  config.root = { path: root, readonly: true };
  config.process.args = ['/bin/true'];
  config.process.terminal = false;
  config.process.noNewPrivileges = true;
  config.process.capabilities = {
    bounding: c.defaultCapabilities,
    permitted: c.defaultCapabilities,
    effective: c.defaultCapabilities,
    inheritable: [],
    ambient: [],
  };
  // What we mount too: no cgroup filesystem in the container (ours has none).
  config.mounts = config.mounts.filter((m) => m.type !== 'cgroup');
  const paths = c.existingPaths();
  config.linux.maskedPaths = paths.masked;
  config.linux.readonlyPaths = paths.readOnly;
  config.linux.seccomp = profile;
  config.linux.cgroupsPath = cgroupsPath;
  config.linux.namespaces = ['pid', 'network', 'ipc', 'uts', 'mount'].map((type) => ({ type }));
  fs.writeFileSync(
    file,
    JSON.stringify(config, (k, v) => (typeof v === 'bigint' ? Number(v) : v)),
  );
}

/** bwrap's arguments for the same root, mounts, capabilities and masks; the filter comes on fd 3. */
function bwrapArgs(root) {
  const paths = c.existingPaths();
  const masks = [
    ...paths.maskedFiles.flatMap((p) => ['--ro-bind', '/dev/null', p]),
    ...paths.maskedDirs.flatMap((p) => ['--tmpfs', p, '--remount-ro', p]),
    ...paths.readOnly.flatMap((p) => ['--ro-bind', p, p]),
  ];
  return [
    '--unshare-all',
    '--ro-bind',
    root,
    '/',
    '--proc',
    '/proc',
    '--dev',
    '/dev',
    '--mqueue',
    '/dev/mqueue',
    '--ro-bind',
    '/sys',
    '/sys',
    ...masks,
    '--cap-drop',
    'ALL',
    ...c.defaultCapabilities.flatMap((cap) => ['--cap-add', cap]),
    '--seccomp',
    '3',
    '/bin/true',
  ];
}

/**
 * The kernel's own cost of attaching each filter, timed around seccomp(2) in fresh children
 * (bench/helpers/seccomp-load.c): the range search pod-init loads, libseccomp's program of the same profile, and
 * a one-instruction filter. Rows `seccomp-kernel-*`, µs.
 */
function seccompKernelRows(report, programs, iterations, log) {
  const cc = which('cc');
  if (!cc) return report.skip('seccomp-kernel', 'no C compiler for bench/helpers (apt-get install gcc)');
  const dir = fs.mkdtempSync(path.join(require('node:os').tmpdir(), 'pod-init-bench-sc-'));
  try {
    const exe = path.join(dir, 'seccomp-load');
    const built = spawnSync(cc, ['-O2', '-o', exe, path.join(__dirname, 'helpers', 'seccomp-load.c')], {
      stdio: 'inherit',
    });
    if (built.status !== 0) return report.skip('seccomp-kernel', 'bench/helpers/seccomp-load.c did not compile');
    const files = Object.entries(programs).map(([name, bpf]) => {
      const file = path.join(dir, `${name}.bpf`);
      fs.writeFileSync(file, bpf);
      return file;
    });
    const run = spawnSync(exe, [String(Math.max(300, iterations)), ...files], { encoding: 'utf8' });
    if (run.status !== 0) return report.skip('seccomp-kernel', `seccomp-load failed: ${run.stderr}`);
    const [ranges, libseccomp, floor] = run.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    for (const [name, a, b, what] of [
      [
        'seccomp-kernel-ranges',
        ranges,
        libseccomp,
        `attach the range search (${ranges.instructions} insns) vs libseccomp's`,
      ],
      ['seccomp-kernel-floor', floor, ranges, 'attach a one-instruction filter vs the range search'],
    ]) {
      report.add(name, 'µs', a.us, `${b.instructions} instructions`, b.us, {
        p90: a.p90Us,
        peerP90: b.p90Us,
        cpuUs: a.cpuUs,
        peerCpuUs: b.cpuUs,
        what,
      });
      log(`  ${what}: ${a.us} vs ${b.us} µs (CPU ${a.cpuUs} vs ${b.cpuUs})`);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The kernel's own cost of placing a process in cgroups, without pod-init around it (bench/helpers/cgroup-move.c,
 * compiled here): a child migrated by a cgroup.procs write into a v2 cgroup vs born there (clone3
 * CLONE_INTO_CGROUP), and moved into every v1 hierarchy through cgroup.procs (the global
 * cgroup_threadgroup_rwsem) vs `tasks` (the writing thread only). Rows `cgroup-kernel-*`, µs.
 */
function cgroupKernelRows(report, parent, iterations, log) {
  const cc = which('cc');
  if (!cc) return report.skip('cgroup-kernel', 'no C compiler for bench/helpers (apt-get install gcc)');
  const dir = fs.mkdtempSync(path.join(require('node:os').tmpdir(), 'pod-init-bench-cg-'));
  const dirs = parent.fresh();
  try {
    const exe = path.join(dir, 'cgroup-move');
    const built = spawnSync(cc, ['-O2', '-o', exe, path.join(__dirname, 'helpers', 'cgroup-move.c')], {
      stdio: 'inherit',
    });
    if (built.status !== 0) return report.skip('cgroup-kernel', 'bench/helpers/cgroup-move.c did not compile');
    const v2 = dirs.find((d) => fs.statfsSync(d).type === 0x63677270);
    if (!v2) return report.skip('cgroup-kernel', 'no cgroup2 hierarchy mounted');
    const v1 = dirs.filter((d) => d !== v2);
    const run = spawnSync(exe, [String(Math.max(200, iterations)), v2, ...v1], { encoding: 'utf8' });
    if (run.status !== 0) return report.skip('cgroup-kernel', `cgroup-move failed: ${run.stderr}`);
    const ways = Object.fromEntries(
      run.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l))
        .map((w) => [w.way, w]),
    );
    const pairs = [
      [
        'cgroup-kernel-v2',
        'v2-into',
        'v2-write',
        'born in a v2 cgroup (CLONE_INTO_CGROUP) vs migrated by cgroup.procs',
      ],
      ['cgroup-kernel-v1', 'v1-tasks', 'v1-procs', `${v1.length} v1 hierarchies: tasks vs cgroup.procs`],
    ];
    for (const [name, ours, theirs, what] of pairs) {
      const a = ways[ours];
      const b = ways[theirs];
      report.add(name, 'µs', a.stepUs, theirs, b.stepUs, {
        p90: a.stepP90Us,
        peerP90: b.stepP90Us,
        cpuUs: a.stepCpuUs,
        peerCpuUs: b.stepCpuUs,
        forkToReapUs: a.totalUs,
        peerForkToReapUs: b.totalUs,
        what,
      });
      log(
        `  ${what}: ${a.stepUs} vs ${b.stepUs} µs (p90 ${a.stepP90Us} vs ${b.stepP90Us}; CPU ${a.stepCpuUs} vs ${b.stepCpuUs})`,
      );
    }
  } finally {
    parent.release(dirs);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

module.exports = function rootfsBenches(report, { iterations, log }) {
  const pair = (name, peer, ours, theirs) => {
    report.add(name, 'ms', ours.median, peer, theirs.median, { p99: ours.p99, peerP99: theirs.p99, n: ours.n });
    report.add(`${name}-p99`, 'ms', ours.p99, peer, theirs.p99, { n: ours.n });
  };

  return {
    async 'rootfs-start'() {
      if (process.geteuid() !== 0) return report.skip('rootfs-start', 'needs root (cgroups, crun, device binds)');
      const made = c.makeRootfs();
      if (!made) return report.skip('rootfs-start', 'no static busybox (apt-get install busybox-static)');
      const cgroups = c.cgroupParent(`pod-init-bench-${process.pid}`);
      const stoppers = [];
      try {
        if (!cgroups) return report.skip('rootfs-start', 'no cgroup v1 pids and memory hierarchies');
        const { profile, filter } = c.seccompDefault();
        const steps = c.rootSteps(made.root);
        const container = (dirs) => ({
          file: '/bin/true',
          stdio: 'ignore',
          newNamespaces: ['mnt'],
          mounts: steps,
          capabilities: c.capabilitySets,
          noNewPrivileges: true,
          seccomp: filter,
          cgroups: dirs,
        });
        const startIn = async (pod) => {
          const dirs = cgroups.fresh();
          try {
            await mustSucceed(pod.spawn(container(dirs)), 'the container');
          } finally {
            cgroups.release(dirs);
          }
        };
        const fns = {
          fresh: async () => {
            const pod = await Sandbox.create();
            try {
              await startIn(pod);
            } finally {
              await pod.destroy();
            }
          },
        };
        const joinedPod = await Sandbox.create();
        stoppers.push(() => joinedPod.destroy());
        fns.joined = () => startIn(joinedPod);

        let crunHow;
        const crun = which('crun');
        if (!crun) report.skip('rootfs-start vs crun', 'crun not found (apt-get install crun)');
        else {
          const launcher = await crunLauncher(crun);
          if (launcher.reason) report.skip('rootfs-start vs crun', launcher.reason);
          else {
            stoppers.push(launcher.stop);
            const bundle = path.join(made.dir, 'bundle');
            fs.mkdirSync(bundle);
            writeBundle(crun, bundle, made.root, profile, `/${cgroups.name}/crun`);
            let n = 0;
            const id = () => `pod-init-bench-${process.pid}-${(n += 1)}`;
            try {
              await launcher.launch(['run', '--bundle', bundle, id()]);
              fns.crun = () => launcher.launch(['run', '--bundle', bundle, id()]);
              crunHow = launcher.how;
            } catch (error) {
              report.skip('rootfs-start vs crun', `crun cannot run here: ${error.message}`);
            }
          }
        }
        const bwrap = which('bwrap');
        if (!bwrap) report.skip('rootfs-start vs bwrap', 'bwrap not found (apt-get install bubblewrap)');
        else {
          const bpf = path.join(made.dir, 'seccomp.bpf');
          fs.writeFileSync(bpf, filter.bpf);
          const args = bwrapArgs(made.root);
          fns.bwrap = () =>
            new Promise((resolve, reject) => {
              const fd = fs.openSync(bpf, 'r');
              const child = cpSpawn(bwrap, args, { stdio: ['ignore', 'ignore', 'ignore', fd] });
              fs.closeSync(fd);
              child.on('error', reject);
              child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`bwrap exited ${code}`))));
            });
        }

        const n = Math.max(100, Math.round(iterations / 2));
        const s = await interleave(n, fns);
        const peers = [
          ['crun', crunHow],
          ['bwrap', 'bwrap --unshare-all (same root, caps, seccomp, masks; no cgroup)'],
        ].filter(([k]) => s[k]);
        if (peers.length === 0) {
          report.add('rootfs-start', 'ms', s.fresh.median, 'rootfs-start-joined', s.joined.median, {
            p99: s.fresh.p99,
          });
          return;
        }
        for (const [key, label] of peers) {
          pair(key === 'crun' ? 'rootfs-start' : 'rootfs-start-vs-bwrap', label, s.fresh, s[key]);
          pair(key === 'crun' ? 'rootfs-start-joined' : 'rootfs-start-joined-vs-bwrap', label, s.joined, s[key]);
        }
      } finally {
        for (const stop of stoppers.reverse()) await stop();
        if (cgroups) cgroups.remove();
        fs.rmSync(made.dir, { recursive: true, force: true });
      }
    },

    async defences() {
      if (process.geteuid() !== 0) return report.skip('defences', 'needs root (cgroups, seccomp without no_new_privs)');
      const cgroups = c.cgroupParent(`pod-init-bench-${process.pid}`);
      if (!cgroups) return report.skip('defences', 'no cgroup v1 pids and memory hierarchies');
      // Every hierarchy pod-init puts a container in (here 6 v1 ones and the cgroup2 mount).
      const every = c.cgroupParent(`pod-init-bench-${process.pid}-all`, { all: true });
      const pod = await Sandbox.create();
      let container;
      try {
        const { filter, libseccomp } = c.seccompDefault();
        // The kernel's floor: a filter of one instruction (allow everything). Its cost is what any
        // runtime pays to attach a filter to a process here; bwrap with and without it shows the same.
        const allowAll = Buffer.alloc(8);
        allowAll.writeUInt16LE(0x06, 0); // BPF_RET | BPF_K
        allowAll.writeUInt32LE(0x7fff0000, 4); // SECCOMP_RET_ALLOW
        const trivial = { bpf: allowAll, unknownSyscalls: [] };
        const bwrap = which('bwrap');
        const bwrapRun = (seccomp) =>
          new Promise((resolve, reject) => {
            const args = ['--bind', '/', '/', '--unshare-pid', ...(seccomp ? ['--seccomp', '3'] : []), '/bin/true'];
            const stdio = ['ignore', 'ignore', 'ignore'];
            let fd;
            if (seccomp) {
              const file = path.join(require('node:os').tmpdir(), `pod-init-bench-allow-${process.pid}.bpf`);
              fs.writeFileSync(file, allowAll);
              fd = fs.openSync(file, 'r');
              fs.rmSync(file);
              stdio.push(fd);
            }
            const child = cpSpawn(bwrap, args, { stdio });
            if (fd !== undefined) fs.closeSync(fd);
            child.on('error', reject);
            child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`bwrap exited ${code}`))));
          });
        const masks = c.maskSteps();
        const made = cgroups.fresh();
        const confinement = { capabilities: c.capabilitySets, noNewPrivileges: true, seccomp: filter };
        // A running container of the pod, as pod-init starts one: a mount namespace of its own with the masks
        // applied, its cgroup in every hierarchy, the confinement. What exec, exec probes and hooks join.
        const containerDirs = every ? every.fresh() : made;
        container = pod.spawn({
          file: '/bin/sleep',
          args: ['1000000'],
          stdio: 'ignore',
          newNamespaces: ['mnt'],
          mounts: masks,
          cgroups: containerDirs,
          ...confinement,
        });
        const run = (extra) => mustSucceed(pod.spawn({ file: '/bin/true', stdio: 'ignore', ...extra }), 'spawn');
        const exec = (extra) =>
          mustSucceed(spawn({ file: '/bin/true', stdio: 'ignore', join: { process: container }, ...extra }), 'exec');
        const withFresh = async (parent, extra) => {
          const dirs = parent.fresh();
          try {
            await run({ ...extra, cgroups: dirs });
          } finally {
            parent.release(dirs);
          }
        };
        const s = await interleave(iterations, {
          none: () => run({}),
          caps: () => run({ capabilities: c.capabilitySets }),
          nnp: () => run({ noNewPrivileges: true }),
          seccomp: () => run({ seccomp: filter }),
          seccompLibseccomp: () => run({ seccomp: libseccomp }),
          seccompTrivial: () => run({ seccomp: trivial }),
          ...(bwrap ? { bwrapPlain: () => bwrapRun(false), bwrapTrivial: () => bwrapRun(true) } : {}),
          cgroupEnter: () => run({ cgroups: made }),
          ...(every ? { cgroupEnterAll: () => run({ cgroups: containerDirs }) } : {}),
          cgroupFresh: () => withFresh(cgroups, {}),
          mntns: () => run({ newNamespaces: ['mnt'] }),
          masks: () => run({ newNamespaces: ['mnt'], mounts: masks }),
          start: () => withFresh(every ?? cgroups, { ...confinement, newNamespaces: ['mnt'], mounts: masks }),
          execNone: () => exec({}),
          execAll: () => exec({ ...confinement, cgroups: containerDirs }),
        });
        cgroups.release(made);
        // The pause confining itself (empty read-only root, no capabilities, its own user): a pod
        // created and destroyed, with and without.
        const pods = await interleave(Math.max(50, Math.round(iterations / 4)), {
          podPlain: async () => (await Sandbox.create({ confine: false })).destroy(),
          podConfined: async () => (await Sandbox.create()).destroy(),
        });
        Object.assign(s, pods);
        const rows = [
          ['defence-caps', 'caps', 'none', "containerd's 14 capabilities (all five sets)"],
          ['defence-no-new-privs', 'nnp', 'none', 'no_new_privs'],
          [
            'defence-seccomp',
            'seccomp',
            'none',
            'RuntimeDefault filter as pod-init loads it (range search, 372 insns)',
          ],
          ['defence-seccomp-libseccomp', 'seccompLibseccomp', 'none', "the same profile, libseccomp's program (1,257)"],
          ['defence-seccomp-ranges-vs-libseccomp', 'seccomp', 'seccompLibseccomp', 'range search vs libseccomp'],
          ['defence-seccomp-floor', 'seccompTrivial', 'none', "a one-instruction filter: the kernel's floor"],
          ...(bwrap
            ? [['defence-seccomp-floor-bwrap', 'bwrapTrivial', 'bwrapPlain', 'the same floor under bwrap']]
            : []),
          ['defence-cgroup-enter', 'cgroupEnter', 'none', 'enter an existing pids+memory cgroup (v1 tasks)'],
          ...(every
            ? [
                [
                  'defence-cgroup-enter-all',
                  'cgroupEnterAll',
                  'none',
                  `enter a container's cgroup (${every.hierarchies.length} hierarchies; v2: born there)`,
                ],
              ]
            : []),
          ['defence-cgroup-fresh', 'cgroupFresh', 'none', 'fresh pids+memory cgroup (mkdir, enter, rmdir)'],
          ['defence-exec-all', 'execAll', 'execNone', 'exec into a running container: caps, nnp, seccomp, cgroup'],
          ['defence-mnt-ns', 'mntns', 'none', "a container's start: own copy of the pod mount namespace"],
          ['defence-masks', 'masks', 'mntns', "a container's start: masked + read-only /proc and /sys paths"],
          ['defence-start-all', 'start', 'none', "a container's start: all of them, fresh cgroup in every hierarchy"],
          ['defence-pause-confined', 'podConfined', 'podPlain', 'the pause confined (per pod)'],
        ];
        const labels = {
          none: 'spawn-join (no defence)',
          mntns: 'spawn-join + own mount ns',
          seccompLibseccomp: "spawn-join + libseccomp's filter",
          execNone: 'spawn joining the container (no defence)',
          bwrapPlain: 'bwrap --unshare-pid /bin/true',
          podPlain: 'Sandbox.create + destroy, confine: false',
        };
        for (const [name, key, base, what] of rows) {
          const deltaUs = Math.round((s[key].median - s[base].median) * 1000);
          // The children's CPU time per start, and what the defence adds to it (steadier when the host is busy).
          const cpuMs = Number(s[key].childCpuMs.toFixed(3));
          const deltaCpuUs = Math.round((s[key].childCpuMs - s[base].childCpuMs) * 1000);
          // The 10th percentiles' difference: on a host loaded by other work, closer to the defence's own cost.
          const deltaP10Us = Math.round((s[key].p10 - s[base].p10) * 1000);
          report.add(name, 'ms', s[key].median, labels[base], s[base].median, {
            p99: s[key].p99,
            p10: s[key].p10,
            peerP10: s[base].p10,
            deltaUs,
            deltaP10Us,
            childCpuMs: cpuMs,
            deltaCpuUs,
            what,
          });
          const sign = (x) => (x >= 0 ? `+${x}` : String(x));
          log(
            `  ${what}: ${sign(deltaUs)} µs wall (p10 ${sign(deltaP10Us)}), ${sign(deltaCpuUs)} µs CPU (children: ${cpuMs} ms per start)`,
          );
        }
        seccompKernelRows(report, { ranges: filter.bpf, libseccomp: libseccomp.bpf, floor: allowAll }, iterations, log);
        if (every) cgroupKernelRows(report, every, iterations, log);
      } finally {
        if (container) {
          container.kill('SIGKILL');
          await container.exited;
        }
        await pod.destroy();
        cgroups.remove();
        if (every) every.remove();
      }
    },

    // An exec into a running container through its keeper (native/keeper.cc: a process already inside the
    // container's namespaces, cgroups, capabilities, no_new_privs and filter, which forks), vs the same exec
    // attaching them itself (defence-exec-all) and vs a joined spawn with no defence at all.
    async keeper() {
      if (process.geteuid() !== 0) return report.skip('keeper', 'needs root (cgroups, seccomp without no_new_privs)');
      const every = c.cgroupParent(`pod-init-bench-${process.pid}-keeper`, { all: true });
      if (!every) return report.skip('keeper', 'no cgroup v1 pids and memory hierarchies');
      const pod = await Sandbox.create();
      let container;
      let keeper;
      const dirs = every.fresh();
      try {
        const { filter } = c.seccompDefault();
        const confinement = { capabilities: c.capabilitySets, noNewPrivileges: true, seccomp: filter };
        container = pod.spawn({
          file: '/bin/sleep',
          args: ['1000000'],
          stdio: 'ignore',
          newNamespaces: ['mnt'],
          mounts: c.maskSteps(),
          cgroups: dirs,
          ...confinement,
        });
        keeper = Keeper.start({ join: { process: container }, ...confinement, cgroups: dirs, dieWithParent: true });
        const exec = (extra) =>
          mustSucceed(spawn({ file: '/bin/true', stdio: 'ignore', join: { process: container }, ...extra }), 'exec');
        // The keeper's own CPU (its clone per request): not among the reaped children's until it exits.
        const keeperCpuMs = () => {
          const f = fs.readFileSync(`/proc/${keeper.process.pid}/stat`, 'utf8').split(') ')[1].split(' ');
          return (Number(f[11]) + Number(f[12])) * 10; // utime, stime (USER_HZ 100)
        };
        const keeperCpu0 = keeperCpuMs();
        const s = await interleave(iterations, {
          spawnJoin: () => mustSucceed(pod.spawn({ file: '/bin/true', stdio: 'ignore' }), 'spawn-join'),
          execNone: () => exec({}),
          execAll: () => exec({ ...confinement, cgroups: dirs }),
          keeper: () => mustSucceed(keeper.spawn({ file: '/bin/true', stdio: 'ignore' }), 'keeper'),
        });
        // Per call of the keeper row (warm-up included in the total: an upper bound).
        const keeperOwnCpuMs = (keeperCpuMs() - keeperCpu0) / iterations;
        log(`  the keeper's own CPU: ${keeperOwnCpuMs.toFixed(3)} ms per exec`);
        const rows = [
          ['keeper-exec', 'keeper', 'execNone', 'exec through the keeper (all defences inherited) vs no defence'],
          ['keeper-vs-exec-all', 'keeper', 'execAll', 'exec through the keeper vs attaching every defence per exec'],
          ['keeper-vs-spawn-join', 'keeper', 'spawnJoin', 'exec through the keeper vs spawn-join (no defence)'],
        ];
        const labels = {
          execNone: 'spawn joining the container (no defence)',
          execAll: 'spawn joining the container with every defence (defence-exec-all)',
          spawnJoin: 'spawn-join: spawn into the pod (no defence)',
        };
        for (const [name, key, base, what] of rows) {
          report.add(name, 'ms', s[key].median, labels[base], s[base].median, {
            p99: s[key].p99,
            p10: s[key].p10,
            peerP10: s[base].p10,
            ratio: Number((s[key].median / s[base].median).toFixed(3)),
            childCpuMs: Number(s[key].childCpuMs.toFixed(3)),
            keeperCpuMs: Number(keeperOwnCpuMs.toFixed(3)),
            peerChildCpuMs: Number(s[base].childCpuMs.toFixed(3)),
            what,
          });
          log(
            `  ${what}: ${s[key].median.toFixed(3)} vs ${s[base].median.toFixed(3)} ms (p10 ${s[key].p10.toFixed(3)} vs ${s[base].p10.toFixed(3)}), children's CPU ${s[key].childCpuMs.toFixed(3)} vs ${s[base].childCpuMs.toFixed(3)} ms`,
          );
        }
      } finally {
        keeper?.close();
        if (keeper) await keeper.process.exited;
        if (container) {
          container.kill('SIGKILL');
          await container.exited;
        }
        await pod.destroy();
        every.release(dirs);
        every.remove();
      }
    },
  };
};
