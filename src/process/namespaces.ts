/**
 * Namespace kinds, spelled as in `/proc/<pid>/ns/`, their `CLONE_NEW*` flags, and identity checks.
 * @module
 */
import fs from 'node:fs';
import { PodOptionError } from '../errors';
import { native } from '../native';

/** A namespace kind, as named in `/proc/<pid>/ns/`. */
export type NamespaceKind = 'user' | 'mnt' | 'pid' | 'net' | 'ipc' | 'uts' | 'cgroup' | 'time';

/** Every kind, in the order the kernel lists them in `/proc/<pid>/ns/`. */
export const namespaceKinds: readonly NamespaceKind[] = ['cgroup', 'ipc', 'mnt', 'net', 'pid', 'time', 'user', 'uts'];

/** The kinds a pod sandbox creates by default: what the kubelet shares through the pause (plus mnt, pid). */
export const podNamespaceKinds: readonly NamespaceKind[] = ['pid', 'net', 'ipc', 'uts', 'mnt'];

/**
 * The `CLONE_NEW*` bits for a list of kinds.
 *
 * @example
 * namespaceFlags(['net', 'uts']); // CLONE_NEWNET | CLONE_NEWUTS
 */
export function namespaceFlags(kinds: Iterable<NamespaceKind>, option = 'namespaces'): number {
  let flags = 0;
  for (const kind of kinds) {
    const flag = native.namespaceFlags[kind];
    if (flag === undefined) throw new PodOptionError(option, `a list of ${namespaceKinds.join(', ')}`, kind);
    flags |= flag;
  }
  return flags;
}

/**
 * The identity (inode) of a process's namespace: two processes share a namespace exactly when the
 * inodes are equal. `pid` may be `'self'`.
 *
 * @example
 * namespaceId(pod.pid, 'net') === namespaceId(member.pid, 'net'); // true: they share it
 * namespaceId(pod.pid, 'net') === namespaceId('self', 'net'); // false: the pod has its own
 */
export function namespaceId(pid: number | 'self', kind: NamespaceKind): number {
  return fs.statSync(`/proc/${pid}/ns/${kind}`).ino;
}

let ownIds: Record<NamespaceKind, number> | undefined;

/** @internal Node's own namespace ids, cached (spawn compares them on every join). */
export function ownNamespaceIds(): Record<NamespaceKind, number> {
  ownIds ??= namespaceIds('self');
  return ownIds;
}

/** @internal After unshare()/setns() in Node's process, its namespaces may have changed. */
export function forgetOwnNamespaceIds(): void {
  ownIds = undefined;
}

/**
 * Every namespace identity of a process.
 *
 * @example
 * const ids = namespaceIds(process.pid); // { cgroup: 4026531835, ipc: 4026531839, ... }
 */
export function namespaceIds(pid: number | 'self'): Record<NamespaceKind, number> {
  const ids = {} as Record<NamespaceKind, number>;
  for (const kind of namespaceKinds) ids[kind] = namespaceId(pid, kind);
  return ids;
}
