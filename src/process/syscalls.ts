/**
 * Thin, typed wrappers over the namespace syscalls, for experiments. Each runs in Node's own
 * process, which is multithreaded, so the kernel refuses some of them here (a user or mount
 * namespace change); the errors say so and point to {@link spawn}, which makes such changes in a
 * fresh child.
 * @module
 */
import { forgetOwnNamespaceIds, type NamespaceKind, namespaceFlags } from './namespaces';
import { native } from '../native';
import { type Signal, signalNumber } from './signals';

const prctl = native.prctlOptions as Record<string, number>;

/**
 * `unshare(2)` in Node's process. Node is multithreaded: `user` fails with EINVAL and `mnt` applies to
 * the calling thread only — prefer `spawn({ newNamespaces })`.
 *
 * @example
 * unshare(['uts']); sethostname('lab'); // Node itself now has its own hostname
 */
export function unshare(kinds: NamespaceKind[]): void {
  forgetOwnNamespaceIds();
  native.unshare(namespaceFlags(kinds));
}

/**
 * `setns(2)` with an open namespace file or pidfd. `kinds` is the nstype (empty: any).
 *
 * @example
 * const fd = fs.openSync(`/proc/${pod.pid}/ns/uts`, 'r');
 * setns(fd, ['uts']); // Node's hostname is now the pod's
 */
export function setns(fd: number, kinds: NamespaceKind[] = [], path?: string): void {
  forgetOwnNamespaceIds();
  native.setns(fd, namespaceFlags(kinds), path);
}

/**
 * `sethostname(2)` in the caller's uts namespace.
 *
 * @example
 * sethostname('lab');
 */
export function sethostname(name: string): void {
  native.sethostname(name);
}

/** The mount(2) flags by name (`MS_BIND`, `MS_REC`, `MS_PRIVATE`, ..., and `MNT_DETACH` for umount). */
export const mountFlags: Readonly<Record<string, number>> = native.mountFlags;

/**
 * `mount(2)`. Flags are ORed `mountFlags` values.
 *
 * @example
 * mount('tmpfs', '/mnt/scratch', 'tmpfs', mountFlags.MS_NOSUID, 'size=16m');
 */
export function mount(
  source: string | null,
  target: string,
  fstype: string | null,
  flags = 0,
  data: string | null = null,
): void {
  native.mount(source, target, fstype, flags, data);
}

/**
 * `umount2(2)`.
 *
 * @example
 * umount('/mnt/scratch', mountFlags.MNT_DETACH);
 */
export function umount(target: string, flags = 0): void {
  native.umount(target, flags);
}

/**
 * `pivot_root(2)`. Needs a mount namespace of its own and a private new root mount point; from Node's
 * process it moves the root of every thread. Usually wanted as a spawn() mount step instead.
 *
 * @example
 * pivotRoot('.', '.'); // the "." "." form: no directory for the old root needed
 */
export function pivotRoot(newRoot: string, putOld: string): void {
  native.pivotRoot(newRoot, putOld);
}

/**
 * `PR_SET_CHILD_SUBREAPER`: orphaned descendants are reparented to this process instead of init.
 *
 * @example
 * setChildSubreaper(true);
 */
export function setChildSubreaper(on: boolean): void {
  native.prctl(prctl.PR_SET_CHILD_SUBREAPER!, on ? 1 : 0);
}

/** `PR_GET_CHILD_SUBREAPER`. */
export function isChildSubreaper(): boolean {
  return native.prctl(prctl.PR_GET_CHILD_SUBREAPER!, 0) !== 0;
}

/**
 * `PR_SET_PDEATHSIG` for the calling thread (0 clears it). It fires when the parent *thread* exits.
 *
 * @example
 * setParentDeathSignal('SIGTERM');
 */
export function setParentDeathSignal(signal: Signal | 0): void {
  native.prctl(prctl.PR_SET_PDEATHSIG!, signal === 0 ? 0 : signalNumber(signal));
}

/** `PR_GET_PDEATHSIG`: the signal number, 0 for none. */
export function parentDeathSignal(): number {
  return native.prctl(prctl.PR_GET_PDEATHSIG!, 0);
}

/**
 * `PR_SET_NO_NEW_PRIVS` (irreversible): execve never grants privileges again.
 *
 * @example
 * setNoNewPrivileges();
 */
export function setNoNewPrivileges(): void {
  native.prctl(prctl.PR_SET_NO_NEW_PRIVS!, 1);
}

/**
 * `pidfd_open(2)`: a file descriptor that names a process without pid-reuse races.
 *
 * @example
 * const fd = pidfdOpen(pid); pidfdSendSignal(fd, 'SIGTERM'); fs.closeSync(fd);
 */
export function pidfdOpen(pid: number): number {
  return native.pidfdOpen(pid);
}

/**
 * `pidfd_send_signal(2)`. Returns false when the process is already gone.
 *
 * @example
 * pidfdSendSignal(fd, 'SIGUSR1');
 */
export function pidfdSendSignal(pidfd: number, signal: Signal): boolean {
  return native.pidfdSendSignal(pidfd, signalNumber(signal));
}
