/**
 * The kubelet's decisions for one pod (`computePodActions` / `computeInitContainerActions`,
 * KUBERNETES.md B.1-B.3), as a pure function: what is observed in, the actions to take out. Time and
 * backoff are parameters; the executor (runner.ts) carries the actions out and feeds back new
 * observations, so every rule here is a table-driven unit test without processes or clocks.
 * @module
 */
import type { Backoff } from './backoff';
import { type ContainerRestart, containerShouldRestart } from './restart-rules';

/** What the executor observed of one container. */
export interface ContainerView {
  name: string;
  kind: 'init' | 'sidecar' | 'regular';
  /** An instance is running. */
  running: boolean;
  /** Running and counted as started (no startup probe yet: as soon as it runs). */
  started: boolean;
  /** The latest instance, when it has ended (a start error counts, with exit code 128). */
  lastExit?: { exitCode: number; finishedAt: number };
  /** The backoff key (name and spec hash). */
  backoffKey: string;
  /** Running, and to be killed (a failed liveness or startup probe or postStart hook, a changed definition). */
  kill?: { message: string; graceSeconds: number };
  /** A regular container's own `restartPolicy` and `restartPolicyRules` (KEP-5307), when it has them. */
  restart?: ContainerRestart;
  /**
   * A regular container whose latest instance ran in an earlier sandbox of a pod without init containers:
   * the new sandbox starts it whatever its policy (computePodActions' sandbox branch starts every
   * container but one that succeeded under OnFailure, its own or the pod's).
   */
  sandboxChanged?: boolean;
}

/** What {@link decide} needs. */
export interface PodView {
  restartPolicy: 'Always' | 'OnFailure' | 'Never';
  /** Init containers in spec order: regular ones and sidecars. */
  init: ContainerView[];
  regular: ContainerView[];
  /** Any regular container has ever been started: init containers never run again (B.2). */
  initialized: boolean;
  /** No start now (a postStart hook runs, B.9; the sandbox is being replaced): kills only. */
  blocked?: boolean;
}

/** One action for the executor. */
export type PodAction =
  | { type: 'start'; name: string }
  | { type: 'back-off'; name: string; until: number; backoffMs: number }
  | { type: 'initialized' }
  | { type: 'kill-pod'; reason: 'Completed' | 'InitFailed' }
  | { type: 'kill'; name: string; message: string; graceSeconds: number };

/**
 * Whether an exited container restarts (B.3): sidecars always; init containers by the pod's policy
 * (`Always` acts as `OnFailure` for them); regular containers by their first matching restart rule, else
 * their own restartPolicy, else the pod's (restart-rules.ts).
 *
 * @example
 * shouldRestart('OnFailure', 'regular', 0); // false
 * shouldRestart('Never', 'regular', 42, { restartPolicy: 'Never', restartPolicyRules: [{ action: 'Restart', exitCodes: { operator: 'In', values: [42] } }] }); // true
 */
export function shouldRestart(
  policy: PodView['restartPolicy'],
  kind: ContainerView['kind'],
  exitCode: number,
  container: ContainerRestart = {},
): boolean {
  if (kind === 'sidecar') return true;
  if (kind === 'init') return policy !== 'Never' && exitCode !== 0;
  return containerShouldRestart(container, policy, exitCode);
}

/**
 * The actions for the pod now.
 *
 * @example
 * decide({ restartPolicy: 'Never', init: [], regular: [web], initialized: false }, backoff, Date.now());
 * // [{ type: 'initialized' }, { type: 'start', name: 'web' }]
 */
export function decide(view: PodView, backoff: Backoff, now: number): PodAction[] {
  const actions: PodAction[] = [];
  // Kills first, whatever else waits (B.8, B.9): the kubelet's killContainer for an unhealthy container.
  for (const c of [...view.init, ...view.regular])
    if (c.running && c.kill) actions.push({ type: 'kill', name: c.name, ...c.kill });
  if (view.blocked) return actions;
  const start = (c: ContainerView) => {
    if (c.lastExit) {
      const delay = backoff.delayBeforeRestart(c.backoffKey, c.lastExit.finishedAt, now);
      if (delay > 0) {
        actions.push({
          type: 'back-off',
          name: c.name,
          until: now + delay,
          backoffMs: backoff.currentMs(c.backoffKey),
        });
        return;
      }
    }
    actions.push({ type: 'start', name: c.name });
  };

  if (!view.initialized) {
    // Init containers one at a time, in order; a sidecar counts once it is started.
    for (const c of view.init) {
      if (c.kind === 'sidecar') {
        if (c.running && c.started) continue;
        if (!c.running) start(c);
        return actions;
      }
      if (c.running) return actions;
      if (!c.lastExit) {
        start(c);
        return actions;
      }
      if (c.lastExit.exitCode === 0) continue;
      if (view.restartPolicy === 'Never') return [{ type: 'kill-pod', reason: 'InitFailed' }];
      start(c);
      return actions;
    }
    actions.push({ type: 'initialized' });
  } else {
    // Once initialized only sidecars are kept alive among the init containers.
    for (const c of view.init) if (c.kind === 'sidecar' && !c.running) start(c);
  }

  let active = 0;
  for (const c of view.regular) {
    if (c.running) active++;
    else if (!c.lastExit) {
      start(c);
      active++;
    } else if (c.sandboxChanged || shouldRestart(view.restartPolicy, 'regular', c.lastExit.exitCode, c.restart)) {
      start(c);
      active++;
    }
  }
  if (active === 0) actions.push({ type: 'kill-pod', reason: 'Completed' });
  return actions;
}
