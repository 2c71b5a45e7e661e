/**
 * A root pod's IP on pod-init's bridge (NETWORKING.md §6.2–6.3): a lease from the IPAM held by the pod's uid,
 * the bridge `pod-init0` made on first use (its address the range's gateway, the range checked against the
 * host's routes; deleted with the last lease), a veth whose peer is the pod's `eth0` with the address and a default route via the bridge,
 * and `lo` up. The host side's name comes from the pod uid (`pi` + 10 hex digits), so a sweep can map links
 * to leases. No nftables, ports or egress here.
 * @module
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { PodOptionError } from '../errors';
import { checkPodCidr, readHostRoutes, routeClash } from './host-routes';
import { addressValue, formatAddress, formatCidr, parseCidr, rangeOf } from './cidr';
import { defaultIpv4Cidr, defaultIpv6Cidr, defaultLeaseDir, Ipam, type Lease } from './ipam';
import { RouteSocket } from './netlink';
import { dropLoopbackGuard } from './pod-ports';

/** The bridge's default name. */
export const defaultBridge = 'pod-init0';

/** Every IPv4 address, every IPv6 address: the sweep's view of a lease directory. */
const anyIpv4 = '0.0.0.0/0';
const anyIpv6 = '::/0';

/** {@link hostHasIpv6}'s answer, read once per process. */
let ipv6Known: boolean | undefined;

/**
 * Whether the host has IPv6: the kernel lists IPv6 addresses (/proc/net/if_inet6) and it is not disabled for
 * all links or for new ones (`net.ipv6.conf.{all,default}.disable_ipv6`). Read once per process (three files,
 * 0.15 ms a pod on a busy host): turning IPv6 off meanwhile is seen by the next pod-init.
 *
 * @example
 * hostHasIpv6(); // true here: lo has ::1
 */
export function hostHasIpv6(): boolean {
  if (ipv6Known !== undefined) return ipv6Known;
  const read = (file: string) => {
    try {
      return fs.readFileSync(file, 'utf8').trim();
    } catch {
      return undefined;
    }
  };
  ipv6Known =
    read('/proc/net/if_inet6') !== undefined &&
    read('/proc/sys/net/ipv6/conf/all/disable_ipv6') === '0' &&
    read('/proc/sys/net/ipv6/conf/default/disable_ipv6') === '0';
  return ipv6Known;
}

/** Options of {@link PodNetwork.reserve} and {@link sweepPodNetworks}. */
export interface PodNetworkOptions {
  /** The owners registry (owners.ts): whose pod-init still runs. */
  ownersDir: string;
  /**
   * The IPv6 range, a ULA /64 beside the IPv4 one; default {@link defaultIpv6Cidr} where the host has IPv6
   * ({@link hostHasIpv6}); `null`: IPv4 only.
   */
  cidr6?: string | null;
  /** The IPv4 range (`--pod-cidr`); default {@link defaultPodCidr}'s. */
  cidr?: string;
  /** The lease directory; default {@link defaultLeaseDir}. */
  leaseDir?: string;
  /** The bridge's name; default {@link defaultBridge}. */
  bridge?: string;
}

/**
 * The host side's name of a pod's veth: `pi` and 10 hex digits of the uid's SHA-256.
 *
 * @example
 * vethName('0b5f…'); // 'pi3fa2c81d0e'
 */
export function vethName(podUid: string): string {
  return `pi${createHash('sha256').update(podUid).digest('hex').slice(0, 10)}`;
}

function isErrno(error: unknown, code: string): boolean {
  return (error as { code?: unknown } | null)?.code === code;
}

/** Deletes a link; true when it was there. */
function deleteIfPresent(host: RouteSocket, name: string): boolean {
  try {
    host.deleteLink(name);
    return true;
  } catch (error) {
    if (isErrno(error, 'ENODEV')) return false;
    throw error;
  }
}

/**
 * Deletes the bridge unless a link is attached to it (a pod of another lease directory, say), and then its
 * loopback guard (pod-ports.ts) if it had one.
 */
function deleteIdleBridge(host: RouteSocket, bridge: string, leaseDir: string): void {
  const links = host.links();
  const index = links.find((link) => link.name === bridge)?.index;
  if (index !== undefined && links.some((link) => link.master === index)) return;
  if (index !== undefined) deleteIfPresent(host, bridge);
  dropLoopbackGuard(path.dirname(leaseDir));
}

