/**
 * Another user's pod: a rootless pod can be entered only by the user who started it (its namespaces are
 * owned by that user's user namespace). Another user who points POD_INIT_STATE_DIR at that state root
 * finds the pod but neither its owner record nor its status, so it is refused by name, not shown as a
 * completed Pending pod.
 * @module
 */
import fs from 'node:fs';
import { KubectlError } from './errors';
import type { ListedPod } from './pod-list';

/**
 * Throws a Forbidden KubectlError when the pod's state directory belongs to another user than the
 * caller (root is never refused here: the kernel decides).
 *
 * @example
 * refuseForeignPod(listed, 'web', process.geteuid!()); // as uid 65533 into uid 65534's pod:
 * // Error from server (Forbidden): pods "web" is forbidden: it was started by uid 65534 ...
 */
export function refuseForeignPod(listed: ListedPod, name: string, euid: number): void {
  if (euid === 0) return;
  let owner: number;
  try {
    owner = fs.statSync(listed.dir).uid;
  } catch {
    return; // gone meanwhile: the later checks say so
  }
  if (owner !== euid)
    throw new KubectlError(
      `Error from server (Forbidden): pods "${name}" is forbidden: it was started by uid ${owner} and only ` +
        `that user can enter it; this is uid ${euid}`,
    );
}
