/**
 * A root pod's published ports and egress on the bridge (NETWORKING.md §6.4, §6.7): its host ports held
 * from the start ({@link PodPorts.hold}, before anything of the pod is made), its claim recorded against
 * the other pods of this host (NodePorts), its nftables table made while the sandbox is, and all of it
 * undone at its end in the order rules, ports, claim. {@link sweepPodPorts} undoes what a pod-init killed
 * with -9 left: its table and its claim (the kernel closed its sockets).
 * @module
 */
import fs from 'node:fs';
import path from 'node:path';
import { PodOptionError } from '../errors';
import { enableForwarding } from './forwarding';
import { holdHostPorts, type HeldPorts } from './host-ports';
import { applyNft, deleteNftTable, guardTable, guardTableScript, podTableName, podTableScript } from './nft';
import { PortClaims, type PortConflict } from './port-claims';
import { anyHostIP, formatMapping, type PortMapping } from './port-mappings';
import { isIPv6Mapping } from './publish-spec';
import { linkSysctl, setLinkSysctl } from './sysctl';

/** Options of {@link PodPorts.hold}. */
export interface PodPortsOptions {
  podUid: string;
  namespace: string;
  name: string;
  mappings: readonly PortMapping[];
  /** Masquerade the pod's outbound traffic (`--egress`). */
  egress: boolean;
  /**
   * The pod gets an IPv6 address: wildcard host ports are held (and published) on `::` too, and an IPv6
   * `hostIP` can be published (without it, one is a PodOptionError).
   */
  ipv6?: boolean;
  /** The owners registry (whose pod-init still runs). */
  ownersDir: string;
  /** pod-init's network state directory (`/run/pod-init/net`: `ports/` and the guard's marker live there). */
  netDir: string;
  /** The bridge (`pod-init0`). */
  bridge: string;
}

/**
 * The kubelet's admission message for a host port another pod holds (scheduler plugin NodePorts), with
 * which port and which pod.
 *
 * @example
 * nodePortsMessage(conflict); // "Predicate NodePorts failed: node(s) didn't have free ports ... (0.0.0.0:8080/tcp -> 80 is published by pod default/web)"
 */
export function nodePortsMessage(conflict: PortConflict): string {
  const holder = `${conflict.holder.namespace}/${conflict.holder.name}`;
  return (
    "Predicate NodePorts failed: node(s) didn't have free ports for the requested pod ports " +
    `(${formatMapping(conflict.mine)}: ${formatMapping(conflict.theirs)} is published by pod ${holder})`
  );
}

/**
 * One pod's ports and egress.
 *
 * @example
 * const ports = PodPorts.hold({ podUid, namespace, name, mappings, egress: false, ownersDir, netDir, bridge });
 * if (ports.conflict) reject('NodePorts', nodePortsMessage(ports.conflict));
 * const conflict = ports.claim(); // under the lock, against a pod that started meanwhile
 * await ports.apply('10.88.0.2');
 * // ... the pod runs ...
 * ports.release();
 */
export class PodPorts {
  readonly options: PodPortsOptions;
  /** A live pod of this host publishes one of the ports: nothing is held (NodePorts). */
  readonly conflict: PortConflict | undefined;
  readonly #claims: PortClaims;
  #held: HeldPorts | undefined;
  #claimed = false;
  #table = false;
  #released = false;

  private constructor(options: PodPortsOptions, claims: PortClaims, conflict: PortConflict | undefined) {
    this.options = options;
    this.#claims = claims;
    this.conflict = conflict;
  }

  /**
   * Checks the other pods' claims, then binds every host port (a port a host process holds is a
   * HostPortInUseError naming it and the process). Nothing is recorded yet.
   */
  static hold(options: PodPortsOptions): PodPorts {
    const claims = new PortClaims(path.join(options.netDir, 'ports'), options.ownersDir);
    const conflict = claims.conflict(options.podUid, options.mappings);
    const ipv6Only = options.mappings.find(isIPv6Mapping);
    if (ipv6Only !== undefined && options.ipv6 !== true)
      throw new PodOptionError(
        'hostIP',
        'an IPv4 address or none: the pod has no IPv6 address (the host has no IPv6, or podCidr6 is null)',
        ipv6Only.hostIP,
      );
    const ports = new PodPorts(options, claims, conflict);
    if (conflict === undefined) ports.#held = holdHostPorts(options.mappings, options.ipv6 === true);
    return ports;
  }

