/**
 * The pod phase as the kubelet computes it on every status update (`getPhase`, kubelet_pods.go;
 * KUBERNETES.md B.6). A pure function of the container statuses.
 * @module
 */
import type { PodPhase } from '../manifest/types';
import { type ContainerRestart, containerShouldRestart } from './restart-rules';

/** The parts of a v1 ContainerStatus the phase depends on. */
export interface PhaseContainerStatus {
  state?: { waiting?: object; running?: object; terminated?: { exitCode: number } };
  lastState?: { terminated?: { exitCode: number } };
  started?: boolean;
}

/** One of the pod's phases (the manifest's type: src/manifest owns the Pod model). */
export type { PodPhase };

/** What {@link podPhase} needs. */
export interface PhaseInput {
  restartPolicy: 'Always' | 'OnFailure' | 'Never';
  /** Regular init containers, in order (status undefined: no status yet). */
  initStatuses: Array<PhaseContainerStatus | undefined>;
  /** Sidecars (init containers with restartPolicy Always). */
  sidecarStatuses: Array<PhaseContainerStatus | undefined>;
  /** Regular containers. */
  statuses: Array<PhaseContainerStatus | undefined>;
  /** The regular containers' own restartPolicy/restartPolicyRules (KEP-5307), index by index; none: the pod's. */
  restarts?: ReadonlyArray<ContainerRestart | undefined>;
  /** The pod is being deleted or was killed (deadline): rule 4a. */
  terminal: boolean;
  /** Whether any regular container has ever started. */
  anyContainerStarted: boolean;
}

/**
 * The phase, first matching rule wins (B.6).
 *
 * @example
 * podPhase({ restartPolicy: 'Never', initStatuses: [], sidecarStatuses: [], terminal: false,
 *   anyContainerStarted: true, statuses: [{ state: { terminated: { exitCode: 0 } } }] }); // 'Succeeded'
 */
export function podPhase(input: PhaseInput): PodPhase {
  let failedInit = 0;
  let pendingInit = 0;
  let running = 0;
  let stopped = 0;
  let succeeded = 0;
  let waiting = 0;
  let unknown = 0;
  // Stopped containers that will not be restarted: all stopped and one of them restarts is Running.
  let stoppedForGood = 0;
  const restarts = (i: number, exitCode: number) =>
    containerShouldRestart(input.restarts?.[i] ?? {}, input.restartPolicy, exitCode);
  for (const s of input.initStatuses) {
    const t = s?.state?.terminated;
    if (t && t.exitCode !== 0) failedInit++;
    else if (s?.state?.waiting && s.lastState?.terminated && s.lastState.terminated.exitCode !== 0) failedInit++;
    else if (!s || s.state?.running || (s.state?.waiting && !s.lastState?.terminated)) pendingInit++;
  }
  for (const s of input.sidecarStatuses) {
    if (s?.state?.running) {
      if (s.started) running++;
      else pendingInit++;
    } else if (!s || (s.state?.waiting && !s.lastState?.terminated)) pendingInit++;
  }
  input.statuses.forEach((s, i) => {
    if (!s) unknown++;
    else if (s.state?.running) running++;
    else if (s.state?.terminated) {
      stopped++;
      if (!restarts(i, s.state.terminated.exitCode)) stoppedForGood++;
      if (s.state.terminated.exitCode === 0) succeeded++;
    } else if (s.state?.waiting) {
      if (s.lastState?.terminated) {
        stopped++;
        if (!restarts(i, s.lastState.terminated.exitCode)) stoppedForGood++;
      } else waiting++;
    } else unknown++;
  });
  if (failedInit > 0 && input.restartPolicy === 'Never') return 'Failed';
  if ((pendingInit > 0 && !input.anyContainerStarted) || waiting > 0) return 'Pending';
  if (running > 0 && unknown === 0) return 'Running';
  if (running === 0 && stopped > 0 && unknown === 0) {
    if (input.terminal) return stopped === succeeded ? 'Succeeded' : 'Failed';
    // With pod-level policies only this is the older table: Always Running, OnFailure Running on a failure.
    if (stopped !== stoppedForGood) return 'Running';
    return stopped === succeeded ? 'Succeeded' : 'Failed';
  }
  return 'Pending';
}
