/**
 * The pod as the reconcile loop knows it (issue 11 §1): one value, replaced — never changed in place —
 * by {@link reduce} for every fact that arrives. Its containers' records (records.ts) carry their
 * instances; what only the executor holds (processes, probe workers, log writers, timers) lives in the
 * runner, keyed by instance id.
 * @module
 */
import type { ImageWaiting } from './image-step';
import type { ContainerRecord } from './records';
import type { PodSpecObject } from './types';
// eslint-disable-next-line @typescript-eslint/no-unused-vars -- for {@link}
import type { reduce } from './reduce';

/** A phase decided outside the containers (rejection, DeadlineExceeded); sticky. */
export interface ForcedPhase {
  phase: 'Failed';
  reason: string;
  message: string;
}

/** The pod's state. */
export interface PodState {
  readonly restartPolicy: 'Always' | 'OnFailure' | 'Never';
  /** terminationGracePeriodSeconds (the kubelet's default 30). */
  readonly graceSeconds: number;
  /** `name_namespace(uid)`, as the kubelet writes it in messages. */
  readonly podRef: string;
  /** Init containers (regular ones and sidecars) in spec order, then the regular containers. */
  readonly records: readonly ContainerRecord[];
  /** Counts sandboxes: regular init containers that ran in an earlier one run again. */
  readonly generation: number;
  /** The pause died and the sandbox is being replaced: no starts meanwhile. */
  readonly replacing: boolean;
  /** Init containers are done (never run again in this sandbox, B.2). */
  readonly initialized: boolean;
  /** A regular container has been started (PodReadyToStartContainers / phase). */
  readonly anyStarted: boolean;
  /** The container whose postStart hook runs: the next start waits (B.9). */
  readonly postStartRunning?: string;
  /** The pod's start finished (startTime, the deadline counts from it). */
  readonly startTime?: Date;
  /** Being deleted (delete()). */
  readonly deleted: boolean;
  /** A termination was asked for (a rejection, the deadline, the pause's death under Never). */
  readonly terminate?: { graceSeconds: number; immediate: boolean };
  /** Its containers are being stopped. */
  readonly terminating: boolean;
  /** Everything of the pod is gone. */
  readonly done: boolean;
  readonly forcedPhase?: ForcedPhase;
  /** Volumes set up, by name. */
  readonly mounted: ReadonlySet<string>;
  /** Why a volume could not be set up yet, by name. */
  readonly volumeErrors: ReadonlyMap<string, string>;
  /** Why a container's image step failed, by container name. */
  readonly imageErrors: ReadonlyMap<string, ImageWaiting>;
}

/**
 * The state of a pod not started yet.
 *
 * @example
 * const state = initialState(pod, 'web_default(1234)');
 */
export function initialState(pod: PodSpecObject, podRef: string): PodState {
  return {
    restartPolicy: pod.spec.restartPolicy ?? 'Always',
    graceSeconds: pod.spec.terminationGracePeriodSeconds ?? 30,
    podRef,
    records: [
      ...(pod.spec.initContainers ?? []).map((spec): ContainerRecord => ({
        spec,
        kind: spec.restartPolicy === 'Always' ? 'sidecar' : 'init',
        restartCount: 0,
      })),
      ...pod.spec.containers.map((spec): ContainerRecord => ({ spec, kind: 'regular', restartCount: 0 })),
    ],
    generation: 0,
    replacing: false,
    initialized: false,
    anyStarted: false,
    deleted: false,
    terminating: false,
    done: false,
    mounted: new Set(),
    volumeErrors: new Map(),
    imageErrors: new Map(),
  };
}

/**
 * A container's record by name.
 *
 * @example
 * recordOf(state, 'web')?.restartCount; // 0
 */
export function recordOf(state: PodState, name: string): ContainerRecord | undefined {
  return state.records.find((r) => r.spec.name === name);
}