/** The bridge's ifindex, or undefined when there is none. */
function bridgeIndex(host: RouteSocket, bridge: string): number | undefined {
  try {
    return host.index(bridge);
  } catch (error) {
    if (isErrno(error, 'ENODEV')) return undefined;
    throw error;
  }
}

/** The bridge as one GETLINK and one address dump see it: its ifindex (undefined: none) and its addresses. */
interface BridgeState {
  index: number | undefined;
  addresses: Array<{ address: string; prefix: number }>;
}

function bridgeState(host: RouteSocket, bridge: string): BridgeState {
  const index = bridgeIndex(host, bridge);
  return { index, addresses: index === undefined ? [] : host.addresses().filter((a) => a.index === index) };
}

/**
 * The range pods get when `--pod-cidr` is not given: the bridge's while it is there (pods of one host share
 * it), else {@link defaultIpv4Cidr} unless a host route overlaps it (podman's own bridge `podman0` has the
 * same default), then the first of 10.89.0.0/16 to 10.99.0.0/16 that no route overlaps. When all are taken
 * the default is returned and refused by the route check, which names the route.
 *
 * @example
 * defaultPodCidr(host, 'pod-init0'); // '10.88.0.0/16', or '10.89.0.0/16' beside podman
 */
export function defaultPodCidr(host: RouteSocket, bridge: string): string {
  return podCidrOf(bridgeState(host, bridge), bridge);
}

function podCidrOf(state: BridgeState, bridge: string): string {
  const own = state.addresses.find((a) => net.isIPv4(a.address));
  if (own !== undefined) return formatCidr(rangeOf(own.address, own.prefix));
  const routes = readHostRoutes();
  for (let second = 88; second <= 99; second++) {
    const candidate = `10.${second}.0.0/16`;
    if (routeClash(parseCidr(candidate, '--pod-cidr'), routes, bridge) === undefined) return candidate;
  }
  return defaultIpv4Cidr;
}

/**
 * The bridge's ifindex when it is there with the gateway `lease.gateway` (the fast path of every pod but the
 * first: no route check, nothing made), undefined when it is missing or has no address yet. A bridge that has
 * another range's address (made with another `--pod-cidr`) is refused, as CNI's bridge plugin refuses it.
 */
function readyBridge(state: BridgeState, bridge: string, lease: Lease, cidr: string): number | undefined {
  if (state.index === undefined) return undefined;
  const addresses = state.addresses.filter((a) => net.isIPv4(a.address));
  if (addresses.some((a) => a.address === lease.gateway)) return state.index;
  if (addresses.length > 0) {
    throw new PodOptionError(
      '--pod-cidr',
      `the range of the bridge ${bridge}, which has ${addresses.map((a) => `${a.address}/${a.prefix}`).join(', ')} (pods of another range are running)`,
      cidr,
    );
  }
  return undefined;
}

/**
 * Creates the bridge with the gateway address and sets it up (the range checked against the host's routes
 * first); returns its ifindex.
 */
function makeBridge(host: RouteSocket, bridge: string, lease: Lease, cidr: string): number {
  checkPodCidr(cidr, '--pod-cidr', readHostRoutes(), bridge);
  try {
    host.createBridge(bridge);
  } catch (error) {
    if (!isErrno(error, 'EEXIST')) throw error; // another pod-init made it just now
  }
  try {
    host.addAddress(bridge, `${lease.gateway}/${lease.prefix}`);
  } catch (error) {
    if (!isErrno(error, 'EEXIST')) throw error;
  }
  host.setLink(bridge, { up: true });
  return host.index(bridge);
}

/**
 * One pod's network: reserved (lease, bridge) before the sandbox exists, so /etc/hosts can carry the
 * address; attached to each pause the pod gets; released at its end.
 *
 * @example
 * const network = PodNetwork.reserve(pod.metadata.uid, { ownersDir });
 * writeHosts(network.address);
 * network.attach(sandbox.pid);
 * // ... the pod runs ...
 * network.release();
 */
export class PodNetwork {
  readonly lease: Lease;
  /** The IPv6 lease, where the host has IPv6. */
  lease6: Lease | undefined;
  #ipam6: Ipam | undefined;
  readonly veth: string;
  readonly bridge: string;
  readonly #ipam: Ipam;
  /** The bridge's ifindex (stable while the lease is held). */
  #bridgeIndex = 0;
  #released = false;

