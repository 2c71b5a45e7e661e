/**
 * Pod sysctls as the kubelet admits them (SECURITY.md §3.2, K4 `safe_sysctls.go`, `namespace.go`,
 * `allowlist.go`): the safe set (entries whose kernel is too old dropped), plus the namespaced unsafe
 * ones the node allows (`--allowed-unsafe-sysctls`, `*` suffix globs); anything else rejects the pod
 * at admission (phase Failed, reason `SysctlForbidden`). Names with `/` separators are normalized
 * (`net/ipv4/conf/eth0.100/rp_filter` ≡ `net.ipv4.conf.eth0/100.rp_filter`).
 *
 * The output is `write` steps on /proc/sys paths, for the pod sandbox's setup (the pause's own fresh
 * /proc inside the pod's namespaces) — never the host's /proc/sys.
 * @module
 */
import type { MountStep } from '../../process/spawn';

/** The admission failure's reason, as the kubelet's. */
export const sysctlForbiddenReason = 'SysctlForbidden';

type Namespace = 'ipc' | 'net';

/** The kubelet's safe sysctls and the kernel each needs (`[major, minor]`; none: any). */
const safeSysctls: ReadonlyArray<readonly [string, (readonly [number, number])?]> = [
  ['kernel.shm_rmid_forced'],
  ['net.ipv4.ip_local_port_range'],
  ['net.ipv4.tcp_syncookies'],
  ['net.ipv4.ping_group_range'],
  ['net.ipv4.ip_unprivileged_port_start'],
  ['net.ipv4.ip_local_reserved_ports', [3, 16]],
  ['net.ipv4.tcp_keepalive_time', [4, 5]],
  ['net.ipv4.tcp_fin_timeout', [4, 6]],
  ['net.ipv4.tcp_keepalive_intvl', [4, 5]],
  ['net.ipv4.tcp_keepalive_probes', [4, 5]],
  ['net.ipv4.tcp_rmem', [4, 15]],
  ['net.ipv4.tcp_wmem', [4, 15]],
];

/**
 * The namespace a sysctl belongs to (K4 `NamespacedBy`), undefined when it is not namespaced.
 *
 * @example
 * sysctlNamespace('kernel.msgmax'); // 'ipc'
 * sysctlNamespace('kernel.hostname'); // undefined
 */
export function sysctlNamespace(name: string): Namespace | undefined {
  if (name === 'kernel.sem') return 'ipc';
  if (['kernel.shm', 'kernel.msg', 'fs.mqueue.'].some((p) => name.startsWith(p))) return 'ipc';
  if (name.startsWith('net.')) return 'net';
  return undefined;
}

/**
 * A sysctl name with `.` separators (K4 `NormalizeName`): when its first separator is `/`, `/` and `.`
 * swap.
 *
 * @example
 * normalizeSysctlName('net/ipv4/conf/eth0.100/rp_filter'); // 'net.ipv4.conf.eth0/100.rp_filter'
 */
export function normalizeSysctlName(name: string): string {
  const first = name.search(/[./]/);
  if (first === -1 || name[first] === '.') return name;
  return name.replace(/[./]/g, (c) => (c === '.' ? '/' : '.'));
}

/**
 * The /proc/sys file of a (normalized) sysctl.
 *
 * @example
 * sysctlPath('net.ipv4.conf.eth0/100.rp_filter'); // '/proc/sys/net/ipv4/conf/eth0.100/rp_filter'
 */
export function sysctlPath(name: string): string {
  return `/proc/sys/${name.replace(/[./]/g, (c) => (c === '.' ? '/' : '.'))}`;
}

/** `6.18.0-1-amd64` → [6, 18]; undefined when unreadable. */
function kernelVersion(release: string): [number, number] | undefined {
  const m = /^(\d+)\.(\d+)/.exec(release);
  return m ? [Number(m[1]), Number(m[2])] : undefined;
}

/**
 * The safe sysctls of a kernel release (`os.release()`): those whose kernel is too old are dropped, as
 * the kubelet's `SafeSysctlAllowlist` does (an unreadable version keeps only the ungated ones).
 *
 * @example
 * safeSysctlNames('4.4.0').includes('net.ipv4.tcp_keepalive_time'); // false
 */
export function safeSysctlNames(release: string): string[] {
  const version = kernelVersion(release);
  return safeSysctls
    .filter(([, needs]) => {
      if (needs === undefined) return true;
      if (version === undefined) return false;
      return version[0] > needs[0] || (version[0] === needs[0] && version[1] >= needs[1]);
    })
    .map(([name]) => name);
}

