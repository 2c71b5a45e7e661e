/**
 * PodRunner: the public class, and the executor of the kubelet's loop for one pod. Every fact is
 * observed (reduce.ts), decide (reconcile.ts) says what to do, and this loop carries its actions out
 * through its parts: the infrastructure (infra/pod-infra.ts: claims, cgroups, network, volumes, the
 * sandbox and its replacement, the release), the containers (container/executor.ts: start, kill, exits,
 * probes, hooks, logs) and the image step (image-loop.ts). It stops the pod the kubelet's way and emits
 * events, logs and status changes for the CLI and for embedders.
 * @module
 */
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import os from 'node:os';
import path from 'node:path';
import { PodOptionError } from '../errors';
import { Backoff, kubeletBackoff } from './backoff';
import { ContainerExecutor } from './container/executor';
import { logFile } from './container/output';
import { type ContainerChange, changeContainerSpecs } from './container-changes';
import type { PodEvent, Say } from './events';
import { EventLog } from './event-log';
import { ImageLoop } from './image-loop';
import { ImageStep } from './image-step';
import { PodInfrastructure } from './infra/pod-infra';
import { kubeletLogRotation } from './log-rotation';
import { type CriLogLine, readCriLog } from './logs';
import { type Loop, Timers } from './loop';
import { type PodLayout, podLayout } from './pod-layout';
import { type Observation, reduce } from './reduce';
import { decide } from './reconcile';
import type { PodRunnerOptions } from './runner-options';
import { initialState, type PodState, recordOf } from './state';
import { stateStatus } from './state-status';
import type { Condition } from './status';
import { StatusFile } from './status-file';
import { reconcileView } from './status-view';
import type { PodSpecObject } from './types';

