/**
 * The request channel of `pod-init apply` for a running pod, as delete-request.ts is delete's: the
 * applying command writes `<pod state dir>/apply-request` (the new images by container name, JSON,
 * renamed into place) and then sends SIGUSR2 to the pod's pod-init (its pid from the owners registry).
 * That pod-init reads and removes the file and carries the change out (runner.changeImages). Only what
 * the API server lets change in a running pod and pod-init carries out travels here: container images.
 * @module
 */
import { takeRequest, writeRequest } from './request-file';

const requestName = 'apply-request';

/** The signal that says a request is waiting (SIGUSR1 is Node's inspector's). */
export const applySignal = 'SIGUSR2';

/**
 * Asks for new container images; the caller signals the pod-init ({@link applySignal}) next.
 *
 * @example
 * writeApplyRequest('/run/pod-init/default_web_1234', { app: 'registry.local/app:2' });
 * process.kill(ownerPid, applySignal);
 */
export function writeApplyRequest(stateDir: string, images: Record<string, string>): void {
  writeRequest(stateDir, requestName, { images });
}

/**
 * Reads and removes the pending request: the new images by container name; undefined when there is
 * none or it is unreadable.
 *
 * @example
 * const images = takeApplyRequest(runner.stateDir);
 * if (images) await runner.changeImages(images);
 */
export function takeApplyRequest(stateDir: string): Map<string, string> | undefined {
  const images = takeRequest(stateDir, requestName)?.images;
  if (typeof images !== 'object' || images === null) return undefined;
  return new Map(Object.entries(images).filter((e): e is [string, string] => typeof e[1] === 'string' && e[1] !== ''));
}
