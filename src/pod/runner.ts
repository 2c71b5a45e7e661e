/**
 * PodRunner: the executor of the kubelet's loop for one pod. It creates the sandbox, carries out what
 * reconcile.ts decides (start, back off, kill the pod), turns process exits into new observations,
 * and stops the pod the kubelet's way (SIGTERM, grace, SIGKILL; sidecars after the main containers,
 * in reverse order). Events, logs and status changes are emitted for the CLI and for embedders.
 * @module
 */
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { PodCgroups } from '../cgroups/manager';
import { sandboxCgroupName } from '../cgroups/spec';
import type { Pod } from '../manifest/types';
import { PodOptionError, PodSystemError } from '../errors';
import type { NamespaceKind } from '../namespaces';
import { Sandbox } from '../sandbox';
import type { MountStep } from '../spawn';
import { type Signal, signalNumber } from '../signals';
import { Backoff, type BackoffSettings, kubeletBackoff } from './backoff';
import { onlyLoopbackNameservers, parseResolvConf, podDNS, type ResolvConf, resolvConfText } from './dns';
import { containerArgv, ContainerConfigError, containerEnv } from './environment';
import { readLines } from './lines';
import { nodeAllocatable } from './node-allocatable';
import { type HookHandler, runHook } from './hooks';
import { type ProbeTarget, runProbe } from './probe-handlers';
import { type ProbeKind, type ProbeResult, type ProbeSpec, ProbeWorker } from './probes';
import { kubeletLogRotation, type LogRotation } from './log-rotation';
import { ensurePrivateDir } from './private-dir';
import { type CriLogLine, CriLogWriter, readCriLog } from './logs';
import { type ContainerRecord, type Instance, isRunning } from './records';
import { type ContainerView, decide, type PodView, shouldRestart } from './reconcile';
import { type Condition, podStatus } from './status';
import type { PodSpecObject, RelatedObjects } from './types';
import {
  closeMountFds,
  containerRootMounts,
  type PodFiles,
  podMemoryLimit,
  podTmpfsMounts,
  removeInstanceRoot,
} from './container-root';
import { mountPointsOf } from './rootfs';
import type { Bind } from './rootfs';
import { startErrorMessage } from './start-error';
import { lastBytes, terminationLimits, terminationMessage } from './termination';
import {
  hostsFile,
  type PreparedVolume,
  prepareVolume,
  type VolumeContext,
  VolumeError,
  type VolumeSpec,
} from './volumes';
import { imageVolumePulls } from './image-volumes';
import { containerSecurity, type ContainerSecurity } from './security/container-security';
import type { SeccompFilter } from '../security/seccomp';
import { runtimeCapabilities } from './security/capabilities';
import { seccompFilter } from './security/seccomp-filter';
import { readUserDatabase } from './security/identity';
import { credentialsFrom, credentialsFromPullSecrets, firstCredentials } from '../image/credentials';
import { isRegistryImage } from '../image/ensure';
import { type LocalSource, loadLocalImages } from '../image/local-image';
import { ImagePullBackOff } from '../image/pull-backoff';
import { defaultPullPolicy, parseReference, referenceString } from '../image/reference';
import { imageArgv, imageEnv, imageStopSignal } from '../image/image-config';
import { layeredUserDatabase, makeWorkingDir } from '../image/layers';
import type { PullContext, PullProgress, StoredImage } from '../image/pull';
import { RegistryClient } from '../image/registry';
import { dataHome } from '../home-dir';
import type { RegistryTrust } from '../image/tls';
import { ImageLease } from '../image/leases';
import { defaultImageStoreDir, ImageStore } from '../image/store';
import { admitSysctls, sysctlAllowlist } from './security/sysctls';
import { setVolumeOwnership } from './security/volume-ownership';
import { claimPod, defaultOwnersDir, isPodGone, releasePod } from './owners';
import { EventLog } from './event-log';
import { processStartTime } from './exec-spec';
import { forgetExecSpec, writeExecSpec } from './exec-spec-writer';
import { PodGuard } from './pod-guard';
import { claimPodName, type PodNameRegistry, releasePodName } from './pod-names';
import { startPodCgroups, terminationReason } from './pod-cgroups';
import { StatusFile } from './status-file';
import { sweepStaleState } from './sweep-state';
import { defaultBridge, PodNetwork, sweepPodNetworks } from '../net/pod-network';
import { podPortMappings, type PortMapping } from '../net/publish-spec';
import { type HelperNetworkMode, RootlessPodNetwork } from './rootless-pod-network';
import { HostsGroup } from './hosts-group';
import { defaultLeaseDir } from '../net/ipam';
import { nodePortsMessage, PodPorts, sweepPodPorts } from '../net/pod-ports';
import { givePodTree } from './userns-files';
import { allocateRange, defaultRangesDir, rangeMappings, releaseRange, type UserNamespaceRange } from './userns-ranges';

/** An event, with the kubelet's reason strings (KUBERNETES.md B.12). */
export interface PodEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
  /** The container it is about, if any. */
  container?: string;
  time: Date;
}

/** A line a container wrote. */
export interface LogLine {
  container: string;
  stream: 'stdout' | 'stderr';
  line: string;
  time: Date;
  /** A piece of a longer line (at most 16 KiB, a CRI `P` record): the next piece of this stream continues it. */
  partial?: boolean;
}

/** Options of {@link PodRunner}. */
export interface PodRunnerOptions {
  /** ConfigMaps and Secrets from the same file. */
  related?: RelatedObjects;
  /** Crash-loop backoff (default: the kubelet's 10 s doubling to 300 s). */
  backoff?: BackoffSettings;
  /** Image pull back-off (default: the kubelet's 10 s doubling to 300 s); shorter only in tests. */
  imageBackoff?: BackoffSettings;
  /** Where the pod's state (logs, status) lives; default {@link defaultStateRoot}. */
  stateRoot?: string;
  /** Root filesystem directories by image name (`--image NAME=DIR`); other images run on the host's filesystem. */
  images?: ReadonlyMap<string, string>;
  /** The node's `--allowed-unsafe-sysctls` (namespaced; `prefix*` patterns); the safe set is always allowed. */
  allowedUnsafeSysctls?: readonly string[];
  /** Where `Localhost` seccomp profiles are (default /var/lib/kubelet/seccomp). */
  seccompProfileRoot?: string;
  /**
   * no_new_privs for every container unless `allowPrivilegeEscalation: true`, `privileged` or an added
   * SYS_ADMIN (default true: pod-init's default, as strict as its RuntimeDefault seccomp). false: the
   * kubelet's CRI rule, no_new_privs only for `allowPrivilegeEscalation: false`.
   */
  noNewPrivilegesByDefault?: boolean;
  /**
   * cgroups for the pod and its containers (default true): limits from `resources`, qosClass, OOMKilled
   * from the kernel's counters, everything killed through them at the end. Without root and a
   * delegated cgroup v2 subtree they are not applied, and the pod says so (an event and a condition).
   */
  cgroups?: boolean;
  /** The pod's pids limit (kubelet --pod-max-pids): unset or -1 = unlimited. */
  podPidsLimit?: number;
  /** Where `kubepods` goes in each cgroup hierarchy (kubelet --cgroup-root); default `/`. */
  cgroupRoot?: string;
  /** The registry of live pod-inits by pod uid (owners.ts); default /run/pod-init/owners as root. */
  ownersDir?: string;
  /**
   * `bridge` (the default as root): a pod that is not hostNetwork gets an IP on the bridge `pod-init0`
   * (src/net/pod-network.ts). `loopback` (the opt-out, and the default without root): only its own loopback.
   * `rootless` (pasta, else slirp4netns), `pasta`, `slirp4netns`: outbound traffic and published ports
   * through a user-space helper (src/pod/rootless-pod-network.ts); without root, published ports imply `rootless`.
   */
  podNetwork?: 'loopback' | 'bridge' | HelperNetworkMode;
  /**
   * Host ports published besides the manifest's `hostPort`s (`--publish`). As root, publishing (these or a
   * `hostPort`) and `egress` need a pod IP: they imply podNetwork `bridge` (src/net/pod-ports.ts) unless a
   * helper mode is asked for.
   */
  publish?: readonly PortMapping[];
  /** Rootless helpers: the gateway address 10.0.2.2 reaches the host's loopback (`--host-loopback`). */
  hostLoopback?: boolean;
  /** The bridge's IPv4 range (`--pod-cidr`); default 10.88.0.0/16. */
  podCidr?: string;
  /** Masquerade the pod's outbound traffic (`--egress`; turns on the host's ip_forward); implies `bridge`. */
  egress?: boolean;
  /** `--hosts`: this pod's name in the /etc/hosts of the other `hosts` pods of the state root, theirs in its. */
  hosts?: boolean;
  /** The pod IP lease directory; default /run/pod-init/net/leases. */
  podLeaseDir?: string;
  /** The bridge's name; default `pod-init0` (a test keeps its own, with its own podCidr and podLeaseDir). */
  podBridge?: string;
  /** The bridge's IPv6 range; default fd70:6f64:696e::/64 where the host has IPv6; `null`: IPv4 only. */
  podCidr6?: string | null;
  /** CRI log rotation (`--container-log-max-size`, `--container-log-max-files`); default the kubelet's 10Mi × 5. */
  logRotation?: LogRotation;
  /** The registry of `hostUsers: false` id ranges (userns-ranges.ts); default /run/pod-init/userns. */
  userNamespaceRangesDir?: string;
  /** The base of pods' /etc/resolv.conf (kubelet --resolv-conf); default /etc/resolv.conf. */
  resolvConf?: string;
  /**
   * Where persistentVolumeClaim volumes are kept across runs (`DIR/<namespace>/<claimName>`); default
   * {@link defaultClaimsDir}.
   */
  claimsDir?: string;
  /**
   * A guard process per pod (pod-guard.ts, default true) that kills the pod if pod-init dies, `kill -9`
   * included: also processes that changed their uid, and hostPID pods. false only for tests (the negative
   * control) and hosts where it cannot start.
   */
  guard?: boolean;
  /**
   * Pulling images that name a registry (`host:port/x`, `a.b/x`, `localhost/x`), src/image/: the store
   * (default {@link defaultImageStoreDir}), `--insecure-registry` hosts, auth files (default none).
   */
  imagePull?: {
    storeDir?: string;
    insecureRegistries?: readonly string[];
    authFiles?: readonly string[];
    /** Mirrors by registry domain (`--registry-mirror`): a bare name is pulled when docker.io has one. */
    mirrors?: ReadonlyMap<string, readonly string[]>;
    /** CAs for https registries (`--registry-ca`, certs directories; default: Node's roots alone). */
    trust?: RegistryTrust;
    /** Told of each pull's layer progress (the CLI draws a line on a terminal). */
    onProgress?: (progress: PullProgress) => void;
    /** Images from local archives by image name (`--image NAME=oci-archive:FILE`), loaded into the store. */
    localImages?: ReadonlyMap<string, LocalSource>;
  };
}

