/**
 * pod-init's nftables rules (NETWORKING.md §6.4), through the `nft` binary (Debian `nftables`): each pod
 * that publishes ports or asks for egress gets a table of its own, `inet pod_init_<10 hex of its uid>` (both
 * families: IPv4, and IPv6 where the pod has an address), made in one `nft -f -` transaction and dropped with one `delete table`: no rule handles to look up, no chain
 * shared with another pod or another tool. The bridge's CVE-2020-8558 guard is the table `ip pod_init`,
 * made when the bridge gets `route_localnet` and dropped with the bridge.
 *
 * How: nft's own language, run in this process by libnftables (native/nftables.cc loads
 * `libnftables.so.1`, which Debian's `nftables` package brings, with dlopen: no build dependency): ~0.3 ms a
 * table here, against 10–100 ms for an `nft -f -` exec (most of it loading nft's libraries, more on a busy
 * host). Hand-rolled nftables netlink (expressions, transactions) would be much code for no gain over that.
 * Without the library the `nft` binary runs instead, asynchronously, while the sandbox is made.
 * @module
 */
import { execFile, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import { native } from '../native';
import { anyHostIP, type PortMapping } from './port-mappings';

/** The guard table's name. */
export const guardTable = 'pod_init';

/**
 * The name of a pod's table: `pod_init_` and 10 hex digits of the uid's SHA-256 (as its veth's).
 *
 * @example
 * podTableName('0b5f…'); // 'pod_init_3fa2c81d0e'
 */
export function podTableName(podUid: string): string {
  return `pod_init_${createHash('sha256').update(podUid).digest('hex').slice(0, 10)}`;
}

/** What a pod's table says. */
export interface PodTableOptions {
  podUid: string;
  /** The pod's IPv4 address. */
  address: string;
  /** The pod's IPv6 address, if it has one: wildcard mappings are published on IPv6 too, IPv6 ones only then. */
  address6?: string;
  /** The bridge (`pod-init0`). */
  bridge: string;
  mappings: readonly PortMapping[];
  /** Masquerade the pod's traffic that leaves by another interface (`--egress`). */
  egress: boolean;
}

const checkName = (name: string): string => {
  if (!/^[A-Za-z0-9_.-]{1,15}$/.test(name)) throw new Error(`not an interface name: ${name}`);
  return name;
};
const checkIPv4 = (address: string): string => {
  if (!/^\d{1,3}(\.\d{1,3}){3}$/.test(address)) throw new Error(`not an IPv4 address: ${address}`);
  return address;
};
const checkIPv6 = (address: string): string => {
  if (!/^[0-9A-Fa-f:]+$/.test(address) || !net.isIPv6(address)) throw new Error(`not an IPv6 address: ${address}`);
  return address;
};

/** The family of a pod's table (an older pod-init made `ip` tables: the sweep's claims say which). */
export type PodTableFamily = 'inet' | 'ip';

/**
 * The DNAT rules of the mappings (prerouting and output carry the same): IPv4 to the pod's IPv4 address; with
 * an IPv6 address, wildcard and IPv6 mappings to it too. `[::1]` is left out of the IPv6 wildcard: the kernel
 * drops packets from ::1 that leave the loopback device, so a DNAT of it would hang the connection; left to
 * the held socket (bound, never listening), it is refused at once.
 */
function dnatRules(options: PodTableOptions): string[] {
  const rules: string[] = [];
  const v4 = checkIPv4(options.address);
  const v6 = options.address6 === undefined ? undefined : checkIPv6(options.address6);
  for (const m of options.mappings) {
    const port = `${m.protocol} dport ${m.hostPort}`;
    if (m.hostIP === anyHostIP) {
      rules.push(`meta nfproto ipv4 fib daddr type local ${port} dnat ip to ${v4}:${m.podPort}`);
      if (v6 !== undefined)
        rules.push(`meta nfproto ipv6 ip6 daddr != ::1 fib daddr type local ${port} dnat ip6 to [${v6}]:${m.podPort}`);
    } else if (net.isIPv6(m.hostIP)) {
      if (v6 === undefined) throw new Error(`an IPv6 host address (${m.hostIP}) for a pod without an IPv6 address`);
      rules.push(`ip6 daddr ${checkIPv6(m.hostIP)} ${port} dnat ip6 to [${v6}]:${m.podPort}`);
    } else rules.push(`ip daddr ${checkIPv4(m.hostIP)} ${port} dnat ip to ${v4}:${m.podPort}`);
  }
  return rules;
}

/**
 * The `nft -f` script that creates a pod's table (family `inet`: one table for both families) in one transaction (its name comes from a uid new for every
 * run, so it is never there before; replacing a table in the same transaction, `table {}; delete table`, made
 * it 10× slower here: 8.8 ms against 0.7): DNAT of its host ports in prerouting
 * (from elsewhere) and output (from the host itself: 127.0.0.1 and the host's addresses); masquerade of
 * 127.0.0.0/8 sources towards the pod (the pod answers to the bridge's address, `route_localnet` lets
 * such packets leave), of hairpin traffic (a pod reaching its own published port), and with `egress` of
 * the pod's traffic leaving by another interface (IPv6 likewise where it has an IPv6 address, but for
 * loopback sources: ::1 cannot leave the host's loopback at all).
 *
 * @example
 * podTableScript({ podUid, address: '10.88.0.2', bridge: 'pod-init0', mappings, egress: false });
 */
export function podTableScript(options: PodTableOptions): string {
  const table = podTableName(options.podUid);
  const bridge = checkName(options.bridge);
  const address = checkIPv4(options.address);
  const address6 = options.address6 === undefined ? undefined : checkIPv6(options.address6);
  const dnat = dnatRules(options);
  const post = [
    `oifname "${bridge}" ip daddr ${address} ip saddr 127.0.0.0/8 masquerade`,
    `oifname "${bridge}" ip daddr ${address} iifname "${bridge}" ct status dnat masquerade`,
  ];
  if (address6 !== undefined)
    post.push(`oifname "${bridge}" ip6 daddr ${address6} iifname "${bridge}" ct status dnat masquerade`);
  if (options.egress) {
    post.push(`ip saddr ${address} oifname != "${bridge}" masquerade`);
    if (address6 !== undefined) post.push(`ip6 saddr ${address6} oifname != "${bridge}" masquerade`);
  }
  const chain = (name: string, type: string, hook: string, priority: number, rules: string[]) =>
    [
      `  chain ${name} {`,
      `    type ${type} hook ${hook} priority ${priority}; policy accept;`,
      ...rules.map((r) => `    ${r}`),
      '  }',
    ].join('\n');
  return [
    `table inet ${table} {`,
    `  comment "pod-init pod ${options.podUid.replace(/[^A-Za-z0-9._-]/g, '')}"`,
    ...(dnat.length > 0
      ? [chain('prerouting', 'nat', 'prerouting', -100, dnat), chain('output', 'nat', 'output', -100, dnat)]
      : []),
    chain('postrouting', 'nat', 'postrouting', 100, post),
    '}',
    '',
  ].join('\n');
}

/**
 * The guard that keeps the bridge's `route_localnet` from opening the host's loopback services to pods
 * (CVE-2020-8558): packets from the bridge to 127.0.0.0/8 are dropped before routing. Replies to the
 * host's 127.0.0.1 connections still carry the bridge's address there (they are de-NATed later).
 *
 * @example
 * await applyNft(guardTableScript('pod-init0'));
 */
export function guardTableScript(bridge: string): string {
  const name = checkName(bridge);
  return [
    `table ip ${guardTable} {}`,
    `delete table ip ${guardTable}`,
    `table ip ${guardTable} {`,
    `  comment "pod-init: no packets from ${name} to the host's loopback"`,
    '  chain guard {',
    '    type filter hook prerouting priority -300; policy accept;',
    `    iifname "${name}" ip daddr 127.0.0.0/8 counter drop`,
    '  }',
    '}',
    '',
  ].join('\n');
}

/** The nft binary: Debian's /usr/sbin/nft, else whatever PATH finds. */
function nftBinary(): string {
  for (const candidate of ['/usr/sbin/nft', '/sbin/nft', '/usr/bin/nft'])
    if (fs.existsSync(candidate)) return candidate;
  return 'nft';
}

/** How scripts run: libnftables in this process when it loads (the default), or the `nft` binary. */
export type NftRunner = 'library' | 'binary';

/** `nft` is missing or refused a script. */
export class NftError extends Error {}

function nftFailure(error: unknown, stderr: string, what: string): NftError {
  if ((error as { code?: unknown }).code === 'ENOENT')
    return new NftError(`${what}: the nft command is not installed (Debian package nftables)`);
  return new NftError(`${what}: nft said: ${stderr.trim() || (error as Error).message}`);
}

/**
 * Runs an `nft -f -` script (one transaction: all of it or nothing) without blocking the event loop: through
 * libnftables on a libuv pool thread, else with the `nft` binary.
 *
 * @example
 * await applyNft(podTableScript(options));
 */
export function applyNft(script: string, via: NftRunner = 'library'): Promise<void> {
  if (via === 'library' && native.nftAvailable())
    return native.nftRunAsync(script).catch((error: unknown) => {
      throw new NftError(`nftables: nft said: ${(error as Error).message.trim()}`);
    });
  return new Promise((resolve, reject) => {
    const child = execFile(nftBinary(), ['-f', '-'], { timeout: 30_000 }, (error, _stdout, stderr) => {
      if (error) reject(nftFailure(error, String(stderr), 'nftables'));
      else resolve();
    });
    child.stdin?.end(script);
  });
}

/**
 * Deletes table `FAMILY NAME` (`inet` by default, a pod's; `ip` for the guard and an older pod-init's tables);
 * false when there was none.
 *
 * @example
 * deleteNftTable(podTableName(uid));
 */
export function deleteNftTable(name: string, via: NftRunner = 'library', family: PodTableFamily = 'inet'): boolean {
  if (!/^[A-Za-z0-9_]+$/.test(name)) throw new Error(`not a table name: ${name}`);
  if (via === 'library' && native.nftAvailable()) {
    try {
      native.nftRun(`delete table ${family} ${name}\n`);
      return true;
    } catch (error) {
      const message = (error as Error).message;
      if (/No such file or directory/.test(message)) return false;
      throw new NftError(`deleting table ${family} ${name}: nft said: ${message.trim()}`);
    }
  }
  try {
    execFileSync(nftBinary(), ['delete', 'table', family, name], { stdio: ['ignore', 'ignore', 'pipe'] });
    return true;
  } catch (error) {
    const stderr = String((error as { stderr?: unknown }).stderr ?? '');
    if (/No such file or directory/.test(stderr)) return false;
    throw nftFailure(error, stderr, `deleting table ${family} ${name}`);
  }
}
