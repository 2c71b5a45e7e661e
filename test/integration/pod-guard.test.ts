// The pod's guard (native/guard.c, src/pod/pod-guard.ts): after `kill -9` of pod-init every process of
// the pod is gone within a second — a container that dropped to uid 1000 (its parent-death signal went
// with the uid change) and its background child in a session of its own — also with hostPID (no pid
// namespace to die with the pause), without cgroups (the guard kills the process trees it was told
// about), and rootless (uid 65534, no cgroups on this v1 host). Negative control: with the guard off
// (run-pod.js --no-guard) the same processes survive. A clean end and a SIGTERM during the start leave
// no guard, pause or cgroup behind. The guard is confined (root and rootless), and a hostPID root
// container cannot open its fds or root (it holds the pod's cgroup files): shown to work against a
// dumpable process with the same credentials. Processes are found by a marker in their environment.
import { spawn as cpSpawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PodGuard } from '../../src/pod/pod-guard';
import { tempDir } from '../helpers/escape';
import { podCli, podManifest } from '../helpers/pod-cli';
import { privilegeSkipReason, titled } from '../helpers/privileges';
import { stagePackage } from '../helpers/stage';
import { lineReader, pollUntil, settlesWithin } from '../helpers/wait';

const reason = privilegeSkipReason();

