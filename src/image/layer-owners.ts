/**
 * Rootless layers with their real owners (src/subordinate-ids.ts): the unpacker, running as the
 * caller, cannot chown, so it records the owners the archive gives (native/layer_unpack.cc), and this
 * pass sets them from inside a user namespace that maps the caller's subordinate ids — `pod-pause
 * owners` (native/owners.c), which opens each path beneath the layer without following any symlink.
 * On disk a file of uid 33 then belongs to the 33rd id of the range, and a rootless pod (whose user
 * namespace maps the same range) sees 33. Chosen over fuse-overlayfs's `user.containers.override_stat`
 * xattrs: the kernel's overlayfs, which pod-init mounts, does not read them.
 * @module
 */
import fs from 'node:fs';
import path from 'node:path';
import { pausePath } from '../native';
import { type RootlessIds, runWithRootlessIds } from '../subordinate-ids';

/**
 * Sets the owners `records` (`UID GID MODE PATH\0` records, the native unpacker's) on the layer in
 * `root` inside a user namespace of `ids`. The list is written beside `root` for the pass, then removed.
 *
 * @example
 * applyLayerOwners('/home/u/.local/share/pod-init/images/layers/.tmp-1/diff', records, ids);
 */
export function applyLayerOwners(root: string, records: Buffer, ids: RootlessIds): void {
  if (records.length === 0) return;
  const list = path.join(path.dirname(root), 'owners');
  fs.writeFileSync(list, records, { mode: 0o600 });
  try {
    runWithRootlessIds(ids, [pausePath, 'owners', root, list]);
  } finally {
    fs.rmSync(list, { force: true });
  }
}
