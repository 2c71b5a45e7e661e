/**
 * `pod-init apply` reaches a running `pod-init run` through a request file in the pod's state directory and
 * SIGUSR2 ({@link applySignal}): this listener takes each runner's request and hands it to the runner.
 * @module
 */
import { print } from '../console-output';
import { applySignal, takeApplyChanges } from '../pod/apply-request';
import type { PodRunner } from '../pod/runner';

/**
 * Listens for apply requests to `runners` until the returned function is called; a change a runner cannot
 * carry out is said on `err`.
 *
 * @example
 * const stop = listenForApply([runner], process.stderr);
 * try { await runner.finished; } finally { stop(); }
 */
export function listenForApply(runners: readonly PodRunner[], err: NodeJS.WritableStream): () => void {
  const onApply = () => {
    for (const runner of runners) {
      const changes = takeApplyChanges(runner.stateDir);
      if (changes !== undefined)
        runner.changeContainers(changes).catch((error: Error) => print(err, `pod-init: apply: ${error.message}\n`));
    }
  };
  process.on(applySignal, onApply);
  return () => process.off(applySignal, onApply);
}
