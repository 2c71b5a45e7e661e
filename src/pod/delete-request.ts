/**
 * The request channel of `pod-init delete`: the deleting command writes `<pod state dir>/delete-request`
 * (the grace period, JSON, renamed into place) and then sends SIGTERM to the pod's pod-init (its pid from
 * the owners registry, owners.ts). That pod-init deletes the pod on SIGTERM anyway (Ctrl-C, a closed
 * terminal, `kill`); the file only carries the grace. Why a file and a signal: no daemon, no socket to
 * keep; who may delete is who may signal the pod-init and write its state directory (0700, its user);
 * a lost request (pod-init gone) is harmless, and a plain `kill` still deletes with the pod's own grace.
 * @module
 */
import { takeRequest, writeRequest } from './request-file';

const requestName = 'delete-request';

/**
 * Asks for a deletion with `graceSeconds` (undefined: the pod's terminationGracePeriodSeconds); the
 * caller signals the pod-init next.
 *
 * @example
 * writeDeleteRequest('/run/pod-init/default_web_1234', 1);
 * process.kill(ownerPid, 'SIGTERM');
 */
export function writeDeleteRequest(stateDir: string, graceSeconds: number | undefined): void {
  writeRequest(stateDir, requestName, { gracePeriodSeconds: graceSeconds ?? null });
}

/**
 * Reads and removes the pending request: its grace in seconds, `null` for the pod's own, undefined
 * when there is none (or it is unreadable: then the signal alone is the request).
 *
 * @example
 * runner.delete(takeDeleteRequest(runner.stateDir) ?? undefined);
 */
export function takeDeleteRequest(stateDir: string): number | null | undefined {
  const body = takeRequest(stateDir, requestName);
  if (body === undefined) return undefined;
  const grace = body.gracePeriodSeconds;
  if (grace === null) return null;
  return typeof grace === 'number' && Number.isSafeInteger(grace) && grace >= 0 ? grace : undefined;
}
