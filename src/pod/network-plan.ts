/**
 * The pod's network, as the runner plans it before the sandbox: a user-space helper (rootless modes), or
 * an IP on the bridge (`bridge`, or as root published ports and egress), or loopback alone — and its host
 * ports, held before anything of the pod is made. What fails is a rejection (reason and message), as a
 * failed CNI ADD fails the kubelet's sandbox.
 * @module
 */
import path from 'node:path';
import type { PodSpecObject } from './types';
import type { Say } from './events';
import type { PodRunnerOptions } from './runner-options';
import { RootlessPodNetwork } from './rootless-pod-network';
import { defaultBridge, hostHasIpv6, PodNetwork, sweepPodNetworks } from '../net/pod-network';
import { podPortMappings } from '../net/publish-spec';
import { defaultLeaseDir } from '../net/ipam';
import { nodePortsMessage, PodPorts, sweepPodPorts } from '../net/pod-ports';

/** The network options of the runner. */
export type NetworkOptions = Pick<
  PodRunnerOptions,
  'podNetwork' | 'publish' | 'hostLoopback' | 'podCidr' | 'egress' | 'podLeaseDir' | 'podBridge' | 'podCidr6'
> & {
  /** Where the rootless helpers are looked for. */
  searchPath: string;
  /** pod-init runs as root. */
  root: boolean;
};

/**
 * The network options of the runner's options.
 *
 * @example
 * networkOptionsOf({ podNetwork: 'bridge' }, '/usr/bin:/bin', true);
 */
export function networkOptionsOf(o: PodRunnerOptions, searchPath: string, root: boolean): NetworkOptions {
  return {
    ...(o.podNetwork !== undefined ? { podNetwork: o.podNetwork } : {}),
    ...(o.publish !== undefined ? { publish: o.publish } : {}),
    ...(o.hostLoopback !== undefined ? { hostLoopback: o.hostLoopback } : {}),
    ...(o.podCidr !== undefined ? { podCidr: o.podCidr } : {}),
    ...(o.egress !== undefined ? { egress: o.egress } : {}),
    ...(o.podLeaseDir !== undefined ? { podLeaseDir: o.podLeaseDir } : {}),
    ...(o.podBridge !== undefined ? { podBridge: o.podBridge } : {}),
    ...(o.podCidr6 !== undefined ? { podCidr6: o.podCidr6 } : {}),
    searchPath,
    root,
  };
}

/** Admission refused the pod: its reason and message (the runner's rejectPod). */
export interface Rejection {
  reason: string;
  message: string;
}

/** What the pod's network is made of, once reserved. */
export interface NetworkReservation {
  /** Its IP on the bridge. */
  network?: PodNetwork;
  /** Its user-space helper. */
  rootless?: RootlessPodNetwork;
  /** Its nftables table, being made (the ports' notices once made). */
  portsReady?: Promise<string[]>;
}

/**
 * A pod IP on the bridge: as root, by default (no `--pod-network`), with `--pod-network bridge`, or with
 * `loopback` when published ports (hostPort, --publish) or --egress need one (without root, published ports
 * go through a helper).
 *
 * @example
 * wantsBridge(pod.spec, { searchPath: '', root: true }); // true: the default as root
 */
export function wantsBridge(spec: PodSpecObject['spec'], o: NetworkOptions): boolean {
  if (spec.hostNetwork) return false;
  const mode = o.podNetwork;
  if (mode === 'bridge') return true;
  if (mode !== undefined && mode !== 'loopback') return false; // a rootless helper's mode
  return (
    o.root &&
    (mode === undefined || // the default as root
      o.egress === true ||
      podPortMappings(spec, o.publish).length > 0)
  );
}

/**
 * Where the network's state lives: the lease directory's parent (/run/pod-init/net).
 *
 * @example
 * netDir({}); // '/run/pod-init/net'
 */
export function netDir(o: Pick<NetworkOptions, 'podLeaseDir'>): string {
  return path.dirname(o.podLeaseDir ?? defaultLeaseDir);
}

/**
 * As root, the pod's host ports bound (held until its end) before anything of it is made: a port a host
 * process holds throws HostPortInUseError; one another pod publishes is kept for the NodePorts rejection.
 *
 * @example
 * const ports = holdPorts(pod, options, ownersDir);
 */
export function holdPorts(pod: PodSpecObject, o: NetworkOptions, ownersDir: string): PodPorts | undefined {
  const mappings = podPortMappings(pod.spec, o.publish);
  if (!wantsBridge(pod.spec, o) || !o.root) return undefined;
  if (mappings.length === 0 && o.egress !== true) return undefined; // no rules to write: no table
  return PodPorts.hold({
    podUid: pod.metadata.uid!,
    namespace: pod.metadata.namespace!,
    name: pod.metadata.name,
    mappings,
    egress: o.egress === true,
    // As PodNetwork.reserve decides it: the pod gets an IPv6 address unless podCidr6 is null or the host has none.
    ipv6: o.podCidr6 === null ? false : o.podCidr6 !== undefined || hostHasIpv6(),
    ownersDir,
    netDir: netDir(o),
    bridge: o.podBridge ?? defaultBridge,
  });
}

