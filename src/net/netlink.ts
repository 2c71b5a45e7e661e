/**
 * Typed rtnetlink (native/netlink.cc): bridges, veth pairs into a pod's network namespace, link state,
 * addresses and default routes, without running `ip`. A {@link RouteSocket} acts in the network namespace
 * it was opened in, whichever thread uses it, so a pod's side is configured through a socket opened there.
 * Kernel refusals are {@link PodSystemError}s whose `syscall` names the netlink operation
 * (`netlink RTM_NEWLINK (veth)`), whose `path` names the link or address, with a hint.
 * @module
 */
import { PodOptionError } from '../errors';
import { native, type NativeAddress, type NativeLink } from '../native';

/** A link as the kernel lists it. */
export type Link = NativeLink;
/** An address as the kernel lists it, with its link's index. */
export type InterfaceAddress = NativeAddress;

/** IFNAMSIZ - 1: the longest interface name the kernel takes. */
const maxNameLength = 15;

function checkName(option: string, name: string): void {
  if (typeof name !== 'string' || name.length === 0 || name.length > maxNameLength || /[/\s:]/.test(name)) {
    throw new PodOptionError(
      option,
      `an interface name of 1 to ${maxNameLength} characters without '/', ':' or spaces`,
      name,
    );
  }
}

function checkMtu(option: string, mtu: number | undefined): void {
  if (mtu !== undefined && (!Number.isInteger(mtu) || mtu < 68 || mtu > 65535)) {
    throw new PodOptionError(option, 'an integer MTU from 68 to 65535', mtu);
  }
}

/** `10.88.0.2/16` or `fd00::2/64` split into address and prefix length (checked). */
export function parseInterfaceAddress(option: string, cidr: string): { address: string; prefix: number } {
  const match = /^([0-9a-fA-F.:]+)\/(\d{1,3})$/.exec(cidr);
  const max = cidr.includes(':') ? 128 : 32;
  if (match === null || Number(match[2]) > max) {
    throw new PodOptionError(option, `an address with a prefix length (e.g. 10.88.0.2/16 or fd00::2/64)`, cidr);
  }
  return { address: match[1]!, prefix: Number(match[2]) };
}

/** What {@link RouteSocket.setLink} changes; absent fields stay as they are. */
export interface LinkChange {
  up?: boolean;
  /** The bridge to attach to; `null` detaches. */
  master?: string | null;
  mtu?: number;
}

/** Options of {@link RouteSocket.createVeth}. */
export interface VethOptions {
  /** The host-side name. */
  name: string;
  /** The peer's name, given to it in `peerNetnsFd`'s namespace (e.g. `eth0`). */
  peer: string;
  /** An open `/proc/PID/ns/net` (or a pidfd): the peer is created there. */
  peerNetnsFd: number;
  /** The bridge the host side is attached to (its name or ifindex), in the same request. */
  master?: string | number;
  /** Both ends' MTU (the uplink's, usually). */
  mtu?: number;
  /** Set the host side up in the same request. */
  up?: boolean;
}

/**
 * A NETLINK_ROUTE socket of one network namespace. Close it when done.
 *
 * @example
 * const host = RouteSocket.open();
 * host.createBridge('pod-init0');
 * host.addAddress('pod-init0', '10.88.0.1/16');
 * host.setLink('pod-init0', { up: true });
 * host.createVeth({ name: 'pi1234', peer: 'eth0', peerNetnsFd: podNetns, master: 'pod-init0', up: true });
 * const pod = RouteSocket.open(podNetns);
 * pod.setLink('lo', { up: true });
 * pod.setLink('eth0', { up: true });
 * pod.addAddress('eth0', '10.88.0.2/16');
 * pod.addDefaultRoute('10.88.0.1', 'eth0');
 * pod.close();
 * host.close();
 */
export class RouteSocket {
  #fd: number;

  private constructor(fd: number) {
    this.#fd = fd;
  }

  /**
   * A socket of Node's own network namespace, or of the one `netnsFd` names (made by Node's thread
   * after setns() there, which goes straight back; no other thread moves). Entering another namespace needs CAP_SYS_ADMIN there.
   */
  static open(netnsFd?: number): RouteSocket {
    return new RouteSocket(native.netlinkOpen(netnsFd ?? -1));
  }

  get #open(): number {
    if (this.#fd < 0) throw new Error('RouteSocket is closed');
    return this.#fd;
  }

