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
import { sandboxCgroupName } from '../cgroups/spec';
import { PodOptionError, PodSystemError } from '../errors';
import { Sandbox } from '../sandbox';
import { imageStopSignal } from '../image/image-config';
import type { PodPorts } from '../net/pod-ports';
import { Backoff, kubeletBackoff } from './backoff';
import { cgroupStep, type CgroupStep } from './cgroup-step';
import { instanceEnd } from './container/exit';
import { recordExecSpec } from './container/exec-record';
import { logFile, pipeLogs } from './container/output';
import { prepareStart, pulledMessage, spawnRequest } from './container/start';
import { killContainer, stopContainers } from './container/stop';
import { type ContainerChange, changeContainerSpecs } from './container-changes';
import { closeMountFds, type PodFiles, podMemoryLimit, podTmpfsMounts, removeInstanceRoot } from './container-root';
import type { PodEvent, Say } from './events';
import { forgetExecSpec } from './exec-spec-writer';
import { EventLog } from './event-log';
import { afterStartup, type ProbeWorkers, startProbes, stopHealthProbes } from './health/probe-workers';
import { runPostStart } from './health/post-start';
import type { HookHandler } from './hooks';
import { ImageStep } from './image-step';
import { kubeletLogRotation } from './log-rotation';
import { type CriLogLine, CriLogWriter, readCriLog } from './logs';
import {
  holdPorts,
  type NetworkOptions,
  networkOptionsOf,
  networkReady,
  type NetworkReservation,
  type Rejection,
  releaseNetwork,
  reserveNetwork,
} from './network-plan';
import { nodeAllocatable } from './node-allocatable';
import { claimPod, defaultOwnersDir, releasePod } from './owners';
import { PodGuard } from './pod-guard';
import { claimPodName, type PodNameRegistry, releasePodName } from './pod-names';
import { HostsGroup } from './hosts-group';
import { ensurePrivateDir } from './private-dir';
import type { ProbeKind, ProbeResult } from './probes';
import { type ContainerRecord, type Instance, isRunning } from './records';
import { type Observation, reduce } from './reduce';
import { initialState, type PodState, recordOf } from './state';
import type { ExitStatus, PodProcess } from '../process';
import { decide, shouldRestart } from './reconcile';
import { applyFsGroup, givePodFiles, giveVolume, podFilesOf } from './root/pod-files';
import { writeEtcFiles } from './root/etc-files';
import type { PodRunnerOptions } from './runner-options';
import { defaultClaimsDir, defaultHelperSearchPath, defaultStateRoot } from './state-root';
import type { Bind } from './rootfs';
import { planSandbox, podIdRange, type SandboxOptions } from './sandbox-plan';
import { releasePodResources } from './teardown';
import { startErrorMessage } from './start-error';
import { type Condition, podStatus } from './status';
import { StatusFile } from './status-file';
import { backoffKey, reconcileView } from './status-view';
import { sweepStaleState } from './sweep-state';
import type { PodSpecObject, RelatedObjects } from './types';
import { defaultRangesDir, rangeMappings, type UserNamespaceRange } from './userns-ranges';
import { type PreparedVolume, prepareVolume, type VolumeContext, VolumeError, type VolumeSpec } from './volumes';

export type { LogLine, PodEvent } from './events';
export type { PodRunnerOptions } from './runner-options';
export { defaultClaimsDir, defaultStateRoot } from './state-root';