const configRetryMs = 10_000;
const runningAsRoot = (): boolean => process.geteuid?.() === 0;

/** The default state root, and whether pod-init chose it (then it must be private: private-dir.ts). */
function defaultRoot(): { dir: string; chosen: boolean } {
  if (process.env.POD_INIT_STATE_DIR) return { dir: process.env.POD_INIT_STATE_DIR, chosen: false };
  if (process.geteuid?.() === 0) return { dir: '/run/pod-init', chosen: true };
  // Without a runtime dir, one per user in the temp dir: users must not share (or be refused) one root.
  const runtime = process.env.XDG_RUNTIME_DIR;
  return {
    dir: runtime ? path.join(runtime, 'pod-init') : path.join(os.tmpdir(), `pod-init-${process.geteuid?.() ?? 0}`),
    chosen: true,
  };
}

/**
 * The default state root: $POD_INIT_STATE_DIR, else /run/pod-init as root, else
 * $XDG_RUNTIME_DIR/pod-init, else /tmp/pod-init-<uid>. The last three are made 0700 and refused unless they
 * are directories of ours that nobody else can write (private-dir.ts).
 *
 * @example
 * defaultStateRoot(); // '/run/pod-init' as root
 */
export function defaultStateRoot(): string {
  return defaultRoot().dir;
}

/**
 * Where persistentVolumeClaim volumes live by default: /var/lib/pod-init/volumes as root, else
 * $XDG_DATA_HOME/pod-init/volumes (~/.local/share/…) — on disk, unlike the state root, so they outlive a reboot.
 *
 * @example
 * defaultClaimsDir(); // '/var/lib/pod-init/volumes' as root
 */
export function defaultClaimsDir(): string {
  if (process.geteuid?.() === 0) return '/var/lib/pod-init/volumes';
  return path.join(dataHome(process.env, process.geteuid?.() ?? 0), 'pod-init', 'volumes');
}

/**
 * Runs one Pod object (validated and defaulted) on this host.
 *
 * @example
 * const runner = new PodRunner(pod);
 * runner.on('event', (e) => console.log(e.reason, e.message));
 * await runner.start();
 * const final = await runner.finished; // the Pod object with its terminal status
 */
export class PodRunner extends EventEmitter {
  readonly pod: PodSpecObject;
  /** Resolves with the final Pod object once the pod is terminal and everything is cleaned up. */
  readonly finished: Promise<PodSpecObject>;
  /**
   * Resolves after `finished`, once nothing of the pod is left: with podNetwork `bridge` its veth is
   * deleted and its lease freed just after `finished` (the delete takes up to ~20 ms while the kernel
   * dismantles the pod's network namespace). The same moment as `finished` otherwise.
   *
   * @example
   * await runner.finished; // report the pod's end
   * await runner.closed; // before exiting
   */
  readonly closed: Promise<void>;
  /** The pod's state directory (logs, status.json). */
  readonly stateDir: string;

  readonly #records: ContainerRecord[];
  readonly #related: RelatedObjects;
  readonly #backoff: Backoff;
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #logs = new Map<string, CriLogWriter>();
  readonly #streamEnds: Array<Promise<void>> = [];
  readonly #volumes = new Map<string, PreparedVolume>();
  readonly #volumeErrors = new Map<string, string>();
  readonly #etcFiles: Bind[] = [];
  /** The pod's /dev/shm, a tmpfs in its mount namespace (undefined with hostIPC: the host's). */
  readonly #shm: string | undefined;
  readonly #images: ReadonlyMap<string, string>;
  readonly #allowedUnsafeSysctls: readonly string[];
  readonly #seccompProfileRoot: string | undefined;
  readonly #logRotation: LogRotation;
  /** The state root pod-init chose, checked private before use. */
  readonly #privateRoot: string | undefined;
  #sandbox: Sandbox | undefined;
  #initialized = false;
  #anyStarted = false;
  #terminating = false;
  /** When the grace of a delete() ends (ms); a later delete() may only bring it forward. */
  #graceEnds = Infinity;
  #deleted = false;
  #done = false;
  #startTime: Date | undefined;
  #forcedPhase: { phase: 'Failed'; reason: string; message: string } | undefined;
  #sandboxOptions: Parameters<typeof Sandbox.create>[0] = {};
  /** Counts sandboxes: regular init containers that ran in an earlier one run again. */
  #generation = 0;
  #replacing = false;
  /** A postStart hook runs: the next start waits (B.9). */
  #postStartRunning = false;
  #conditions: Condition[] = [];
  #syncQueued = false;
  #resolve!: (pod: PodSpecObject) => void;
  #resolveClosed!: () => void;
  /** status.json, rewritten at every change (status-file.ts): what `pod-init get` reads. */
  readonly #statusFile: StatusFile;
  #hostname: string;
  readonly #options: PodRunnerOptions;
  readonly #ownersDir: string;
  /** events.jsonl: the events `pod-init describe` shows. */
  readonly #eventLog: EventLog;
  #cgroups: PodCgroups | undefined;
  #qosClass: string = 'BestEffort';
  /** Why cgroup limits are not (fully) applied, for the PodReadyToStartContainers condition. */
  #cgroupNotice: string | undefined;
  /** `hostUsers: false` as root: the pod's id range (userns-ranges.ts), given back at its end. */
  #idRange: UserNamespaceRange | undefined;
  /** Kills the pod if pod-init dies (pod-guard.ts); released at the clean end. */
  #guard: PodGuard | undefined;
  #guardStarting: Promise<void> | undefined;
  /** The pod's IP on the bridge (podNetwork `bridge`), released at its end. */
  #network: PodNetwork | undefined;
  /** The pod's user-space network helper (podNetwork `rootless`, `pasta`, `slirp4netns`), one per pause. */
  #rootless: RootlessPodNetwork | undefined;
  /** Its membership of the `--hosts` group. */
  #hosts: HostsGroup | undefined;
  /** Its host ports, held from the start, and its nftables table (publish, hostPort, egress). */
  #ports: PodPorts | undefined;
  #portsReady: Promise<string[]> | undefined;
  /** The start, which a delete during it waits for (so that nothing it makes afterwards is left behind). */
  #starting: Promise<void> | undefined;
  /** Pulled images by image name (src/image/), and the waiting reasons of containers whose image step failed. */
  readonly #pulled = new Map<string, StoredImage>();
  readonly #imageErrors = new Map<string, { reason: string; message: string }>();
  readonly #imagePullBackOff: ImagePullBackOff;
  /** This pod's lease on the store's images it uses (leases.ts): `rmi` and `prune` spare them. */
  #imageLease: ImageLease | undefined;
  #imageRetry: Promise<void> = Promise.resolve();
  /** When image steps are due again (each time once). */
  readonly #imageRetries = new Set<number>();

