/**
 * The request channel of `pod-init delete`: the deleting command writes `<pod state dir>/delete-request`
 * (the grace period, JSON, renamed into place) and then sends SIGTERM to the pod's pod-init (its pid from
 * the owners registry, owners.ts). That pod-init deletes the pod on SIGTERM anyway (Ctrl-C, a closed
 * terminal, `kill`); the file only carries the grace. Why a file and a signal: no daemon, no socket to
 * keep; who may delete is who may signal the pod-init and write its state directory (0700, its user);
 * a lost request (pod-init gone) is harmless, and a plain `kill` still deletes with the pod's own grace.
 * @module
 */
import fs from 'node:fs';
import path from 'node:path';
import { writeFileAtomically } from '../atomic-file';

const requestFile = (stateDir: string): string => path.join(stateDir, 'delete-request');

/**
 * Asks for a deletion with `graceSeconds` (undefined: the pod's terminationGracePeriodSeconds); the
 * caller signals the pod-init next.
 *
 * @example
 * writeDeleteRequest('/run/pod-init/default_web_1234', 1);
 * process.kill(ownerPid, 'SIGTERM');
 */
export function writeDeleteRequest(stateDir: string, graceSeconds: number | undefined): void {
  writeFileAtomically(requestFile(stateDir), `${JSON.stringify({ gracePeriodSeconds: graceSeconds ?? null })}\n`);
}

/**
 * Reads and removes the pending request: its grace in seconds, `null` for the pod's own, undefined
 * when there is none (or it is unreadable: then the signal alone is the request).
 *
 * @example
 * runner.delete(takeDeleteRequest(runner.stateDir) ?? undefined);
 */
export function takeDeleteRequest(stateDir: string): number | null | undefined {
  const file = requestFile(stateDir);
  let text: string;
  try {
    const fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
    try {
      text = fs.readFileSync(fd, 'utf8');
    } finally {
      fs.closeSync(fd);
    }
    fs.rmSync(file, { force: true });
  } catch {
    return undefined;
  }
  try {
    const grace = (JSON.parse(text) as { gracePeriodSeconds?: unknown }).gracePeriodSeconds;
    if (grace === null) return null;
    return typeof grace === 'number' && Number.isSafeInteger(grace) && grace >= 0 ? grace : undefined;
  } catch {
    return undefined;
  }
}
