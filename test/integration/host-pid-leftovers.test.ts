// What a container leaves behind when it has no pid namespace of its own (hostPID): its main process's
// end takes nothing with it, so pod-init kills what is left in the container's cgroup once the main
// process has ended, as containerd's shim does (ShouldKillAllOnExit, then KillAll: v2 cgroup.kill, v1
// freezer + SIGKILL). A background child that holds the container's stdout would otherwise keep the pod's
// end waiting for ever. Checked: delete(0), a graceful delete (SIGTERM first, the trap's exit 0 kept), and a
// container that exits by itself under restartPolicy Never; each time the child's pid is gone and no pod
// cgroup is left. Negative control: on main before this change each of them did not finish within the
// deadline (the test kills the child then, so that nothing is left behind). Without cgroups (rootless
// without delegation, `cgroups: false`) the child cannot be found: warned at the start, its pipes given up
// on at the container's exit so that the pod ends, and it lives on (killed here).
// Through the CLI: `pod-init delete --now` of a running hostPID pod returns and its `run` ends.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { podInit } from '../helpers/ops-cli';
import { podCli } from '../helpers/pod-cli';
import { startPod } from '../helpers/pod-runner';
import { alive } from '../helpers/procfs';
import { privilegeSkipReason, titled } from '../helpers/privileges';
import { pollUntil, settlesWithin } from '../helpers/wait';

const reason = privilegeSkipReason();
const stateRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'pod-init-hostpid-'));
const cli = podCli();
afterAll(() => {
  cli.cleanup();
  fs.rmSync(stateRoot, { recursive: true, force: true });
});

/** Whether any hierarchy still has the pod's cgroup (v1 controllers or the v2 tree). */
function podCgroupExists(uid: string): boolean {
  for (const root of fs.readdirSync('/sys/fs/cgroup'))
    for (const qos of ['', 'burstable/', 'besteffort/'])
      for (const base of [`/sys/fs/cgroup/${root}/kubepods`, '/sys/fs/cgroup/kubepods'])
        if (fs.existsSync(`${base}/${qos}pod${uid}`)) return true;
  return false;
}

function manifest(name: string, restartPolicy: string, grace: number, script: string): string {
  return `apiVersion: v1
kind: Pod
metadata: { name: ${name} }
spec:
  hostPID: true
  restartPolicy: ${restartPolicy}
  terminationGracePeriodSeconds: ${grace}
  containers:
    - name: c
      image: x
      command: [sh, -c, '${script}']
`;
}

/**
 * Runs the pod until its container said `child PID`, lets `end` end it, and waits (20 s at most) for the
 * runner to finish; then what is left is killed either way, so a failure leaves nothing behind.
 */
async function runUntilChild(
  yaml: string,
  end: (pod: ReturnType<typeof startPod>) => void,
  options: { cgroups?: false } = {},
) {
  const pod = startPod(yaml, stateRoot, options);
  await pod.started;
  const line = await pollUntil(() => pod.timeline.find((l) => /^c: child \d+$/.test(l)), 'the child pid', 20_000);
  const child = Number(/\d+$/.exec(line)![0]);
  const aliveAtFirst = alive(child);
  end(pod);
  const settled = await settlesWithin(pod.runner.finished, 20_000);
  const childAlive = alive(child);
  if (!settled) {
    if (childAlive) process.kill(child, 'SIGKILL');
    await pod.runner.finished;
  }
  return {
    pod,
    child,
    settled,
    aliveAtFirst,
    childAlive,
    final: (await pod.runner.finished) as { status: { phase: string } },
  };
}

type Terminated = { exitCode: number; signal?: number };

describe.skipIf(reason)(titled('hostPID: what a container leaves behind', reason), () => {
  it('delete(0) ends the pod; the background child is killed with the container; no cgroup is left', async () => {
    const r = await runUntilChild(
      manifest('leftover-now', 'Always', 30, 'sleep 1000 & echo child $!; exec sleep 1000'),
      (pod) => pod.runner.delete(0),
    );
    expect(r.aliveAtFirst).toBe(true);
    expect(r.settled).toBe(true);
    expect(r.childAlive).toBe(false);
    expect(podCgroupExists(r.pod.runner.pod.metadata.uid!)).toBe(false);
  });

  it('a graceful delete: SIGTERM first (the trap exits 0), then the child goes with the container', async () => {
    // `wait` returns at the signal, so the trap runs at once; the child is left running.
    const script = 'sleep 1000 & echo child $!; trap "echo term; exit 0" TERM; wait';
    const r = await runUntilChild(manifest('leftover-graceful', 'Always', 30, script), (pod) => pod.runner.delete());
    expect(r.aliveAtFirst).toBe(true);
    expect(r.settled).toBe(true);
    expect(r.pod.timeline).toContain('c: term');
    const terminated = r.pod.status('c')?.state.terminated as Terminated | undefined;
    expect(terminated).toMatchObject({ exitCode: 0 }); // the stop signal, not the SIGKILL of the grace's end
    expect(r.childAlive).toBe(false);
    expect(podCgroupExists(r.pod.runner.pod.metadata.uid!)).toBe(false);
  });

  it('a container that exits by itself under restartPolicy Never: the pod ends, its child is killed', async () => {
    const r = await runUntilChild(manifest('leftover-exit', 'Never', 30, 'sleep 1000 & echo child $!; exit 0'), () => {
      // nothing: the container ends the pod
    });
    expect(r.settled).toBe(true);
    expect(r.final.status.phase).toBe('Succeeded');
    expect(r.childAlive).toBe(false);
    expect(podCgroupExists(r.pod.runner.pod.metadata.uid!)).toBe(false);
  });

  it('without cgroups the child cannot be found: said at the start and at its exit; the pod still ends', async () => {
    // The limit stated in the README: the child outlives the pod (this test kills it afterwards).
    const r = await runUntilChild(
      manifest('leftover-nocgroups', 'Always', 30, 'sleep 1000 & echo child $!; exec sleep 1000'),
      (pod) => pod.runner.delete(0),
      { cgroups: false },
    );
    const reasons = r.pod.events.map((e) => e.reason);
    try {
      expect(r.aliveAtFirst).toBe(true);
      expect(r.settled).toBe(true);
      expect(reasons).toContain('LeftoversUntracked');
      expect(reasons).toContain('LeftoverProcesses');
      expect(r.childAlive).toBe(true);
    } finally {
      if (r.childAlive) process.kill(r.child, 'SIGKILL');
    }
  });

  it('`pod-init delete --now` of a running hostPID pod returns, the pod run ends, the child is gone', async () => {
    const yaml = manifest('leftover-cli', 'Always', 30, 'sleep 1000 & echo child $!; exec sleep 1000');
    let output = '';
    const done = cli.run([], yaml, (child) => {
      for (const stream of [child.stdout!, child.stderr!])
        stream.on('data', (chunk: Buffer) => (output += chunk.toString()));
    });
    const child = Number(await pollUntil(() => /child (\d+)/.exec(output)?.[1], 'the child pid', 20_000));
    expect(alive(child)).toBe(true);
    const deleted = podInit(cli.stateRoot, ['delete', 'leftover-cli', '--now']);
    const settled = await settlesWithin(Promise.all([deleted, done]), 20_000);
    const childAlive = alive(child);
    if (childAlive) process.kill(child, 'SIGKILL'); // a failure leaves nothing behind
    expect(settled).toBe(true);
    expect((await deleted).code).toBe(0);
    expect(childAlive).toBe(false);
  });
});
