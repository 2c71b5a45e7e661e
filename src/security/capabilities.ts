/**
 * STUB of the integrator's module (interface.md), so the branch typechecks until main lands it; on
 * `git merge main` the integrator's version replaces this file as a whole.
 * @module
 */
const names = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_DAC_READ_SEARCH', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL', 'CAP_SETGID',
  'CAP_SETUID', 'CAP_SETPCAP', 'CAP_LINUX_IMMUTABLE', 'CAP_NET_BIND_SERVICE', 'CAP_NET_BROADCAST', 'CAP_NET_ADMIN',
  'CAP_NET_RAW', 'CAP_IPC_LOCK', 'CAP_IPC_OWNER', 'CAP_SYS_MODULE', 'CAP_SYS_RAWIO', 'CAP_SYS_CHROOT',
  'CAP_SYS_PTRACE', 'CAP_SYS_PACCT', 'CAP_SYS_ADMIN', 'CAP_SYS_BOOT', 'CAP_SYS_NICE', 'CAP_SYS_RESOURCE',
  'CAP_SYS_TIME', 'CAP_SYS_TTY_CONFIG', 'CAP_MKNOD', 'CAP_LEASE', 'CAP_AUDIT_WRITE', 'CAP_AUDIT_CONTROL',
  'CAP_SETFCAP', 'CAP_MAC_OVERRIDE', 'CAP_MAC_ADMIN', 'CAP_SYSLOG', 'CAP_WAKE_ALARM', 'CAP_BLOCK_SUSPEND',
  'CAP_AUDIT_READ', 'CAP_PERFMON', 'CAP_BPF', 'CAP_CHECKPOINT_RESTORE',
] as const; // prettier-ignore

/** A Linux capability of this kernel (0..40). */
export type Capability = (typeof names)[number];

/** Capability numbers, as `capget`/`capset` and /proc/<pid>/status bit positions use them. */
export const capabilityNumbers: Readonly<Record<Capability, number>> = Object.fromEntries(
  names.map((name, i) => [name, i]),
) as Record<Capability, number>;

/** Every capability of this kernel, by number. */
export const allCapabilities: readonly Capability[] = names;

/** The five capability sets of a process. */
export interface CapabilitySets {
  bounding: Capability[];
  permitted: Capability[];
  effective: Capability[];
  inheritable: Capability[];
  ambient: Capability[];
}
