/**
 * A pod's /etc/resolv.conf, as the kubelet forms it (pkg/kubelet/network/dns/dns.go `GetPodDNS`;
 * NETWORKING.md §5 "DNS"): the host's resolv.conf as the base, the pod's `dnsPolicy`, its `dnsConfig`
 * appended, the resolver's limits, written in the CRI runtimes' format. Pure: the caller reads the host's
 * file and reports the warnings as events.
 * @module
 */
import type { PodDNSConfig } from '../manifest/types';

/** What a resolv.conf says: nameservers, search domains, options (`name` or `name:value`). */
export interface ResolvConf {
  nameservers: string[];
  searches: string[];
  options: string[];
}

/** A warning event of the kubelet's while forming the file (`MissingClusterDNS`, `DNSConfigForming`). */
export interface DNSWarning {
  reason: 'MissingClusterDNS' | 'DNSConfigForming';
  message: string;
}

/** What {@link podDNS} needs of the pod. */
export interface PodDNSInput {
  dnsPolicy?: string;
  dnsConfig?: PodDNSConfig;
  hostNetwork?: boolean;
}

const maxNameservers = 3; // glibc's MAXNS
const maxSearches = 32;
const maxSearchLineChars = 2048;
const maxDomainLength = 253; // a DNS-1123 subdomain

/**
 * Parses a resolv.conf as the kubelet does: `nameserver` lines accumulate, the last `search` line wins
 * (trailing dots trimmed, `.` dropped), so does the last `options` line; comments start with `#` or `;`.
 *
 * @example
 * parseResolvConf('nameserver 10.0.0.2\nsearch example.com.\noptions ndots:2\n');
 * // { nameservers: ['10.0.0.2'], searches: ['example.com'], options: ['ndots:2'] }
 */
export function parseResolvConf(text: string): ResolvConf {
  const out: ResolvConf = { nameservers: [], searches: [], options: [] };
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || line.startsWith(';')) continue;
    const fields = line.trim().split(/\s+/).filter(Boolean);
    if (fields[0] === 'nameserver' && fields[1] !== undefined) out.nameservers.push(fields[1]);
    else if (fields[0] === 'search')
      out.searches = fields
        .slice(1)
        .filter((s) => s !== '.')
        .map(trimDot);
    else if (fields[0] === 'options') out.options = fields.slice(1);
  }
  return out;
}

function trimDot(domain: string): string {
  return domain.endsWith('.') ? domain.slice(0, -1) : domain;
}

function unique(list: string[]): string[] {
  return [...new Set(list)];
}

/** Options merged by name, the pod's value winning; the base's order kept, new names appended. */
function mergeOptions(base: string[], pod: PodDNSConfig['options']): string[] {
  const merged = new Map<string, string>();
  const name = (option: string) => option.split(':')[0]!;
  for (const option of base) merged.set(name(option), option);
  for (const option of pod ?? []) {
    if (!option.name) continue;
    merged.set(
      option.name,
      option.value !== undefined && option.value !== '' ? `${option.name}:${option.value}` : option.name,
    );
  }
  return [...merged.values()];
}

/** The search list cut to the resolver's limits (the kubelet's `formDNSSearchFitsLimits`). */
function fitSearches(searches: string[], warnings: DNSWarning[]): string[] {
  let cut = false;
  let list = searches;
  if (list.length > maxSearches) {
    list = list.slice(0, maxSearches);
    cut = true;
  }
  const fitting = list.filter((domain) => domain.length <= maxDomainLength);
  if (fitting.length !== list.length) cut = true;
  list = fitting;
  while (list.length > 0 && list.join(' ').length > maxSearchLineChars) {
    list = list.slice(0, -1);
    cut = true;
  }
  if (cut)
    warnings.push({
      reason: 'DNSConfigForming',
      message: `Search Line limits were exceeded, some search paths have been omitted, the applied search line is: ${list.join(' ')}`,
    });
  return list;
}

/**
 * The pod's resolv.conf and the kubelet's warnings. pod-init runs no cluster DNS, so `ClusterFirst` and
 * `ClusterFirstWithHostNet` fall back to `Default` with the kubelet's `MissingClusterDNS` warning
 * (a `ClusterFirst` pod on the host network is `Default` without one, as in the kubelet).
 *
 * @example
 * const { conf, warnings } = podDNS({ dnsPolicy: 'None', dnsConfig: { nameservers: ['1.1.1.1'] } }, hostConf);
 * resolvConfText(conf); // 'nameserver 1.1.1.1\n'
 */
export function podDNS(pod: PodDNSInput, host: ResolvConf): { conf: ResolvConf; warnings: DNSWarning[] } {
  const warnings: DNSWarning[] = [];
  const policy = pod.dnsPolicy ?? 'ClusterFirst';
  let base: ResolvConf;
  if (policy === 'None') base = { nameservers: [], searches: [], options: [] };
  else {
    const clusterRules = policy === 'ClusterFirstWithHostNet' || (policy === 'ClusterFirst' && !pod.hostNetwork);
    if (clusterRules)
      warnings.push({
        reason: 'MissingClusterDNS',
        message: `pod-init has no cluster DNS (no ClusterDNS IP configured) and cannot create Pod using "${policy}" policy. Falling back to "Default" policy.`,
      });
    base = { nameservers: [...host.nameservers], searches: [...host.searches], options: [...host.options] };
  }
  const config = pod.dnsConfig;
  let nameservers = unique([...base.nameservers, ...(config?.nameservers ?? [])]);
  if (nameservers.length > maxNameservers) {
    nameservers = nameservers.slice(0, maxNameservers);
    warnings.push({
      reason: 'DNSConfigForming',
      message: `Nameserver limits were exceeded, some nameservers have been omitted, the applied nameserver line is: ${nameservers.join(' ')}`,
    });
  }
  const searches = fitSearches(unique([...base.searches, ...(config?.searches ?? [])]), warnings);
  return { conf: { nameservers, searches, options: mergeOptions(base.options, config?.options) }, warnings };
}

/**
 * The file's text in the CRI runtimes' format (containerd, CRI-O): `search`, one `nameserver` per server,
 * `options`.
 *
 * @example
 * resolvConfText({ nameservers: ['10.0.0.2'], searches: ['a.b'], options: ['ndots:2'] });
 * // 'search a.b\nnameserver 10.0.0.2\noptions ndots:2\n'
 */
export function resolvConfText(conf: ResolvConf): string {
  const lines: string[] = [];
  if (conf.searches.length > 0) lines.push(`search ${conf.searches.join(' ')}`);
  for (const server of conf.nameservers) lines.push(`nameserver ${server}`);
  if (conf.options.length > 0) lines.push(`options ${conf.options.join(' ')}`);
  return lines.map((line) => `${line}\n`).join('');
}

/** Whether every nameserver is a loopback address (systemd-resolved's 127.0.0.53, a local dnsmasq). */
export function onlyLoopbackNameservers(conf: ResolvConf): boolean {
  return conf.nameservers.length > 0 && conf.nameservers.every((s) => s.startsWith('127.') || s === '::1');
}
