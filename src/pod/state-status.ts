/**
 * The v1 PodStatus of a pod's state (state.ts) and of what its sandbox has now (is the pause up, the
 * pod's IPs, its QoS class): status.ts's podStatus with the loop's facts filled in.
 * @module
 */
import type { PodState } from './state';
import { type Condition, podStatus } from './status';

/** What the infrastructure has now (infra/pod-infra.ts). */
export interface SandboxFacts {
  /** The pause runs. */
  running: boolean;
  /** The pod's IP: on the bridge, behind its helper, or loopback's. */
  podIP: string;
  /** Every pod IP on the bridge (dual-stack), when it has one. */
  podIPs?: readonly string[];
  qosClass: string;
  /** What the sandbox lacks (cgroup limits not applied, say): said on PodReadyToStartContainers. */
  notice?: string;
}

/**
 * The pod's status now; `previousConditions` keep their transition times while unchanged.
 *
 * @example
 * const status = stateStatus(state, { running: true, podIP: '10.88.0.2', qosClass: 'BestEffort' }, [], new Date());
 * status.phase; // 'Pending'
 */
export function stateStatus(
  s: PodState,
  sandbox: SandboxFacts,
  previousConditions: Condition[],
  now: Date,
): Record<string, unknown> {
  return podStatus([...s.records], {
    restartPolicy: s.restartPolicy,
    sandboxReady: sandbox.running && !s.done,
    initialized: s.initialized,
    anyContainerStarted: s.anyStarted,
    terminal: s.deleted || s.forcedPhase !== undefined,
    finished: s.done,
    ...(s.startTime ? { startTime: s.startTime } : {}),
    ...(s.forcedPhase ? { forcedPhase: s.forcedPhase } : {}),
    hostIP: '127.0.0.1',
    podIP: sandbox.podIP,
    ...(sandbox.podIPs !== undefined ? { podIPs: sandbox.podIPs } : {}),
    qosClass: sandbox.qosClass,
    ...(sandbox.notice !== undefined ? { sandboxMessage: sandbox.notice } : {}),
    previousConditions,
    now,
  });
}
