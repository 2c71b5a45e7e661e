/**
 * `fsGroup` ownership of a pod's volumes, as the kubelet's `SetVolumeOwnership` (K5, SECURITY.md §3.1):
 * a post-order walk (the root last, so an interrupted walk is done again), `lstat`, every entry's group
 * set to fsGroup with `lchown` (symlinks included, never followed; the owner is kept), then its mode
 * or'ed with 0660 (0440 for a read-only volume) — and for directories setgid and 0110; symlinks' modes
 * are left alone. `OnRootMismatch` skips the walk when the root already has the group, the bits and
 * setgid. It runs before any container of the pod starts (emptyDir, configMap, secret, downwardAPI,
 * projected volumes), and it walks by fd, not by path (native `ownTreeBeneath`: each entry opened
 * O_PATH|O_NOFOLLOW beneath its directory's fd, changed through that fd), so even a tree that changes
 * under it — a directory swapped for a symlink to the host — never has anything outside it changed.
 * @module
 */
import fs from 'node:fs';
import { native } from '../../native';

/** Options of {@link setVolumeOwnership}. */
export interface VolumeOwnershipOptions {
  fsGroup: number;
  /** configMap and secret volumes: 0440 instead of 0660. */
  readOnly: boolean;
  /** `fsGroupChangePolicy` (configMap and secret: always Always, as the kubelet passes none). */
  policy?: 'Always' | 'OnRootMismatch';
}

const rwMask = 0o660;
const roMask = 0o440;
const execMask = 0o110;
const setgid = 0o2000;

/**
 * True when the root already has what the walk would give it (the kubelet's `requiresPermissionChange`, negated).
 *
 * @example
 * rootMatches('/run/pod-init/…/volumes/cache', 2000, false); // false the first time
 */
export function rootMatches(root: string, fsGroup: number, readOnly: boolean): boolean {
  const stat = fs.statSync(root);
  if (stat.gid !== fsGroup || !stat.isDirectory()) return false;
  const wanted = (readOnly ? roMask : rwMask) | execMask;
  return (stat.mode & wanted) === wanted && (stat.mode & setgid) !== 0;
}

/**
 * Gives a volume's tree to `fsGroup` (see the module's description); returns false when
 * `OnRootMismatch` found nothing to do.
 *
 * @example
 * setVolumeOwnership('/run/pod-init/…/volumes/kubernetes.io~empty-dir/cache', { fsGroup: 2000, readOnly: false });
 */
export function setVolumeOwnership(root: string, options: VolumeOwnershipOptions): boolean {
  if (options.policy === 'OnRootMismatch' && rootMatches(root, options.fsGroup, options.readOnly)) return false;
  const mask = options.readOnly ? roMask : rwMask;
  native.ownTreeBeneath(root, -1, options.fsGroup, mask, mask | setgid | execMask);
  return true;
}
