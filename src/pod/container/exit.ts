/**
 * How a container instance ended, as its status says it: the exit code (128 + the signal's number when
 * killed), the signal, and the reason (`OOMKilled` from the kernel's counters when there are cgroups,
 * else `Completed` or `Error`), its termination message; and what its end leaves to clean.
 * @module
 */
import type { PodCgroups } from '../../cgroups/manager';
import type { ExitStatus } from '../../process/process';
import { signalNumber } from '../../process/signals';
import { removeInstanceRoot } from '../container-root';
import { terminationReason } from '../pod-cgroups';
import type { Instance } from '../records';
import { terminationMessage } from '../termination';
import type { ContainerSpec } from '../types';

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

/** An instance's end, as the loop observes it. */
export interface InstanceEnd extends ExitFacts {
  type: 'exited';
  container: string;
  id: string;
  at: Date;
  message?: string;
}

/**
 * What follows an instance's exit once its pipes are read (or given up on): its root's writable layer
 * goes (a restart starts from the image again); a fresh cgroup is made when it may start again (what it
 * left is killed, the counters start at 0; one that will not start again keeps its cgroup until the end);
 * its termination message is read (termination.ts). Resolves with the observation of its end.
 *
 * @example
 * observe(await instanceEnd(spec, instance, status, { cgroups, mayRestart: (code) => code !== 0 }));
 */
export async function instanceEnd(
  spec: ContainerSpec,
  instance: Instance,
  status: ExitStatus,
  o: { cgroups?: PodCgroups; mayRestart: (exitCode: number) => boolean },
): Promise<InstanceEnd> {
  const at = new Date();
  if (instance.rootDir !== undefined) removeInstanceRoot(instance.rootDir);
  const cgroups = o.cgroups;
  const facts = exitFacts(status, cgroups ? (code) => terminationReason(cgroups, spec.name, code) : undefined);
  if (cgroups && o.mayRestart(facts.exitCode)) await cgroups.prepareContainer(spec.name).catch(() => undefined);
  const message = terminationMessage({
    file: instance.terminationFile,
    policy: spec.terminationMessagePolicy,
    exitCode: facts.exitCode,
    logTail: instance.logTail,
  });
  return {
    type: 'exited',
    container: spec.name,
    id: instance.id,
    at,
    ...facts,
    ...(message !== undefined ? { message } : {}),
  };
}
