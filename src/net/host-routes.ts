/**
 * The host's routes from /proc/net/route and /proc/net/ipv6_route, and the check that pod-init's range
 * clashes with none of them (a clash would make the host send that traffic to the bridge, or the pods'
 * traffic to the host's network). Parsing is pure; {@link readHostRoutes} reads the two files.
 * @module
 */
import fs from 'node:fs';
import { PodOptionError } from '../errors';
import { type Cidr, formatCidr, overlaps, parseCidr } from './cidr';

/** One route: its destination range and its interface. */
export interface HostRoute {
  destination: Cidr;
  device: string;
}

/**
 * /proc/net/route: hex fields in the host's byte order (little-endian here), a header line first.
 *
 * @example
 * parseIpv4Routes('Iface\tDestination\t...\neth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n');
 * // [{ device: 'eth0', destination: 192.0.2.0/24 }]
 */
export function parseIpv4Routes(text: string, littleEndian = true): HostRoute[] {
  const routes: HostRoute[] = [];
  for (const line of text.split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < 8) continue;
    const value = (hex: string) => {
      const buffer = Buffer.from(hex.padStart(8, '0'), 'hex');
      return BigInt(littleEndian ? buffer.readUInt32LE() : buffer.readUInt32BE());
    };
    const network = value(fields[1]!);
    const maskBits = value(fields[7]!).toString(2).replace(/0+$/, '');
    const prefix = network === 0n && maskBits === '' ? 0 : maskBits.length;
    routes.push({ device: fields[0]!, destination: { family: 4, network, prefix } });
  }
  return routes;
}

/**
 * /proc/net/ipv6_route: destination (32 hex digits), its prefix length (hex), ..., the device last.
 *
 * @example
 * parseIpv6Routes('fd000000000000000000000000000000 40 ... eth0\n'); // [{ device: 'eth0', destination: fd00::/64 }]
 */
export function parseIpv6Routes(text: string): HostRoute[] {
  const routes: HostRoute[] = [];
  for (const line of text.split('\n')) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < 10 || !/^[0-9a-f]{32}$/i.test(fields[0]!)) continue;
    routes.push({
      device: fields[fields.length - 1]!,
      destination: { family: 6, network: BigInt(`0x${fields[0]}`), prefix: parseInt(fields[1]!, 16) },
    });
  }
  return routes;
}

/** The host's IPv4 and IPv6 routes (no IPv6 routes when the kernel has no IPv6). */
export function readHostRoutes(): HostRoute[] {
  const read = (file: string) => {
    try {
      return fs.readFileSync(file, 'utf8');
    } catch {
      return '';
    }
  };
  const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
  return [...parseIpv4Routes(read('/proc/net/route'), littleEndian), ...parseIpv6Routes(read('/proc/net/ipv6_route'))];
}

/**
 * The first route that overlaps `cidr`, described (`192.0.2.0/24 dev eth0`), or undefined. Default routes
 * (prefix 0) overlap everything and are ignored, as are routes of `ownDevice` (pod-init's bridge, whose own
 * route is the range itself) and loopback's.
 *
 * @example
 * routeClash(parseCidr('10.88.0.0/16', '--cidr'), readHostRoutes(), 'pod-init0'); // undefined when free
 */
export function routeClash(cidr: Cidr, routes: readonly HostRoute[], ownDevice?: string): string | undefined {
  const clash = routes.find(
    (route) =>
      route.destination.prefix > 0 &&
      route.device !== ownDevice &&
      route.device !== 'lo' &&
      overlaps(cidr, route.destination),
  );
  return clash === undefined ? undefined : `${formatCidr(clash.destination)} dev ${clash.device}`;
}

/**
 * Parses a range given by the user and refuses one that clashes with a host route, naming the route and the
 * option to change (`option` is the field path or flag, e.g. `--cidr`).
 *
 * @example
 * checkPodCidr('10.88.0.0/16', '--cidr', readHostRoutes(), 'pod-init0');
 * // PodOptionError: --cidr must be a range no host route overlaps (10.88.0.0/24 dev eth1 does), received '10.88.0.0/16'
 */
export function checkPodCidr(text: string, option: string, routes: readonly HostRoute[], ownDevice?: string): Cidr {
  const cidr = parseCidr(text, option);
  const clash = routeClash(cidr, routes, ownDevice);
  if (clash !== undefined) {
    throw new PodOptionError(option, `a range no host route overlaps (${clash} does; choose another)`, text);
  }
  return cidr;
}
