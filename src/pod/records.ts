/**
 * What the runner remembers of each container: its instances (the current one and the one before),
 * restart count, and why it waits. The status and the reconcile view are read from these.
 * @module
 */
import type { PodProcess } from '../process/process';
import type { ProbeTarget } from './probe-handlers';
import type { ContainerSpec } from './types';

/** One run of a container. */
export interface Instance {
  id: string;
  /** Which sandbox it ran in (a new one after the pause died). */
  generation: number;
  process?: PodProcess;
  startedAt: Date;
  finishedAt?: Date;
  exitCode?: number;
  signal?: number;
  reason?: string;
  message?: string;
  /** The host file bound at its terminationMessagePath. */
  terminationFile?: string;
  /** Detached idmapped trees (native `idmappedTree`) its start attaches; closed once it has started or failed to. */
  mountFds?: number[];
  /** Its own directory under the pod's state dir (its root's mount point, its overlay layer), removed when it ends. */
  rootDir?: string;
  /** Its last log lines (for FallbackToLogsOnError). */
  logTail: string[];
  /** Counted as started: at once without a startup probe, else once it succeeded. */
  started?: boolean;
  /** Ready: at once without a readiness probe, else as it says. */
  ready?: boolean;
  /** What probes and hooks act on: its process, the pod's pause, its env and user. */
  target?: ProbeTarget;
  /** Its exit was seen (set at once; finishedAt waits for its pipes). */
  exitSeen?: boolean;
}

/** One container of the pod. */
export interface ContainerRecord {
  spec: ContainerSpec;
  kind: 'init' | 'sidecar' | 'regular';
  /** Latest instance (running or ended). */
  current?: Instance;
  /** The instance before it (lastState). */
  previous?: Instance;
  restartCount: number;
  waiting?: { reason: string; message?: string };
  /** Set while a back-off timer is pending, so the BackOff event is said once per wait. */
  backOffUntil?: number;
  /** Changed by an apply (runner.changeContainers): restarted once, whatever the policy. */
  definitionChanged?: boolean;
}

/** Whether the container's latest instance runs. */
export function isRunning(record: ContainerRecord): boolean {
  return record.current !== undefined && record.current.finishedAt === undefined;
}
