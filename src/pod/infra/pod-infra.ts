/**
 * The pod's infrastructure, as the executor makes and ends it: the claims that come before anything
 * (owner record, namespace/name, host ports), the sweep of dead pods' leftovers, cgroups, the guard,
 * admission (sysctls, the `hostUsers: false` id range, the network), /etc files and `--hosts`, the
 * volumes (volume-mounts.ts), the sandbox — and a new one when the pause
 * dies — then its release in order at the pod's end. What comes of each step is observed through the
 * {@link Loop}; the containers are container/executor.ts's.
 * @module
 */
import fs from 'node:fs';
import path from 'node:path';
import { sandboxCgroupName } from '../../cgroups/spec';
import type { PodCgroups } from '../../cgroups/manager';
import type { PodPorts } from '../../net/pod-ports';
import { Sandbox } from '../../sandbox';
import { cgroupStep, type CgroupStep } from '../cgroup-step';
import { type PodFiles, podMemoryLimit, podTmpfsMounts } from '../container-root';
import type { ImageStep } from '../image-step';
import type { CriLogWriter } from '../logs';
import type { Loop } from '../loop';
import {
  holdPorts,
  type NetworkOptions,
  networkOptionsOf,
  networkReady,
  type NetworkReservation,
  type Rejection,
  releaseNetwork,
  reserveNetwork,
} from '../network-plan';
import { nodeAllocatable } from '../node-allocatable';
import { claimPod, releasePod } from '../owners';
import { PodGuard } from '../pod-guard';
import type { PodLayout } from '../pod-layout';
import { claimPodName, releasePodName } from '../pod-names';
import { HostsGroup } from '../hosts-group';
import { ensurePrivateDir } from '../private-dir';
import { isRunning } from '../records';
import { applyFsGroup, givePodFiles, podFilesOf } from '../root/pod-files';
import { writeEtcFiles } from '../root/etc-files';
import type { Bind } from '../rootfs';
import type { PodRunnerOptions } from '../runner-options';
import { planSandbox, podIdRange, type SandboxOptions } from '../sandbox-plan';
import type { SandboxFacts } from '../state-status';
import { defaultClaimsDir, defaultHelperSearchPath } from '../state-root';
import { sweepStaleState } from '../sweep-state';
import { releasePodResources } from '../teardown';
import type { PodSpecObject, RelatedObjects } from '../types';
import { defaultRangesDir, rangeMappings, type UserNamespaceRange } from '../userns-ranges';
import { rootlessPodIds } from '../rootless-ids';
import { untrackedLeftovers } from '../container/leftovers';
import { VolumeMounts } from './volume-mounts';

/** What the infrastructure needs of its runner. */
export interface InfraContext {
  pod: PodSpecObject;
  options: PodRunnerOptions;
  layout: PodLayout;
  related: RelatedObjects;
  /** `--image NAME=DIR` roots by image name. */
  images: ReadonlyMap<string, string>;
  imageStep: ImageStep;
  loop: Loop;
  /** Running as root (euid 0). */
  root: boolean;
  euid: number;
}

/**
 * One pod's infrastructure.
 *
 * @example
 * const infra = new PodInfrastructure({ pod, options, layout, related, images, imageStep, loop, root, euid });
 * infra.claim();
 * if (await infra.setUp(() => imageLoop.ensure())) loop.sync();
 */
export class PodInfrastructure {
  readonly #ctx: InfraContext;
  readonly #volumes: VolumeMounts;
  #etcFiles: Bind[] = [];
  #sandbox: Sandbox | undefined;
  #sandboxOptions: SandboxOptions = {};
  #cgroups: CgroupStep = { qosClass: 'BestEffort' };
  /** `hostUsers: false` as root: the pod's id range (userns-ranges.ts), given back at its end. */
  #idRange: UserNamespaceRange | undefined;
  /** Kills the pod if pod-init dies (pod-guard.ts); released at the clean end. */
  #guard: PodGuard | undefined;
  #guardStarting: Promise<void> | undefined;
  /** The pod's network: its IP on the bridge, its user-space helper, its ports' table (network-plan.ts). */
  #net: NetworkReservation = {};
  /** Its membership of the `--hosts` group. */
  #hosts: HostsGroup | undefined;
  /** Its host ports, held from the start (publish, hostPort, egress). */
  #ports: PodPorts | undefined;