/** Pids of the processes whose environment holds NAME=value. */
function withEnv(entry: string): number[] {
  const pids: number[] = [];
  for (const pid of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      if (fs.readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0').includes(entry)) pids.push(Number(pid));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

const marked = (marker: string) => withEnv(`MARK=${marker}`);

function killAll(pids: number[]): void {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
}

/** A pod whose container (uid `user`, if given) starts a background child in a session of its own. */
function podSpec(marker: string, hostPID: boolean, user?: number): string {
  return `  restartPolicy: Never
  hostPID: ${hostPID}
${user === undefined ? '' : `  securityContext: { runAsUser: ${user}, runAsGroup: ${user} }\n`}  containers:
    - name: main
      image: busybox
      env: [{ name: MARK, value: ${marker} }]
      command: [sh, -c, "setsid sh -c 'exec sleep 1000' & echo started; exec sleep 1000"]
`;
}

/** Waits until the container and its background child run (the two sleeps). */
async function podRunning(marker: string): Promise<number[]> {
  return pollUntil(
    () => {
      const pids = marked(marker);
      const comms = pids.map((pid) => {
        try {
          return fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
        } catch {
          return '';
        }
      });
      return comms.filter((c) => c === 'sleep').length === 2 ? pids : undefined;
    },
    'the container and its background child to run',
    20_000,
  );
}

/** Milliseconds until no marked process is left (polled until `deadlineMs`, then Infinity). */
async function msUntilGone(marker: string, since: number, deadlineMs: number): Promise<number> {
  return pollUntil(
    () => (marked(marker).length === 0 ? Date.now() - since : undefined),
    'the pod to be gone',
    deadlineMs,
  )
    .then((ms) => ms)
    .catch(() => Infinity);
}

describe.skipIf(reason)(titled('the pod guard: nothing outlives pod-init', reason), () => {
  let tmp: ReturnType<typeof tempDir>;
  let staged: string;
  const cgroupRoot = `/pod-init-test-guard-${process.pid}`;
  const tag = `guard-${randomUUID()}`;
  beforeAll(() => {
    tmp = tempDir('pod-init-guard-');
    staged = stagePackage();
  });
  afterAll(() => {
    tmp?.remove();
    if (staged) fs.rmSync(staged, { recursive: true, force: true });
    // The test's cgroup root, in every hierarchy: deepest first, empty by now.
    for (const hierarchy of fs.readdirSync('/sys/fs/cgroup')) {
      const root = path.join('/sys/fs/cgroup', hierarchy, cgroupRoot);
      if (!fs.existsSync(root)) continue;
      const dirs: string[] = [];
      const walk = (d: string) => {
        for (const e of fs.readdirSync(d, { withFileTypes: true })) if (e.isDirectory()) walk(path.join(d, e.name));
        dirs.push(d);
      };
      walk(root);
      for (const d of dirs) fs.rmdirSync(d);
    }
  });

  /** run-pod.js (as `uid`, from the world-readable staged copy) on a manifest, in roots of its own. */
  function start(name: string, manifest: string, flags: string[] = [], uid?: number) {
    const dir = path.join(tmp.dir, `${name}-${randomUUID()}`);
    fs.mkdirSync(dir);
    if (uid !== undefined) fs.chownSync(dir, uid, uid);
    const file = path.join(dir, 'pod.yaml');
    fs.writeFileSync(file, manifest);
    const fixture = path.join(
      uid === undefined ? path.resolve(__dirname, '../..') : staged,
      'test/fixtures/run-pod.js',
    );
    const args = [fixture, file, path.join(dir, 'state'), path.join(dir, 'owners'), cgroupRoot, ...flags];
    const proc = cpSpawn(process.execPath, args, {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, POD_INIT_TAG: tag },
      ...(uid === undefined ? {} : { uid, gid: uid, cwd: staged }),
    });
    const exited = new Promise<number | null>((resolve) => proc.on('exit', resolve));
    return { proc, out: lineReader(proc.stdout), exited };
  }

  /** The guards of this file's pod-inits still running (not zombies). */
  const guards = () =>
    withEnv(`POD_INIT_TAG=${tag}`).filter((pid) => {
      try {
        return /^\d+ \(pod-guard\) [^Z]/.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
      } catch {
        return false;
      }
    });

  /**
   * Starts the pod, kill -9s its pod-init once it runs; resolves with how long until nothing was left
   * (Infinity: still there after 10 s — after 3 s with --no-guard, where survivors are the expectation).
   */
  async function killPodInit(marker: string, manifest: string, flags: string[], uid?: number): Promise<number> {
    const run = start('kill', manifest, flags, uid);
    try {
      const pids = await podRunning(marker);
      await run.out.waitFor(/"reason":"Started"/);
      if (uid === undefined)
        for (const pid of pids) expect(fs.readFileSync(`/proc/${pid}/status`, 'utf8')).toMatch(/^Uid:\s+1000\s/m);
      const killedAt = Date.now();
      run.proc.kill('SIGKILL');
      await run.exited;
      return await msUntilGone(marker, killedAt, flags.includes('--no-guard') ? 3000 : 10_000);
    } finally {
      run.proc.kill('SIGKILL');
      killAll(marked(marker));
    }
  }

  for (const [title, hostPID, flags] of [
    ['hostPID: the pod cgroup is killed (v1 freezer here)', true, []],
    ['hostPID without cgroups: the process trees the guard was told about', true, ['--no-cgroups']],
    ['a pid namespace of its own: the pause and its namespace', false, ['--no-cgroups']],
  ] as const) {
    it(`kill -9 of pod-init, uid 1000 container — ${title}: all gone within 1 s, the guard too`, async () => {
      const marker = `guard-${randomUUID()}`;
      const ms = await killPodInit(marker, podManifest('guarded', podSpec(marker, hostPID, 1000)), [...flags]);
      expect(ms).toBeLessThan(1000);
      await pollUntil(() => guards().length === 0, 'the guard to exit', 10_000);
    }, 40_000);
  }

  it('negative control: --no-guard, hostPID — the uid 1000 container and its child survive kill -9', async () => {
    const marker = `guard-${randomUUID()}`;
    const ms = await killPodInit(
      marker,
      podManifest('unguarded', podSpec(marker, true, 1000)),
      ['--no-guard', '--no-cgroups'],
      undefined,
    );
    expect(ms).toBe(Infinity);
  }, 40_000);

  describe('rootless (uid 65534, no cgroups here)', () => {
    it('hostPID: kill -9 of pod-init — the container and its child are gone within 1 s', async () => {
      const marker = `guard-${randomUUID()}`;
      const ms = await killPodInit(marker, podManifest('rootless', podSpec(marker, true)), [], 65534);
      expect(ms).toBeLessThan(1000);
      await pollUntil(() => guards().length === 0, 'the guard to exit', 10_000);
    }, 40_000);

    it('the guard is confined: no capabilities, an empty read-only root from a user namespace of its own', async () => {
      const marker = `guard-${randomUUID()}`;
      const run = start('rootless-confined', podManifest('rootless', podSpec(marker, true)), [], 65534);
      try {
        await podRunning(marker);
        const guard = await pollUntil(() => guards()[0], 'the guard', 10_000);
        const status = fs.readFileSync(`/proc/${guard}/status`, 'utf8');
        expect(status).toMatch(/^Uid:\s+65534\s+65534\s+65534\s+65534$/m);
        for (const set of ['CapEff', 'CapPrm', 'CapBnd']) expect(status).toMatch(new RegExp(`^${set}:\\s+0{16}$`, 'm'));
        expect(status).toMatch(/^NoNewPrivs:\s+1$/m);
        expect(fs.readdirSync(`/proc/${guard}/root`)).toEqual([]);
        expect(fs.readlinkSync(`/proc/${guard}/ns/user`)).not.toBe(fs.readlinkSync('/proc/self/ns/user'));
      } finally {
        run.proc.kill('SIGKILL');
        await run.exited;
        await pollUntil(() => marked(marker).length === 0, 'the pod to be gone', 10_000).catch(() =>
          killAll(marked(marker)),
        );
      }
    }, 40_000);

    it('negative control: --no-guard — the background child survives (no parent-death signal of its own)', async () => {
      const marker = `guard-${randomUUID()}`;
      const ms = await killPodInit(marker, podManifest('rootless', podSpec(marker, true)), ['--no-guard'], 65534);
      expect(ms).toBe(Infinity);
    }, 40_000);
  });

  it('the guard is confined: an empty read-only root, CAP_KILL only, no_new_privs', async () => {
    const marker = `guard-${randomUUID()}`;
    const run = start('confined', podManifest('confined', podSpec(marker, true, 1000)));
    try {
      await podRunning(marker);
      const guard = await pollUntil(() => guards()[0], 'the guard', 10_000);
      const status = fs.readFileSync(`/proc/${guard}/status`, 'utf8');
      expect(status).toMatch(/^CapEff:\s+0000000000000020$/m); // CAP_KILL (5): kill(2) of the pod's other uids
      expect(status).toMatch(/^CapPrm:\s+0000000000000020$/m);
      expect(status).toMatch(/^CapBnd:\s+0000000000000020$/m);
      expect(status).toMatch(/^NoNewPrivs:\s+1$/m);
      expect(fs.readdirSync(`/proc/${guard}/root`)).toEqual([]);
      expect(() => fs.writeFileSync(`/proc/${guard}/root/x`, '')).toThrow(/EROFS/);
      expect(fs.readFileSync(`/proc/${guard}/cmdline`, 'utf8').split('\0')[1]).toBe('guard');
    } finally {
      run.proc.kill('SIGKILL');
      await run.exited;
      await pollUntil(() => marked(marker).length === 0, 'the pod to be gone', 10_000).catch(() =>
        killAll(marked(marker)),
      );
    }
  }, 40_000);

  it('a hostPID root container cannot reach the guard: its fds and root are closed to it (not dumpable)', async () => {
    // Negative control: a dumpable process with the guard's credentials (uid 0, CAP_KILL only), holding a
    // directory on fd 3 as the guard holds the pod's cgroup directories, is open to the same container.
    const held = fs.openSync(tmp.dir, 'r');
    const control = cpSpawn('setpriv', ['--bounding-set', '-all,+kill', 'sleep', '300'], {
      stdio: ['ignore', 'ignore', 'ignore', held],
    });
    fs.closeSync(held);
    const cli = podCli();
    try {
      await pollUntil(
        () => /^CapEff:\s+0000000000000020$/m.test(fs.readFileSync(`/proc/${control.pid}/status`, 'utf8')) || undefined,
        'the control process to run with CAP_KILL only',
        10_000,
      );
      const script = [
        'for p in /proc/[0-9]*; do',
        '  [ "$(cat $p/comm 2>/dev/null)" = pod-guard ] || continue',
        '  readlink $p/fd/0 >/dev/null 2>&1; f=$?; ls $p/root/ >/dev/null 2>&1; echo "guard fd=$f root=$?"',
        'done',
        `readlink /proc/${control.pid}/fd/3 >/dev/null 2>&1; f=$?; ls /proc/${control.pid}/root/ >/dev/null 2>&1`,
        'echo "control fd=$f root=$?"',
      ];
      const spec = `  restartPolicy: Never
  hostPID: true
  containers:
    - name: main
      image: busybox
      command:
        - sh
        - -c
        - |
${script.map((l) => `          ${l}`).join('\n')}
`;
      const result = await cli.run([], podManifest('reach-guard', spec));
      expect(result.code).toBe(0);
      const lines = result.stdout.split('\n').filter((l) => /(guard|control) fd=/.test(l));
      expect(lines).toContain('main | control fd=0 root=0'); // the attack works on a dumpable process
      const guardLines = lines.filter((l) => l.includes('guard fd='));
      expect(guardLines.length).toBeGreaterThan(0); // it saw at least its own pod's guard
      for (const line of guardLines) expect(line).not.toMatch(/fd=0|root=0/);
    } finally {
      control.kill('SIGKILL');
      cli.cleanup();
    }
  }, 40_000);

  it('a guard killed by someone is said (GuardExited); a released one is not', async () => {
    const marker = `guard-${randomUUID()}`;
    const run = start('killed', podManifest('killed', podSpec(marker, false)));
    try {
      await podRunning(marker);
      await run.out.waitFor(/"reason":"Started"/);
      const guard = await pollUntil(() => guards()[0], 'the guard', 10_000);
      expect(run.out.lines.some((l) => l.includes('GuardExited'))).toBe(false); // control
      process.kill(guard, 'SIGKILL');
      expect(await run.out.waitFor(/GuardExited/)).toContain(`The pod's guard (pid ${guard}) exited`);
    } finally {
      run.proc.kill('SIGKILL');
      await run.exited;
      await pollUntil(() => marked(marker).length === 0, 'the pod to be gone', 10_000).catch(() =>
        killAll(marked(marker)),
      );
    }
  }, 40_000);

  it('a guard that cannot start says what failed, with the errno, and is gone', async () => {
    const missing = path.join(tmp.dir, 'no-such-cgroup');
    await expect(PodGuard.start({ cgroupDirs: [missing] })).rejects.toThrow(
      `pod-pause guard could not start: D ${missing} failed: No such file or directory.`,
    );
    expect(guards()).toEqual([]);
    const guard = await PodGuard.start({ cgroupDirs: [tmp.dir] }); // the same, with a directory that exists
    await guard.release();
  });

  it('a clean end releases the guard: the pod finishes, nothing is left running', async () => {
    const run = start(
      'clean',
      podManifest(
        'clean',
        '  restartPolicy: Never\n  containers:\n    - { name: c, image: busybox, command: ["true"] }\n',
      ),
    );
    expect(await run.exited).toBe(0);
    expect(run.out.lines.at(-1)).toBe('{"phase":"Succeeded"}');
    expect(run.out.lines.filter((l) => l.includes('GuardExited'))).toEqual([]);
    expect(guards()).toEqual([]);
    expect(withEnv(`POD_INIT_TAG=${tag}`)).toEqual([]);
  }, 40_000);
});

describe.skipIf(reason)(titled('deleting a pod while it starts', reason), () => {
  // SIGTERM to `pod-init run` at once (the pod is still being set up: cgroups, guard, sandbox): it ends,
  // and no pause, guard, container or cgroup of it is left.
  it('SIGTERM during the start leaves nothing behind', async () => {
    const stateRoot = fs.mkdtempSync(path.join('/tmp', 'pod-init-starting-'));
    try {
      for (let attempt = 0; attempt < 5; attempt++) {
        const tag = `starting-${randomUUID()}`;
        const name = `starting-${attempt}`;
        const child: ChildProcess = cpSpawn(
          process.execPath,
          [path.resolve(__dirname, '../../pod-init.js'), 'run', '-'],
          {
            stdio: ['pipe', 'ignore', 'pipe'],
            env: { ...process.env, POD_INIT_STATE_DIR: stateRoot, POD_INIT_TAG: tag },
          },
        );
        child.stdin!.end(
          `apiVersion: v1\nkind: Pod\nmetadata: { name: ${name} }\nspec:\n` +
            '  terminationGracePeriodSeconds: 1\n  containers:\n' +
            `    - { name: c, image: busybox, command: [sleep, "1000"], env: [{ name: MARK, value: ${tag} }] }\n`,
        );
        const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
        // Later each attempt: at the state directory's creation, then a little into the setup.
        // The uid is the run's own (a manifest's is ignored): its state directory's name ends with it.
        const dir = await pollUntil(
          () => fs.readdirSync(stateRoot).find((d) => d.startsWith(`default_${name}_`)),
          'the pod state directory',
          20_000,
        );
        const uid = dir.slice(`default_${name}_`.length);
        if (attempt > 0) await new Promise((r) => setImmediate(r));
        child.kill('SIGTERM');
        // It ends (without the fix a delete during the start never finished: the start went on after it).
        const ended = await settlesWithin(exited, 20_000);
        if (!ended) child.kill('SIGKILL');
        expect(ended).toBe(true);
        expect(withEnv(`POD_INIT_TAG=${tag}`)).toEqual([]);
        expect(withEnv(`MARK=${tag}`)).toEqual([]);
        const cgroups = fs
          .readdirSync('/sys/fs/cgroup')
          .flatMap((h) =>
            ['', 'burstable', 'besteffort'].map((q) => path.join('/sys/fs/cgroup', h, 'kubepods', q, `pod${uid}`)),
          )
          .filter((d) => fs.existsSync(d));
        expect(cgroups).toEqual([]);
      }
    } finally {
      fs.rmSync(stateRoot, { recursive: true, force: true });
    }
  }, 60_000);
});
