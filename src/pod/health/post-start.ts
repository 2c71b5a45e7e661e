/**
 * The postStart hook (KUBERNETES.md B.9): run right after the start; the container's end ends the wait
 * (its hook has nothing left to act on). Its outcome, a failure included, is a value: never a rejection.
 * @module
 */
import { type HookHandler, type HookOutcome, runHook } from '../hooks';
import type { Instance } from '../records';

/**
 * Runs the instance's postStart hook; resolves with its outcome (`ok` when the container ended first).
 *
 * @example
 * const outcome = await runPostStart(hook, instance, { container: 'web', pod: podRef });
 */
export async function runPostStart(
  hook: HookHandler,
  instance: Instance,
  subject: { container: string; pod: string },
): Promise<HookOutcome> {
  try {
    return await Promise.race([
      runHook(hook, instance.target!, subject, Infinity),
      instance.process!.exited.then(() => ({ ok: true }) as const),
    ]);
  } catch (error) {
    return { ok: false, message: (error as Error).message };
  }
}
