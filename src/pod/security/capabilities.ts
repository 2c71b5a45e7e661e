/**
 * A container's capabilities, as containerd's CRI plugin computes them (SECURITY.md §2.1): its default
 * 14 (`oci.DefaultCapabilities`, moby's list too), then `capabilities.add`/`drop` in containerd's order
 * (`WithCapabilities`): `add: [ALL]` first, `drop: [ALL]` next, then the single adds, then the single drops
 * (which also leave the inheritable set). Bounding = permitted = effective; inheritable and ambient empty
 * (`WithoutAmbientCaps`, and CVE-2022-24769's lesson). `privileged: true` gets every capability.
 *
 * A non-root container ends up with no effective capabilities anyway: the kernel clears them at
 * `execve` after the uid change (no ambient, no file caps), as under containerd (kubernetes#56374).
 * "All" (`add: [ALL]`, privileged) means every capability the runtime itself has (containerd's
 * `cap.Current()`), not every one the kernel knows: asking for one outside pod-init's own bounding set
 * is EPERM (this host's root lacks CAP_SYS_RESOURCE, say).
 * @module
 */
import fs from 'node:fs';
import {
  allCapabilities,
  capabilitiesOf,
  type Capability,
  capabilityNumbers,
  type CapabilitySets,
} from '../../security/capabilities';

/** containerd's default set (`oci.DefaultCapabilities`): CapEff/CapBnd 00000000a80425fb. */
export const defaultCapabilities: readonly Capability[] = [
  'CAP_CHOWN',
  'CAP_DAC_OVERRIDE',
  'CAP_FSETID',
  'CAP_FOWNER',
  'CAP_MKNOD',
  'CAP_NET_RAW',
  'CAP_SETGID',
  'CAP_SETUID',
  'CAP_SETFCAP',
  'CAP_SETPCAP',
  'CAP_NET_BIND_SERVICE',
  'CAP_SYS_CHROOT',
  'CAP_KILL',
  'CAP_AUDIT_WRITE',
];

/** A container's `securityContext.capabilities`: names without `CAP_`, or `ALL`. */
export interface CapabilityChanges {
  add?: readonly string[];
  drop?: readonly string[];
}

const known = new Set<string>(allCapabilities);

/**
 * The capability a manifest name stands for (containerd upper-cases it and adds `CAP_`), or undefined
 * for a name this kernel does not have (`CAP_`-prefixed names included: containerd would make them
 * `CAP_CAP_…`). `ALL` is not a capability: callers handle it first.
 *
 * @example
 * capabilityFromName('net_admin'); // 'CAP_NET_ADMIN'
 * capabilityFromName('CAP_NET_ADMIN'); // undefined
 */
export function capabilityFromName(name: string): Capability | undefined {
  const full = `CAP_${name.toUpperCase()}`;
  return known.has(full) ? (full as Capability) : undefined;
}

/**
 * Why a name in `capabilities.add`/`drop` is refused, or undefined when it is fine. Kubernetes does not
 * check the names; crun refuses an unknown one ("unknown cap"), runc ignores it with a warning — which
 * would silently keep a capability a `drop` meant to remove. pod-init refuses it when the pod is validated.
 *
 * @example
 * unknownCapabilityMessage('CAP_NET_RAW'); // 'unknown capability: the name is without the CAP_ prefix: "NET_RAW"'
 */
export function unknownCapabilityMessage(name: string): string | undefined {
  if (name.toUpperCase() === 'ALL' || capabilityFromName(name) !== undefined) return undefined;
  const bare = name.replace(/^cap_/i, '');
  if (bare !== name && capabilityFromName(bare) !== undefined)
    return `unknown capability: the name is without the CAP_ prefix: ${JSON.stringify(bare.toUpperCase())}`;
  return `unknown capability: not a capability of this kernel (${allCapabilities
    .map((c) => c.slice(4))
    .join(', ')}, or ALL)`;
}

/**
 * The capability sets of a container (see the module's description). Names must have passed
 * {@link unknownCapabilityMessage}; unknown ones left are ignored here.
 *
 * @example
 * containerCapabilities({ drop: ['ALL'], add: ['NET_BIND_SERVICE'] }, false).effective; // ['CAP_NET_BIND_SERVICE']
 * containerCapabilities(undefined, true).bounding.length; // 41: privileged, on a kernel with 41 and a root that has them
 */
export function containerCapabilities(
  changes: CapabilityChanges | undefined,
  privileged: boolean,
  available: readonly Capability[] = allCapabilities,
): CapabilitySets {
  let set = new Set<Capability>(privileged ? available : defaultCapabilities);
  // Privileged: containerd's WithPrivileged comes after WithCapabilities, so it wins whatever was asked.
  if (!privileged && changes !== undefined) {
    const isAll = (name: string) => name.toUpperCase() === 'ALL';
    const add = changes.add ?? [];
    const drop = changes.drop ?? [];
    if (add.some(isAll)) set = new Set(available);
    if (drop.some(isAll)) set = new Set();
    for (const name of add) {
      const cap = isAll(name) ? undefined : capabilityFromName(name);
      if (cap !== undefined) set.add(cap);
    }
    for (const name of drop) {
      const cap = isAll(name) ? undefined : capabilityFromName(name);
      if (cap !== undefined) set.delete(cap);
    }
  }
  const ordered = allCapabilities.filter((c) => set.has(c));
  return { bounding: [...ordered], permitted: [...ordered], effective: [...ordered], inheritable: [], ambient: [] };
}

/**
 * The capabilities of a `CapEff:` (or other) line of a /proc/<pid>/status text.
 *
 * @example
 * statusCapabilities('CapEff:\t00000000a80425fb\n', 'CapEff').length; // 14
 */
export function statusCapabilities(status: string, field: 'CapEff' | 'CapPrm' | 'CapBnd'): Capability[] {
  const hex = new RegExp(`^${field}:\\s*([0-9a-f]+)$`, 'm').exec(status)?.[1];
  return hex === undefined ? [] : capabilitiesOf(BigInt(`0x${hex}`));
}

/**
 * The effective capabilities of this process: what "all" gives a container (containerd `cap.Current()`).
 *
 * @example
 * runtimeCapabilities().includes('CAP_SYS_ADMIN'); // true as root
 */
export function runtimeCapabilities(): Capability[] {
  return statusCapabilities(fs.readFileSync('/proc/self/status', 'utf8'), 'CapEff');
}

/**
 * The /proc/<pid>/status hex mask of a set (`CapEff:` and friends), for tests and messages.
 *
 * @example
 * statusMask(containerCapabilities(undefined, false).effective); // '00000000a80425fb'
 */
export function statusMask(caps: readonly Capability[]): string {
  let mask = 0n;
  for (const cap of caps) mask |= 1n << BigInt(capabilityNumbers[cap]);
  return mask.toString(16).padStart(16, '0');
}