  /** Records the claim (before any rule exists), unless a pod that started meanwhile took a port. */
  claim(): PortConflict | undefined {
    const o = this.options;
    const conflict = this.#claims.claim({
      podUid: o.podUid,
      namespace: o.namespace,
      name: o.name,
      mappings: [...o.mappings],
      table: true,
      family: 'inet',
    });
    this.#claimed = conflict === undefined;
    return conflict;
  }

  /**
   * Makes the pod's table for its `address` (and `address6`, its IPv6 address if it has one), and the bridge's
   * loopback guard with `route_localnet` the first time a pod publishes. Resolves with notices to show
   * (forwarding turned on for egress, each port published).
   */
  async apply(address: string, address6?: string): Promise<string[]> {
    const o = this.options;
    const notices: string[] = [];
    // One turn of the event loop first: called just before the sandbox is made, the rules (synchronous
    // with libnftables) are then written while the pause starts, not before.
    await new Promise((resolve) => setImmediate(resolve));
    if (o.mappings.length > 0) await ensureLoopbackGuard(o.netDir, o.bridge);
    this.#table = true;
    await applyNft(
      podTableScript({
        podUid: o.podUid,
        address,
        ...(address6 !== undefined ? { address6 } : {}),
        bridge: o.bridge,
        mappings: o.mappings,
        egress: o.egress,
      }),
    );
    if (o.egress) notices.push(...enableForwarding(address6 !== undefined));
    for (const m of o.mappings) {
      const to = isIPv6Mapping(m)
        ? address6
        : m.hostIP === anyHostIP && address6 !== undefined
          ? `${address} and ${address6}`
          : address;
      notices.push(`Published ${formatMapping(m)} (pod ${to})`);
    }
    return notices;
  }

  /** Drops the table, closes the host ports, removes the claim. Idempotent. */
  release(): void {
    if (this.#released) return;
    this.#released = true;
    try {
      if (this.#table) deleteNftTable(podTableName(this.options.podUid));
    } finally {
      this.#held?.close();
      if (this.#claimed) this.#claims.release(this.options.podUid);
    }
  }
}

/** The guard's marker: the table `ip pod_init` may exist (written before it is made, removed after it goes). */
const guardMarker = (netDir: string): string => path.join(netDir, 'loopback-guard');

/**
 * `route_localnet` on the bridge (so 127.0.0.1 can be DNATed to a pod) with its CVE-2020-8558 guard first.
 */
async function ensureLoopbackGuard(netDir: string, bridge: string): Promise<void> {
  if (fs.existsSync(guardMarker(netDir)) && linkSysctl('ipv4', bridge, 'route_localnet') === '1') return;
  fs.writeFileSync(guardMarker(netDir), `${bridge}\n`, { mode: 0o600 });
  await applyNft(guardTableScript(bridge));
  setLinkSysctl('ipv4', bridge, 'route_localnet', '1');
}

/**
 * Drops the loopback guard once its bridge is gone (called when the bridge is deleted, and by the sweep).
 * True when a table was dropped.
 *
 * @example
 * dropLoopbackGuard('/run/pod-init/net');
 */
export function dropLoopbackGuard(netDir: string): boolean {
  if (!fs.existsSync(guardMarker(netDir))) return false;
  const dropped = deleteNftTable(guardTable, 'library', 'ip');
  fs.rmSync(guardMarker(netDir), { force: true });
  return dropped;
}

/**
 * The start-up sweep of ports: for each pod whose pod-init is gone, its table is dropped and its claim
 * removed, and `say` gets one line.
 *
 * @example
 * sweepPodPorts({ netDir, ownersDir }, (m) => emit('SweptLeftovers', m));
 */
export function sweepPodPorts(options: { netDir: string; ownersDir: string }, say: (message: string) => void): void {
  const claims = new PortClaims(path.join(options.netDir, 'ports'), options.ownersDir);
  claims.sweep((claim) => {
    const table = podTableName(claim.podUid);
    const family = claim.family ?? 'ip'; // an older pod-init's table
    const dropped = claim.table && deleteNftTable(table, 'library', family);
    const what = [
      ...(dropped ? [`nft table ${family} ${table}`] : []),
      ...(claim.mappings.length > 0 ? [`host ports ${claim.mappings.map(formatMapping).join(', ')}`] : []),
    ];
    say(
      `Removed the ${what.join(' and ') || 'port record'} of pod ${claim.namespace}/${claim.name} (${claim.podUid}), left behind by a pod-init that is gone`,
    );
  });
}
