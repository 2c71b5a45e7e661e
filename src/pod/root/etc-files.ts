/**
 * The pod's /etc/hosts (the kubelet's), /etc/hostname (the runtime's) and /etc/resolv.conf (the kubelet's
 * DNS policy, dns.ts), written once into its state directory and bound into every container.
 * @module
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Say } from '../events';
import { onlyLoopbackNameservers, parseResolvConf, podDNS, type ResolvConf, resolvConfText } from '../dns';
import type { Bind } from '../rootfs';
import type { PodSpecObject } from '../types';
import { hostsFile } from '../volumes';

/**
 * Writes the pod's three files under `stateDir`; returns their binds.
 *
 * @example
 * const binds = writeEtcFiles(pod, { stateDir, hostname: 'web', podIP: '127.0.0.1', say });
 */
export function writeEtcFiles(
  pod: PodSpecObject,
  o: { stateDir: string; hostname: string; podIP: string | readonly string[]; resolvConf?: string; say: Say },
): Bind[] {
  const spec = pod.spec;
  const m = pod.metadata;
  const binds: Bind[] = [];
  const fqdn = spec.subdomain ? `${o.hostname}.${spec.subdomain}.${m.namespace}.svc.cluster.local` : undefined;
  const hosts = path.join(o.stateDir, 'etc-hosts');
  const hostHosts = spec.hostNetwork ? fs.readFileSync('/etc/hosts', 'utf8') : undefined;
  fs.writeFileSync(hosts, hostsFile(o.podIP, o.hostname, fqdn, hostHosts), { mode: 0o644 });
  binds.push({ source: hosts, target: '/etc/hosts' });
  const hostname = path.join(o.stateDir, 'hostname');
  fs.writeFileSync(hostname, `${o.hostname}\n`, { mode: 0o644 });
  binds.push({ source: hostname, target: '/etc/hostname' });
  const resolv = path.join(o.stateDir, 'resolv.conf');
  const { conf, warnings } = podDNS(spec, dnsBase(spec.hostNetwork === true, o.resolvConf));
  for (const warning of warnings) o.say('Warning', warning.reason, warning.message);
  fs.writeFileSync(resolv, resolvConfText(conf), { mode: 0o644 });
  binds.push({ source: resolv, target: '/etc/resolv.conf' });
  return binds;
}

/**
 * The host's resolv.conf as the DNS base. A pod with its own network cannot reach a loopback resolver
 * (systemd-resolved's 127.0.0.53): then systemd-resolved's list of real servers, as kubeadm does.
 */
function dnsBase(hostNetwork: boolean, file = '/etc/resolv.conf'): ResolvConf {
  const read = (f: string) => {
    try {
      return parseResolvConf(fs.readFileSync(f, 'utf8'));
    } catch {
      return undefined;
    }
  };
  const base = read(file) ?? parseResolvConf('');
  if (hostNetwork || !onlyLoopbackNameservers(base)) return base;
  return read('/run/systemd/resolve/resolv.conf') ?? base;
}
