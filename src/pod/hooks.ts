/**
 * Lifecycle hooks, as the kubelet runs them (pkg/kubelet/lifecycle/handlers.go; KUBERNETES.md B.9):
 * `exec` inside the container's namespaces, `httpGet` to the pod's IP (default host) from its network
 * namespace with the probes' success rule, `sleep` as a timer, `tcpSocket` accepted by the API server
 * and failing at run time. postStart runs without a timeout; preStop within the grace period.
 * @module
 */
import { runProbe, type ProbeHandler, type ProbeTarget } from './probe-handlers';

/** A v1 LifecycleHandler. */
export interface HookHandler extends Omit<ProbeHandler, 'grpc'> {
  sleep?: { seconds: number };
}

/** How a hook ended: `message` is the kubelet's FailedPostStartHook / FailedPreStopHook text. */
export type HookOutcome = { ok: true } | { ok: false; message: string };

/** Who the hook is for, in the kubelet's message form. */
export interface HookSubject {
  container: string;
  /** `name_namespace(uid)`. */
  pod: string;
}

/**
 * Runs one hook; resolves when it is done, failed, or `timeoutMs` (Infinity: none) has passed.
 *
 * @example
 * await runHook({ exec: { command: ['sh', '-c', 'nginx -s quit'] } }, target, subject, 30_000); // { ok: true }
 */
export async function runHook(
  handler: HookHandler,
  target: ProbeTarget,
  subject: HookSubject,
  timeoutMs: number,
): Promise<HookOutcome> {
  const who = `for Container ${JSON.stringify(subject.container)} in Pod ${JSON.stringify(subject.pod)}`;
  if (handler.sleep) {
    const ms = Math.min(handler.sleep.seconds * 1000, timeoutMs);
    await new Promise((resolve) => setTimeout(resolve, ms).unref());
    return { ok: true };
  }
  if (handler.tcpSocket)
    return {
      ok: false,
      message: `TCPSocket lifecycle hook ${who} failed - error: tcpSocket hooks are deprecated and not run`,
    };
  const outcome = await runProbe(handler, target, timeoutMs);
  if (outcome.result === 'success' || outcome.result === 'warning') return { ok: true };
  // handlers.go runHTTPHandler: only a failed request fails the hook, whatever the status.
  if (handler.httpGet && outcome.httpStatus !== undefined) return { ok: true };
  if (handler.exec) {
    const command = `[${(handler.exec.command ?? []).join(' ')}]`;
    const error = outcome.exit ?? outcome.output;
    return {
      ok: false,
      message: `Exec lifecycle hook (${command}) ${who} failed - error: ${error}, message: ${JSON.stringify(outcome.output)}`,
    };
  }
  const path = handler.httpGet?.path || '/';
  return { ok: false, message: `HTTP lifecycle hook (${path}) ${who} failed - error: ${outcome.output}` };
}