  constructor(ctx: InfraContext) {
    this.#ctx = ctx;
    this.#volumes = new VolumeMounts({
      stateDir: ctx.layout.stateDir,
      related: ctx.related,
      loop: ctx.loop,
      hostId: () => this.#idRange?.hostId,
    });
  }

  /** The sandbox, once made (a new one after the pause died). */
  get sandbox(): Sandbox | undefined {
    return this.#sandbox;
  }

  /** The pod's cgroups, when it has them. */
  get cgroups(): PodCgroups | undefined {
    return this.#cgroups.cgroups;
  }

  /** The guard runs: a container's spawn tells it of its process. */
  get guarded(): boolean {
    return this.#guard !== undefined;
  }

  /** The pod has an address on the bridge: probes and hooks dial it from the host. */
  get fromHost(): boolean {
    return this.#net.network !== undefined;
  }

  /** The pod's IP: its address on the bridge or behind its helper (not reachable from the host), or loopback's. */
  get podIP(): string {
    return this.#net.network?.address ?? this.#net.rootless?.address ?? '127.0.0.1';
  }

  /** What the status says of the sandbox (state-status.ts). */
  facts(): SandboxFacts {
    return {
      running: this.#sandbox?.running === true,
      podIP: this.podIP,
      ...(this.#net.network !== undefined ? { podIPs: this.#net.network.addresses } : {}),
      qosClass: this.#cgroups.qosClass,
      ...(this.#cgroups.notice !== undefined ? { notice: this.#cgroups.notice } : {}),
    };
  }

  /** The guard also watches `pid` (a hostPID pod's container: not under the pause). */
  watch(pid: number): void {
    this.#guard?.watch(pid);
  }

  /** The `cgroups` spawn option of a container (and of its exec probes and hooks). */
  cgroupOption(name: string): { cgroups?: string[] } {
    const dirs = this.#cgroups.cgroups?.containerDirs(name) ?? [];
    return dirs.length > 0 ? { cgroups: dirs } : {};
  }

  /** What a container's root is made from (root/pod-files.ts). */
  podFiles(): PodFiles {
    const { layout, images, imageStep } = this.#ctx;
    return podFilesOf({
      stateDir: layout.stateDir,
      volumes: this.#volumes.prepared,
      etcFiles: this.#etcFiles,
      images,
      pulled: imageStep.pulled,
      ...(layout.shm !== undefined ? { shm: layout.shm } : {}),
      sandbox: this.#sandbox!,
      ...(this.#idRange !== undefined ? { hostId: this.#idRange.hostId } : {}),
    });
  }

  /**
   * What comes before anything of the pod is made: a private state root, the owner record, the pod's
   * namespace/name (one live pod each), its host ports (one in use is an error now); then its state
   * directory. Throws, having given back what it took.
   */
  claim(): void {
    const { layout, pod, euid } = this.#ctx;
    if (layout.privateRoot !== undefined) ensurePrivateDir(layout.privateRoot, euid);
    const m = pod.metadata;
    claimPod(layout.ownersDir, m.uid!);
    try {
      claimPodName(layout.names, m.namespace!, m.name, m.uid!);
    } catch (error) {
      releasePod(layout.ownersDir, m.uid!);
      throw error;
    }
    try {
      this.#ports = holdPorts(pod, this.#networkOptions(), layout.ownersDir);
    } catch (error) {
      releasePodName(layout.names, m.namespace!, m.name, m.uid!);
      releasePod(layout.ownersDir, m.uid!);
      throw error;
    }
    fs.mkdirSync(layout.stateDir, { recursive: true, mode: 0o700 });
  }

  /**
   * Everything up to a running sandbox whose network is ready; `ensureImages` runs before the volumes
   * (image volumes need their images). False when the pod was rejected (observed) or deleted meanwhile.
   */
  async setUp(ensureImages: () => Promise<void>): Promise<boolean> {
    const { pod, options, layout, loop } = this.#ctx;
    sweepStaleState(path.dirname(layout.stateDir), layout.ownersDir, (message) =>
      loop.say('Normal', 'SweptLeftovers', message),
    );
    if (options.cgroups !== false)
      this.#cgroups = await cgroupStep(pod, {
        ownersDir: layout.ownersDir,
        ...(options.podPidsLimit !== undefined ? { podPidsLimit: options.podPidsLimit } : {}),
        ...(options.cgroupRoot !== undefined ? { cgroupRoot: options.cgroupRoot } : {}),
        say: loop.say,
      });
    const untracked = untrackedLeftovers(pod.spec, this.#cgroups.cgroups);
    if (untracked !== undefined) loop.say('Warning', 'LeftoversUntracked', untracked);
    this.#startGuard();
    if (loop.state().terminating) return false;
    const rejected = (r: Rejection): false => {
      loop.observe({ type: 'rejected', ...r });
      return false;
    };
    // The kubelet's admission (before anything is made): a forbidden sysctl rejects the pod.
    const plan = planSandbox(pod, layout.hostname, options.allowedUnsafeSysctls ?? []);
    if ('reason' in plan) return rejected(plan);
    const sandboxOptions = plan.options;
    const range = podIdRange(pod, { dir: this.#rangesDir(), ownersDir: layout.ownersDir, root: this.#ctx.root });
    if (range !== undefined && 'reason' in range) return rejected(range);
    if (range !== undefined) sandboxOptions.userNamespace = rangeMappings((this.#idRange = range));
    const rootless = this.#ctx.root ? {} : rootlessPodIds(); // subordinate ids: the image's owners kept
    if (rootless.ids) sandboxOptions.userNamespace = rootless.ids;
    const reserved = reserveNetwork(pod, this.#networkOptions(), {
      ownersDir: layout.ownersDir,
      ports: this.#ports,
      say: loop.say,
    });
    const { reason, message, ...net } = reserved as Partial<Rejection> & NetworkReservation;
    this.#net = net;
    if (reason !== undefined) return rejected({ reason, message: message! });
    this.#etcFiles = writeEtcFiles(pod, {
      stateDir: layout.stateDir,
      hostname: layout.hostname,
      podIP: this.#net.network?.addresses ?? this.podIP,
      ...(options.resolvConf !== undefined ? { resolvConf: options.resolvConf } : {}),
      say: loop.say,
    });
    this.#hosts = options.hosts === true ? this.#joinHosts() : undefined;
    const memoryLimit = podMemoryLimit(loop.state().records);
    await ensureImages(); // image volumes too: before the volumes are set up
    if (rootless.notice && this.#ctx.imageStep.pulled.size > 0) loop.say('Normal', 'NoSubordinateIds', rootless.notice);
    const pulledLayers = (reference: string) => this.#ctx.imageStep.pulled.get(reference)?.layers;
    const node = nodeAllocatable(layout.stateDir);
    const claimsDir = options.claimsDir ?? defaultClaimsDir();
    const context = { pod, node, claimsDir, pulledLayers };
    for (const volume of pod.spec.volumes ?? []) this.#volumes.mount(volume, context, memoryLimit);
    if (this.#idRange) givePodFiles(layout.stateDir, this.#etcFiles, this.#volumes.prepared, pod, this.#idRange.hostId);
    // The pod's sysctls are written by the pause's setup, in the pod's namespaces (its own /proc).
    sandboxOptions.mounts = [
      ...podTmpfsMounts(layout.shm, this.#volumes.prepared, this.#idRange !== undefined),
      ...plan.sysctlSteps,
    ];
    const sandboxCgroups = this.#cgroups.cgroups?.containerDirs(sandboxCgroupName) ?? [];
    if (sandboxCgroups.length > 0) sandboxOptions.cgroups = sandboxCgroups;
    this.#sandboxOptions = sandboxOptions;
    this.#sandbox = await this.#createSandbox();
    const notReady = await networkReady(this.#net, loop.say);
    if (notReady !== undefined) return rejected(notReady);
    await this.#guardStarting;
    this.#guard?.watch(this.#sandbox.pid);
    return true;
  }

  /**
   * Releases what the pod holds once its containers are stopped (teardown.ts), with what its
   * containers' output left open.
   */
  release(outputs: { streamEnds: readonly Promise<void>[]; logs: Iterable<CriLogWriter> }): Promise<void> {
    const { layout, pod, options, imageStep } = this.#ctx;
    return releasePodResources({
      stateDir: layout.stateDir,
      ...(this.#sandbox !== undefined ? { sandbox: this.#sandbox } : {}),
      ...(this.#net.rootless !== undefined ? { rootless: this.#net.rootless } : {}),
      ...outputs,
      ...(this.#cgroups.cgroups !== undefined ? { cgroups: this.#cgroups.cgroups } : {}),
      ...(this.#idRange !== undefined
        ? { idRange: { dir: options.userNamespaceRangesDir ?? defaultRangesDir(), range: this.#idRange } }
        : {}),
      ...(this.#guardStarting !== undefined ? { guardStarting: this.#guardStarting } : {}),
      guard: () => this.#guard,
      names: layout.names,
      metadata: pod.metadata,
      imageLease: imageStep,
      ...(this.#hosts !== undefined ? { hosts: this.#hosts } : {}),
    });
  }

  /**
   * The owner record goes last, with `finished` told before or after the network as a reader needs:
   * without a network the record goes first, then `finished`; with one, `finished` first (the veth's
   * synchronous delete comes after it), then the ports' rules and the veth, then the record — a pod-init
   * that dies in between leaves a lease the next start sweeps.
   */
  async end(finished: () => void): Promise<void> {
    const { layout, pod, loop } = this.#ctx;
    if (this.#net.network === undefined && this.#ports === undefined) {
      releasePod(layout.ownersDir, pod.metadata.uid!);
      finished();
      return;
    }
    finished();
    await new Promise((resolve) => setImmediate(resolve));
    await releaseNetwork(this.#net, this.#ports, loop.say);
    releasePod(layout.ownersDir, pod.metadata.uid!);
  }

  /**
   * The guard starts alongside the sandbox (its ~5 ms off the start's path); it knows the pod's cgroups
   * from the start, and each pause as it comes. One that cannot start fails the pod's start: the pod
   * would outlive pod-init.
   */
  #startGuard(): void {
    const loop = this.#ctx.loop;
    if (this.#ctx.options.guard === false) return;
    this.#guardStarting = PodGuard.start({ cgroupDirs: this.#cgroups.cgroups?.podCgroupDirs() ?? [] }).then((guard) => {
      this.#guard = guard;
      // Killed by someone (the guard never exits on its own before its release): said, not hidden.
      loop.run(
        guard.exited.then(() => {
          if (!guard.released)
            loop.observe({
              type: 'failed',
              reason: 'GuardExited',
              message: `The pod's guard (pid ${guard.pid}) exited: if pod-init dies now, processes of this pod may outlive it`,
            });
        }),
        'GuardExited',
      );
    });
    this.#guardStarting.catch(() => undefined); // awaited by setUp, or by the release after an early return
  }

  /** A sandbox whose unexpected end is observed (B.1 step 1: a dead pause means a new sandbox). */
  async #createSandbox(): Promise<Sandbox> {
    const { loop, layout, pod } = this.#ctx;
    const sandbox = await Sandbox.create(this.#sandboxOptions);
    try {
      this.#net.network?.attach(sandbox.pid);
      this.#net.rootless?.attach(sandbox.pid, sandbox.pause.exited, layout.stateDir, {
        warning: (reason, message) => loop.say('Warning', reason, message),
      });
    } catch (error) {
      await sandbox.destroy();
      throw error;
    }
    this.#guard?.watch(sandbox.pid);
    applyFsGroup(pod, this.#volumes.prepared, {
      root: sandbox.root, // the pod's mount namespace (the pause itself lives in an empty root)
      ...(this.#idRange ? { hostId: this.#idRange.hostId } : {}),
      say: loop.say,
    });
    loop.observe({ type: 'sandbox-created' });
    loop.run(
      sandbox.pause.exited.then(() => {
        if (loop.state().terminating || this.#sandbox !== sandbox) return;
        loop.observe({ type: 'sandbox-died' });
        if (loop.state().replacing) loop.run(this.#replaceSandbox(), 'FailedCreatePodSandBox', true);
      }),
      'FailedCreatePodSandBox',
    );
    return sandbox;
  }

  /**
   * The pause died while the pod ran (and the pod goes on): every container is killed, then a new
   * sandbox is made, where the init containers run again (restart counts go on).
   */
  async #replaceSandbox(): Promise<void> {
    const loop = this.#ctx.loop;
    const running = loop.state().records.filter(isRunning);
    for (const r of running) r.current!.process?.kill('SIGKILL');
    await Promise.all(running.map((r) => r.current!.process?.exited));
    // And whatever they left (a daemon of a hostPID pod, say): nothing of the old sandbox runs while
    // the new one is set up (its fsGroup walk, say).
    await this.#cgroups.cgroups?.killAll().catch(() => undefined);
    await this.#sandbox?.destroy();
    if (loop.state().terminating) return; // deleted meanwhile: the termination finishes the pod
    this.#sandbox = await this.#createSandbox();
    const rootless = this.#net.rootless;
    if (rootless !== undefined)
      loop.run(
        rootless.ready().catch((error: Error) => {
          throw new Error(`The new sandbox has only loopback: ${error.message}`);
        }),
        'FailedPodNetwork',
      );
    loop.changed();
    loop.sync();
  }

  /** `--hosts` (hosts-group.ts): needs a pod IP on the bridge, else a Warning. */
  #joinHosts(): HostsGroup | undefined {
    const { pod, layout, loop } = this.#ctx;
    const m = pod.metadata;
    if (this.#net.network !== undefined)
      return HostsGroup.join(layout.hostsDir, layout.ownersDir, {
        ...{ uid: m.uid!, namespace: m.namespace!, name: m.name, ips: this.#net.network.addresses },
        hostsFile: path.join(layout.stateDir, 'etc-hosts'),
      });
    if (!pod.spec.hostNetwork)
      loop.say('Warning', 'HostsUnavailable', "--hosts needs a pod IP on the bridge (root): not in others' /etc/hosts");
    return undefined;
  }

  #networkOptions(): NetworkOptions {
    const o = this.#ctx.options;
    return networkOptionsOf(o, o.helperSearchPath ?? defaultHelperSearchPath, this.#ctx.root);
  }

  #rangesDir(): string {
    return this.#ctx.options.userNamespaceRangesDir ?? defaultRangesDir();
  }
}
