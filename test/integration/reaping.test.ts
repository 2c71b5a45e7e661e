// Orphans inside a pod go to pod-pause (PID 1 of the pod) and are reaped there, never to Node.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Sandbox } from '../../src';
import { childrenOf, procState, procStatus } from '../helpers/procfs';
import { privilegeSkipReason, titled } from '../helpers/privileges';
import { pollUntil, waitForLine } from '../helpers/wait';

const reason = privilegeSkipReason();

describe.skipIf(reason)(titled('reaping in the pod', reason), () => {
  let pod: Sandbox;
  beforeAll(async () => {
    pod = await Sandbox.create();
  });
  afterAll(async () => {
    await pod?.destroy();
  });

  it('an orphan is reparented to the pause, not to Node', async () => {
    const member = pod.spawn({
      file: 'sh',
      args: ['-c', 'sleep 60 & echo "orphan=$!"'],
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await waitForLine(member.stdout, /^orphan=/);
    await member.exited;
    const orphans = await pollUntil(() => {
      const kids = childrenOf(pod.pid);
      return kids.length > 0 ? kids : undefined;
    }, 'the orphan to be reparented to the pause');
    for (const pid of orphans) expect(Number(procStatus(pid)?.PPid)).toBe(pod.pid);
    expect(childrenOf(process.pid)).not.toContain(orphans[0]);
  });

  it('1,000 orphans leave no zombie behind', async () => {
    // Each `( true & )` forks a subshell that forks `true` and exits: `true` is orphaned at once.
    const member = pod.spawn({
      file: 'sh',
      args: ['-c', 'i=0; while [ $i -lt 1000 ]; do ( true & ); i=$((i+1)); done; echo done'],
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await waitForLine(member.stdout, /^done$/);
    expect((await member.exited).exitCode).toBe(0);
    await pollUntil(
      () => childrenOf(pod.pid).every((pid) => procState(pid) !== 'Z'),
      'no zombie children of the pause',
      20_000,
    );
    expect(childrenOf(pod.pid).filter((pid) => procState(pid) === 'Z')).toEqual([]);
    expect(pod.pause.running).toBe(true);
  });
});
