/**
 * The v1 PodStatus of a running pod, from the runner's records (KUBERNETES.md B.5-B.7): phase,
 * conditions, and container statuses with state, lastState, ready, started and restartCount.
 * @module
 */
import { type PhaseContainerStatus, type PodPhase, podPhase } from './phase';
import { type ContainerRecord, type Instance, isRunning } from './records';
import { messageShare, truncateBytes } from './termination';
import { restartFields } from './restart-rules';

/** A v1 ContainerStatus. */
export interface ContainerStatusObject {
  name: string;
  state: Record<string, unknown>;
  lastState: Record<string, unknown>;
  ready: boolean;
  started: boolean;
  restartCount: number;
  image: string;
  imageID: string;
  containerID?: string;
}

const iso = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

function terminated(instance: Instance): Record<string, unknown> {
  const t: Record<string, unknown> = {
    exitCode: instance.exitCode ?? 0,
    reason: instance.reason ?? (instance.exitCode === 0 ? 'Completed' : 'Error'),
    startedAt: iso(instance.startedAt),
    finishedAt: iso(instance.finishedAt ?? instance.startedAt),
    containerID: `pod-init://${instance.id}`,
  };
  if (instance.signal !== undefined) t.signal = instance.signal;
  if (instance.message) t.message = instance.message;
  return { terminated: t };
}

/** The status of one container (B.5). */
export function containerStatus(record: ContainerRecord, defaultWaiting: string): ContainerStatusObject {
  const running = isRunning(record);
  let state: Record<string, unknown>;
  if (record.waiting) state = { waiting: { ...record.waiting } };
  else if (running) state = { running: { startedAt: iso(record.current!.startedAt) } };
  else if (record.current) state = terminated(record.current);
  else state = { waiting: { reason: defaultWaiting } };
  const lastState =
    record.waiting && record.current && !running
      ? terminated(record.current)
      : record.previous
        ? terminated(record.previous)
        : {};
  const doneInit = record.kind === 'init' && !running && record.current?.exitCode === 0 && !record.waiting;
  const status: ContainerStatusObject = {
    name: record.spec.name,
    state,
    lastState,
    // Never ready before started: readiness is not even probed until the startup probe succeeds (B.8).
    ready: (running && record.current!.started !== false && record.current!.ready !== false) || doneInit,
    started: running && record.current!.started !== false,
    restartCount: record.restartCount,
    image: record.spec.image ?? '',
    imageID: '',
  };
  if (record.current) status.containerID = `pod-init://${record.current.id}`;
  return status;
}

/** A v1 PodCondition. */
export interface Condition {
  type: string;
  status: 'True' | 'False';
  reason?: string;
  message?: string;
  lastTransitionTime: string;
  lastProbeTime: null;
}

/** Inputs of {@link podStatus} besides the records. */
export interface StatusContext {
  restartPolicy: 'Always' | 'OnFailure' | 'Never';
  sandboxReady: boolean;
  initialized: boolean;
  anyContainerStarted: boolean;
  terminal: boolean;
  /**
   * The pod is over: deleted (or killed) and every container has ended. A phase that is still Pending or
   * Running then becomes Failed, as the kubelet (1.27+) moves every deleted pod to a terminal phase.
   */
  finished?: boolean;
  /** A phase decided outside the containers (DeadlineExceeded); sticky. */
  forcedPhase?: { phase: PodPhase; reason: string; message: string };
  startTime?: Date;
  hostIP: string;
  podIP: string;
  /** Every pod IP, IPv4 first (dual-stack); default `[podIP]`. */
  podIPs?: readonly string[];
  /** status.qosClass (the kubelet's ComputePodQOS); default BestEffort. */
  qosClass?: string;
  /** A message on PodReadyToStartContainers: what the sandbox lacks (cgroup limits not applied, say). */
  sandboxMessage?: string;
  previousConditions: Condition[];
  now: Date;
}

/** Termination messages cut to a container's share of 12 KiB (kubelet status_manager `normalizeStatus`). */
function capMessages(list: ContainerStatusObject[], containers: number): ContainerStatusObject[] {
  const share = messageShare(containers);
  for (const status of list)
    for (const state of [status.state, status.lastState]) {
      const t = state.terminated as { message?: string } | undefined;
      if (t?.message !== undefined) t.message = truncateBytes(t.message, share);
    }
  return list;
}

function phaseView(status: ContainerStatusObject): PhaseContainerStatus {
  const s = status.state as PhaseContainerStatus['state'];
  const view: PhaseContainerStatus = { started: status.started };
  if (s) view.state = s;
  const last = status.lastState as PhaseContainerStatus['lastState'];
  if (last && Object.keys(last).length > 0) view.lastState = last;
  return view;
}

