/**
 * The READY, STATUS and RESTARTS columns of `kubectl get pods`, computed from a Pod object at read
 * time with the kubectl printer's rules (kubernetes `pkg/printers/internalversion/printers.go`
 * printPod; OPERATIONS.md §4): status.reason or the phase; SchedulingGated; the first unfinished init
 * container (`Init:Error`, `Init:CrashLoopBackOff`, `Init:1/2`, `Init:ExitCode:N`); then the
 * container statuses last to first, so the first container's waiting or terminated reason wins;
 * `Completed` beside a running container becomes `Running` or `NotReady`; a deletion timestamp gives
 * `Terminating` unless the phase is terminal. pod-init's own: a pod whose pod-init is gone
 * (reason `SupervisorLost`) shows `Unknown`, as kubectl shows a lost node's deleted pod.
 * @module
 */
import { age } from './age';

/** The parts of a v1 Pod the columns read. */
export interface PodObject {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name: string;
    namespace?: string;
    uid?: string;
    creationTimestamp?: string;
    deletionTimestamp?: string;
    annotations?: Record<string, string>;
  };
  spec?: {
    containers?: Array<{ name: string }>;
    initContainers?: Array<{ name: string; restartPolicy?: string }>;
    nodeName?: string;
    readinessGates?: Array<{ conditionType: string }>;
  };
  status?: PodStatusObject;
}

/** A v1 ContainerState. */
export interface ContainerStateObject {
  waiting?: { reason?: string; message?: string };
  running?: { startedAt?: string };
  terminated?: { exitCode?: number; signal?: number; reason?: string; startedAt?: string; finishedAt?: string };
}

/** The parts of a v1 ContainerStatus the columns read. */
export interface ContainerStatusView {
  name: string;
  state?: ContainerStateObject;
  lastState?: ContainerStateObject;
  ready?: boolean;
  started?: boolean;
  restartCount?: number;
}

/** The parts of a v1 PodStatus the columns read. */
export interface PodStatusObject {
  phase?: string;
  reason?: string;
  message?: string;
  podIP?: string;
  nominatedNodeName?: string;
  startTime?: string;
  conditions?: Array<{ type: string; status: string; reason?: string }>;
  initContainerStatuses?: ContainerStatusView[];
  containerStatuses?: ContainerStatusView[];
}

/** The columns of one pod. */
export interface PodColumns {
  ready: string;
  status: string;
  restarts: string;
}

const terminalPhases = new Set(['Succeeded', 'Failed']);

function terminatedReason(t: NonNullable<ContainerStateObject['terminated']>, prefix: string): string {
  if (t.reason) return `${prefix}${t.reason}`;
  return t.signal ? `${prefix}Signal:${t.signal}` : `${prefix}ExitCode:${t.exitCode ?? 0}`;
}

/** Keeps the latest `lastState.terminated.finishedAt` seen. */
function later(current: number, status: ContainerStatusView): number {
  const finished = status.lastState?.terminated?.finishedAt;
  const time = finished === undefined ? NaN : Date.parse(finished);
  return Number.isNaN(time) ? current : Math.max(current, time);
}

/**
 * READY, STATUS and RESTARTS of a pod, as `kubectl get pods` prints them.
 *
 * @example
 * podColumns(pod, new Date());
 * // { ready: '0/1', status: 'CrashLoopBackOff', restarts: '3 (12s ago)' }
 */
export function podColumns(pod: PodObject, now: Date): PodColumns {
  const status = pod.status ?? {};
  const spec = pod.spec ?? {};
  const initSpecs = spec.initContainers ?? [];
  const sidecars = new Set(initSpecs.filter((c) => c.restartPolicy === 'Always').map((c) => c.name));
  const total = (spec.containers ?? []).length + sidecars.size;
  let ready = 0;
  let restarts = 0;
  let sidecarRestarts = 0;
  let lastRestart = 0;
  let lastSidecarRestart = 0;
  let reason = status.reason || status.phase || '';
  if (status.conditions?.some((c) => c.type === 'PodScheduled' && c.reason === 'SchedulingGated'))
    reason = 'SchedulingGated';

  let initializing = false;
  const initStatuses = status.initContainerStatuses ?? [];
  for (const [i, c] of initStatuses.entries()) {
    restarts += c.restartCount ?? 0;
    lastRestart = later(lastRestart, c);
    const sidecar = sidecars.has(c.name);
    if (sidecar) {
      sidecarRestarts += c.restartCount ?? 0;
      lastSidecarRestart = later(lastSidecarRestart, c);
    }
    const t = c.state?.terminated;
    if (t && t.exitCode === 0) continue;
    if (sidecar && c.started === true) {
      if (c.ready) ready++;
      continue;
    }
    if (t) reason = terminatedReason(t, 'Init:');
    else if (c.state?.waiting?.reason && c.state.waiting.reason !== 'PodInitializing')
      reason = `Init:${c.state.waiting.reason}`;
    else reason = `Init:${i}/${initSpecs.length}`;
    initializing = true;
    break;
  }

  const initialized = status.conditions?.some((c) => c.type === 'Initialized' && c.status === 'True') === true;
  if (!initializing || initialized) {
    restarts = sidecarRestarts;
    lastRestart = lastSidecarRestart;
    let hasRunning = false;
    const statuses = status.containerStatuses ?? [];
    for (let i = statuses.length - 1; i >= 0; i--) {
      const c = statuses[i]!;
      restarts += c.restartCount ?? 0;
      lastRestart = later(lastRestart, c);
      const s = c.state ?? {};
      if (s.waiting?.reason) reason = s.waiting.reason;
      else if (s.terminated) reason = terminatedReason(s.terminated, '');
      else if (c.ready && s.running !== undefined) {
        hasRunning = true;
        ready++;
      }
    }
    if (reason === 'Completed' && hasRunning)
      reason = status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ? 'Running' : 'NotReady';
  }

  if (status.reason === 'SupervisorLost') reason = 'Unknown';
  else if (pod.metadata.deletionTimestamp !== undefined && !terminalPhases.has(status.phase ?? ''))
    reason = 'Terminating';

  const restartsText =
    restarts !== 0 && lastRestart > 0
      ? `${restarts} (${age(new Date(lastRestart).toISOString(), now)} ago)`
      : `${restarts}`;
  return { ready: `${ready}/${total}`, status: reason, restarts: restartsText };
}