/**
 * The pod's network reserved: a rootless helper planned (or the notice why the pod has loopback only),
 * or with the bridge the leftovers of dead pod-inits swept (and said), this pod's address leased, its
 * ports claimed and their table begun. A rejection when that fails.
 *
 * @example
 * const reserved = reserveNetwork(pod, options, { ownersDir, ports, say });
 * if ('reason' in reserved) reject(reserved);
 */
export function reserveNetwork(
  pod: PodSpecObject,
  o: NetworkOptions,
  ctx: { ownersDir: string; ports: PodPorts | undefined; say: Say },
): NetworkReservation | Rejection {
  const failed = (error: unknown, what = 'Failed to set up the pod network') => ({
    reason: 'FailedCreatePodSandBox',
    message: `${what}: ${(error as Error).message}`,
  });
  const reservation: NetworkReservation = {};
  try {
    const plan = RootlessPodNetwork.plan(pod.spec, {
      mode: o.podNetwork,
      ...(o.publish !== undefined ? { publish: o.publish } : {}),
      hostLoopback: o.hostLoopback === true,
      searchPath: o.searchPath,
      root: o.root,
    });
    if ('notice' in plan) ctx.say('Warning', 'PodNetworkUnavailable', plan.notice);
    else reservation.rootless = plan.network;
  } catch (error) {
    return failed(error);
  }
  if (!wantsBridge(pod.spec, o)) return reservation;
  if (!o.root) {
    ctx.say('Warning', 'PodNetworkUnavailable', '--pod-network bridge needs root: the pod has only loopback');
    return reservation;
  }
  if (ctx.ports?.conflict !== undefined) return { reason: 'NodePorts', message: nodePortsMessage(ctx.ports.conflict) };
  const options = {
    ownersDir: ctx.ownersDir,
    ...(o.podCidr !== undefined ? { cidr: o.podCidr } : {}),
    ...(o.podLeaseDir !== undefined ? { leaseDir: o.podLeaseDir } : {}),
    ...(o.podBridge !== undefined ? { bridge: o.podBridge } : {}),
    ...(o.podCidr6 !== undefined ? { cidr6: o.podCidr6 } : {}),
  };
  try {
    const say = (m: string) => ctx.say('Normal', 'SweptLeftovers', m);
    sweepPodNetworks(options, say);
    sweepPodPorts({ netDir: netDir(o), ownersDir: ctx.ownersDir }, say);
    reservation.network = PodNetwork.reserve(pod.metadata.uid!, options);
    const conflict = ctx.ports?.claim();
    if (conflict !== undefined) return { ...reservation, reason: 'NodePorts', message: nodePortsMessage(conflict) };
    const ready = ctx.ports?.apply(reservation.network.address, reservation.network.lease6?.address);
    if (ready !== undefined) {
      ready.catch(() => undefined); // awaited once the sandbox is made (networkReady), and at the end
      reservation.portsReady = ready;
    }
  } catch (error) {
    return { ...reservation, ...failed(error) };
  }
  return reservation;
}

/**
 * Once the sandbox is made: the helper serves it, and the ports' table is there (its notices said); a
 * rejection when either failed.
 *
 * @example
 * const rejected = await networkReady(reservation, say);
 */
export async function networkReady(r: NetworkReservation, say: Say): Promise<Rejection | undefined> {
  try {
    await r.rootless?.ready();
  } catch (error) {
    const kind = r.rootless!.helper.kind;
    return {
      reason: 'FailedCreatePodSandBox',
      message: `Failed to set up the pod network (${kind}): ${(error as Error).message}`,
    };
  }
  if (r.portsReady === undefined) return undefined;
  try {
    for (const notice of await r.portsReady) say('Normal', 'PortsPublished', notice);
  } catch (error) {
    return {
      reason: 'FailedCreatePodSandBox',
      message: `Failed to publish the pod's ports: ${(error as Error).message}`,
    };
  }
  return undefined;
}

/**
 * The network's end, after `finished`: the ports' rules, then the veth and lease (a failure is said).
 *
 * @example
 * await releaseNetwork(reservation, ports, say);
 */
export async function releaseNetwork(r: NetworkReservation, ports: PodPorts | undefined, say: Say): Promise<void> {
  await r.portsReady?.catch(() => undefined);
  try {
    ports?.release();
  } catch (error) {
    say('Warning', 'FailedPodNetworkTeardown', `Releasing the pod's ports: ${(error as Error).message}`);
  }
  try {
    r.network?.release();
  } catch (error) {
    say('Warning', 'FailedPodNetworkTeardown', `Releasing the pod network: ${(error as Error).message}`);
  }
}
