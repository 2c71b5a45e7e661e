/**
 * The running container that `exec` and `cp` work in, found as kubectl's API server finds it: the pod
 * (NotFound), not another user's rootless pod (Forbidden), not finished, the container named or the
 * default one (with kubectl's "Defaulted container" note), one of the pod's (BadRequest). The checks
 * and the words are kubectl's; both verbs share them.
 * @module
 */
import { KubectlError, podNotFound } from './errors';
import { refuseForeignPod } from './foreign-pod';
import { findPod, type ListedPod, type StateLocation } from './pod-list';
import { defaultContainer } from './pod-logs';

const terminalPhases = new Set(['Succeeded', 'Failed']);

/**
 * kubectl's words for a container that is not running (or whose process is gone).
 *
 * @example
 * throw containerNotFound('app'); // error: unable to upgrade connection: container not found ("app")
 */
export function containerNotFound(container: string): KubectlError {
  return new KubectlError(`error: unable to upgrade connection: container not found ("${container}")`);
}

/**
 * The pod and container to enter; throws a {@link KubectlError} with kubectl's words otherwise.
 *
 * @example
 * const { listed, container, note } = runningContainer(location, { name: 'web' });
 * if (note) console.error(note); // Defaulted container "app" out of: app, side
 */
export function runningContainer(
  location: StateLocation,
  options: { name: string; namespace?: string; container?: string },
): { listed: ListedPod; container: string; note: string | undefined } {
  const listed = findPod(location, options.namespace ?? 'default', options.name);
  if (listed === undefined) throw podNotFound(options.name);
  if (process.geteuid) refuseForeignPod(listed, options.name, process.geteuid());
  const phase = listed.pod.status?.phase ?? 'Pending';
  if (terminalPhases.has(phase) || !listed.live)
    throw new KubectlError(`error: cannot exec into a container in a completed pod; current phase is ${phase}`);
  let container = options.container;
  let note: string | undefined;
  if (container === undefined) ({ name: container, note } = defaultContainer(listed));
  const spec = listed.pod.spec ?? {};
  const names = [...(spec.initContainers ?? []), ...(spec.containers ?? [])].map((c) => c.name);
  if (!names.includes(container))
    throw new KubectlError(
      `Error from server (BadRequest): container ${container} is not valid for pod ${options.name}`,
    );
  return { listed, container, note };
}
