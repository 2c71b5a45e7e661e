/**
 * How a container instance ended, as its status says it: the exit code (128 + the signal's number when
 * killed), the signal, and the reason (`OOMKilled` from the kernel's counters when there are cgroups,
 * else `Completed` or `Error`).
 * @module
 */
import type { ExitStatus } from '../../process';
import { signalNumber } from '../../signals';

/** The terminated state's facts of an instance. */
export interface ExitFacts {
  exitCode: number;
  signal?: number;
  reason: string;
}

/**
 * The facts of an exit; `reasonOf` tells OOMKilled apart (pod-cgroups.ts terminationReason).
 *
 * @example
 * exitFacts({ exitCode: null, signal: 'SIGKILL' }, () => 'Error'); // { exitCode: 137, signal: 9, reason: 'Error' }
 */
export function exitFacts(status: ExitStatus, reasonOf?: (exitCode: number) => string): ExitFacts {
  const facts: ExitFacts =
    status.signal !== null
      ? { exitCode: 128 + signalNumber(status.signal), signal: signalNumber(status.signal), reason: '' }
      : { exitCode: status.exitCode ?? 0, reason: '' };
  facts.reason = reasonOf ? reasonOf(facts.exitCode) : facts.exitCode === 0 ? 'Completed' : 'Error';
  return facts;
}