  constructor(pod: PodSpecObject, options: PodRunnerOptions = {}) {
    super();
    this.pod = structuredClone(pod);
    this.pod.metadata.uid ??= randomUUID();
    this.pod.metadata.namespace ??= 'default';
    this.pod.metadata.creationTimestamp ??= new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    this.#related = options.related ?? { configMaps: new Map(), secrets: new Map() };
    this.#backoff = new Backoff(options.backoff ?? kubeletBackoff);
    this.#imagePullBackOff = new ImagePullBackOff(options.imageBackoff ?? kubeletBackoff);
    this.#images = options.images ?? new Map();
    this.#allowedUnsafeSysctls = options.allowedUnsafeSysctls ?? [];
    this.#seccompProfileRoot = options.seccompProfileRoot;
    this.#options = options;
    this.#ownersDir = options.ownersDir ?? defaultOwnersDir(os.tmpdir(), process.geteuid?.() ?? 0);
    this.#logRotation = options.logRotation ?? kubeletLogRotation;
    const m = this.pod.metadata;
    const root = options.stateRoot === undefined ? defaultRoot() : { dir: options.stateRoot, chosen: false };
    if (root.chosen) this.#privateRoot = root.dir;
    this.stateDir = path.join(root.dir, `${m.namespace}_${m.name}_${m.uid}`);
    this.#records = [
      ...(this.pod.spec.initContainers ?? []).map((spec): ContainerRecord => ({
        spec,
        kind: spec.restartPolicy === 'Always' ? 'sidecar' : 'init',
        restartCount: 0,
      })),
      ...this.pod.spec.containers.map((spec): ContainerRecord => ({ spec, kind: 'regular', restartCount: 0 })),
    ];
    this.#hostname = this.pod.spec.hostNetwork
      ? os.hostname()
      : (this.pod.spec.hostname ?? m.name.slice(0, 63).replace(/[-.]+$/, ''));
    this.#shm = this.pod.spec.hostIPC ? undefined : path.join(this.stateDir, 'shm');
    this.finished = new Promise((resolve) => (this.#resolve = resolve));
    this.closed = new Promise((resolve) => (this.#resolveClosed = resolve));
    this.#eventLog = new EventLog(path.join(this.stateDir, 'events.jsonl'));
    this.#statusFile = new StatusFile(path.join(this.stateDir, 'status.json'), (error) =>
      this.#emitEvent('Warning', 'FailedStatusWrite', `Writing status.json: ${error.message}`),
    );
  }

  /** `name_namespace(uid)`, as the kubelet writes it in messages. */
  get podRef(): string {
    const m = this.pod.metadata;
    return `${m.name}_${m.namespace}(${m.uid})`;
  }

  /** The Pod object with its current status. */
  object(): PodSpecObject {
    return { ...structuredClone(this.pod), status: this.#status() };
  }

  /**
   * A container's log lines, as `kubectl logs [--previous]` shows them: the current instance's, or
   * with `previous` the one before it (empty when there is none); its rotated files included, oldest
   * first.
   *
   * @example
   * runner.logs('web').map((l) => l.line); // ['listening on :8080', 'GET / 200']
   * runner.logs('web', { previous: true }); // the instance that crashed
   */
  logs(container: string, options: { previous?: boolean } = {}): CriLogLine[] {
    const r = this.#records.find((x) => x.spec.name === container);
    if (!r)
      throw new PodOptionError('container', `one of ${this.#records.map((x) => x.spec.name).join(', ')}`, container);
    const count = options.previous ? r.restartCount - 1 : r.restartCount;
    return count < 0 ? [] : readCriLog(path.join(this.stateDir, container, `${count}.log`), { rotated: true });
  }

  /**
   * Creates the sandbox and starts the first containers.
   *
   * @example
   * await runner.start();
   */
  start(): Promise<void> {
    this.#starting ??= this.#startPod();
    return this.#starting;
  }

  async #startPod(): Promise<void> {
    if (this.#privateRoot !== undefined) ensurePrivateDir(this.#privateRoot, process.geteuid?.() ?? 0);
    claimPod(this.#ownersDir, this.pod.metadata.uid!);
    try {
      // One live pod per namespace/name in a state root (pod-names.ts), before anything of it is made.
      claimPodName(this.#names(), this.pod.metadata.namespace!, this.pod.metadata.name, this.pod.metadata.uid!);
    } catch (error) {
      releasePod(this.#ownersDir, this.pod.metadata.uid!);
      throw error;
    }
    try {
      this.#holdPorts(); // a host port in use is an error before anything of the pod is made
    } catch (error) {
      releasePodName(this.#names(), this.pod.metadata.namespace!, this.pod.metadata.name, this.pod.metadata.uid!);
      releasePod(this.#ownersDir, this.pod.metadata.uid!);
      throw error;
    }
    fs.mkdirSync(this.stateDir, { recursive: true, mode: 0o700 });
    this.#statusFile.schedule(() => this.object());
    sweepStaleState(path.dirname(this.stateDir), this.#ownersDir, (m) =>
      this.#emitEvent('Normal', 'SweptLeftovers', m),
    );
    await this.#startCgroups();
    // The guard starts alongside the sandbox (its ~5 ms off the start's path); it knows the pod's cgroups
    // from the start, and each pause as it comes. One that cannot start fails the pod's start: the pod
    // would outlive pod-init.
    if (this.#options.guard !== false) {
      this.#guardStarting = PodGuard.start({ cgroupDirs: this.#cgroups?.podCgroupDirs() ?? [] }).then((guard) => {
        this.#guard = guard;
        // Killed by someone (the guard never exits on its own before its release): said, not hidden.
        void guard.exited.then(() => {
          if (!guard.released)
            this.#emitEvent(
              'Warning',
              'GuardExited',
              `The pod's guard (pid ${guard.pid}) exited: if pod-init dies now, processes of this pod may outlive it`,
            );
        });
      });
      this.#guardStarting.catch(() => undefined); // awaited below, or by #terminate after an early return
    }
    if (this.#terminating) return;
    const spec = this.pod.spec;
    // The kubelet's admission (before anything is made): a forbidden sysctl rejects the pod.
    const sysctls = admitSysctls(
      { ...spec, sysctls: spec.securityContext?.sysctls ?? [] },
      sysctlAllowlist(this.#allowedUnsafeSysctls, os.release()),
    );
    if (!sysctls.admitted) {
      this.#reject(sysctls.reason, sysctls.message);
      return;
    }
    const kinds: NamespaceKind[] = ['mnt'];
    if (!spec.hostPID) kinds.push('pid');
    if (!spec.hostIPC) kinds.push('ipc');
    if (!spec.hostNetwork) kinds.push('net', 'uts');
    const options: Parameters<typeof Sandbox.create>[0] = { namespaces: kinds };
    if (!spec.hostNetwork) options.hostname = this.#hostname;
    if (!this.#allocateIdRange(options)) return;
    if (!this.#reserveNetwork()) return;
    this.#writeEtcFiles();
    this.#hosts = this.#options.hosts === true ? this.#joinHosts() : undefined;
    const memoryLimit = podMemoryLimit(this.#records);
    const node = nodeAllocatable(this.stateDir);
    await this.#ensureImages(); // image volumes too: before the volumes are set up
    const pulledLayers = (reference: string) => this.#pulled.get(reference)?.layers;
    const context = { pod: this.pod, node, claimsDir: this.#options.claimsDir ?? defaultClaimsDir(), pulledLayers };
    for (const volume of spec.volumes ?? []) {
      try {
        this.#volumes.set(volume.name, prepareVolume(volume, this.stateDir, this.#related, memoryLimit, context));
      } catch (error) {
        this.#volumeFailed(volume, error, 0, context, memoryLimit);
      }
    }
    if (this.#idRange) this.#givePodFiles(this.#idRange.hostId);
    // The pod's sysctls are written by the pause's setup, in the pod's namespaces (its own /proc).
    options.mounts = [...podTmpfsMounts(this.#shm, this.#volumes, this.#idRange !== undefined), ...sysctls.steps];
    const sandboxCgroups = this.#cgroups?.containerDirs(sandboxCgroupName) ?? [];
    if (sandboxCgroups.length > 0) options.cgroups = sandboxCgroups;
    this.#sandboxOptions = options;
    this.#sandbox = await this.#createSandbox();
    if (!(await this.#rootlessReady())) return;
    if (!(await this.#portsPublished())) return;
    await this.#guardStarting;
    this.#guard?.watch(this.#sandbox.pid);
    this.#startTime = new Date();
    const deadline = spec.activeDeadlineSeconds;
    if (deadline !== undefined) this.#later(deadline * 1000, () => this.#deadlineExceeded());
    this.#changed();
    this.#sync();
  }

  /**
   * Carries out an applied change of container images (the API server lets a running pod change only
   * those, apply-command.ts checks the rest): the new images are pulled as for a start, then each
   * running container whose image changed is killed (`Killing`: "Container NAME definition changed,
   * will be restarted", its grace the pod's) and started again with its new image whatever the restart
   * policy, as the kubelet does when a container's hash changes. An init container that has run is not
   * run again (KUBERNETES.md D.9); one that has not runs with the new image. Resolves with the names
   * of the containers whose image changed.
   *
   * @example
   * await runner.changeImages(new Map([['app', 'registry.local/app:2']])); // ['app']
   */
  async changeImages(images: ReadonlyMap<string, string>): Promise<string[]> {
    if (this.#terminating || this.#done) return [];
    await this.#starting;
    const changed = this.#records.filter((r) => {
      const image = images.get(r.spec.name);
      if (image === undefined || image === r.spec.image) return false;
      r.spec.image = image; // the pod's spec itself (records share its container objects)
      return true;
    });
    if (changed.length === 0) return [];
    this.#changed();
    await this.#ensureImages();
    const grace = this.pod.spec.terminationGracePeriodSeconds ?? 30;
    for (const r of changed) {
      // Only a running container is restarted for it; one that has ended goes on by the policy (kubelet).
      if (r.kind === 'init' || this.#terminating || !isRunning(r)) continue;
      r.definitionChanged = true;
      const message = `Container ${r.spec.name} definition changed, will be restarted`;
      void this.#killContainer(r, Date.now() + grace * 1000, message);
    }
    this.#queueSync();
    return changed.map((r) => r.spec.name);
  }

  /**
   * Deletes the pod gracefully, as `kubectl delete` would: SIGTERM to every container, then SIGKILL
   * after the grace period (default: terminationGracePeriodSeconds). A second call with a shorter grace
   * shortens it; with 0 it kills at once.
   *
   * @example
   * runner.delete();   // graceful
   * runner.delete(0);  // now
   */
  delete(graceSeconds?: number): void {
    this.#deleted = true;
    const grace = graceSeconds ?? this.pod.spec.terminationGracePeriodSeconds ?? 30;
    const m = this.pod.metadata;
    if (m.deletionTimestamp === undefined && !this.#done) {
      // As the API server marks a deleted pod (kubectl shows it Terminating until its phase is terminal).
      m.deletionTimestamp = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
      m.deletionGracePeriodSeconds = grace;
      this.#changed();
    }
    if (this.#terminating) {
      const killRunning = () => {
        for (const r of this.#records) if (isRunning(r)) r.current!.process?.kill('SIGKILL');
      };
      if (grace === 0) killRunning();
      else if (Date.now() + grace * 1000 < this.#graceEnds) {
        // A second delete with a shorter grace shortens it, as the API server and kubelet do (`pod-init
        // delete --now` on a Terminating pod): what still runs then is killed.
        this.#graceEnds = Date.now() + grace * 1000;
        m.deletionGracePeriodSeconds = grace;
        this.#changed();
        setTimeout(killRunning, grace * 1000).unref();
      }
      return;
    }
    this.#graceEnds = Date.now() + Math.max(1, grace) * 1000;
    void this.#terminate(grace);
  }

  /**
   * podNetwork `bridge`: the leftovers of dead pod-inits swept (and said), then this pod's address leased
   * and the bridge made if it is not there; false when that fails (the pod fails, as a CNI ADD failure
   * fails the kubelet's sandbox). Without root the pod keeps loopback only, and an event says so.
   */
  #reserveNetwork(): boolean {
    if (!this.#planRootlessNetwork()) return false;
    if (!this.#wantsBridge()) return true;
    if (!runningAsRoot()) {
      this.#emitEvent('Warning', 'PodNetworkUnavailable', '--pod-network bridge needs root: the pod has only loopback');
      return true;
    }
    if (this.#ports?.conflict !== undefined) {
      this.#reject('NodePorts', nodePortsMessage(this.#ports.conflict));
      return false;
    }
    const options = {
      ownersDir: this.#ownersDir,
      ...(this.#options.podCidr !== undefined ? { cidr: this.#options.podCidr } : {}),
      ...(this.#options.podLeaseDir !== undefined ? { leaseDir: this.#options.podLeaseDir } : {}),
      ...(this.#options.podBridge !== undefined ? { bridge: this.#options.podBridge } : {}),
      ...(this.#options.podCidr6 !== undefined ? { cidr6: this.#options.podCidr6 } : {}),
    };
    try {
      const say = (m: string) => this.#emitEvent('Normal', 'SweptLeftovers', m);
      sweepPodNetworks(options, say);
      sweepPodPorts({ netDir: this.#netDir(), ownersDir: this.#ownersDir }, say);
      this.#network = PodNetwork.reserve(this.pod.metadata.uid!, options);
      const conflict = this.#ports?.claim();
      if (conflict !== undefined) {
        this.#reject('NodePorts', nodePortsMessage(conflict));
        return false;
      }
      this.#portsReady = this.#ports?.apply(this.#network.address);
      this.#portsReady?.catch(() => undefined); // awaited once the sandbox is made, and at the end
    } catch (error) {
      this.#reject('FailedCreatePodSandBox', `Failed to set up the pod network: ${(error as Error).message}`);
      return false;
    }
    return true;
  }

  /**
   * A user-space network helper for the pod (rootless-pod-network.ts), or the one notice saying why it has
   * only loopback; false when the pod is rejected (a hostPort that cannot be published).
   */
  #planRootlessNetwork(): boolean {
    try {
      const plan = RootlessPodNetwork.plan(this.pod.spec, {
        mode: this.#options.podNetwork,
        ...(this.#options.publish !== undefined ? { publish: this.#options.publish } : {}),
        hostLoopback: this.#options.hostLoopback === true,
        searchPath: process.env.PATH ?? '',
        root: runningAsRoot(),
      });
      if ('notice' in plan) this.#emitEvent('Warning', 'PodNetworkUnavailable', plan.notice);
      else this.#rootless = plan.network;
    } catch (error) {
      this.#reject('FailedCreatePodSandBox', `Failed to set up the pod network: ${(error as Error).message}`);
      return false;
    }
    return true;
  }

  /**
   * A pod IP on the bridge: `--pod-network bridge`, or, as root without a helper mode, published ports
   * (hostPort, --publish) or --egress, which need one (without root, published ports go through a helper).
   */
  #wantsBridge(): boolean {
    if (this.pod.spec.hostNetwork) return false;
    const mode = this.#options.podNetwork;
    if (mode === 'bridge') return true;
    if (mode !== undefined && mode !== 'loopback') return false; // a rootless helper's mode
    return (
      runningAsRoot() &&
      (mode === undefined || // the default as root
        this.#options.egress === true ||
        podPortMappings(this.pod.spec, this.#options.publish).length > 0)
    );
  }

  /** Where the network's state lives: the lease directory's parent (/run/pod-init/net). */
  #netDir(): string {
    return path.dirname(this.#options.podLeaseDir ?? defaultLeaseDir);
  }

  /**
   * As root, the pod's host ports bound (held until its end) before anything of it is made: a port a host
   * process holds throws HostPortInUseError; one another pod publishes is kept for the NodePorts rejection.
   */
  #holdPorts(): void {
    const mappings = podPortMappings(this.pod.spec, this.#options.publish);
    if (!this.#wantsBridge() || !runningAsRoot()) return;
    if (mappings.length === 0 && this.#options.egress !== true) return; // no rules to write: no table
    this.#ports = PodPorts.hold({
      podUid: this.pod.metadata.uid!,
      namespace: this.pod.metadata.namespace!,
      name: this.pod.metadata.name,
      mappings,
      egress: this.#options.egress === true,
      ownersDir: this.#ownersDir,
      netDir: this.#netDir(),
      bridge: this.#options.podBridge ?? defaultBridge,
    });
  }

  /** The pod's nftables table is there (it was made while the sandbox was); false when that failed. */
  async #portsPublished(): Promise<boolean> {
    if (this.#portsReady === undefined) return true;
    try {
      for (const notice of await this.#portsReady) this.#emitEvent('Normal', 'PortsPublished', notice);
    } catch (error) {
      this.#reject('FailedCreatePodSandBox', `Failed to publish the pod's ports: ${(error as Error).message}`);
      return false;
    }
    return true;
  }

  /** The helper serves the new sandbox; false when it cannot (the pod fails, as a failed CNI ADD fails it). */
  async #rootlessReady(): Promise<boolean> {
    try {
      await this.#rootless?.ready();
    } catch (error) {
      const kind = this.#rootless!.helper.kind;
      this.#reject('FailedCreatePodSandBox', `Failed to set up the pod network (${kind}): ${(error as Error).message}`);
      return false;
    }
    return true;
  }

  /** The pod's IP: its address on the bridge or behind its helper (not reachable from the host), or loopback's. */
  get #podIP(): string {
    return this.#network?.address ?? this.#rootless?.address ?? '127.0.0.1';
  }

  /** The names of the live pods of this state root (pod-names.ts). */
  #names(): PodNameRegistry {
    return { dir: path.join(path.dirname(this.stateDir), '.names'), ownersDir: this.#ownersDir };
  }

  /** Admission refused the pod (kubelet rejectPod): phase Failed, nothing started. */
  #reject(reason: string, message: string): void {
    this.#forcedPhase = { phase: 'Failed', reason, message: `Pod was rejected: ${message}` };
    this.#emitEvent('Warning', reason, message);
    void this.#terminate(0, true);
  }

  /**
   * fsGroup (K5): the pod's emptyDir, configMap, secret, downwardAPI and projected volumes given to the
   * group before any container starts, read through the pod's mount namespace (a Memory emptyDir is its
   * tmpfs there).
   */
  #applyFsGroup(sandbox: Sandbox): void {
    const sc = this.pod.spec.securityContext;
    if (sc?.fsGroup === undefined) return;
    const root = sandbox.root; // the pod's mount namespace (the pause itself lives in an empty root)
    for (const spec of this.pod.spec.volumes ?? []) {
      const volume = this.#volumes.get(spec.name);
      const owned = !!(
        spec.emptyDir ??
        spec.configMap ??
        spec.secret ??
        spec.downwardAPI ??
        spec.projected ??
        spec.persistentVolumeClaim
      );
      if (volume === undefined || !owned) continue;
      try {
        setVolumeOwnership(`${root}${volume.source}`, {
          // In the pod's user namespace (hostUsers: false) the group is fsGroup there.
          fsGroup: sc.fsGroup + (this.#idRange?.hostId ?? 0),
          readOnly: volume.readOnly,
          // configMap, secret, downwardAPI, projected: the kubelet passes no policy (always walked).
          ...((spec.emptyDir ?? spec.persistentVolumeClaim) !== undefined && sc.fsGroupChangePolicy === 'OnRootMismatch'
            ? { policy: 'OnRootMismatch' as const }
            : {}),
        });
      } catch (error) {
        this.#emitEvent(
          'Warning',
          'FailedMount',
          `MountVolume.SetUp failed for volume "${spec.name}" : applying fsGroup: ${(error as Error).message}`,
        );
      }
    }
  }

  /**
   * The pod's cgroups (pod-cgroups.ts): what dead pod-inits left is swept first (and said), then this
   * pod's are made with its limits; its QoS class is known from here on.
   */
  async #startCgroups(): Promise<void> {
    if (this.#options.cgroups === false) return;
    // The runner's PodSpecObject is the validated manifest's Pod (two views of one object, issue #11).
    const started = await startPodCgroups(this.pod as unknown as Pod, {
      isAlive: (uid) => !isPodGone(this.#ownersDir, uid),
      ...(this.#options.podPidsLimit !== undefined ? { podPidsLimit: this.#options.podPidsLimit } : {}),
      ...(this.#options.cgroupRoot !== undefined ? { cgroupRoot: this.#options.cgroupRoot } : {}),
    });
    this.#cgroups = started.cgroups;
    this.#qosClass = started.qosClass;
    for (const swept of started.swept)
      this.#emitEvent(
        'Normal',
        'SweptLeftovers',
        `Removed the cgroups of pod ${swept.podUid}, left behind by a pod-init that is gone`,
      );
    if (started.notice !== undefined) {
      this.#cgroupNotice = started.notice;
      this.#emitEvent('Warning', 'ResourcesNotEnforced', started.notice);
    }
  }

  /**
   * `hostUsers: false` as root: a range of 65536 ids of the pod's own (userns-ranges.ts) and the
   * sandbox's user namespace mapping it; false when none is free (the pod fails, as the kubelet's
   * sandbox creation does). Without root the pod's user namespace is already one of its own.
   */
  #allocateIdRange(options: NonNullable<Parameters<typeof Sandbox.create>[0]>): boolean {
    if (this.pod.spec.hostUsers !== false || !runningAsRoot()) return true;
    try {
      this.#idRange = allocateRange(
        this.#options.userNamespaceRangesDir ?? defaultRangesDir(),
        this.pod.metadata.uid!,
        (uid) => !isPodGone(this.#ownersDir, uid),
      );
    } catch (error) {
      this.#reject('FailedCreatePodSandBox', (error as Error).message);
      return false;
    }
    options.userNamespace = rangeMappings(this.#idRange);
    return true;
  }

  /**
   * What pod-init made for a `hostUsers: false` pod and its containers read or write, given to the
   * pod's root (userns-files.ts): /etc/hosts, /etc/hostname, emptyDir, configMap and secret volumes.
   */
  #givePodFiles(hostId: number): void {
    // Its setup runs as the pod's root: through the state root (searchable, not listable: 0711, as
    // Docker's userns-remap makes its root) into the pod's own state directory (its group, 0710).
    const stateRoot = path.dirname(this.stateDir);
    fs.chmodSync(stateRoot, (fs.statSync(stateRoot).mode & 0o7777) | 0o001);
    fs.chownSync(this.stateDir, 0, hostId);
    fs.chmodSync(this.stateDir, 0o710);
    for (const file of this.#etcFiles) givePodTree(file.source, hostId);
    for (const spec of this.pod.spec.volumes ?? []) {
      const volume = this.#volumes.get(spec.name);
      if (volume !== undefined && !volume.hostPath && volume.tmpfsBytes === undefined)
        givePodTree(volume.source, hostId);
    }
  }

  /**
   * A volume that could not be set up: FailedMount, and its containers wait while the kubelet's volume
   * manager retries (0.5 s doubling to 2 min 2 s, its exponential backoff); the pod starts once the
   * volume can be made — a hostPath of type File that appears later, say. A Memory emptyDir is mounted with
   * the sandbox and cannot come later: it fails once.
   */
  #volumeFailed(volume: VolumeSpec, error: unknown, attempt: number, context: VolumeContext, memory?: number): void {
    const message = error instanceof VolumeError || error instanceof Error ? error.message : String(error);
    this.#volumeErrors.set(volume.name, message);
    this.#emitEvent('Warning', 'FailedMount', `MountVolume.SetUp failed for volume "${volume.name}" : ${message}`);
    if (volume.emptyDir?.medium === 'Memory') return;
    this.#later(Math.min(500 * 2 ** attempt, 122_000), () => {
      if (this.#terminating) return;
      let prepared: PreparedVolume;
      try {
        prepared = prepareVolume(volume, this.stateDir, this.#related, memory, context);
      } catch (again) {
        this.#volumeFailed(volume, again, attempt + 1, context, memory);
        return;
      }
      if (this.#idRange && !prepared.hostPath && prepared.tmpfsBytes === undefined)
        givePodTree(prepared.source, this.#idRange.hostId);
      this.#volumes.set(volume.name, prepared);
      this.#volumeErrors.delete(volume.name);
      this.#queueSync();
    });
  }

  /** `--hosts` (hosts-group.ts): needs a pod IP on the bridge, else a Warning. */
  #joinHosts(): HostsGroup | undefined {
    const m = this.pod.metadata;
    if (this.#network !== undefined)
      return HostsGroup.join(path.join(path.dirname(this.stateDir), '.hosts'), this.#ownersDir, {
        ...{ uid: m.uid!, namespace: m.namespace!, name: m.name, ips: this.#network.addresses },
        hostsFile: path.join(this.stateDir, 'etc-hosts'),
      });
    if (!this.pod.spec.hostNetwork)
      this.#emitEvent(
        'Warning',
        'HostsUnavailable',
        "--hosts needs a pod IP on the bridge (root): not in others' /etc/hosts",
      );
    return undefined;
  }

  /** The pod's /etc/hosts (kubelet) and /etc/hostname (runtime), bound into every container. */
  #writeEtcFiles(): void {
    const spec = this.pod.spec;
    const m = this.pod.metadata;
    const fqdn = spec.subdomain ? `${this.#hostname}.${spec.subdomain}.${m.namespace}.svc.cluster.local` : undefined;
    const hosts = path.join(this.stateDir, 'etc-hosts');
    const hostHosts = spec.hostNetwork ? fs.readFileSync('/etc/hosts', 'utf8') : undefined;
    const ips = this.#network?.addresses ?? this.#podIP;
    fs.writeFileSync(hosts, hostsFile(ips, this.#hostname, fqdn, hostHosts), { mode: 0o644 });
    this.#etcFiles.push({ source: hosts, target: '/etc/hosts' });
    const hostname = path.join(this.stateDir, 'hostname');
    fs.writeFileSync(hostname, `${this.#hostname}\n`, { mode: 0o644 });
    this.#etcFiles.push({ source: hostname, target: '/etc/hostname' });
    const resolv = path.join(this.stateDir, 'resolv.conf');
    const { conf, warnings } = podDNS(spec, this.#dnsBase());
    for (const warning of warnings) this.#emitEvent('Warning', warning.reason, warning.message);
    fs.writeFileSync(resolv, resolvConfText(conf), { mode: 0o644 });
    this.#etcFiles.push({ source: resolv, target: '/etc/resolv.conf' });
  }

  /**
   * The host's resolv.conf as the DNS base. A pod with its own network cannot reach a loopback resolver
   * (systemd-resolved's 127.0.0.53): then systemd-resolved's list of real servers, as kubeadm does.
   */
  #dnsBase(): ResolvConf {
    const read = (file: string) => {
      try {
        return parseResolvConf(fs.readFileSync(file, 'utf8'));
      } catch {
        return undefined;
      }
    };
    const base = read(this.#options.resolvConf ?? '/etc/resolv.conf') ?? parseResolvConf('');
    if (this.pod.spec.hostNetwork || !onlyLoopbackNameservers(base)) return base;
    return read('/run/systemd/resolve/resolv.conf') ?? base;
  }

  /** A sandbox whose unexpected end is noticed (B.1 step 1: a dead pause means a new sandbox). */
  async #createSandbox(): Promise<Sandbox> {
    const sandbox = await Sandbox.create(this.#sandboxOptions);
    try {
      this.#network?.attach(sandbox.pid);
      this.#rootless?.attach(sandbox.pid, sandbox.pause.exited, this.stateDir, {
        warning: (reason, message) => this.#emitEvent('Warning', reason, message),
      });
    } catch (error) {
      await sandbox.destroy();
      throw error;
    }
    this.#guard?.watch(sandbox.pid);
    this.#applyFsGroup(sandbox);
    this.#generation++;
    void sandbox.pause.exited.then(() => {
      if (!this.#terminating && this.#sandbox === sandbox) void this.#sandboxChanged();
    });
    return sandbox;
  }

  /**
   * The pause died while the pod ran: every container is killed; with restartPolicy Never and
   * containers that already ran the pod ends there, otherwise a new sandbox is made, where the init
   * containers run again (restart counts go on).
   */
  async #sandboxChanged(): Promise<void> {
    this.#emitEvent('Normal', 'SandboxChanged', 'Pod sandbox changed, it will be killed and re-created.');
    if (this.pod.spec.restartPolicy === 'Never' && this.#records.some((r) => r.current !== undefined)) {
      void this.#terminate(0, true); // the infrastructure died: the rest is killed at once
      return;
    }
    this.#replacing = true; // no starts while the sandbox is replaced
    const running = this.#records.filter(isRunning);
    for (const r of running) r.current!.process?.kill('SIGKILL');
    await Promise.all(running.map((r) => r.current!.process?.exited));
    // And whatever they left (a daemon of a hostPID pod, say): nothing of the old sandbox runs while
    // the new one is set up (its fsGroup walk, say).
    await this.#cgroups?.killAll().catch(() => undefined);
    await this.#sandbox?.destroy();
    if (this.#terminating) return; // deleted meanwhile: #terminate finishes the pod
    this.#initialized = false;
    this.#sandbox = await this.#createSandbox();
    void this.#rootless?.ready().catch((error: Error) => {
      this.#emitEvent('Warning', 'FailedPodNetwork', `The new sandbox has only loopback: ${error.message}`);
    });
    this.#replacing = false;
    this.#changed();
    this.#sync();
  }

  /** activeDeadlineSeconds passed (counted from startTime, init containers included): the pod fails. */
  #deadlineExceeded(): void {
    const message = 'Pod was active on the node longer than the specified deadline';
    this.#forcedPhase = { phase: 'Failed', reason: 'DeadlineExceeded', message };
    this.#emitEvent('Normal', 'DeadlineExceeded', message);
    void this.#terminate(this.pod.spec.terminationGracePeriodSeconds ?? 30);
  }

  #emitEvent(type: PodEvent['type'], reason: string, message: string, container?: string): void {
    const event: PodEvent = { type, reason, message, time: new Date() };
    if (container !== undefined) event.container = container;
    // Kept for `pod-init describe` (event-log.ts); the Date as JSON is the RFC 3339 time.
    this.#eventLog.append({ ...event, time: event.time.toISOString() });
    this.emit('event', event);
  }

  #status(): Record<string, unknown> {
    const status = podStatus(this.#records, {
      restartPolicy: this.pod.spec.restartPolicy ?? 'Always',
      sandboxReady: this.#sandbox?.running === true && !this.#done,
      initialized: this.#initialized,
      anyContainerStarted: this.#anyStarted,
      terminal: this.#deleted || this.#forcedPhase !== undefined,
      finished: this.#done,
      ...(this.#startTime ? { startTime: this.#startTime } : {}),
      ...(this.#forcedPhase ? { forcedPhase: this.#forcedPhase } : {}),
      hostIP: '127.0.0.1',
      podIP: this.#podIP,
      ...(this.#network !== undefined ? { podIPs: this.#network.addresses } : {}),
      qosClass: this.#qosClass,
      ...(this.#cgroupNotice !== undefined ? { sandboxMessage: this.#cgroupNotice } : {}),
      previousConditions: this.#conditions,
      now: new Date(),
    });
    this.#conditions = status.conditions as Condition[];
    return status;
  }

  #changed(): void {
    this.emit('status', this.object());
    this.#statusFile.schedule(() => this.object());
  }

  #later(ms: number, run: () => void): void {
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      run();
    }, ms);
    this.#timers.add(timer);
  }

  #queueSync(): void {
    if (this.#syncQueued) return;
    this.#syncQueued = true;
    queueMicrotask(() => {
      this.#syncQueued = false;
      this.#sync();
    });
  }

  #view(): PodView {
    const view = (r: ContainerRecord): ContainerView => {
      const v: ContainerView = {
        name: r.spec.name,
        kind: r.kind,
        running: isRunning(r),
        started: isRunning(r) && r.current!.started !== false,
        backoffKey: `${r.spec.name}@${JSON.stringify(r.spec)}`,
      };
      // A regular init container that ran in an earlier sandbox counts as never run: it runs again.
      const earlier = r.kind === 'init' && r.current !== undefined && r.current.generation !== this.#generation;
      // A container whose definition changed is started again at once, whatever the policy (kubelet's hash check).
      if (r.current?.finishedAt && !earlier && !r.definitionChanged)
        v.lastExit = { exitCode: r.current.exitCode ?? 0, finishedAt: r.current.finishedAt.getTime() };
      return v;
    };
    return {
      restartPolicy: this.pod.spec.restartPolicy ?? 'Always',
      init: this.#records.filter((r) => r.kind !== 'regular').map(view),
      regular: this.#records.filter((r) => r.kind === 'regular').map(view),
      initialized: this.#initialized,
    };
  }

  #record(name: string): ContainerRecord {
    return this.#records.find((r) => r.spec.name === name)!;
  }

  #sync(): void {
    if (this.#terminating || this.#replacing || this.#done || !this.#sandbox || this.#postStartRunning) return;
    const now = Date.now();
    for (const action of decide(this.#view(), this.#backoff, now)) {
      switch (action.type) {
        case 'initialized':
          this.#initialized = true;
          break;
        case 'start':
          // What comes next may depend on it (the next init container, say): decide again.
          if (this.#start(this.#record(action.name), now)) this.#queueSync();
          if (this.#postStartRunning) return; // the next start waits for the hook
          break;
        case 'back-off': {
          const r = this.#record(action.name);
          if (r.backOffUntil === action.until) break;
          r.backOffUntil = action.until;
          const seconds = Math.round(action.backoffMs / 1000);
          r.waiting = {
            reason: 'CrashLoopBackOff',
            message: `back-off ${seconds}s restarting failed container=${r.spec.name} pod=${this.podRef}`,
          };
          this.#emitEvent(
            'Warning',
            'BackOff',
            `Back-off restarting failed container ${r.spec.name} in pod ${this.podRef}`,
            r.spec.name,
          );
          this.#later(action.until - now, () => this.#sync());
          this.#changed();
          break;
        }
        case 'kill-pod':
          void this.#terminate(this.pod.spec.terminationGracePeriodSeconds ?? 30);
          return;
      }
    }
  }

  /**
   * The image step of every container whose image names a registry, before the sandbox (src/image/
   * ensure.ts): pulled into the store as its imagePullPolicy says, one image at a time (the kubelet's
   * serialized pulls); a failure is the container's waiting reason (the pod stays Pending). A failed
   * pull is retried with the kubelet's image back-off (src/image/pull-backoff.ts): ErrImagePull, then
   * ImagePullBackOff from half-way through the back-off, then a pull again; a pull that succeeds
   * starts the container.
   */
  async #ensureImages(): Promise<void> {
    const volumes = imageVolumePulls(this.pod.spec.volumes ?? []);
    const specs = [...(this.pod.spec.initContainers ?? []), ...this.pod.spec.containers, ...volumes];
    let ctx: PullContext | undefined;
    const retry = new Set<number>();
    for (const spec of specs) {
      const image = spec.image ?? '';
      if (image === '' || this.#images.has(image) || this.#pulled.has(image)) continue;
      if (this.#deleted || this.#done) return;
      const local = this.#options.imagePull?.localImages?.get(image);
      if (local !== undefined) {
        if (this.#imageErrors.has(spec.name)) continue; // a bad archive stays bad: not loaded again
        ctx ??= this.#pullContext();
        await this.#loadLocalImage(spec.name, image, local, ctx);
        continue;
      }
      const previous = this.#imageErrors.get(spec.name)?.reason;
      if (previous !== undefined && previous !== 'ErrImagePull' && previous !== 'ImagePullBackOff') continue;
      let registry: boolean;
      try {
        registry = isRegistryImage(image, this.#options.imagePull?.mirrors);
      } catch {
        registry = true; // ensureImage reports it (InvalidImageName)
      }
      if (!registry) continue;
      ctx ??= this.#pullContext();
      this.#leaseImage(ctx, image);
      const result = await this.#imagePullBackOff.ensure(
        image,
        spec.imagePullPolicy ?? defaultPullPolicy(image),
        ctx,
        (type, reason, message) => this.#emitEvent(type, reason, message, 'volume' in spec ? undefined : spec.name),
      );
      const r = this.#records.find((x) => x.spec.name === spec.name);
      if ('image' in result) {
        this.#pulled.set(image, result.image);
        this.#imageLease?.hold(result.image.reference, result.image.record);
        this.#imageErrors.delete(spec.name);
        if (r?.waiting?.reason === 'ErrImagePull' || r?.waiting?.reason === 'ImagePullBackOff') delete r.waiting;
      } else {
        this.#imageErrors.set(spec.name, result.waiting);
        if (r) r.waiting = result.waiting;
        if (result.backOffAt !== undefined) retry.add(result.backOffAt);
        if (result.retryAt !== undefined) retry.add(result.retryAt);
      }
    }
    const now = Date.now();
    for (const at of retry) {
      if (this.#imageRetries.has(at)) continue;
      this.#imageRetries.add(at);
      this.#later(Math.max(0, at - now), () => {
        this.#imageRetries.delete(at);
        void this.#retryImages();
      });
    }
  }

  /** The image step of an image from a local archive (src/image/local-image.ts): loaded, verified, into the store. */
  async #loadLocalImage(container: string, image: string, source: LocalSource, ctx: PullContext): Promise<void> {
    const quoted = JSON.stringify(image);
    try {
      const [loaded] = await loadLocalImages(source, ctx, image);
      this.#pulled.set(image, loaded!);
      this.#leaseImage(ctx, loaded!.reference, loaded!.record);
      this.#emitEvent('Normal', 'Pulled', `Container image ${quoted} already present on machine`, container);
    } catch (error) {
      if (!(error instanceof Error) || !['LocalImageError', 'ArchiveError', 'ImageReferenceError'].includes(error.name))
        throw error;
      const message = `${source.transport}:${source.path}: ${error.message}`;
      this.#emitEvent('Warning', 'Failed', `Failed to pull image ${quoted}: ${message}`, container);
      this.#emitEvent('Warning', 'Failed', 'Error: ErrImagePull', container);
      const waiting = { reason: 'ErrImagePull', message };
      this.#imageErrors.set(container, waiting);
      const r = this.#records.find((x) => x.spec.name === container);
      if (r) r.waiting = waiting;
    }
  }

  /**
   * Leases `image` for this pod before it is pulled (so GC never takes it between the pull and the
   * start) and with its layers once known; released at the pod's end.
   */
  #leaseImage(ctx: PullContext, image: string, record?: { config: string; diffIds: string[] }): void {
    let reference: string;
    try {
      reference = referenceString(parseReference(image));
    } catch {
      return; // InvalidImageName: nothing to lease
    }
    this.#imageLease ??= new ImageLease(ctx.store.dir, `${this.pod.metadata.namespace}/${this.pod.metadata.name}`);
    this.#imageLease.hold(reference, record ?? { config: '', diffIds: [] });
  }

  /** The image step again (one at a time), then whatever it made startable. */
  #retryImages(): Promise<void> {
    this.#imageRetry = this.#imageRetry
      .then(async () => {
        if (this.#deleted || this.#done) return;
        await this.#ensureImages();
        if (this.#deleted || this.#done) return;
        this.#changed();
        this.#sync();
      })
      .catch((error: unknown) => {
        // Not a pull failure (ensureImage reports those): the store itself failed. Said, not thrown.
        this.#emitEvent('Warning', 'Failed', `Error: ${error instanceof Error ? error.message : String(error)}`);
      });
    return this.#imageRetry;
  }

  /**
   * Credentials from the pod's imagePullSecrets (the Secrets of its input), as the kubelet's keyring:
   * missing ones get its `FailedToRetrieveImagePullSecret` warning, unusable ones a warning saying why.
   */
  #pullSecretCredentials(): ReturnType<typeof credentialsFromPullSecrets>['credentials'] {
    const names = (this.pod.spec.imagePullSecrets ?? []).map((s) => s.name ?? '').filter((n) => n !== '');
    const found = names.filter((n) => this.#related.secrets.has(n));
    const missing = names.filter((n) => !this.#related.secrets.has(n));
    if (missing.length > 0)
      this.#emitEvent(
        'Warning',
        'FailedToRetrieveImagePullSecret',
        `Unable to retrieve some image pull secrets (${missing.join(', ')}); attempting to pull the image may not succeed.`,
      );
    const { credentials, problems } = credentialsFromPullSecrets(
      found.map((name) => ({
        name,
        data:
          this.#related.bytes?.secrets.get(name) ??
          Object.fromEntries(Object.entries(this.#related.secrets.get(name)!).map(([k, v]) => [k, Buffer.from(v)])),
      })),
    );
    for (const problem of problems) this.#emitEvent('Warning', 'FailedToRetrieveImagePullSecret', problem);
    return credentials;
  }

  #pullContext(): PullContext {
    const pull = this.#options.imagePull ?? {};
    const root = runningAsRoot();
    return {
      store: new ImageStore(pull.storeDir ?? defaultImageStoreDir()),
      client: new RegistryClient({
        insecureRegistries: pull.insecureRegistries ?? [],
        credentials: firstCredentials(this.#pullSecretCredentials(), credentialsFrom(pull.authFiles ?? [])),
        ...(pull.mirrors !== undefined ? { mirrors: pull.mirrors } : {}),
        ...(pull.trust !== undefined ? { trust: pull.trust } : {}),
      }),
      ...(pull.onProgress !== undefined ? { onProgress: pull.onProgress } : {}),
      unpack: {
        chown: root,
        devices: root,
        xattrNamespace: root ? 'trusted' : 'user',
        warn: (m) => this.#emitEvent('Warning', 'ImageUnpack', m),
      },
    };
  }

  /** Starts a container; true when something started or failed to (state to decide on again). */
  #start(r: ContainerRecord, now: number): boolean {
    const imageError = this.#imageErrors.get(r.spec.name);
    if (imageError !== undefined) {
      r.waiting = imageError; // the pod stays Pending; #ensureImages retries a failed pull
      return false;
    }
    if (r.waiting?.reason === 'CreateContainerConfigError' && r.backOffUntil !== undefined && r.backOffUntil > now)
      return false;
    const name = r.spec.name;
    const finished = r.current?.finishedAt !== undefined;
    // The kubelet waits for the pod's volumes before anything of the container (no image event before).
    const missing = (r.spec.volumeMounts ?? []).find((m) => !this.#volumes.has(m.name));
    if (missing) {
      const why = this.#volumeErrors.get(missing.name) ?? 'not found';
      this.#configError(r, 'ContainerCreating', `volume "${missing.name}": ${why}`, now, false);
      return false;
    }
    // The kubelet's first step of every start (EnsureImageExists), before the container's config.
    const image = r.spec.image ?? '';
    const pulled = this.#pulled.get(image);
    // A pulled image's first start had its events from #ensureImages.
    if (pulled === undefined || finished)
      this.#emitEvent(
        'Normal',
        'Pulled',
        this.#images.has(image) || pulled !== undefined
          ? `Container image ${JSON.stringify(image)} already present on machine`
          : `Container image ${JSON.stringify(image)} not pulled: no --image for it, the container runs on the host's filesystem`,
        name,
      );
    let env: Map<string, string>;
    let argv: string[];
    try {
      env = containerEnv(this.pod, r.spec, this.#related, this.#hostname, this.#podIP, nodeAllocatable(this.stateDir));
      argv = containerArgv(r.spec, env);
      if (pulled !== undefined) {
        // The image config, as the kubelet and containerd apply it (src/image/image-config.ts).
        const ownPath = (r.spec.env ?? []).some((e) => e.name === 'PATH');
        env = imageEnv(pulled.config, env, ownPath ? new Set() : new Set(['PATH']));
        argv = imageArgv(
          { hasCommand: r.spec.command !== undefined, hasArgs: r.spec.args !== undefined },
          argv,
          pulled.config,
        );
      }
    } catch (error) {
      if (!(error instanceof ContainerConfigError)) throw error;
      this.#configError(r, 'CreateContainerConfigError', error.message, now);
      return false;
    }
    if (argv.length === 0) {
      this.#configError(r, 'CreateContainerError', 'no command specified', now);
      return false;
    }
    const instance: Instance = {
      id: randomUUID().replace(/-/g, ''),
      generation: this.#generation,
      startedAt: new Date(),
      logTail: [],
    };
    const imageDir = r.spec.image === undefined ? undefined : this.#images.get(r.spec.image);
    const security = containerSecurity(this.pod, r.spec, {
      users: pulled ? layeredUserDatabase([...pulled.layers].reverse()) : readUserDatabase(imageDir ?? '/'),
      ...(pulled?.config.config?.User ? { imageUser: pulled.config.config.User } : {}),
      rootful: runningAsRoot(),
      availableCapabilities: runtimeCapabilities(),
      // host mode binds the host's /sys read-only already (rootfs.ts)
      freshSysfs: imageDir !== undefined || pulled !== undefined,
      noNewPrivilegesByDefault: this.#options.noNewPrivilegesByDefault ?? true,
      userNamespace: this.#sandbox!.namespaces.includes('user'), // procMount: Unmasked is honoured there
      ...(this.#seccompProfileRoot !== undefined ? { seccompProfileRoot: this.#seccompProfileRoot } : {}),
    });
    if (security.errors.length > 0) {
      this.#configError(r, 'CreateContainerConfigError', security.errors[0]!, now);
      return false;
    }
    let seccomp: SeccompFilter | undefined;
    try {
      seccomp = seccompFilter(security.seccomp, security.capabilities.bounding, {
        // Kept across runs beside the pods' state (libseccomp takes ~20 ms per profile; a read, ~0.1 ms).
        cacheDir: path.join(path.dirname(this.stateDir), '.cache', 'seccomp'),
      });
    } catch (error) {
      // containerd: the profile cannot be generated, CreateContainer fails.
      const why = error instanceof Error ? error.message : String(error);
      this.#configError(r, 'CreateContainerError', `failed to generate seccomp spec opts: ${why}`, now);
      return false;
    }
    const confinement = {
      ...this.#identity(security),
      capabilities: security.capabilities,
      noNewPrivileges: security.noNewPrivileges,
      ...(seccomp !== undefined ? { seccomp } : {}),
    };
    let mounts: MountStep[];
    try {
      // The root ends in pivot_root (and its read-only remounts); /sys and the masks come after it.
      mounts = [
        ...containerRootMounts(this.#podFiles(), r.spec, env, instance, { readOnlyRoot: security.readOnlyRoot }),
        ...security.maskedSteps,
      ];
    } catch (error) {
      if (!(error instanceof ContainerConfigError)) throw error;
      this.#configError(r, 'CreateContainerConfigError', error.message, now);
      return false;
    }
    const workingDir = r.spec.workingDir ?? pulled?.config.config?.WorkingDir;
    if (pulled !== undefined && workingDir !== undefined && instance.rootDir !== undefined)
      try {
        makeWorkingDir(
          [...pulled.layers].reverse(),
          path.join(instance.rootDir, 'upper'),
          workingDir,
          runningAsRoot() ? { uid: security.uid, gid: security.gid } : undefined,
        );
      } catch (error) {
        closeMountFds(instance);
        removeInstanceRoot(instance.rootDir);
        const why = error instanceof Error ? error.message : String(error);
        this.#configError(r, 'CreateContainerError', `creating the working directory ${workingDir}: ${why}`, now);
        return false;
      }
    if (finished) {
      this.#backoff.recordRestart(`${name}@${JSON.stringify(r.spec)}`, now, r.current!.finishedAt!.getTime());
      r.restartCount++;
    }
    r.definitionChanged = undefined;
    r.backOffUntil = undefined;
    // A mount namespace of its own (a copy of the pod's) for its root; a pid namespace unless shared.
    const own: Array<'pid' | 'mnt'> =
      this.pod.spec.shareProcessNamespace || this.pod.spec.hostPID ? ['mnt'] : ['pid', 'mnt'];
    let process;
    try {
      process = this.#sandbox!.spawn({
        file: argv[0]!,
        args: argv.slice(1),
        env: Object.fromEntries(env),
        cwd: r.spec.workingDir ?? pulled?.config.config?.WorkingDir ?? '/',
        stdio: ['ignore', 'pipe', 'pipe'],
        newNamespaces: own,
        mounts,
        ...this.#cgroupOption(name),
        ...confinement,
        // hostPID: no pid namespace to die with the pause, so the guard kills the container's tree if
        // pod-init dies; a parent-death signal would race it and orphan the tree before it is stopped.
        ...(this.pod.spec.hostPID && this.#guard ? { dieWithParent: false } : {}),
      });
      if (this.pod.spec.hostPID) this.#guard?.watch(process.pid);
    } catch (error) {
      closeMountFds(instance);
      if (!(error instanceof PodSystemError)) throw error;
      if (instance.rootDir !== undefined) removeInstanceRoot(instance.rootDir);
      if (r.current) r.previous = r.current;
      const message = startErrorMessage(error, argv[0]!, r.spec.workingDir ?? '/');
      r.current = { ...instance, finishedAt: new Date(), exitCode: 128, reason: 'StartError', message };
      r.waiting = { reason: 'RunContainerError', message };
      this.#emitEvent('Warning', 'Failed', `Error: ${message}`, name);
      this.#changed();
      return true;
    }
    closeMountFds(instance); // attached by the child: the pod's mount namespace holds them now
    if (r.current) r.previous = r.current;
    r.current = { ...instance, process };
    r.waiting = undefined;
    if (r.kind === 'regular') this.#anyStarted = true;
    this.#emitEvent('Normal', 'Created', `Created container: ${name}`, name);
    this.#emitEvent('Normal', 'Started', `Started container ${name}`, name);
    const current = r.current;
    current.target = {
      process,
      pause: this.#sandbox!.pause,
      env: Object.fromEntries(env),
      podIP: this.#podIP,
      ...(this.#network !== undefined ? { fromHost: true } : {}),
      cwd: r.spec.workingDir ?? pulled?.config.config?.WorkingDir ?? '/',
      ports: r.spec.ports ?? [],
      ...confinement,
    };
    this.#recordExecSpec(name, current.target, this.#cgroupOption(name).cgroups);
    const postStart = r.spec.lifecycle?.postStart;
    if (postStart) void this.#postStart(r, current, postStart, () => this.#startProbes(r, current));
    else this.#startProbes(r, current);
    const drained = Promise.all([
      this.#pipeLogs(r, current, process.stdout!, 'stdout'),
      this.#pipeLogs(r, current, process.stderr!, 'stderr'),
    ]);
    void process.exited.then(async (status) => {
      // At once: a postStart hook still running sees it and starts no probe workers for a dead instance.
      current.exitSeen = true;
      forgetExecSpec(this.stateDir, name, process.pid);
      // Its last lines first (the fallback message reads them), unless something it left holds the pipes.
      for (const worker of Object.values(current.probes ?? {})) worker.stop();
      await Promise.race([drained, new Promise((resolve) => setTimeout(resolve, 1000).unref())]);
      current.finishedAt = new Date();
      // Its root's writable layer goes with it: a restart starts from the image again.
      if (current.rootDir !== undefined) removeInstanceRoot(current.rootDir);
      if (status.signal !== null) {
        current.signal = signalNumber(status.signal);
        current.exitCode = 128 + current.signal;
      } else current.exitCode = status.exitCode ?? 0;
      current.reason = this.#cgroups
        ? terminationReason(this.#cgroups, name, current.exitCode)
        : current.exitCode === 0
          ? 'Completed'
          : 'Error';
      // A fresh cgroup for the next start, if one may come: what the instance left is killed, the
      // counters start at 0. (A container that will not start again keeps its cgroup until the end.)
      if (
        this.#cgroups &&
        !this.#terminating &&
        (r.definitionChanged || shouldRestart(this.pod.spec.restartPolicy ?? 'Always', r.kind, current.exitCode))
      )
        await this.#cgroups.prepareContainer(name).catch(() => undefined);
      const message = terminationMessage({
        file: current.terminationFile,
        policy: r.spec.terminationMessagePolicy,
        exitCode: current.exitCode,
        logTail: current.logTail,
      });
      if (message !== undefined) current.message = message;
      current.process = undefined;
      this.#changed();
      this.#queueSync();
    });
    this.#changed();
    return true;
  }

  /**
   * The probe workers of a started instance (B.8): the startup probe first; liveness and readiness once
   * it has succeeded (at once without one).
   */
  #startProbes(r: ContainerRecord, instance: Instance): void {
    if (instance.exitSeen) return; // it ended while its postStart ran
    const spec = r.spec;
    const target = instance.target!;
    const title = { startup: 'Startup', liveness: 'Liveness', readiness: 'Readiness' } as const;
    const make = (kind: ProbeKind, probe: ProbeSpec | undefined) =>
      probe &&
      new ProbeWorker(kind, probe, () => runProbe(probe, target, (probe.timeoutSeconds ?? 1) * 1000), {
        onFailedAttempt: (o) =>
          this.#emitEvent('Warning', 'Unhealthy', `${title[kind]} probe failed: ${o.output}`, spec.name),
        onWarning: (o) =>
          this.#emitEvent('Warning', 'ProbeWarning', `${title[kind]} probe warning: ${o.output}`, spec.name),
        onError: (o) =>
          this.#emitEvent(
            'Warning',
            'Unhealthy',
            `${title[kind]} probe errored and resulted in unknown state: ${o.output}`,
            spec.name,
          ),
        onResult: (result) => this.#probeResult(r, instance, kind, result),
      });
    const probes: Partial<Record<ProbeKind, ProbeWorker>> = {};
    for (const [kind, probe] of [
      ['startup', spec.startupProbe],
      ['liveness', spec.livenessProbe],
      ['readiness', spec.readinessProbe],
    ] as const) {
      const worker = make(kind, probe);
      if (worker) probes[kind] = worker;
    }
    instance.probes = probes;
    instance.started = probes.startup === undefined;
    instance.ready = probes.readiness === undefined;
    const startedAt = instance.startedAt.getTime();
    // During the pod's termination only readiness is probed (B.8).
    if (this.#terminating) {
      delete probes.startup;
      delete probes.liveness;
      instance.started = true;
    }
    if (probes.startup) probes.startup.start(startedAt);
    else {
      probes.liveness?.start(startedAt);
      probes.readiness?.start(startedAt);
    }
  }

  /** A probe's settled result changed. */
  #probeResult(r: ContainerRecord, instance: Instance, kind: ProbeKind, result: ProbeResult): void {
    if (r.current !== instance || instance.finishedAt !== undefined) return;
    const probes = instance.probes ?? {};
    if (kind === 'readiness') {
      instance.ready = result === 'success';
      this.#changed();
      return;
    }
    if (kind === 'startup' && result === 'success') {
      instance.started = true;
      probes.startup!.stop();
      const startedAt = instance.startedAt.getTime();
      probes.liveness?.start(startedAt);
      probes.readiness?.start(startedAt); // at once: its initial delay has passed, or it waits for it
      this.#changed();
      this.#queueSync(); // a started sidecar lets the next init container start
      return;
    }
    if (result !== 'failure' || this.#terminating) return;
    // Liveness or startup failed: killed with the probe's grace (or the pod's), then restarted by policy;
    // readiness goes on probing until the container is gone.
    probes.liveness?.stop();
    probes.startup?.stop();
    const probe = kind === 'startup' ? r.spec.startupProbe : r.spec.livenessProbe;
    const grace = probe?.terminationGracePeriodSeconds ?? this.pod.spec.terminationGracePeriodSeconds ?? 30;
    const message = `Container ${r.spec.name} failed ${kind} probe, will be restarted`;
    void this.#killContainer(r, Date.now() + grace * 1000, message);
  }

  /**
   * The kubelet's killContainer (B.10): a `Killing` event, the preStop hook within the grace, then
   * (for a sidecar) waiting for the containers it serves, then the stop signal (lifecycle.stopSignal,
   * else SIGTERM) and SIGKILL once the grace is over — at least 2 s after the signal.
   */
  #killContainer(
    r: ContainerRecord,
    deadline: number,
    message: string,
    waitFor?: () => Promise<unknown>,
  ): Promise<void> {
    const instance = r.current;
    const proc = instance?.process;
    if (!instance || !proc || !isRunning(r)) return Promise.resolve();
    // One kill per instance: a deletion during a probe's kill waits for that one (no second preStop).
    instance.killing ??= (async () => {
      this.#emitEvent('Normal', 'Killing', message, r.spec.name);
      const until = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)).unref());
      const preStop = r.spec.lifecycle?.preStop;
      try {
        if (preStop && instance.target && deadline > Date.now()) {
          const subject = { container: r.spec.name, pod: this.podRef };
          const hook = runHook(preStop, instance.target, subject, deadline - Date.now());
          const outcome = await Promise.race([hook, proc.exited.then(() => ({ ok: true }) as const)]);
          if (!outcome.ok) this.#emitEvent('Warning', 'FailedPreStopHook', outcome.message, r.spec.name);
        }
        if (waitFor && deadline > Date.now()) await Promise.race([waitFor(), until(deadline - Date.now())]);
      } catch (error) {
        this.#emitEvent('Warning', 'FailedPreStopHook', (error as Error).message, r.spec.name);
      }
      try {
        // lifecycle.stopSignal > the image's StopSignal > SIGTERM (containerd's order)
        const imageSignal = this.#pulled.get(r.spec.image ?? '')?.config.config?.StopSignal;
        proc.kill((r.spec.lifecycle?.stopSignal ?? imageStopSignal(imageSignal) ?? 'SIGTERM') as Signal);
      } catch {
        proc.kill('SIGTERM'); // a stop signal this host does not know
      }
      const kill = setTimeout(() => proc.kill('SIGKILL'), Math.max(deadline - Date.now(), 2000));
      await proc.exited;
      clearTimeout(kill);
    })();
    return instance.killing;
  }

  /**
   * postStart (B.9): runs right after the start and blocks the pod's next start until it returns; the
   * container is still ContainerCreating meanwhile. A failure is FailedPostStartHook: the container is
   * killed and the restart policy decides.
   */
  async #postStart(r: ContainerRecord, instance: Instance, hook: HookHandler, startProbes: () => void): Promise<void> {
    this.#postStartRunning = true;
    r.waiting = { reason: 'ContainerCreating' };
    instance.started = false;
    instance.ready = false;
    let outcome: { ok: true } | { ok: false; message: string };
    try {
      outcome = await Promise.race([
        runHook(hook, instance.target!, { container: r.spec.name, pod: this.podRef }, Infinity),
        instance.process!.exited.then(() => ({ ok: true }) as const),
      ]);
    } catch (error) {
      outcome = { ok: false, message: (error as Error).message };
    }
    this.#postStartRunning = false;
    if (r.current === instance) r.waiting = undefined;
    const alive = r.current === instance && !instance.exitSeen;
    if (!outcome.ok && alive) {
      this.#emitEvent('Warning', 'FailedPostStartHook', outcome.message, r.spec.name);
      const grace = this.pod.spec.terminationGracePeriodSeconds ?? 30;
      void this.#killContainer(r, Date.now() + grace * 1000, 'FailedPostStartHook');
    } else if (alive) startProbes();
    this.#changed();
    this.#queueSync();
  }

  /**
   * The ids to spawn a container (and its exec probes and hooks) with. Plain root is left as it is when
   * pod-init is not root: a rootless pod's user namespace maps one id and cannot setgroups.
   */
  #identity(security: ContainerSecurity): { uid?: number; gid?: number; groups?: number[] } {
    const plainRoot = security.uid === 0 && security.gid === 0 && security.groups.every((g) => g === 0);
    if (plainRoot && !runningAsRoot()) return {};
    return { uid: security.uid, gid: security.gid, groups: security.groups };
  }

  /** What a container's root is made from. */
  #podFiles(): PodFiles {
    return {
      stateDir: this.stateDir,
      volumes: this.#volumes,
      etcFiles: this.#etcFiles,
      images: this.#images,
      pulled: new Map([...this.#pulled].map(([name, image]) => [name, [...image.layers].reverse()])),
      ...(this.#shm !== undefined ? { shm: this.#shm } : {}),
      view: this.#podView(),
      userNamespace: this.#sandbox!.namespaces.includes('user'),
      ...(this.#idRange
        ? { podUsers: { hostId: this.#idRange.hostId, userNamespace: `/proc/${this.#sandbox!.pid}/ns/user` } }
        : {}),
      // The host's mount points, as Node sees them: the pod's mount namespace is a copy of the host's
      // (plus its own tmpfs mounts under the state directory), and the pause, chrooted into an empty
      // root, no longer lists them in its own mountinfo.
      mountPoints: () => mountPointsOf(fs.readFileSync('/proc/self/mountinfo', 'utf8')),
    };
  }

  /** Reads paths as the pod's mount namespace has them (its tmpfs mounts included), through its pause. */
  #podView(): (p: string) => string {
    const root = this.#sandbox!.root;
    return (p) => `${root}${p}`;
  }

  /** What `pod-init exec` needs to enter a started instance as its own process runs (exec-spec.ts). */
  #recordExecSpec(name: string, target: ProbeTarget, cgroups: string[] | undefined): void {
    const startTime = processStartTime(target.process.pid);
    if (startTime === undefined) return; // gone already
    try {
      writeExecSpec(this.stateDir, name, {
        pid: target.process.pid,
        startTime,
        env: target.env,
        cwd: target.cwd ?? '/',
        ...(target.uid !== undefined ? { uid: target.uid } : {}),
        ...(target.gid !== undefined ? { gid: target.gid } : {}),
        ...(target.groups !== undefined ? { groups: target.groups } : {}),
        ...(target.capabilities !== undefined ? { capabilities: target.capabilities } : {}),
        ...(target.noNewPrivileges ? { noNewPrivileges: true } : {}),
        ...(target.seccomp !== undefined ? { seccomp: target.seccomp.bpf.toString('base64') } : {}),
        ...(cgroups !== undefined ? { cgroups } : {}),
      });
    } catch (error) {
      // exec then says the container is not running; the pod itself goes on.
      this.#emitEvent('Warning', 'ExecSpecNotWritten', `pod-init exec cannot enter it: ${String(error)}`, name);
    }
  }

  /** The `cgroups` spawn option of a container (and of its exec probes and hooks). */
  #cgroupOption(name: string): { cgroups?: string[] } {
    const dirs = this.#cgroups?.containerDirs(name) ?? [];
    return dirs.length > 0 ? { cgroups: dirs } : {};
  }

  #configError(r: ContainerRecord, reason: string, message: string, now: number, event = true): void {
    r.waiting = { reason, message };
    r.backOffUntil = now + configRetryMs;
    if (event) this.#emitEvent('Warning', 'Failed', `Error: ${message}`, r.spec.name);
    this.#later(configRetryMs, () => this.#sync());
    this.#changed();
  }

  /** Streams one pipe of a container instance to its CRI log and to listeners; resolves at its end. */
  #pipeLogs(
    r: ContainerRecord,
    instance: Instance,
    stream: NodeJS.ReadableStream,
    name: 'stdout' | 'stderr',
  ): Promise<void> {
    const container = r.spec.name;
    const file = path.join(this.stateDir, container, `${r.restartCount}.log`);
    let writer = this.#logs.get(file);
    if (!writer) {
      writer = new CriLogWriter(file, this.#logRotation);
      this.#logs.set(file, writer);
    }
    const sink = writer;
    let ended!: () => void;
    const end = new Promise<void>((resolve) => (ended = resolve));
    this.#streamEnds.push(end);
    const tail = instance.logTail;
    let continued = false;
    readLines(
      stream,
      (line, partial) => {
        const time = new Date();
        sink.write(time, name, line, partial);
        // The tail holds whole lines, as the kubelet's fallback reads them, of which only the last
        // bytes can matter: a long line is kept to that many.
        if (continued) tail[tail.length - 1] = lastBytes(tail[tail.length - 1]! + line, terminationLimits.logBytes);
        else tail.push(line.length > terminationLimits.logBytes ? lastBytes(line, terminationLimits.logBytes) : line);
        if (tail.length > terminationLimits.logLines) tail.shift();
        continued = partial;
        const record: LogLine = { container, stream: name, line, time };
        if (partial) record.partial = true;
        this.emit('log', record);
      },
      () => ended(),
    );
    return end;
  }

  /** Stops every container (B.10), then the sandbox; resolves `finished`. */
  async #terminate(graceSeconds: number, immediate = false): Promise<void> {
    if (this.#terminating) return;
    this.#terminating = true;
    // Deleted while starting: the start finishes first (it starts no container now), then all it made goes.
    await this.#starting?.catch(() => undefined);
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    // A container that ran shows how it ended; one that never started keeps why (CreateContainerError, say),
    // as the kubelet's final status does.
    for (const r of this.#records) if (!isRunning(r) && r.current) r.waiting = undefined;
    // Liveness and startup probes stop with the pod's termination; readiness goes on (B.8).
    for (const r of this.#records) {
      r.current?.probes?.liveness?.stop();
      r.current?.probes?.startup?.stop();
    }
    // killContainer for every running container at once (B.10): preStop hooks (sidecars' too) start
    // now; a sidecar's stop signal waits for every regular container and every later sidecar.
    // The pod's grace is at least 1 s (kubelet calculateEffectiveGracePeriod), so preStop hooks get a chance.
    const deadline = Date.now() + (immediate ? 0 : Math.max(1, graceSeconds)) * 1000;
    const exited = (r: ContainerRecord) => r.current?.process?.exited ?? Promise.resolve();
    const running = this.#records.filter(isRunning);
    if (immediate) for (const r of running) r.current!.process?.kill('SIGKILL');
    const regular = running.filter((r) => r.kind !== 'sidecar');
    const sidecars = running.filter((r) => r.kind === 'sidecar');
    await Promise.all([
      ...regular.map((r) => this.#killContainer(r, deadline, `Stopping container ${r.spec.name}`)),
      ...sidecars.map((r, i) =>
        this.#killContainer(r, deadline, `Stopping container ${r.spec.name}`, () =>
          Promise.all([...regular, ...sidecars.slice(i + 1)].map(exited)),
        ),
      ),
    ]);
    // The pipes end once every process holding them is gone (the pause takes any orphan with it):
    // wait for both together, then close the log files together.
    await Promise.all([this.#sandbox?.destroy(), this.#rootless?.stop(), ...this.#streamEnds]);
    await Promise.all([...this.#logs.values()].map((writer) => writer.close()));
    // Whatever outlived its container (a daemon that changed its uid, say) goes with the cgroups.
    await this.#cgroups?.remove().catch(() => undefined);
    if (this.#idRange)
      releaseRange(this.#options.userNamespaceRangesDir ?? defaultRangesDir(), this.#idRange, this.pod.metadata.uid!);
    // Everything of the pod is gone: the guard may go, killing nothing.
    await this.#guardStarting?.catch(() => undefined);
    await this.#guard?.release();
    releasePodName(this.#names(), this.pod.metadata.namespace!, this.pod.metadata.name, this.pod.metadata.uid!);
    this.#hosts?.leave();
    this.#imageLease?.release();
    // A finished pod keeps only its logs and final status (emptyDirs go with the pod, as in Kubernetes).
    removeInstanceRoot(path.join(this.stateDir, 'roots'));
    for (const item of ['volumes', 'containers', 'shm', 'etc-hosts', 'hostname', 'resolv.conf'])
      fs.rmSync(path.join(this.stateDir, item), { recursive: true, force: true });
    this.#done = true;
    const final = this.object();
    // The final status before the owner record goes: a reader never sees a live-looking pod without an owner.
    this.#statusFile.close(final);
    const networked = this.#network !== undefined || this.#ports !== undefined;
    if (!networked) releasePod(this.#ownersDir, this.pod.metadata.uid!);
    this.#changed();
    this.#resolve(final);
    if (networked) {
      // The veth's synchronous delete after `finished` is reported; the owner record goes after it, so a
      // pod-init that dies in between leaves a lease the next start sweeps. The ports' rules go first.
      await new Promise((resolve) => setImmediate(resolve));
      await this.#portsReady?.catch(() => undefined);
      try {
        this.#ports?.release();
      } catch (error) {
        this.#emitEvent(
          'Warning',
          'FailedPodNetworkTeardown',
          `Releasing the pod's ports: ${(error as Error).message}`,
        );
      }
      try {
        this.#network?.release();
      } catch (error) {
        this.#emitEvent(
          'Warning',
          'FailedPodNetworkTeardown',
          `Releasing the pod network: ${(error as Error).message}`,
        );
      }
      releasePod(this.#ownersDir, this.pod.metadata.uid!);
    }
    this.#resolveClosed();
  }
}
