// "Nothing outlives pod-init" (confinement issue): after `kill -9` of pod-init, every process of its
// pod is gone — also a container that dropped to uid 1000 (the parent-death signal does not survive
// a uid change) and a background child of it in a session of its own — and the next pod-init to
// start reports and removes what the dead one left: its cgroups (killing anything still in them) and
// its state directory (all but the logs; a status.json says Failed, reason NodeLost, as the API
// server says of a lost node's pods; src/pod/sweep-state.ts). Processes are found by a marker in
// their environment that this file chose.
// Proves: (1) `pod-init run` (the CLI) with the default private pid namespace: killing pod-init kills
// the pause, which takes the pod's pid namespace and every process in it along. (2) With
// `hostPID: true` there is no pid namespace to take them along: the pod's guard kills them
// (test/integration/pod-guard.test.ts); without it (run-pod.js --no-guard, the negative control
// here) they survive until the next start's sweep kills them, as (3) shows. (3) The next start sweeps: a run with its own state root,
// owners registry and cgroup root (test/fixtures/run-pod.js, so that no other pod-init on the host
// sweeps first), with hostPID so that survivors exist; the second run's SweptLeftovers events name
// both the cgroups and the state, the survivors are killed, the cgroups removed, the state reduced
// to the logs and a Failed status. Negative control of (3): before the second run, the survivors,
// the cgroups and the state are all there (the sweep is what removes them).
import { spawn as cpSpawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/escape';
import { podCli, podManifest } from '../helpers/pod-cli';
import { privilegeSkipReason, titled } from '../helpers/privileges';
import { lineReader, pollUntil } from '../helpers/wait';
import { isFinalStatus } from '../../src/pod/final-status';

const reason = privilegeSkipReason();

/** Pids of the processes whose environment holds MARK=<marker>. */
function marked(marker: string): number[] {
  const pids: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (fs.readFileSync(`/proc/${entry}/environ`, 'latin1').split('\0').includes(`MARK=${marker}`))
        pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

/** Kills what a failed test left (never anything but the marked processes). */
function killMarked(marker: string): void {
  for (const pid of marked(marker)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
}

/** A pod whose container runs as uid 1000 and starts a background child in a session of its own. */
function outliveSpec(marker: string, hostPID: boolean): string {
  return `  restartPolicy: Never
  hostPID: ${hostPID}
  securityContext: { runAsUser: 1000, runAsGroup: 1000 }
  volumes: [{ name: scratch, emptyDir: {} }]
  containers:
    - name: main
      image: busybox
      env: [{ name: MARK, value: ${marker} }]
      volumeMounts: [{ name: scratch, mountPath: /scratch }]
      command: [sh, -c, "setsid sh -c 'exec sleep 1000' & echo started; exec sleep 1000"]
`;
}

/** Waits until the container and its background child run (3 marked: sh -c of setsid, the two sleeps). */
async function podRunning(marker: string): Promise<number[]> {
  return pollUntil(
    () => {
      const pids = marked(marker);
      const comms = pids.map((pid) => fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim());
      return comms.filter((c) => c === 'sleep').length === 2 ? pids : undefined;
    },
    'the container and its background child to run',
    20_000,
  );
}

describe.skipIf(reason)(titled('nothing outlives pod-init', reason), () => {
  const cli = podCli();
  afterAll(() => cli.cleanup());

  it('kill -9 of pod-init run: every process of the pod is gone, also after a uid change and setsid', async () => {
    const marker = `outlive-${randomUUID()}`;
    let child: ChildProcess | undefined;
    const done = cli.run([], podManifest('outlive', outliveSpec(marker, false)), (c) => (child = c));
    try {
      const pids = await podRunning(marker);
      for (const pid of pids)
        expect(fs.readFileSync(`/proc/${pid}/status`, 'utf8')).toMatch(/^Uid:\s+1000\s+1000\s+1000\s+1000$/m);
      child!.kill('SIGKILL');
      await done;
      await pollUntil(() => marked(marker).length === 0, 'every process of the pod to be gone', 10_000);
    } finally {
      killMarked(marker);
    }
  }, 40_000);

  describe('the next start sweeps what a dead pod-init left', () => {
    let tmp: ReturnType<typeof tempDir>;
    const cgroupRoot = `/pod-init-test-outlive-${process.pid}`;
    const runPod = path.resolve(__dirname, '../fixtures/run-pod.js');
    beforeAll(() => {
      tmp = tempDir('pod-init-outlive-');
    });
    afterAll(() => {
      tmp?.remove();
      // The test's cgroup root, in every v1 hierarchy (and the v2 mount): deepest first, empty by now.
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

    /** run-pod.js on a manifest; its events as they come. */
    function start(name: string, manifest: string, flags: string[] = []) {
      const file = path.join(tmp.dir, `${name}.yaml`);
      fs.writeFileSync(file, manifest);
      const args = [runPod, file, path.join(tmp.dir, 'state'), path.join(tmp.dir, 'owners'), cgroupRoot, ...flags];
      const proc = cpSpawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
      const exited = new Promise<number | null>((resolve) => proc.on('exit', resolve));
      return { proc, out: lineReader(proc.stdout), exited };
    }

    const cgroupsOf = (podUid: string) =>
      fs
        .readdirSync('/sys/fs/cgroup')
        .flatMap((h) =>
          ['', 'burstable', 'besteffort'].map((q) =>
            path.join('/sys/fs/cgroup', h, cgroupRoot, 'kubepods', q, `pod${podUid}`),
          ),
        )
        .filter((d) => fs.existsSync(d));

    // Without the guard, the hostPID pod's processes have no pid namespace to die with, and the
    // container's parent-death signal went with its uid change: they survive (the guard's negative
    // control; with it they are gone within a second, test/integration/pod-guard.test.ts). (Its own
    // roots: through the CLI, any other pod-init starting on the host would sweep them meanwhile.)
    it('hostPID: true, --no-guard: the pod processes survive kill -9 of pod-init (until the next start)', async () => {
      const marker = `outlive-${randomUUID()}`;
      const first = start('gap', podManifest('outlive-hostpid', outliveSpec(marker, true)), ['--no-guard']);
      try {
        await podRunning(marker);
        await first.out.waitFor(/"reason":"Started"/);
        first.proc.kill('SIGKILL');
        await first.exited;
        const gone = await pollUntil(() => marked(marker).length === 0, 'the pod to be gone', 10_000).catch(
          () => false,
        );
        expect(gone).toBe(false);
      } finally {
        first.proc.kill('SIGKILL');
        killMarked(marker);
      }
    }, 40_000);

    it('reports and removes the cgroups and the state, kills survivors, keeps the logs', async () => {
      const marker = `outlive-${randomUUID()}`;
      const first = start(
        'first',
        `apiVersion: v1\nkind: Pod\nmetadata: { name: lost }\nspec:\n${outliveSpec(marker, true)}`,
        ['--no-guard'], // survivors for the sweep to find
      );
      try {
        await podRunning(marker);
        // The uid is the run's own (a manifest's is ignored): its state directory's name ends with it.
        const states = fs.readdirSync(path.join(tmp.dir, 'state')).filter((d) => d.startsWith('default_lost_'));
        expect(states).toHaveLength(1);
        const uid = states[0]!.slice('default_lost_'.length);
        await first.out.waitFor(/"reason":"Started"/);
        const stateDir = path.join(tmp.dir, 'state', `default_lost_${uid}`);
        // The line is in the log before pod-init dies (it copies the pipe to the file as it reads it).
        const log = path.join(stateDir, 'main', '0.log');
        const logged = () => fs.existsSync(log) && / stdout F started$/m.test(fs.readFileSync(log, 'utf8'));
        await pollUntil(() => (logged() ? true : undefined), "the container's line in its log", 20_000);
        first.proc.kill('SIGKILL');
        await first.exited;
        // Negative control: all of it is still there (hostPID and no guard: nothing took the processes along).
        expect(marked(marker).length).toBeGreaterThan(0);
        expect(cgroupsOf(uid).length).toBeGreaterThan(0);
        expect(fs.readdirSync(stateDir).sort()).toEqual(expect.arrayContaining(['main', 'roots', 'volumes']));
        // Its status.json, rewritten at every change while it ran, is not a final one.
        const lastStatus = path.join(stateDir, 'status.json');
        expect(fs.existsSync(lastStatus) && isFinalStatus(JSON.parse(fs.readFileSync(lastStatus, 'utf8')))).toBe(false);

        const second = start(
          'second',
          podManifest(
            'sweeper',
            '  restartPolicy: Never\n  containers:\n    - { name: c, image: busybox, command: ["true"] }\n',
          ),
        );
        expect(await second.exited).toBe(0);
        const events = second.out.lines.map((l) => JSON.parse(l) as { reason?: string; message?: string });
        const swept = events.filter((e) => e.reason === 'SweptLeftovers').map((e) => e.message);
        expect(swept).toEqual(
          expect.arrayContaining([
            expect.stringContaining(`Removed the cgroups of pod ${uid}`),
            expect.stringMatching(new RegExp(`^Removed the state of pod default/lost \\(${uid}\\).*roots.*volumes`)),
          ]),
        );
        await pollUntil(() => marked(marker).length === 0, 'the survivors to be killed by the sweep', 10_000);
        expect(cgroupsOf(uid)).toEqual([]);
        expect(fs.readdirSync(stateDir).sort()).toEqual(['events.jsonl', 'main', 'status.json']);
        expect(fs.readdirSync(path.join(stateDir, 'main'))).toEqual(['0.log']);
        expect(fs.readFileSync(path.join(stateDir, 'main', '0.log'), 'utf8')).toMatch(/ stdout F started$/m);
        const status = JSON.parse(fs.readFileSync(path.join(stateDir, 'status.json'), 'utf8')) as {
          status: { phase: string; reason: string };
        };
        expect(status.status).toMatchObject({ phase: 'Failed', reason: 'NodeLost' });
        // The owner record stays and still says the pod is gone (owners.ts isPodGone).
        expect(fs.existsSync(path.join(tmp.dir, 'owners', uid))).toBe(true);
      } finally {
        first.proc.kill('SIGKILL');
        killMarked(marker);
      }
    }, 60_000);
  });
});