export type { LogLine, PodEvent } from './events';
export type { PodRunnerOptions } from './runner-options';
export { defaultClaimsDir, defaultStateRoot } from './state-root';

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
  readonly #layout: PodLayout;
  readonly #backoff: Backoff;
  readonly #timers = new Timers();
  /** The loop as the executor's parts see it (loop.ts). */
  readonly #loop: Loop;
  readonly #infra: PodInfrastructure;
  readonly #containers: ContainerExecutor;
  readonly #images: ImageLoop;
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
    const euid = process.geteuid?.() ?? 0;
    const root = euid === 0;
    this.#layout = podLayout(this.pod, options, { euid, tmpdir: os.tmpdir(), hostname: os.hostname() });
    this.stateDir = this.#layout.stateDir;
    this.#backoff = new Backoff(options.backoff ?? kubeletBackoff);
    this.#state = initialState(this.pod, this.podRef);
    this.finished = new Promise((resolve) => (this.#resolve = resolve));
    this.closed = new Promise((resolve) => (this.#resolveClosed = resolve));
    this.#eventLog = new EventLog(path.join(this.stateDir, 'events.jsonl'));
    this.#statusFile = new StatusFile(path.join(this.stateDir, 'status.json'), (error) =>
      this.#say('Warning', 'FailedStatusWrite', `Writing status.json: ${error.message}`),
    );
    this.#loop = {
      state: () => this.#state,
      observe: (o) => this.#observe(o),
      changed: () => this.#changed(),
      sync: () => this.#sync(),
      queueSync: () => this.#queueSync(),
      later: (ms, run) => this.#timers.later(ms, run),
      run: (action, reason, fatal) => this.#run(action, reason, fatal),
      say: this.#say,
    };
    const related = options.related ?? { configMaps: new Map(), secrets: new Map() };
    const images = options.images ?? new Map<string, string>();
    const imageStep = new ImageStep({
      pod: this.pod,
      related,
      images,
      imagePull: options.imagePull,
      imageBackoff: options.imageBackoff ?? kubeletBackoff,
      root,
      euid,
      say: this.#say,
    });
    this.#images = new ImageLoop(imageStep, this.#loop);
    const common = { pod: this.pod, related, images, imageStep, loop: this.#loop, root };
    this.#infra = new PodInfrastructure({ ...common, options, layout: this.#layout, euid });
    this.#containers = new ContainerExecutor({
      ...common,
      options,
      logRotation: options.logRotation ?? kubeletLogRotation,
      stateDir: this.stateDir,
      hostname: this.#layout.hostname,
      podRef: this.podRef,
      infra: this.#infra,
      backoff: this.#backoff,
      onLog: (line) => this.emit('log', line),
    });
  }

  /** `name_namespace(uid)`, as the kubelet writes it in messages. */
  get podRef(): string {
    const m = this.pod.metadata;
    return `${m.name}_${m.namespace}(${m.uid})`;
  }

  /** The Pod object with its current status. */
  object(): PodSpecObject {
    const status = stateStatus(this.#state, this.#infra.facts(), this.#conditions, new Date());
    this.#conditions = status.conditions as Condition[];
    return { ...structuredClone(this.pod), status };
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
    await this.#images.ensure();
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
      if (grace === 0) this.#containers.killAll();
      else if (Date.now() + grace * 1000 < this.#graceEnds) {
        // A second delete with a shorter grace shortens it, as the API server and kubelet do (`pod-init
        // delete --now` on a Terminating pod): what still runs then is killed.
        this.#graceEnds = Date.now() + grace * 1000;
        m.deletionGracePeriodSeconds = grace;
        this.#changed();
        setTimeout(() => this.#containers.killAll(), grace * 1000).unref();
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
    if (s.terminating || s.done || !this.#infra.sandbox) return;
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
          this.#containers.start(action.name, now);
          if (this.#state.postStartRunning !== undefined) return; // the next start waits for the hook
          break;
        case 'back-off': {
          if (recordOf(this.#state, action.name)?.backOffUntil === action.until) break;
          this.#observe({ type: 'back-off', container: action.name, until: action.until, backoffMs: action.backoffMs });
          this.#timers.later(action.until - now, () => this.#sync());
          this.#changed();
          break;
        }
        case 'kill':
          this.#containers.kill(action.name, now + action.graceSeconds * 1000, action.message);
          break;
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

  /** The claims, the infrastructure up to a ready sandbox, then the deadline's timer and the first decide. */
  async #startPod(): Promise<void> {
    this.#infra.claim();
    this.#statusFile.schedule(() => this.object());
    if (!(await this.#infra.setUp(() => this.#images.ensure()))) return;
    this.#observe({ type: 'pod-started', at: new Date() });
    const deadline = this.pod.spec.activeDeadlineSeconds;
    if (deadline !== undefined) this.#timers.later(deadline * 1000, () => this.#observe({ type: 'deadline' }));
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

  /** Stops every container (B.10), then the sandbox; resolves `finished`. Its failure is observed. */
  #terminate(graceSeconds: number, immediate = false): void {
    if (this.#state.terminating) return;
    this.#observe({ type: 'terminating' });
    this.#run(this.#teardown(graceSeconds, immediate), 'FailedKillPod');
  }

  async #teardown(graceSeconds: number, immediate: boolean): Promise<void> {
    // Deleted while starting: the start finishes first (it starts no container now), then all it made goes.
    await this.#starting?.catch(() => undefined);
    this.#timers.clear();
    // The pod's grace is at least 1 s (kubelet calculateEffectiveGracePeriod), so preStop hooks get a chance.
    const deadline = Date.now() + (immediate ? 0 : Math.max(1, graceSeconds)) * 1000;
    await this.#containers.stopAll(deadline, immediate);
    await this.#infra.release(this.#containers.outputs());
    this.#observe({ type: 'done' });
    const final = this.object();
    // The final status before the owner record goes: a reader never sees a live-looking pod without an owner.
    this.#statusFile.close(final);
    await this.#infra.end(() => {
      this.#changed();
      this.#resolve(final);
    });
    this.#resolveClosed();
  }

  #changed(): void {
    this.emit('status', this.object());
    this.#statusFile.schedule(() => this.object());
  }
}