const configRetryMs = 10_000;
const runningAsRoot = (): boolean => process.geteuid?.() === 0;

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

  /** The pod as the loop knows it (state.ts): replaced by reduce.ts for every observation. */
  #state: PodState;
  readonly #related: RelatedObjects;
  /** `--image NAME=DIR` roots by image name. */
  readonly #images: ReadonlyMap<string, string>;
  readonly #backoff: Backoff;
  readonly #options: PodRunnerOptions;
  readonly #ownersDir: string;
  readonly #hostname: string;
  /** The pod's /dev/shm, a tmpfs in its mount namespace (undefined with hostIPC: the host's). */
  readonly #shm: string | undefined;
  /** The state root pod-init chose, checked private before use. */
  readonly #privateRoot: string | undefined;
  /** What only the executor holds: timers, log writers and pipe ends, probe workers and kills by instance id. */
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #logs = new Map<string, CriLogWriter>();
  readonly #streamEnds: Array<Promise<void>> = [];
  readonly #probes = new Map<string, ProbeWorkers>();
  readonly #kills = new Map<string, Promise<void>>();
  readonly #volumes = new Map<string, PreparedVolume>();
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
  /** The image step (image-step.ts): pulled images, the pod's lease. */
  readonly #imageStep: ImageStep;
  #imageRetry: Promise<void> = Promise.resolve();
  /** The start, which a delete during it waits for (so that nothing it makes afterwards is left behind). */
  #starting: Promise<void> | undefined;
  /** When the grace of a delete() ends (ms); a later delete() may only bring it forward. */
  #graceEnds = Infinity;
  #conditions: Condition[] = [];
  #syncQueued = false;
  #resolve!: (pod: PodSpecObject) => void;
  #resolveClosed!: () => void;
  /** status.json, rewritten at every change (status-file.ts): what `pod-init get` reads. */
  readonly #statusFile: StatusFile;
  /** events.jsonl: the events `pod-init describe` shows. */
  readonly #eventLog: EventLog;

  constructor(pod: PodSpecObject, options: PodRunnerOptions = {}) {
    super();
    this.pod = structuredClone(pod);
    const m = this.pod.metadata;
    m.uid ??= randomUUID();
    m.namespace ??= 'default';
    m.creationTimestamp ??= new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    this.#options = options;
    this.#related = options.related ?? { configMaps: new Map(), secrets: new Map() };
    this.#images = options.images ?? new Map();
    this.#backoff = new Backoff(options.backoff ?? kubeletBackoff);
    this.#ownersDir = options.ownersDir ?? defaultOwnersDir(os.tmpdir(), process.geteuid?.() ?? 0);
    const root = options.stateRoot ?? defaultStateRoot();
    if (options.privateStateRoot ?? options.stateRoot === undefined) this.#privateRoot = root;
    this.stateDir = path.join(root, `${m.namespace}_${m.name}_${m.uid}`);
    this.#state = initialState(this.pod, this.podRef);
    this.#hostname = this.pod.spec.hostNetwork
      ? os.hostname()
      : (this.pod.spec.hostname ?? m.name.slice(0, 63).replace(/[-.]+$/, ''));
    this.#shm = this.pod.spec.hostIPC ? undefined : path.join(this.stateDir, 'shm');
    this.finished = new Promise((resolve) => (this.#resolve = resolve));
    this.closed = new Promise((resolve) => (this.#resolveClosed = resolve));
    this.#eventLog = new EventLog(path.join(this.stateDir, 'events.jsonl'));
    this.#statusFile = new StatusFile(path.join(this.stateDir, 'status.json'), (error) =>
      this.#say('Warning', 'FailedStatusWrite', `Writing status.json: ${error.message}`),
    );
    this.#imageStep = new ImageStep({
      pod: this.pod,
      related: this.#related,
      images: this.#images,
      imagePull: options.imagePull,
      imageBackoff: options.imageBackoff ?? kubeletBackoff,
      root: runningAsRoot(),
      euid: process.geteuid?.() ?? 0,
      say: this.#say,
    });
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
    const r = recordOf(this.#state, container);
    if (!r) {
      const names = this.#state.records.map((x) => x.spec.name).join(', ');
      throw new PodOptionError('container', `one of ${names}`, container);
    }
    const count = options.previous ? r.restartCount - 1 : r.restartCount;
    return count < 0 ? [] : readCriLog(logFile(this.stateDir, container, count), { rotated: true });
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

  /**
   * Carries out an applied change of containers (apply-command.ts checks the rest): new images are
   * pulled as for a start, then each running container whose image, command or args changed is killed
   * (`Killing`: "Container NAME definition changed, will be restarted", its grace the pod's) and started
   * again with its new spec whatever the restart policy, as the kubelet does when a container's hash
   * changes; the others go on untouched. One that has ended goes on by the policy; an init container
   * that has run is not run again (KUBERNETES.md D.9), one that has not runs with the new spec. The API
   * server lets a running pod change images only: command and args are pod-init's own extension.
   * Resolves with the names of the containers that changed.
   *
   * @example
   * await runner.changeContainers(new Map([['app', { command: ['sh', '-c', 'echo v2; sleep 1d'] }]])); // ['app']
   */
  async changeContainers(changes: ReadonlyMap<string, ContainerChange>): Promise<string[]> {
    if (this.#state.terminating || this.#state.done) return [];
    await this.#starting;
    // The pod's spec itself (records share its container objects).
    const changed = changeContainerSpecs(
      this.#state.records.map((r) => r.spec),
      changes,
    );
    if (changed.length === 0) return [];
    this.#changed();
    await this.#ensureImages();
    // Only a running container is restarted for it; one that has ended goes on by the policy (kubelet).
    for (const name of changed) this.#observe({ type: 'definition-changed', container: name });
    this.#queueSync();
    return changed;
  }

  /**
   * {@link changeContainers} for images only (the change the API server allows in a running pod).
   *
   * @example
   * await runner.changeImages(new Map([['app', 'registry.local/app:2']])); // ['app']
   */
  changeImages(images: ReadonlyMap<string, string>): Promise<string[]> {
    return this.changeContainers(new Map([...images].map(([name, image]) => [name, { image }])));
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
    this.#observe({ type: 'deleted' });
    const grace = graceSeconds ?? this.#state.graceSeconds;
    const m = this.pod.metadata;
    if (m.deletionTimestamp === undefined && !this.#state.done) {
      // As the API server marks a deleted pod (kubectl shows it Terminating until its phase is terminal).
      m.deletionTimestamp = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
      m.deletionGracePeriodSeconds = grace;
      this.#changed();
    }
    if (this.#state.terminating) {
      const killRunning = () => {
        for (const r of this.#state.records) if (isRunning(r)) r.current!.process?.kill('SIGKILL');
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
    this.#terminate(grace);
  }

  /** The loop's entry: a fact folded into the state; its events said; a termination it asks for begun. */
  #observe(o: Observation): void {
    const before = this.#state;
    const { state, events } = reduce(before, o);
    this.#state = state;
    for (const e of events) this.#say(e.type, e.reason, e.message, e.container);
    if (state.terminate !== undefined && before.terminate === undefined)
      this.#terminate(state.terminate.graceSeconds, state.terminate.immediate);
  }

  /** Carries out an async action whose end is observed inside it; its failure comes back as an observation too. */
  #run(action: Promise<unknown>, reason: string, fatal = false): void {
    action.catch((error: unknown) => {
      const message = error instanceof Error ? error.message : String(error);
      this.#observe({ type: 'failed', reason, message });
      if (fatal) this.#observe({ type: 'rejected', reason: 'FailedCreatePodSandBox', message });
    });
  }

  /** decide (reconcile.ts) on the current state, and its actions carried out. */
  #sync(): void {
    const s = this.#state;
    if (s.terminating || s.done || !this.#sandbox) return;
    const now = Date.now();
    const view = reconcileView(s.records, {
      restartPolicy: s.restartPolicy,
      initialized: s.initialized,
      generation: s.generation,
      blocked: s.replacing || s.postStartRunning !== undefined,
    });
    for (const action of decide(view, this.#backoff, now)) {
      switch (action.type) {
        case 'initialized':
          this.#observe({ type: 'initialized' });
          break;
        case 'start':
          this.#start(action.name, now);
          if (this.#state.postStartRunning !== undefined) return; // the next start waits for the hook
          break;
        case 'back-off': {
          if (recordOf(this.#state, action.name)?.backOffUntil === action.until) break;
          this.#observe({ type: 'back-off', container: action.name, until: action.until, backoffMs: action.backoffMs });
          this.#later(action.until - now, () => this.#sync());
          this.#changed();
          break;
        }
        case 'kill': {
          // Liveness or startup failed: the workers but readiness stop; then killContainer (B.10).
          const r = recordOf(this.#state, action.name)!;
          stopHealthProbes(this.#probes.get(r.current!.id));
          this.#run(this.#kill(r, now + action.graceSeconds * 1000, action.message), 'FailedKillContainer');
          break;
        }
        case 'kill-pod':
          this.#terminate(this.#state.graceSeconds);
          return;
      }
    }
  }

  #queueSync(): void {
    if (this.#syncQueued) return;
    this.#syncQueued = true;
    queueMicrotask(() => {
      this.#syncQueued = false;
      this.#sync();
    });
  }

  async #startPod(): Promise<void> {
    if (this.#privateRoot !== undefined) ensurePrivateDir(this.#privateRoot, process.geteuid?.() ?? 0);
    const m = this.pod.metadata;
    claimPod(this.#ownersDir, m.uid!);
    try {
      // One live pod per namespace/name in a state root (pod-names.ts), before anything of it is made.
      claimPodName(this.#names(), m.namespace!, m.name, m.uid!);
    } catch (error) {
      releasePod(this.#ownersDir, m.uid!);
      throw error;
    }
    try {
      // a host port in use is an error before anything of the pod is made
      this.#ports = holdPorts(this.pod, this.#networkOptions(), this.#ownersDir);
    } catch (error) {
      releasePodName(this.#names(), m.namespace!, m.name, m.uid!);
      releasePod(this.#ownersDir, m.uid!);
      throw error;
    }
    fs.mkdirSync(this.stateDir, { recursive: true, mode: 0o700 });
    this.#statusFile.schedule(() => this.object());
    sweepStaleState(path.dirname(this.stateDir), this.#ownersDir, (message) =>
      this.#say('Normal', 'SweptLeftovers', message),
    );
    if (this.#options.cgroups !== false)
      this.#cgroups = await cgroupStep(this.pod, {
        ownersDir: this.#ownersDir,
        ...(this.#options.podPidsLimit !== undefined ? { podPidsLimit: this.#options.podPidsLimit } : {}),
        ...(this.#options.cgroupRoot !== undefined ? { cgroupRoot: this.#options.cgroupRoot } : {}),
        say: this.#say,
      });
    this.#startGuard();
    if (this.#state.terminating) return;
    // The kubelet's admission (before anything is made): a forbidden sysctl rejects the pod.
    const plan = planSandbox(this.pod, this.#hostname, this.#options.allowedUnsafeSysctls ?? []);
    if ('reason' in plan) return this.#observe({ type: 'rejected', ...plan });
    const options = plan.options;
    const range = podIdRange(this.pod, {
      dir: this.#options.userNamespaceRangesDir ?? defaultRangesDir(),
      ownersDir: this.#ownersDir,
      root: runningAsRoot(),
    });
    if (range !== undefined && 'reason' in range) return this.#observe({ type: 'rejected', ...range });
    if (range !== undefined) options.userNamespace = rangeMappings((this.#idRange = range));
    const reserved = reserveNetwork(this.pod, this.#networkOptions(), {
      ownersDir: this.#ownersDir,
      ports: this.#ports,
      say: this.#say,
    });
    const { reason, message, ...net } = reserved as Partial<Rejection> & NetworkReservation;
    this.#net = net;
    if (reason !== undefined) return this.#observe({ type: 'rejected', reason, message: message! });
    this.#etcFiles = writeEtcFiles(this.pod, {
      stateDir: this.stateDir,
      hostname: this.#hostname,
      podIP: this.#net.network?.addresses ?? this.#podIP,
      ...(this.#options.resolvConf !== undefined ? { resolvConf: this.#options.resolvConf } : {}),
      say: this.#say,
    });
    this.#hosts = this.#options.hosts === true ? this.#joinHosts() : undefined;
    const memoryLimit = podMemoryLimit(this.#state.records);
    await this.#ensureImages(); // image volumes too: before the volumes are set up
    const pulledLayers = (reference: string) => this.#imageStep.pulled.get(reference)?.layers;
    const node = nodeAllocatable(this.stateDir);
    const context = { pod: this.pod, node, claimsDir: this.#claimsDir(), pulledLayers };
    for (const volume of this.pod.spec.volumes ?? []) this.#mount(volume, 0, context, memoryLimit, true);
    if (this.#idRange) givePodFiles(this.stateDir, this.#etcFiles, this.#volumes, this.pod, this.#idRange.hostId);
    // The pod's sysctls are written by the pause's setup, in the pod's namespaces (its own /proc).
    options.mounts = [...podTmpfsMounts(this.#shm, this.#volumes, this.#idRange !== undefined), ...plan.sysctlSteps];
    const sandboxCgroups = this.#cgroups.cgroups?.containerDirs(sandboxCgroupName) ?? [];
    if (sandboxCgroups.length > 0) options.cgroups = sandboxCgroups;
    this.#sandboxOptions = options;
    this.#sandbox = await this.#createSandbox();
    const rejected = await networkReady(this.#net, this.#say);
    if (rejected !== undefined) return this.#observe({ type: 'rejected', ...rejected });
    await this.#guardStarting;
    this.#guard?.watch(this.#sandbox.pid);
    this.#observe({ type: 'pod-started', at: new Date() });
    const deadline = this.pod.spec.activeDeadlineSeconds;
    if (deadline !== undefined) this.#later(deadline * 1000, () => this.#observe({ type: 'deadline' }));
    this.#changed();
    this.#sync();
  }

  /**
   * The guard starts alongside the sandbox (its ~5 ms off the start's path); it knows the pod's cgroups
   * from the start, and each pause as it comes. One that cannot start fails the pod's start: the pod
   * would outlive pod-init.
   */
  #startGuard(): void {
    if (this.#options.guard === false) return;
    this.#guardStarting = PodGuard.start({ cgroupDirs: this.#cgroups.cgroups?.podCgroupDirs() ?? [] }).then((guard) => {
      this.#guard = guard;
      // Killed by someone (the guard never exits on its own before its release): said, not hidden.
      this.#run(
        guard.exited.then(() => {
          if (!guard.released)
            this.#observe({
              type: 'failed',
              reason: 'GuardExited',
              message: `The pod's guard (pid ${guard.pid}) exited: if pod-init dies now, processes of this pod may outlive it`,
            });
        }),
        'GuardExited',
      );
    });
    this.#guardStarting.catch(() => undefined); // awaited by #startPod, or by #terminate after an early return
  }

  /**
   * A volume set up, or FailedMount and its containers wait while the kubelet's volume manager retries
   * (0.5 s doubling to 2 min 2 s, its exponential backoff); the pod starts once the volume can be made —
   * a hostPath of type File that appears later, say. A Memory emptyDir is mounted with the sandbox and
   * cannot come later: it fails once.
   */
  #mount(volume: VolumeSpec, attempt: number, context: VolumeContext, memory: number | undefined, first = false) {
    let prepared: PreparedVolume;
    try {
      prepared = prepareVolume(volume, this.stateDir, this.#related, memory, context);
    } catch (error) {
      const message = error instanceof VolumeError || error instanceof Error ? error.message : String(error);
      this.#observe({ type: 'mount-failed', volume: volume.name, message });
      if (volume.emptyDir?.medium === 'Memory') return;
      this.#later(Math.min(500 * 2 ** attempt, 122_000), () => {
        if (!this.#state.terminating) this.#mount(volume, attempt + 1, context, memory);
      });
      return;
    }
    if (this.#idRange && !first) giveVolume(prepared, this.#idRange.hostId);
    this.#volumes.set(volume.name, prepared);
    this.#observe({ type: 'mounted', volume: volume.name });
    if (!first) this.#queueSync();
  }

  /** A sandbox whose unexpected end is observed (B.1 step 1: a dead pause means a new sandbox). */
  async #createSandbox(): Promise<Sandbox> {
    const sandbox = await Sandbox.create(this.#sandboxOptions);
    try {
      this.#net.network?.attach(sandbox.pid);
      this.#net.rootless?.attach(sandbox.pid, sandbox.pause.exited, this.stateDir, {
        warning: (reason, message) => this.#say('Warning', reason, message),
      });
    } catch (error) {
      await sandbox.destroy();
      throw error;
    }
    this.#guard?.watch(sandbox.pid);
    applyFsGroup(this.pod, this.#volumes, {
      root: sandbox.root, // the pod's mount namespace (the pause itself lives in an empty root)
      ...(this.#idRange ? { hostId: this.#idRange.hostId } : {}),
      say: this.#say,
    });
    this.#observe({ type: 'sandbox-created' });
    this.#run(
      sandbox.pause.exited.then(() => {
        if (this.#state.terminating || this.#sandbox !== sandbox) return;
        this.#observe({ type: 'sandbox-died' });
        if (this.#state.replacing) this.#run(this.#replaceSandbox(), 'FailedCreatePodSandBox', true);
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
    const running = this.#state.records.filter(isRunning);
    for (const r of running) r.current!.process?.kill('SIGKILL');
    await Promise.all(running.map((r) => r.current!.process?.exited));
    // And whatever they left (a daemon of a hostPID pod, say): nothing of the old sandbox runs while
    // the new one is set up (its fsGroup walk, say).
    await this.#cgroups.cgroups?.killAll().catch(() => undefined);
    await this.#sandbox?.destroy();
    if (this.#state.terminating) return; // deleted meanwhile: #terminate finishes the pod
    this.#sandbox = await this.#createSandbox();
    const rootless = this.#net.rootless;
    if (rootless !== undefined)
      this.#run(
        rootless.ready().catch((error: Error) => {
          throw new Error(`The new sandbox has only loopback: ${error.message}`);
        }),
        'FailedPodNetwork',
      );
    this.#changed();
    this.#sync();
  }

  /** Records and emits an event (an arrow: modules get it as their {@link Say}). */
  readonly #say: Say = (type, reason, message, container) => {
    const event: PodEvent = { type, reason, message, time: new Date() };
    if (container !== undefined) event.container = container;
    // Kept for `pod-init describe` (event-log.ts); the Date as JSON is the RFC 3339 time.
    this.#eventLog.append({ ...event, time: event.time.toISOString() });
    this.emit('event', event);
  };

  /**
   * Starts container `name` (the kubelet's startContainer): its volumes and image first, then what
   * container/start.ts prepares, then the spawn; each outcome is an observation.
   */
  #start(name: string, now: number): void {
    const r = recordOf(this.#state, name)!;
    const imageError = this.#state.imageErrors.get(name);
    if (imageError !== undefined) {
      this.#observe({ type: 'image', container: name, waiting: imageError }); // Pending; the image step retries
      return;
    }
    if (r.waiting?.reason === 'CreateContainerConfigError' && r.backOffUntil !== undefined && r.backOffUntil > now)
      return;
    const finished = r.current?.finishedAt !== undefined;
    // The kubelet waits for the pod's volumes before anything of the container (no image event before).
    const missing = (r.spec.volumeMounts ?? []).find((m) => !this.#state.mounted.has(m.name));
    if (missing) {
      const why = this.#state.volumeErrors.get(missing.name) ?? 'not found';
      return this.#blocked(name, 'ContainerCreating', `volume "${missing.name}": ${why}`, now, false);
    }
    // The kubelet's first step of every start (EnsureImageExists), before the container's config.
    const image = r.spec.image ?? '';
    const pulled = this.#imageStep.pulled.get(image);
    // A pulled image's first start had its events from the image step.
    if (pulled === undefined || finished)
      this.#say('Normal', 'Pulled', pulledMessage(image, this.#images.has(image) || pulled !== undefined), name);
    const instance: Instance = {
      id: randomUUID().replace(/-/g, ''),
      generation: this.#state.generation,
      startedAt: new Date(),
      logTail: [],
    };
    const imageDir = r.spec.image === undefined ? undefined : this.#images.get(r.spec.image);
    const sandbox = this.#sandbox!;
    const prepared = prepareStart(r.spec, instance, {
      pod: this.pod,
      related: this.#related,
      hostname: this.#hostname,
      podIP: this.#podIP,
      stateDir: this.stateDir,
      ...(pulled !== undefined ? { pulled } : {}),
      ...(imageDir !== undefined ? { imageDir } : {}),
      root: runningAsRoot(),
      userNamespace: sandbox.namespaces.includes('user'),
      noNewPrivilegesByDefault: this.#options.noNewPrivilegesByDefault ?? true,
      ...(this.#options.seccompProfileRoot !== undefined
        ? { seccompProfileRoot: this.#options.seccompProfileRoot }
        : {}),
      podFiles: () => this.#podFiles(),
    });
    if (!prepared.ok) return this.#blocked(name, prepared.reason, prepared.message, now, true);
    if (finished) this.#backoff.recordRestart(backoffKey(r), now, r.current!.finishedAt!.getTime());
    let process: PodProcess;
    try {
      process = sandbox.spawn(
        spawnRequest(prepared, this.pod.spec, { ...this.#cgroupOption(name), guarded: this.#guard !== undefined }),
      );
      if (this.pod.spec.hostPID) this.#guard?.watch(process.pid);
    } catch (error) {
      closeMountFds(instance);
      if (!(error instanceof PodSystemError)) throw error;
      if (instance.rootDir !== undefined) removeInstanceRoot(instance.rootDir);
      const message = startErrorMessage(error, prepared.argv[0]!, r.spec.workingDir ?? '/');
      this.#observe({ type: 'start-failed', container: name, instance, message, at: new Date() });
      this.#changed();
      this.#queueSync();
      return;
    }
    closeMountFds(instance); // attached by the child: the pod's mount namespace holds them now
    instance.process = process;
    instance.target = {
      process,
      pause: sandbox.pause,
      env: Object.fromEntries(prepared.env),
      podIP: this.#podIP,
      ...(this.#net.network !== undefined ? { fromHost: true } : {}),
      cwd: prepared.cwd,
      ports: r.spec.ports ?? [],
      ...prepared.confinement,
      ...this.#cgroupOption(name),
    };
    const postStart = r.spec.lifecycle?.postStart;
    this.#observe({ type: 'started', container: name, instance, postStart: postStart !== undefined });
    recordExecSpec(this.stateDir, name, instance.target, this.#cgroupOption(name).cgroups, this.#say);
    if (postStart) this.#run(this.#postStart(name, instance, postStart), 'FailedPostStartHook');
    else this.#startProbes(name, instance);
    const drained = Promise.all([
      this.#pipeLogs(name, r.restartCount + (finished ? 1 : 0), instance, process.stdout!, 'stdout'),
      this.#pipeLogs(name, r.restartCount + (finished ? 1 : 0), instance, process.stderr!, 'stderr'),
    ]);
    this.#run(
      process.exited.then((status) => this.#exited(name, instance, status, drained)),
      'FailedContainerExit',
    );
    this.#changed();
    this.#queueSync();
  }

  /** A container cannot start now: it waits with `reason` and is tried again in 10 s. */
  #blocked(name: string, reason: string, message: string, now: number, event: boolean): void {
    this.#observe({ type: 'start-blocked', container: name, reason, message, until: now + configRetryMs, event });
    this.#later(configRetryMs, () => this.#sync());
    this.#changed();
  }

  /**
   * An instance's process exited: its exec spec and probe workers go at once, its last lines are read
   * (the fallback message reads them; unless something it left holds the pipes), then what its end
   * leaves is done (container/exit.ts) and its end observed.
   */
  async #exited(name: string, instance: Instance, status: ExitStatus, drained: Promise<unknown>): Promise<void> {
    // At once: a postStart hook still running sees it and starts no probe workers for a dead instance.
    this.#observe({ type: 'exit-seen', container: name, id: instance.id });
    forgetExecSpec(this.stateDir, name, instance.process!.pid);
    for (const worker of Object.values(this.#probes.get(instance.id) ?? {})) worker.stop();
    await Promise.race([drained, new Promise((resolve) => setTimeout(resolve, 1000).unref())]);
    const r = recordOf(this.#state, name)!;
    const ended = await instanceEnd(r.spec, instance, status, {
      ...(this.#cgroups.cgroups !== undefined ? { cgroups: this.#cgroups.cgroups } : {}),
      mayRestart: (code) =>
        !this.#state.terminating &&
        (r.definitionChanged || shouldRestart(this.#state.restartPolicy, r.kind, code, r.spec)),
    });
    this.#probes.delete(instance.id);
    this.#observe(ended);
    this.#changed();
    this.#queueSync();
  }

  /** The probe workers of a started instance (health/probe-workers.ts), unless it has ended already. */
  #startProbes(name: string, instance: Instance): void {
    const current = recordOf(this.#state, name)?.current;
    if (current?.id !== instance.id || current.exitSeen) return; // it ended while its postStart ran
    const workers = startProbes(recordOf(this.#state, name)!.spec, instance, {
      terminating: this.#state.terminating,
      say: this.#say,
      onResult: (kind, result) => this.#probeResult(name, instance, kind, result),
    });
    this.#probes.set(instance.id, workers);
  }

  /** A probe's settled result changed: observed; the workers follow (startup done, or a kill coming). */
  #probeResult(name: string, instance: Instance, kind: ProbeKind, result: ProbeResult): void {
    const current = recordOf(this.#state, name)?.current;
    if (current?.id !== instance.id || current.finishedAt !== undefined) return;
    this.#observe({ type: 'probe', container: name, id: instance.id, kind, result });
    if (kind === 'readiness') return this.#changed();
    if (kind === 'startup' && result === 'success') {
      afterStartup(this.#probes.get(instance.id) ?? {}, instance.startedAt);
      this.#changed();
      this.#queueSync(); // a started sidecar lets the next init container start
      return;
    }
    if (result === 'failure') this.#queueSync(); // decide kills it
  }

  /** killContainer (container/stop.ts) with the pod's podRef and the container's image stop signal. */
  #kill(r: ContainerRecord, deadline: number, message: string, waitFor?: () => Promise<unknown>): Promise<void> {
    const imageSignal = imageStopSignal(this.#imageStep.pulled.get(r.spec.image ?? '')?.config.config?.StopSignal);
    const ctx = {
      podRef: this.podRef,
      ...(imageSignal !== undefined ? { imageStopSignal: imageSignal } : {}),
      say: this.#say,
      kills: this.#kills,
    };
    return killContainer(r, deadline, message, ctx, waitFor);
  }

  /**
   * postStart (B.9): runs right after the start and blocks the pod's next start until it returns; the
   * container is still ContainerCreating meanwhile. Its end is observed (a failure: FailedPostStartHook,
   * and decide kills the container; the restart policy decides the rest).
   */
  async #postStart(name: string, instance: Instance, hook: HookHandler): Promise<void> {
    const outcome = await runPostStart(hook, instance, { container: name, pod: this.podRef });
    this.#observe({ type: 'post-start-ended', container: name, id: instance.id, outcome });
    if (outcome.ok) this.#startProbes(name, instance);
    this.#changed();
    this.#queueSync();
  }

  /** The image step (image-step.ts) of every container not done yet: its outcomes observed, its retries timers. */
  async #ensureImages(): Promise<void> {
    const { retryAt } = await this.#imageStep.ensure(
      () => this.#state.deleted || this.#state.done,
      (container, waiting) => this.#observe({ type: 'image', container, ...(waiting ? { waiting } : {}) }),
    );
    const now = Date.now();
    for (const at of retryAt)
      this.#later(Math.max(0, at - now), () => {
        this.#imageStep.retryFired(at);
        this.#retryImages();
      });
  }

  /** The image step again (one at a time), then whatever it made startable; a failure of the store is observed. */
  #retryImages(): void {
    this.#imageRetry = this.#imageRetry.then(async () => {
      if (this.#state.deleted || this.#state.done) return;
      await this.#ensureImages();
      if (this.#state.deleted || this.#state.done) return;
      this.#changed();
      this.#sync();
    });
    // Not a pull failure (ensureImage reports those): the store itself failed. Said, not thrown.
    this.#imageRetry = this.#imageRetry.catch((error: unknown) =>
      this.#observe({
        type: 'failed',
        reason: 'Failed',
        message: `Error: ${error instanceof Error ? error.message : String(error)}`,
      }),
    );
  }

  /** Stops every container (B.10), then the sandbox; resolves `finished`. Its failure is observed. */
  #terminate(graceSeconds: number, immediate = false): void {
    if (this.#state.terminating) return;
    this.#observe({ type: 'terminating' });
    this.#run(this.#teardown(graceSeconds, immediate), 'FailedKillPod');
  }

  async #teardown(graceSeconds: number, immediate: boolean): Promise<void> {
    // Deleted while starting: the start finishes first (it starts no container now), then all it made goes.
    await this.#starting?.catch(() => undefined);
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    // Liveness and startup probes stop with the pod's termination; readiness goes on (B.8).
    for (const workers of this.#probes.values()) stopHealthProbes(workers);
    // The pod's grace is at least 1 s (kubelet calculateEffectiveGracePeriod), so preStop hooks get a chance.
    const deadline = Date.now() + (immediate ? 0 : Math.max(1, graceSeconds)) * 1000;
    const running = this.#state.records.filter(isRunning);
    if (immediate) for (const r of running) r.current!.process?.kill('SIGKILL');
    await stopContainers(running, (r, message, waitFor) => this.#kill(r, deadline, message, waitFor));
    const m = this.pod.metadata;
    await releasePodResources({
      stateDir: this.stateDir,
      ...(this.#sandbox !== undefined ? { sandbox: this.#sandbox } : {}),
      ...(this.#net.rootless !== undefined ? { rootless: this.#net.rootless } : {}),
      streamEnds: this.#streamEnds,
      logs: this.#logs.values(),
      ...(this.#cgroups.cgroups !== undefined ? { cgroups: this.#cgroups.cgroups } : {}),
      ...(this.#idRange !== undefined
        ? { idRange: { dir: this.#options.userNamespaceRangesDir ?? defaultRangesDir(), range: this.#idRange } }
        : {}),
      ...(this.#guardStarting !== undefined ? { guardStarting: this.#guardStarting } : {}),
      guard: () => this.#guard,
      names: this.#names(),
      metadata: m,
      imageLease: this.#imageStep,
      ...(this.#hosts !== undefined ? { hosts: this.#hosts } : {}),
    });
    this.#observe({ type: 'done' });
    const final = this.object();
    // The final status before the owner record goes: a reader never sees a live-looking pod without an owner.
    this.#statusFile.close(final);
    const networked = this.#net.network !== undefined || this.#ports !== undefined;
    if (!networked) releasePod(this.#ownersDir, m.uid!);
    this.#changed();
    this.#resolve(final);
    if (networked) {
      // The veth's synchronous delete after `finished` is reported; the owner record goes after it, so a
      // pod-init that dies in between leaves a lease the next start sweeps. The ports' rules go first.
      await new Promise((resolve) => setImmediate(resolve));
      await releaseNetwork(this.#net, this.#ports, this.#say);
      releasePod(this.#ownersDir, m.uid!);
    }
    this.#resolveClosed();
  }

  #status(): Record<string, unknown> {
    const s = this.#state;
    const status = podStatus([...s.records], {
      restartPolicy: s.restartPolicy,
      sandboxReady: this.#sandbox?.running === true && !s.done,
      initialized: s.initialized,
      anyContainerStarted: s.anyStarted,
      terminal: s.deleted || s.forcedPhase !== undefined,
      finished: s.done,
      ...(s.startTime ? { startTime: s.startTime } : {}),
      ...(s.forcedPhase ? { forcedPhase: s.forcedPhase } : {}),
      hostIP: '127.0.0.1',
      podIP: this.#podIP,
      ...(this.#net.network !== undefined ? { podIPs: this.#net.network.addresses } : {}),
      qosClass: this.#cgroups.qosClass,
      ...(this.#cgroups.notice !== undefined ? { sandboxMessage: this.#cgroups.notice } : {}),
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

  /** What a container's root is made from (root/pod-files.ts). */
  #podFiles(): PodFiles {
    return podFilesOf({
      stateDir: this.stateDir,
      volumes: this.#volumes,
      etcFiles: this.#etcFiles,
      images: this.#images,
      pulled: this.#imageStep.pulled,
      ...(this.#shm !== undefined ? { shm: this.#shm } : {}),
      sandbox: this.#sandbox!,
      ...(this.#idRange !== undefined ? { hostId: this.#idRange.hostId } : {}),
    });
  }

  /** The `cgroups` spawn option of a container (and of its exec probes and hooks). */
  #cgroupOption(name: string): { cgroups?: string[] } {
    const dirs = this.#cgroups.cgroups?.containerDirs(name) ?? [];
    return dirs.length > 0 ? { cgroups: dirs } : {};
  }

  /** Streams one pipe of a container instance to its CRI log and to listeners (container/output.ts). */
  #pipeLogs(
    name: string,
    count: number,
    instance: Instance,
    stream: NodeJS.ReadableStream,
    which: 'stdout' | 'stderr',
  ) {
    const file = logFile(this.stateDir, name, count);
    let sink = this.#logs.get(file);
    if (!sink) {
      sink = new CriLogWriter(file, this.#options.logRotation ?? kubeletLogRotation);
      this.#logs.set(file, sink);
    }
    const end = pipeLogs(stream, which, {
      container: name,
      sink,
      tail: instance.logTail,
      onLine: (line) => this.emit('log', line),
    });
    this.#streamEnds.push(end);
    return end;
  }

  #networkOptions(): NetworkOptions {
    return networkOptionsOf(this.#options, this.#options.helperSearchPath ?? defaultHelperSearchPath, runningAsRoot());
  }

  #claimsDir(): string {
    return this.#options.claimsDir ?? defaultClaimsDir();
  }

  /** The pod's IP: its address on the bridge or behind its helper (not reachable from the host), or loopback's. */
  /** `--hosts` (hosts-group.ts): needs a pod IP on the bridge, else a Warning. */
  #joinHosts(): HostsGroup | undefined {
    const m = this.pod.metadata;
    if (this.#net.network !== undefined)
      return HostsGroup.join(path.join(path.dirname(this.stateDir), '.hosts'), this.#ownersDir, {
        ...{ uid: m.uid!, namespace: m.namespace!, name: m.name, ips: this.#net.network.addresses },
        hostsFile: path.join(this.stateDir, 'etc-hosts'),
      });
    if (!this.pod.spec.hostNetwork)
      this.#say(
        'Warning',
        'HostsUnavailable',
        "--hosts needs a pod IP on the bridge (root): not in others' /etc/hosts",
      );
    return undefined;
  }

  get #podIP(): string {
    return this.#net.network?.address ?? this.#net.rootless?.address ?? '127.0.0.1';
  }

  /** The names of the live pods of this state root (pod-names.ts). */
  #names(): PodNameRegistry {
    return { dir: path.join(path.dirname(this.stateDir), '.names'), ownersDir: this.#ownersDir };
  }
}
