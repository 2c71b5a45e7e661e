/**
 * Which status.json is a pod's last one. The runner rewrites it at every change while the pod runs
 * (status-file.ts); readers (the sweep of dead pod-inits' state, `pod-init get`) must tell the final
 * one from a live one whose pod-init may be gone.
 * @module
 */

/**
 * Whether a status.json is a pod's last one: the runner rewrites it at every change while the pod runs
 * (status-file.ts), so only a terminal phase with no container running is final.
 *
 * @example
 * isFinalStatus({ status: { phase: 'Succeeded', containerStatuses: [] } }); // true
 */
export function isFinalStatus(pod: Record<string, unknown>): boolean {
  const status = pod.status as
    { phase?: string; reason?: string; containerStatuses?: unknown[]; initContainerStatuses?: unknown[] } | undefined;
  if (status?.phase !== 'Succeeded' && status?.phase !== 'Failed') return false;
  const all = [...(status.initContainerStatuses ?? []), ...(status.containerStatuses ?? [])];
  return all.every((c) => (c as { state?: { running?: unknown } }).state?.running === undefined);
}
