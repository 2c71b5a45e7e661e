/**
 * Per-interface sysctls: a write under /proc/sys/net/{ipv4,ipv6}/conf/<link>/ of the caller's network
 * namespace (no global sysctl is ever set here).
 * @module
 */
import fs from 'node:fs';
import { PodOptionError } from '../errors';

/**
 * Sets `net.<family>.conf.<link>.<key>`, e.g. `route_localnet` on the bridge.
 *
 * @example
 * setLinkSysctl('ipv4', 'pod-init0', 'route_localnet', '1');
 */
export function setLinkSysctl(family: 'ipv4' | 'ipv6', link: string, key: string, value: string): void {
  fs.writeFileSync(sysctlPath(family, link, key), value);
}

/** Reads `net.<family>.conf.<link>.<key>`. */
export function linkSysctl(family: 'ipv4' | 'ipv6', link: string, key: string): string {
  return fs.readFileSync(sysctlPath(family, link, key), 'utf8').trim();
}

function sysctlPath(family: 'ipv4' | 'ipv6', link: string, key: string): string {
  if (family !== 'ipv4' && family !== 'ipv6') throw new PodOptionError('family', "'ipv4' or 'ipv6'", family);
  if (!/^[^/\s]{1,15}$/.test(link) || link === '.' || link === '..') {
    throw new PodOptionError('link', 'an interface name', link);
  }
  if (!/^[a-z0-9_]+$/.test(key)) throw new PodOptionError('key', 'a sysctl name like route_localnet', key);
  return `/proc/sys/net/${family}/conf/${link}/${key}`;
}