/** A node's sysctl allowlist: exact names and `prefix*` patterns, each with its namespace. */
export interface SysctlAllowlist {
  names: ReadonlyMap<string, Namespace>;
  prefixes: ReadonlyMap<string, Namespace>;
}

/** An `--allowed-unsafe-sysctls` entry that cannot be allowed (the kubelet refuses to start with it). */
export class SysctlOptionError extends Error {}

/**
 * The allowlist of a node: the safe set for `release` and the allowed unsafe patterns. Throws
 * {@link SysctlOptionError} for a pattern that is not namespaced, in the kubelet's words.
 *
 * @example
 * sysctlAllowlist(['kernel.msg*', 'net.core.somaxconn'], '6.18.0');
 */
export function sysctlAllowlist(allowedUnsafe: readonly string[], release: string): SysctlAllowlist {
  const names = new Map<string, Namespace>();
  const prefixes = new Map<string, Namespace>();
  for (const name of safeSysctlNames(release)) names.set(name, sysctlNamespace(name)!);
  for (const raw of allowedUnsafe) {
    const pattern = normalizeSysctlName(raw.trim());
    if (pattern === '') continue;
    const prefix = pattern.endsWith('*') ? pattern.slice(0, -1) : undefined;
    const ns = sysctlNamespace(prefix ?? pattern);
    if (ns === undefined)
      throw new SysctlOptionError(
        prefix === undefined
          ? `the sysctl ${JSON.stringify(pattern)} are not known to be namespaced`
          : `the sysctls ${JSON.stringify(pattern)} are not known to be namespaced`,
      );
    if (prefix === undefined) names.set(pattern, ns);
    else prefixes.set(prefix, ns);
  }
  return { names, prefixes };
}

/**
 * Parses `--allowed-unsafe-sysctls` (a comma list).
 *
 * @example
 * parseAllowedUnsafeSysctls('kernel.msg*, net.core.somaxconn'); // ['kernel.msg*', 'net.core.somaxconn']
 */
export function parseAllowedUnsafeSysctls(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** The pod fields the admission reads. */
export interface SysctlPod {
  hostNetwork?: boolean;
  hostIPC?: boolean;
  sysctls?: ReadonlyArray<{ name: string; value: string }>;
}

/** Admitted: the write steps; rejected: the kubelet's reason and message. */
export type SysctlAdmission =
  { admitted: true; steps: MountStep[] } | { admitted: false; reason: typeof sysctlForbiddenReason; message: string };

function check(name: string, list: SysctlAllowlist, pod: SysctlPod): string | undefined {
  let ns = list.names.get(name);
  if (ns === undefined)
    for (const [prefix, n] of list.prefixes)
      if (name.startsWith(prefix)) {
        ns = n;
        break;
      }
  if (ns === undefined) return `${JSON.stringify(name)} not allowlisted`;
  if (ns === 'ipc' && pod.hostIPC === true) return `${JSON.stringify(name)} not allowed with host ipc enabled`;
  if (ns === 'net' && pod.hostNetwork === true) return `${JSON.stringify(name)} not allowed with host net enabled`;
  return undefined;
}

/**
 * The kubelet's sysctl admission of a pod: the write steps of its sysctls, or the rejection (the first
 * forbidden one, as the kubelet reports it).
 *
 * @example
 * admitSysctls({ sysctls: [{ name: 'net.ipv4.ip_unprivileged_port_start', value: '80' }] }, sysctlAllowlist([], '6.18.0'));
 * // { admitted: true, steps: [{ type: 'write', target: '/proc/sys/net/ipv4/ip_unprivileged_port_start', data: '80' }] }
 * admitSysctls({ sysctls: [{ name: 'kernel.msgmax', value: '1' }] }, sysctlAllowlist([], '6.18.0'));
 * // { admitted: false, reason: 'SysctlForbidden', message: 'forbidden sysctl: "kernel.msgmax" not allowlisted' }
 */
export function admitSysctls(pod: SysctlPod, list: SysctlAllowlist): SysctlAdmission {
  const steps: MountStep[] = [];
  for (const sysctl of pod.sysctls ?? []) {
    const name = normalizeSysctlName(sysctl.name);
    const why = check(name, list, pod);
    if (why !== undefined)
      return { admitted: false, reason: sysctlForbiddenReason, message: `forbidden sysctl: ${why}` };
    steps.push({ type: 'write', target: sysctlPath(name), data: sysctl.value });
  }
  return { admitted: true, steps };
}