/**
 * The whole v1 PodStatus.
 *
 * @example
 * const status = podStatus(records, { restartPolicy: 'Never', ... });
 * status.phase; // 'Running'
 */
export function podStatus(records: ContainerRecord[], ctx: StatusContext): Record<string, unknown> {
  const hasInit = records.some((r) => r.kind !== 'regular');
  const waitingReason = () => (hasInit && !ctx.initialized ? 'PodInitializing' : 'ContainerCreating');
  const statuses = records.map((r) => containerStatus(r, waitingReason()));
  const of = (kind: ContainerRecord['kind']) => statuses.filter((_, i) => records[i]!.kind === kind);
  const initStatuses = statuses.filter((_, i) => records[i]!.kind !== 'regular');
  const regular = of('regular');
  const initRecords = records.filter((r) => r.kind === 'init');
  const computed =
    ctx.forcedPhase?.phase ??
    podPhase({
      restartPolicy: ctx.restartPolicy,
      // A regular init container that never ran has no status yet (it counts as pending).
      initStatuses: of('init').map((s, i) => (initRecords[i]!.current ? phaseView(s) : undefined)),
      sidecarStatuses: of('sidecar').map(phaseView),
      statuses: regular.map(phaseView),
      restarts: records.filter((r) => r.kind === 'regular').map((r) => restartFields(r.spec)),
      terminal: ctx.terminal,
      anyContainerStarted: ctx.anyContainerStarted,
    });
  const phase = ctx.finished && (computed === 'Pending' || computed === 'Running') ? 'Failed' : computed;
  const terminalPhase = phase === 'Succeeded' || phase === 'Failed';
  const notReady = statuses.filter((s, i) => records[i]!.kind !== 'init' && !s.ready).map((s) => s.name);
  const incomplete = records.filter((r, i) => r.kind !== 'regular' && !statuses[i]!.ready).map((r) => r.spec.name);
  const condition = (type: string, ok: boolean, reason?: string, message?: string): Condition => {
    const before = ctx.previousConditions.find((c) => c.type === type);
    const status = ok ? 'True' : 'False';
    const c: Condition = {
      type,
      status,
      lastTransitionTime: before && before.status === status ? before.lastTransitionTime : iso(ctx.now),
      lastProbeTime: null,
    };
    if (reason) c.reason = reason;
    if (message) c.message = message;
    return c;
  };
  const initialized = !hasInit || ctx.initialized || ctx.anyContainerStarted;
  const containersReady = !terminalPhase && notReady.length === 0;
  const readyReason = terminalPhase ? (phase === 'Succeeded' ? 'PodCompleted' : 'PodFailed') : 'ContainersNotReady';
  const readyMessage = terminalPhase ? undefined : `containers with unready status: [${notReady.join(' ')}]`;
  const conditions = [
    condition('PodReadyToStartContainers', ctx.sandboxReady, undefined, ctx.sandboxMessage),
    phase === 'Succeeded'
      ? condition('Initialized', true, 'PodCompleted')
      : condition(
          'Initialized',
          initialized,
          initialized ? undefined : 'ContainersNotInitialized',
          initialized ? undefined : `containers with incomplete status: [${incomplete.join(' ')}]`,
        ),
    condition(
      'Ready',
      containersReady,
      containersReady ? undefined : readyReason,
      containersReady ? undefined : readyMessage,
    ),
    condition(
      'ContainersReady',
      containersReady,
      containersReady ? undefined : readyReason,
      containersReady ? undefined : readyMessage,
    ),
    condition('PodScheduled', true),
  ];
  const status: Record<string, unknown> = {
    phase,
    conditions,
    hostIP: ctx.hostIP,
    hostIPs: [{ ip: ctx.hostIP }],
    podIP: ctx.podIP,
    podIPs: (ctx.podIPs ?? [ctx.podIP]).map((ip) => ({ ip })),
    qosClass: ctx.qosClass ?? 'BestEffort',
  };
  if (ctx.forcedPhase) {
    status.reason = ctx.forcedPhase.reason;
    status.message = ctx.forcedPhase.message;
  }
  if (ctx.startTime) status.startTime = iso(ctx.startTime);
  // kubelet normalizeStatus: the 12 KiB are shared by every container, init containers included.
  if (initStatuses.length > 0) status.initContainerStatuses = capMessages(initStatuses, records.length);
  status.containerStatuses = capMessages(regular, records.length);
  return status;
}