  private constructor(ipam: Ipam, lease: Lease, bridge: string) {
    this.#ipam = ipam;
    this.lease = lease;
    this.bridge = bridge;
    this.veth = vethName(lease.podUid);
  }

  /** The pod's IPv4 address. */
  get address(): string {
    return this.lease.address;
  }

  /** The pod's addresses: IPv4, then IPv6 where it has one (`status.podIPs`). */
  get addresses(): string[] {
    return this.lease6 === undefined ? [this.lease.address] : [this.lease.address, this.lease6.address];
  }

  /**
   * Leases an address for `podUid` and makes sure the bridge exists. The range is checked against the
   * host's routes first (a clash is a PodOptionError naming `--pod-cidr` and the route).
   */
  static reserve(podUid: string, options: PodNetworkOptions): PodNetwork {
    const bridge = options.bridge ?? defaultBridge;
    const host = RouteSocket.open();
    try {
      // One look at the bridge for every check below (each dump is a netlink round trip).
      const state = bridgeState(host, bridge);
      const cidr = options.cidr ?? podCidrOf(state, bridge);
      parseCidr(cidr, '--pod-cidr');
      const ipam = new Ipam({ dir: options.leaseDir ?? defaultLeaseDir, cidr, ownersDir: options.ownersDir });
      // The lease first: while it is held, no other pod-init deletes the bridge (that happens under the
      // IPAM's lock with the last lease).
      const lease = ipam.allocate(podUid);
      const network = new PodNetwork(ipam, lease, bridge);
      try {
        const ready = readyBridge(state, bridge, lease, cidr);
        network.#bridgeIndex = ready ?? makeBridge(host, bridge, lease, cidr);
        const cidr6 = options.cidr6 === undefined ? (hostHasIpv6() ? defaultIpv6Cidr : null) : options.cidr6;
        // A bridge just made has no IPv6 address yet: the state seen before says so.
        if (cidr6 !== null) network.#reserve6(host, cidr6, options, ready !== undefined ? state : undefined);
      } catch (error) {
        network.release();
        throw error;
      }
      return network;
    } finally {
      host.close();
    }
  }

