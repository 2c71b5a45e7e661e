/**
 * Forwarding for `--egress` (NETWORKING.md §6.2: the only host-wide settings pod-init makes, each said in a
 * notice and left on, since pod-init cannot tell whether something else needs it): `net.ipv4.ip_forward`, and
 * for a pod with an IPv6 address `net.ipv6.conf.all.forwarding`. The latter also makes every link with
 * `accept_ra=1` stop accepting router advertisements, so a link whose routes came from them (RTF_ADDRCONF in
 * /proc/net/ipv6_route) first gets `accept_ra=2` (accept them while forwarding), and the notice names it.
 * @module
 */
import fs from 'node:fs';
import { linkSysctl, setLinkSysctl } from './sysctl';

/** RTF_ADDRCONF: a route learned from a router advertisement (linux/ipv6_route.h). */
const RTF_ADDRCONF = 0x40000;

/**
 * The links with a route learned from a router advertisement, from /proc/net/ipv6_route's text (flags are
 * field 9, the device field 10).
 *
 * @example
 * raLinks(fs.readFileSync('/proc/net/ipv6_route', 'utf8')); // ['eth0'] on a SLAAC host, [] here
 */
export function raLinks(ipv6Route: string): string[] {
  const links = new Set<string>();
  for (const line of ipv6Route.split('\n')) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < 10) continue;
    if ((parseInt(fields[8]!, 16) & RTF_ADDRCONF) !== 0) links.add(fields[9]!);
  }
  return [...links];
}

function read(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/**
 * Turns on forwarding for a pod's egress (IPv4, and IPv6 with `ipv6`) where it is off; returns the notices.
 *
 * @example
 * for (const notice of enableForwarding(true)) say('Normal', 'PortsPublished', notice);
 */
export function enableForwarding(ipv6: boolean): string[] {
  const notices: string[] = [];
  const forward = '/proc/sys/net/ipv4/ip_forward';
  if (fs.readFileSync(forward, 'utf8').trim() !== '1') {
    fs.writeFileSync(forward, '1');
    notices.push(
      'Turned on net.ipv4.ip_forward (host-wide, for --egress); it stays on: pod-init cannot tell whether something else needs it',
    );
  }
  const forward6 = '/proc/sys/net/ipv6/conf/all/forwarding';
  if (!ipv6 || read(forward6)?.trim() !== '0') return notices;
  const kept: string[] = [];
  for (const link of raLinks(read('/proc/net/ipv6_route') ?? '')) {
    if (link === 'lo' || linkSysctl('ipv6', link, 'accept_ra') !== '1') continue;
    setLinkSysctl('ipv6', link, 'accept_ra', '2');
    kept.push(link);
  }
  fs.writeFileSync(forward6, '1');
  notices.push(
    'Turned on net.ipv6.conf.all.forwarding (host-wide, for --egress over IPv6); it stays on' +
      (kept.length > 0
        ? `; accept_ra=2 on ${kept.join(', ')} so that router advertisements are still accepted there`
        : ''),
  );
  return notices;
}
