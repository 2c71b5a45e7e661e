/**
 * Published ports: `pod-init run --publish [HOSTIP:]HOSTPORT:PODPORT[/udp]` and the manifest's `hostPort`s as
 * the kubelet gathers them (regular containers only; `hostPort: 0` dropped; TCP by default; `hostIP` empty or
 * absent = every address; duplicates dropped). Pure: parsing and collecting, shared by every way a pod
 * publishes (the rootless helpers here; the root bridge's nftables on the `ports` branch parse the same syntax).
 * @module
 */
import net from 'node:net';
import { PodOptionError } from '../errors';

/** One host port sent to a pod port. */
export interface PortMapping {
  protocol: 'tcp' | 'udp';
  /** The host address bound; `0.0.0.0` for every address. */
  hostIP: string;
  hostPort: number;
  podPort: number;
}

/** The wildcard host address. */
export const anyHostIP = '0.0.0.0';

const publishSyntax =
  '[HOSTIP:]HOSTPORT:PODPORT[/tcp|/udp] with ports 1-65535 and an IPv4 HOSTIP (e.g. 127.0.0.1:8080:80)';

const isPort = (n: number): boolean => Number.isInteger(n) && n >= 1 && n <= 65535;

/**
 * Parses one `--publish` value. Throws a PodOptionError naming `--publish`, the value and the syntax.
 *
 * @example
 * parsePublish('127.0.0.1:8080:80'); // { protocol: 'tcp', hostIP: '127.0.0.1', hostPort: 8080, podPort: 80 }
 * parsePublish('5353:53/udp');       // { protocol: 'udp', hostIP: '0.0.0.0', hostPort: 5353, podPort: 53 }
 */
export function parsePublish(value: string): PortMapping {
  const match = /^(?:([0-9.]+):)?(\d{1,5}):(\d{1,5})(?:\/(tcp|udp))?$/i.exec(value);
  if (match === null) throw new PodOptionError('--publish', publishSyntax, value);
  const hostIP = match[1] ?? anyHostIP;
  const hostPort = Number(match[2]);
  const podPort = Number(match[3]);
  if (!net.isIPv4(hostIP) || !isPort(hostPort) || !isPort(podPort))
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
 * and IPv6 host addresses are refused with a PodOptionError naming the field.
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
      const hostIP = port.hostIP === undefined || port.hostIP === '' ? anyHostIP : port.hostIP;
      if (!net.isIPv4(hostIP))
        throw new PodOptionError(`${field}.hostIP`, 'an IPv4 address (pods have no IPv6 address yet)', port.hostIP);
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
 */
export function hostSide(m: PortMapping): string {
  return `${m.hostIP}:${m.hostPort}/${m.protocol}`;
}
