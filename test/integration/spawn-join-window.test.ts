// A joined spawn's intermediate (pod-pause enter) killed between cloning the child and reporting its pid:
// the one moment Node does not know the child's pid. The child is born in the intermediate's process group
// and cannot leave it unreported, so the deadline's group kill reaches it and Node reaps it; and the pod's
// teardown does not hang on an unreaped zombie in its pid namespace (native/spawn.cc, child_setup.cc).
import { describe, expect, it } from 'vitest';
import { Sandbox } from '../../src';
import { native, type NativeSpawnPlan } from '../../src/native';
import { childrenOf } from '../helpers/procfs';
import { privilegeSkipReason, titled } from '../helpers/privileges';
import { pollUntil, settlesWithin } from '../helpers/wait';

const reason = privilegeSkipReason();

/** Runs `run` with every native spawn's intermediate held (SIGSTOP) between its clone and its report. */
function holdingIntermediates<T>(run: () => T): T {
  const spawn = native.spawn;
  native.spawn = (plan: NativeSpawnPlan) => spawn({ ...plan, holdBeforeReport: true });
  try {
    return run();
  } finally {
    native.spawn = spawn;
  }
}

describe.skipIf(reason)(titled('joined spawn: the clone-to-report window', reason), () => {
  it('a deadline while the intermediate is held after its clone leaves no untracked child, and destroy completes', async () => {
    const pod = await Sandbox.create();
    let destroyed = false;
    try {
      // Children of ours from earlier tests may still be ending on a loaded host: only new ones count.
      const before = new Set(childrenOf(process.pid));
      const fresh = () => childrenOf(process.pid).filter((pid) => pid !== pod.pid && !before.has(pid));
      let error: unknown;
      try {
        // The intermediate stops itself once the child exists, before it reports the child's pid: the deadline
        // falls in that window whatever the host's load.
        holdingIntermediates(() => pod.spawn({ file: 'sleep', args: ['1000'], setupTimeoutMs: 200 }));
      } catch (e) {
        error = e;
      }
      expect(error).toMatchObject({ step: 'setup-timeout', code: 'ETIMEDOUT' });
      // Reaped, not just killed: a zombie is still listed among our children. (Generous: a loaded host.)
      const left = await pollUntil(
        () => (fresh().length === 0 ? [] : undefined),
        'the held spawn reaped',
        10_000,
      ).catch(() => fresh());
      expect(left).toEqual([]);
      // Control: the same spawn, not held, runs (the hold, not the spawn, made it fail).
      const ok = pod.spawn({ file: 'true', setupTimeoutMs: 10_000 });
      expect(await ok.exited).toEqual({ exitCode: 0, signal: null });
      // An unreaped zombie in the pod's pid namespace holds its init's exit (zap_pid_ns_processes): no hang.
      expect(await settlesWithin(pod.destroy(), 20_000)).toBe(true);
      destroyed = true;
    } finally {
      // After a failure above the teardown may hang on that zombie: bounded, so the failure is what is reported.
      if (!destroyed) await settlesWithin(pod.destroy(), 20_000);
    }
  }, 60_000);
});