  /**
   * The pod's IPv6 address and the bridge's IPv6 gateway (no DAD), added when missing after the range is
   * checked against the host's routes. In a range of /96 or wider (the default /64) the address is the IPv4
   * lease's address in its low 32 bits (10.88.0.5 -> fd70:6f64:696e::a58:5): unique because the IPv4 lease
   * is, so it needs no lease of its own (a lease file and a cursor written per pod: half of the IPAM's cost).
   * A narrower range is leased in the same directory (its own cursor). `seen`: the bridge's addresses as read
   * before (a ready bridge), else they are read again.
   */
  #reserve6(host: RouteSocket, cidr6: string, options: PodNetworkOptions, seen: BridgeState | undefined): void {
    const range = parseCidr(cidr6, 'cidr6');
    let lease: Lease;
    if (range.family === 6 && range.prefix <= 96) {
      lease = {
        address: formatAddress(6, range.network + addressValue(this.lease.address)),
        prefix: range.prefix,
        gateway: formatAddress(6, range.network + 1n),
        podUid: this.lease.podUid,
      };
    } else {
      const ipam = new Ipam({ dir: this.#ipam.dir, cidr: cidr6, ownersDir: options.ownersDir });
      lease = ipam.allocate(this.lease.podUid);
      this.#ipam6 = ipam;
    }
    this.lease6 = lease;
    const addresses = seen?.addresses ?? host.addresses().filter((a) => a.index === this.#bridgeIndex);
    const has = addresses.some((a) => a.address === lease.gateway);
    if (has) return;
    checkPodCidr(cidr6, 'cidr6', readHostRoutes(), this.bridge);
    try {
      host.addAddress(this.bridge, `${lease.gateway}/${lease.prefix}`);
    } catch (error) {
      if (!isErrno(error, 'EEXIST')) throw error;
    }
  }

  /**
   * Gives the pause `pausePid`'s network namespace its `eth0` on the bridge: the veth (a previous
   * sandbox's, if the kernel has not removed it yet, is deleted first), lo and eth0 up, the address, the
   * default route via the gateway.
   */
  attach(pausePid: number): void {
    const netns = fs.openSync(`/proc/${pausePid}/ns/net`, 'r');
    try {
      const host = RouteSocket.open();
      try {
        const veth = { name: this.veth, peer: 'eth0', peerNetnsFd: netns, master: this.#bridgeIndex, up: true };
        try {
          host.createVeth(veth);
        } catch (error) {
          if (!isErrno(error, 'EEXIST')) throw error;
          deleteIfPresent(host, this.veth); // the previous sandbox's, not yet removed by the kernel
          host.createVeth(veth);
        }
      } finally {
        host.close();
      }
      const pod = RouteSocket.open(netns);
      try {
        const leases = this.lease6 === undefined ? [this.lease] : [this.lease, this.lease6];
        pod.configurePod(
          'eth0',
          leases.map((l) => `${l.address}/${l.prefix}`),
          leases.map((l) => l.gateway),
        );
      } finally {
        pod.close();
      }
    } finally {
      fs.closeSync(netns);
    }
  }

  /**
   * Deletes the veth (gone already when its namespace went) and frees the lease; the bridge goes with the
   * last lease when no link is attached to it, so `ip link` is as it was before the first pod. Idempotent.
   */
  release(): void {
    if (this.#released) return;
    this.#released = true;
    const host = RouteSocket.open();
    try {
      try {
        deleteIfPresent(host, this.veth);
      } finally {
        // IPv6 first: the bridge goes with the last IPv4 lease, and every pod has one.
        if (this.lease6 !== undefined) this.#ipam6?.release(this.lease6.address, this.lease6.podUid); // a leased one
        this.#ipam.release(this.lease.address, this.lease.podUid, () =>
          deleteIdleBridge(host, this.bridge, this.#ipam.dir),
        );
      }
    } finally {
      host.close();
    }
  }
}

/**
 * The start-up sweep: the leases of pods whose pod-init is gone (owners registry) are freed and their veths
 * deleted, and any `pi…` veth on the bridge without a lease goes too (a lease is taken before its veth is
 * made and freed after it is deleted, so a live pod's veth always has one). `say` gets one line per pod.
 *
 * @example
 * sweepPodNetworks({ ownersDir }, (m) => emit('SweptLeftovers', m));
 */
export function sweepPodNetworks(options: PodNetworkOptions, say: (message: string) => void): void {
  const dir = options.leaseDir ?? defaultLeaseDir;
  if (!fs.existsSync(dir)) return;
  const bridge = options.bridge ?? defaultBridge;
  // Every lease of the directory, whatever range it was taken from.
  const ipam = new Ipam({ dir, cidr: anyIpv4, ownersDir: options.ownersDir });
  const host = RouteSocket.open();
  try {
    // Links before leases: a veth listed here had its lease before it was made.
    const links = host.links();
    const leased = new Set<string>();
    // IPv6 leases first, named in their pod's line (a pod's IPv4 lease goes last).
    const ipam6 = new Ipam({ dir, cidr: anyIpv6, ownersDir: options.ownersDir });
    const freed6 = new Map<string, string>();
    for (const lease of ipam6.leases())
      if (ipam6.isGone(lease) && ipam6.release(lease.address, lease.podUid)) freed6.set(lease.podUid, lease.address);
    for (const lease of ipam.leases()) {
      const veth = vethName(lease.podUid);
      if (!ipam.isGone(lease)) {
        leased.add(veth);
        continue;
      }
      const deleted = deleteIfPresent(host, veth);
      leased.add(veth);
      const address6 = freed6.get(lease.podUid);
      freed6.delete(lease.podUid);
      if (ipam.release(lease.address, lease.podUid))
        say(
          `Removed the network of pod ${lease.podUid} (address ${lease.address}${address6 !== undefined ? ` and ${address6}` : ''}${deleted ? `, veth ${veth}` : ''}), left behind by a pod-init that is gone`,
        );
    }
    for (const [podUid, address6] of freed6)
      say(`Removed the IPv6 address ${address6} of pod ${podUid}, left behind by a pod-init that is gone`);
    const bridgeIndex = links.find((link) => link.name === bridge)?.index;
    if (bridgeIndex === undefined) {
      if (dropLoopbackGuard(path.dirname(dir))) say(`Removed the nft table of bridge ${bridge}, which is gone`);
      return;
    }
    for (const link of links) {
      if (link.master !== bridgeIndex || !/^pi[0-9a-f]{10}$/.test(link.name) || leased.has(link.name)) continue;
      if (deleteIfPresent(host, link.name)) say(`Removed veth ${link.name}, whose pod has no address lease`);
    }
  } finally {
    host.close();
  }
}
