/**
 * Linux capabilities by name (capabilities(7)), as the OCI runtime spec and Kubernetes name them
 * (`CAP_` + the kernel's name), and the five sets a process starts with.
 * @module
 */
import fs from 'node:fs';
import { PodOptionError } from '../errors';

/** Every capability of Linux 6.18, in kernel order (bit n = capability n). */
export const allCapabilities = [
  'CAP_CHOWN',
  'CAP_DAC_OVERRIDE',
  'CAP_DAC_READ_SEARCH',
  'CAP_FOWNER',
  'CAP_FSETID',
  'CAP_KILL',
  'CAP_SETGID',
  'CAP_SETUID',
  'CAP_SETPCAP',
  'CAP_LINUX_IMMUTABLE',
  'CAP_NET_BIND_SERVICE',
  'CAP_NET_BROADCAST',
  'CAP_NET_ADMIN',
  'CAP_NET_RAW',
  'CAP_IPC_LOCK',
  'CAP_IPC_OWNER',
  'CAP_SYS_MODULE',
  'CAP_SYS_RAWIO',
  'CAP_SYS_CHROOT',
  'CAP_SYS_PTRACE',
  'CAP_SYS_PACCT',
  'CAP_SYS_ADMIN',
  'CAP_SYS_BOOT',
  'CAP_SYS_NICE',
  'CAP_SYS_RESOURCE',
  'CAP_SYS_TIME',
  'CAP_SYS_TTY_CONFIG',
  'CAP_MKNOD',
  'CAP_LEASE',
  'CAP_AUDIT_WRITE',
  'CAP_AUDIT_CONTROL',
  'CAP_SETFCAP',
  'CAP_MAC_OVERRIDE',
  'CAP_MAC_ADMIN',
  'CAP_SYSLOG',
  'CAP_WAKE_ALARM',
  'CAP_BLOCK_SUSPEND',
  'CAP_AUDIT_READ',
  'CAP_PERFMON',
  'CAP_BPF',
  'CAP_CHECKPOINT_RESTORE',
] as const;

/** A capability name, `CAP_` included. */
export type Capability = (typeof allCapabilities)[number];

/** Capability numbers by name. */
export const capabilityNumbers: Readonly<Record<Capability, number>> = Object.freeze(
  Object.fromEntries(allCapabilities.map((name, i) => [name, i])) as Record<Capability, number>,
);

/** The capability sets a process starts with (capabilities(7)). */
export interface CapabilitySets {
  /** The most it may ever hold again. */
  bounding: readonly Capability[];
  /** What it may make effective. */
  permitted: readonly Capability[];
  /** What the kernel checks. */
  effective: readonly Capability[];
  /** Kept across execve only together with file capabilities. Keep it empty (CVE-2022-29162). */
  inheritable: readonly Capability[];
  /** Kept across execve of ordinary files, also by non-root users. */
  ambient: readonly Capability[];
}

/**
 * The highest capability this kernel knows (`/proc/sys/kernel/cap_last_cap`); capabilities past it
 * cannot be held and are left out of every set.
 *
 * @example
 * lastCapability(); // 40 on Linux 6.18
 */
export function lastCapability(): number {
  cachedLast ??= readLast();
  return cachedLast;
}
let cachedLast: number | undefined;

function readLast(): number {
  try {
    const n = Number(fs.readFileSync('/proc/sys/kernel/cap_last_cap', 'utf8').trim());
    return Number.isInteger(n) && n >= 0 ? n : allCapabilities.length - 1;
  } catch {
    return allCapabilities.length - 1;
  }
}

/**
 * A set as the bit mask the kernel uses (bit n = capability n).
 *
 * @example
 * capabilityMask(['CAP_CHOWN', 'CAP_KILL']); // 0x21n
 */
export function capabilityMask(set: readonly Capability[], option = 'capabilities'): bigint {
  let mask = 0n;
  for (const name of set) {
    const n = capabilityNumbers[name];
    if (n === undefined) throw new PodOptionError(option, `capability names (${allCapabilities[0]}, …)`, name);
    mask |= 1n << BigInt(n);
  }
  return mask;
}

/**
 * The names of the capabilities in a mask, such as the `CapEff:` line of /proc/PID/status.
 *
 * @example
 * capabilitiesOf(0xa80425fbn).length; // 14: containerd's default set
 */
export function capabilitiesOf(mask: bigint): Capability[] {
  return allCapabilities.filter((_, i) => (mask >> BigInt(i)) & 1n);
}
