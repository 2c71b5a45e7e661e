/**
 * The runner's side of rootless pod networking (src/net/rootless-network.ts): whether a pod gets a helper
 * (`--pod-network rootless|pasta|slirp4netns`, or published ports without root), which one, the one notice
 * when it cannot (what to install, or what to change about /dev/net/tun), and one helper per pause, stopped
 * with it.
 * @module
 */
import { rootlessAddress } from '../net/pasta';
import { PodOptionError } from '../errors';
import { isIPv6Mapping, podPortMappings, type PortMapping, type PublishingPodSpec } from '../net/publish-spec';
import {
  chooseRootlessHelper,
  type RootlessHelper,
  type RootlessHelperKind,
  RootlessNetwork,
  tunProblem,
} from '../net/rootless-network';

/** The `--pod-network` modes served by a user-space helper. */
export type HelperNetworkMode = 'rootless' | RootlessHelperKind;

/** What {@link RootlessPodNetwork.plan} reads. */
export interface RootlessPlanOptions {
  /** `--pod-network`. */
  mode: string | undefined;
  /** `--publish`. */
  publish?: readonly PortMapping[];
  /** `--host-loopback`. */
  hostLoopback?: boolean;
  /** Where the helpers are looked for (PATH). */
  searchPath: string;
  /** Whether pod-init runs as root (then only an explicit helper mode gives one). */
  root: boolean;
  /** The tun device; default /dev/net/tun. */
  tunDevice?: string;
}

/** What a helper reports back to the pod. */
export interface RootlessEvents {
  warning(reason: string, message: string): void;
}

/**
 * A pod's rootless network across its sandboxes.
 *
 * @example
 * const plan = RootlessPodNetwork.plan(pod.spec, { mode: 'rootless', searchPath: process.env.PATH ?? '', root: false });
 * if ('notice' in plan) warn(plan.notice);
 * else if (plan.network) {
 *   plan.network.attach(sandbox.pid, sandbox.pause.exited, stateDir, events);
 *   await plan.network.ready();
 * }
 */
export class RootlessPodNetwork {
  readonly helper: RootlessHelper;
  readonly mappings: readonly PortMapping[];
  readonly hostLoopback: boolean;
  #current: RootlessNetwork | undefined;

  private constructor(helper: RootlessHelper, mappings: readonly PortMapping[], hostLoopback: boolean) {
    this.helper = helper;
    this.mappings = mappings;
    this.hostLoopback = hostLoopback;
  }

  /**
   * Whether the pod gets a helper: a helper mode, or (without root, and no other mode asked for) published
   * ports. `{}` when it does not; `{ notice }` when it should but cannot (the pod keeps loopback only).
   * Throws a PodOptionError for a hostPort that cannot be published (SCTP, an IPv6 hostIP).
   */
  static plan(
    spec: PublishingPodSpec,
    options: RootlessPlanOptions,
  ): { network?: RootlessPodNetwork } | { notice: string } {
    if (spec.hostNetwork === true) return {};
    const mappings = podPortMappings(spec, options.publish);
    const explicit = options.mode === 'rootless' || options.mode === 'pasta' || options.mode === 'slirp4netns';
    const implied = !options.root && (options.mode === undefined || options.mode === 'loopback') && mappings.length > 0;
    // As root without a helper mode, published ports are the bridge's (they imply --pod-network bridge:
    // src/net/pod-ports.ts).
    if (!explicit && !implied) return {};
    const ipv6Only = mappings.find(isIPv6Mapping);
    if (ipv6Only !== undefined)
      throw new PodOptionError(
        'hostIP',
        'an IPv4 address or none: pasta and slirp4netns publish on IPv4 host addresses only',
        ipv6Only.hostIP,
      );
    const mode = explicit ? (options.mode as HelperNetworkMode) : 'rootless';
    const choice = chooseRootlessHelper(mode, options.searchPath, options.root);
    if ('notice' in choice) return choice;
    const tun = tunProblem(options.tunDevice);
    if (tun !== undefined)
      return {
        notice: `Rootless pod networking (${choice.kind}) needs the tun device: ${tun}. The pod has only loopback`,
      };
    return { network: new RootlessPodNetwork(choice, mappings, options.hostLoopback === true) };
  }

  /** The pod's address (not reachable from the host: only its published ports are). */
  get address(): string {
    return rootlessAddress.address;
  }

  /**
   * Starts the helper for a new pause; it is stopped when the pause exits. A helper that dies on its own
   * later is a Warning: the pod's outbound traffic and published ports are gone.
   */
  attach(pausePid: number, pauseExited: Promise<unknown>, dir: string, events: RootlessEvents): void {
    const network = RootlessNetwork.start({
      helper: this.helper,
      pid: pausePid,
      mappings: this.mappings,
      hostLoopback: this.hostLoopback,
      dir,
    });
    this.#current = network;
    void pauseExited.then(() => network.stop());
    void network.ready.then(
      () =>
        void network.exited.then(() => {
          if (!network.stopped)
            events.warning(
              'PodNetworkHelperExited',
              `${network.kind} (pid ${network.pid}) exited: the pod has no outbound traffic or published ports any more`,
            );
        }),
      () => undefined,
    );
  }

  /** The current helper is ready (rejects with why it is not). */
  ready(): Promise<void> {
    return this.#current?.ready ?? Promise.resolve();
  }

  /** Stops the current helper; resolves once it is gone. */
  stop(): Promise<void> {
    return this.#current?.stop() ?? Promise.resolve();
  }
}
