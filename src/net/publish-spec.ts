/**
 * Published ports: `pod-init run --publish [HOSTIP:]HOSTPORT:PODPORT[/udp]` and the manifest's `hostPort`s as
 * the kubelet gathers them (regular containers only; `hostPort: 0` dropped; TCP by default; `hostIP` empty or
 * absent = every address of both families, as `0.0.0.0` and `::` are; an IPv6 `hostIP` is that address alone;
 * `::1` refused (nothing can DNAT it); duplicates dropped). Pure: parsing and collecting, shared by every way a pod
 * publishes (the rootless helpers here; the root bridge's nftables on the `ports` branch parse the same syntax).
 * @module
 */
import net from 'node:net';
import { PodOptionError } from '../errors';

/** One host port sent to a pod port. */
export interface PortMapping {
  protocol: 'tcp' | 'udp';
  /**
   * The host address bound: `0.0.0.0` for every address (IPv4, and IPv6 where the pod has an IPv6 address),
   * else one IPv4 or IPv6 address (canonical form, e.g. `fd00::2`).
   */
  hostIP: string;
  hostPort: number;
  podPort: number;
}

/** The wildcard host address: every address, of both families where the pod has IPv6. */
export const anyHostIP = '0.0.0.0';

const publishSyntax =
  '[HOSTIP:]HOSTPORT:PODPORT[/tcp|/udp] with ports 1-65535 and an IPv4 or [IPv6] HOSTIP (e.g. 127.0.0.1:8080:80, [fd00::2]:8080:80)';

/** Why `::1` cannot be a host address of a published port. */
export const ipv6LoopbackRefusal =
  'not ::1: the kernel drops packets from ::1 that leave the loopback device (IPv6 has no route_localnet), so a ' +
  'DNAT of [::1] to a pod never connects; publish on 127.0.0.1, on every address (no hostIP) or on an IPv6 address of the host';

/** An IPv6 address in its canonical form (`fd00:0::2` → `fd00::2`). */
function canonicalIPv6(address: string): string {
  return new URL(`http://[${address}]/`).hostname.slice(1, -1);
}

/**
 * A host address as a mapping holds it: absent, empty, `0.0.0.0` and `::` are {@link anyHostIP}; an IPv4
 * address stays; an IPv6 address in canonical form; undefined for anything else or for an address that cannot
 * be published (`::1`, IPv4-mapped), which the caller refuses naming its field.
 */
function hostAddress(value: string | undefined): string | undefined {
  if (value === undefined || value === '') return anyHostIP;
  if (net.isIPv4(value)) return value;
  if (!net.isIPv6(value)) return undefined;
  const canonical = canonicalIPv6(value);
  if (canonical === '::') return anyHostIP;
  if (canonical === '::1' || canonical.startsWith('::ffff:')) return undefined;
  return canonical;
}

/** Whether a mapping's host address is one IPv6 address. */
export function isIPv6Mapping(m: Pick<PortMapping, 'hostIP'>): boolean {
  return net.isIPv6(m.hostIP);
}

const isPort = (n: number): boolean => Number.isInteger(n) && n >= 1 && n <= 65535;

/**
 * Parses one `--publish` value. Throws a PodOptionError naming `--publish`, the value and the syntax.
 *
 * @example
 * parsePublish('127.0.0.1:8080:80'); // { protocol: 'tcp', hostIP: '127.0.0.1', hostPort: 8080, podPort: 80 }
 * parsePublish('5353:53/udp');       // { protocol: 'udp', hostIP: '0.0.0.0', hostPort: 5353, podPort: 53 }
 * parsePublish('[fd00::2]:8080:80'); // IPv6 only: { protocol: 'tcp', hostIP: 'fd00::2', ... }
 */
