/**
 * Whether this process may create cgroups, and where: root may use each hierarchy's root; a rootless user only a
 * delegated cgroup v2 subtree (systemd `Delegate=`: `cgroup.subtree_control` and `cgroup.procs` owned by the user).
 * v1 has no safe delegation (SECURITY.md §7), so rootless on v1 gets nothing.
 * @module
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { cgroupDirOf, type CgroupLayout, type ProcCgroupEntry } from './layout';

export type CgroupAccess =
  | {
      enforced: true;
      /** The cgroup (relative to the v2 mount) delegated to a rootless user; unset for root. */ delegated?: string;
    }
  | { enforced: false; /** One line for the notice and the pod condition message. */ reason: string };

/** A directory whose `cgroup.subtree_control` and `cgroup.procs` the user owns and may write. */
function ownedByUser(dir: string, uid: number): boolean {
  try {
    for (const file of ['cgroup.subtree_control', 'cgroup.procs']) {
      if (fs.statSync(path.join(dir, file)).uid !== uid) return false;
      fs.accessSync(path.join(dir, file), fs.constants.W_OK);
    }
    return true;
  } catch {
    return false;
  }
}

/**
 * Decides whether limits can be enforced for `uid` (default: this process's effective uid), given the layout and
 * this process's /proc/self/cgroup entries.
 *
 * @example
 * const access = cgroupAccess(readCgroupLayout(), parseProcCgroup(fs.readFileSync('/proc/self/cgroup', 'utf8')));
 * if (!access.enforced) console.warn(`cgroup limits not applied: ${access.reason}`);
 */
export function cgroupAccess(
  layout: CgroupLayout,
  self: readonly ProcCgroupEntry[],
  uid = process.geteuid?.() ?? 0,
): CgroupAccess {
  if (layout.mode === 'none') return { enforced: false, reason: 'no cgroup filesystem is mounted' };
  const readOnly = layout.hierarchies.find((h) => h.readOnly && h.controllers.length > 0);
  if (uid === 0) {
    if (readOnly !== undefined) return { enforced: false, reason: `${readOnly.mountPoint} is mounted read-only` };
    return { enforced: true };
  }
  const unified = layout.unified;
  if (layout.mode !== 'v2' || unified === undefined) {
    return {
      enforced: false,
      reason: 'rootless on cgroup v1 (or hybrid): there is no safe delegation, limits are not applied',
    };
  }
  const own = cgroupDirOf(unified, self);
  if (own === undefined) return { enforced: false, reason: 'this process is outside the mounted cgroup v2 tree' };
  // The topmost ancestor of our own cgroup that is still ours is the delegated root (systemd's user@<uid>.service).
  let delegated: string | undefined;
  for (
    let dir = path.dirname(own);
    dir.startsWith(unified.mountPoint) && dir !== path.dirname(unified.mountPoint);
    dir = path.dirname(dir)
  ) {
    if (!ownedByUser(dir, uid)) break;
    delegated = dir;
    if (dir === unified.mountPoint) break;
  }
  if (delegated === undefined) {
    return {
      enforced: false,
      reason: `rootless without a delegated cgroup v2 subtree (systemd Delegate=yes for uid ${uid}): limits are not applied`,
    };
  }
  return { enforced: true, delegated: path.relative(unified.mountPoint, delegated) || '/' };
}