  /** The ifindex of a link (ENODEV when there is none). */
  index(name: string): number {
    checkName('name', name);
    return native.netlinkLinkIndex(this.#open, name);
  }

  /** Creates a bridge, STP off (ports forward at once), down; EEXIST when the name is taken. */
  createBridge(name: string, options: { mac?: Buffer; mtu?: number } = {}): void {
    checkName('name', name);
    checkMtu('options.mtu', options.mtu);
    if (options.mac !== undefined && options.mac.length !== 6) {
      throw new PodOptionError('options.mac', 'a 6-byte Buffer', options.mac);
    }
    native.netlinkCreateBridge(this.#open, name, options.mac, options.mtu ?? 0);
  }

  /** Creates a veth pair in one request: the host side here, the peer in another namespace under its own name. */
  createVeth(options: VethOptions): void {
    checkName('options.name', options.name);
    checkName('options.peer', options.peer);
    checkMtu('options.mtu', options.mtu);
    if (!Number.isInteger(options.peerNetnsFd) || options.peerNetnsFd < 0) {
      throw new PodOptionError('options.peerNetnsFd', 'an open file descriptor', options.peerNetnsFd);
    }
    const hostSide = {
      ...(options.up !== undefined && { up: options.up }),
      ...(options.mtu !== undefined && { mtu: options.mtu }),
      ...(options.master !== undefined && {
        master: typeof options.master === 'number' ? options.master : this.index(options.master),
      }),
    };
    native.netlinkCreateVeth(this.#open, options.name, options.peer, options.peerNetnsFd, hostSide);
  }

  /** Sets a link up or down, attaches it to a bridge (or detaches it), changes its MTU. */
  setLink(name: string, change: LinkChange): void {
    checkName('name', name);
    checkMtu('change.mtu', change.mtu);
    native.netlinkChangeLink(this.#open, name, {
      ...(change.up !== undefined && { up: change.up }),
      ...(change.mtu !== undefined && { mtu: change.mtu }),
      ...(change.master !== undefined && { master: change.master === null ? 0 : this.index(change.master) }),
    });
  }

  /** Adds `10.88.0.2/16` or `fd00::2/64` to a link (IPv6 without duplicate address detection). */
  addAddress(name: string, cidr: string): void {
    const { address, prefix } = parseInterfaceAddress('cidr', cidr);
    native.netlinkAddAddress(this.#open, this.index(name), address, prefix);
  }

  /** Adds the default route (IPv4 or IPv6, after the gateway's family) via `gateway`, out of `device` if given. */
  addDefaultRoute(gateway: string, device?: string): void {
    native.netlinkAddDefaultRoute(this.#open, gateway, device === undefined ? 0 : this.index(device));
  }

  /** Deletes a link (a veth takes its peer with it); ENODEV when there is none. */
  deleteLink(name: string): void {
    checkName('name', name);
    native.netlinkDeleteLink(this.#open, name);
  }

  /** Every link of the namespace, with its index, bridge (`master`), state, MTU and kind. */
  links(): Link[] {
    return native.netlinkListLinks(this.#open);
  }

  /** Every address of the namespace (IPv4 and IPv6) with its link's index. */
  addresses(): InterfaceAddress[] {
    return native.netlinkListAddresses(this.#open);
  }

  /**
   * A pod's side in one batch of requests (one round trip after the link's lookup): `lo` and `name` up,
   * each of `addresses` on `name` (IPv6 without DAD), a default route via each of `gateways` out of it.
   *
   * @example
   * pod.configurePod('eth0', ['10.88.0.2/16', 'fd70:6f64:696e::2/64'], ['10.88.0.1', 'fd70:6f64:696e::1']);
   */
  configurePod(name: string, addresses: readonly string[], gateways: readonly string[]): void {
    checkName('name', name);
    const pairs = addresses.map((cidr): [string, number] => {
      const { address, prefix } = parseInterfaceAddress('addresses', cidr);
      return [address, prefix];
    });
    for (const gateway of gateways) {
      if (!/^[0-9a-fA-F.:]+$/.test(gateway)) throw new PodOptionError('gateways', 'IP addresses', gateway);
    }
    native.netlinkConfigurePod(this.#open, name, pairs, [...gateways]);
  }

  /** Closes the socket (idempotent). */
  close(): void {
    if (this.#fd >= 0) native.close(this.#fd);
    this.#fd = -1;
  }
}