export function parsePublish(value: string): PortMapping {
  const match = /^(?:(\[[0-9A-Fa-f:.]+\]|[0-9.]+):)?(\d{1,5}):(\d{1,5})(?:\/(tcp|udp))?$/i.exec(value);
  if (match === null) throw new PodOptionError('--publish', publishSyntax, value);
  const given = match[1]?.replace(/^\[(.*)\]$/, '$1');
  if (given !== undefined && (given === '::1' || (net.isIPv6(given) && canonicalIPv6(given) === '::1')))
    throw new PodOptionError('--publish', `a host address ${ipv6LoopbackRefusal}`, value);
  const hostIP = hostAddress(given);
  const hostPort = Number(match[2]);
  const podPort = Number(match[3]);
  const bracketed = match[1]?.startsWith('[') === true;
  if (
    hostIP === undefined ||
    bracketed !== (given !== undefined && net.isIPv6(given)) ||
    !isPort(hostPort) ||
    !isPort(podPort)
  )
    throw new PodOptionError('--publish', publishSyntax, value);
  return { protocol: match[4]?.toLowerCase() === 'udp' ? 'udp' : 'tcp', hostIP, hostPort, podPort };
}

/** The part of a container port read here. */
interface ContainerPortLike {
  containerPort: number;
  hostPort?: number;
  hostIP?: string;
  protocol?: string;
}

/** The part of a pod spec read here. */
export interface PublishingPodSpec {
  hostNetwork?: boolean;
  containers: ReadonlyArray<{ ports?: readonly ContainerPortLike[] }>;
}

/**
 * The pod's published ports: its regular containers' `hostPort`s, then `extra` (`--publish`), each host
 * side (protocol, address, port) once. A hostNetwork pod publishes nothing (its ports are the host's). SCTP
 * and the host address `::1` are refused with a PodOptionError naming the field.
 *
 * @example
 * podPortMappings(pod.spec, [parsePublish('8081:81')]);
 */
export function podPortMappings(spec: PublishingPodSpec, extra: readonly PortMapping[] = []): PortMapping[] {
  if (spec.hostNetwork === true) return [];
  const out: PortMapping[] = [];
  const seen = new Set<string>();
  const add = (m: PortMapping): void => {
    const key = hostSide(m);
    if (seen.has(key)) return;
    seen.add(key);
    out.push(m);
  };
  spec.containers.forEach((container, ci) =>
    (container.ports ?? []).forEach((port, pi) => {
      if ((port.hostPort ?? 0) === 0) return;
      const field = `spec.containers[${ci}].ports[${pi}]`;
      const protocol = (port.protocol ?? 'TCP').toUpperCase();
      if (protocol !== 'TCP' && protocol !== 'UDP')
        throw new PodOptionError(
          `${field}.protocol`,
          'TCP or UDP for a hostPort (SCTP is not published)',
          port.protocol,
        );
      const hostIP = hostAddress(port.hostIP);
      if (hostIP === undefined)
        throw new PodOptionError(
          `${field}.hostIP`,
          port.hostIP !== undefined && net.isIPv6(port.hostIP) && canonicalIPv6(port.hostIP) === '::1'
            ? ipv6LoopbackRefusal
            : 'an IPv4 or IPv6 address of the host (not IPv4-mapped), or empty for every address',
          port.hostIP,
        );
      add({
        protocol: protocol === 'UDP' ? 'udp' : 'tcp',
        hostIP,
        hostPort: port.hostPort!,
        podPort: port.containerPort,
      });
    }),
  );
  for (const m of extra) add(m);
  return out;
}

/**
 * The host side of a mapping, as messages show it.
 *
 * @example
 * hostSide(parsePublish('8080:80')); // '0.0.0.0:8080/tcp'
 * hostSide(parsePublish('[fd00::2]:8080:80')); // '[fd00::2]:8080/tcp'
 */
export function hostSide(m: PortMapping): string {
  return `${net.isIPv6(m.hostIP) ? `[${m.hostIP}]` : m.hostIP}:${m.hostPort}/${m.protocol}`;
}
