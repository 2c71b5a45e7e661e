/**
 * The containers' side of the executor: it carries out `start` and `kill` for one container (the
 * kubelet's startContainer and killContainer), runs each instance's workers — its log pipes, its
 * postStart hook, its probes — and turns what they end with (an exit, a probe result, a hook's end, a
 * spawn's failure) into observations on the {@link Loop}. It also stops every container at the pod's
 * end (B.10). What it holds lives only here, keyed by instance id: log writers, probe workers, kills.
 * @module
 */
import { randomUUID } from 'node:crypto';
import { PodSystemError } from '../../errors';
import { imageStopSignal } from '../../image/image-config';
import type { ExitStatus, PodProcess } from '../../process/process';
import type { Backoff } from '../backoff';
import { closeMountFds, removeInstanceRoot } from '../container-root';
import type { LogLine } from '../events';
import { forgetExecSpec } from '../exec-spec-writer';
import { afterStartup, type ProbeWorkers, startProbes, stopHealthProbes } from '../health/probe-workers';
import { runPostStart } from '../health/post-start';
import type { HookHandler } from '../hooks';
import type { ImageStep } from '../image-step';
import type { PodInfrastructure } from '../infra/pod-infra';
import type { LogRotation } from '../log-rotation';
import { CriLogWriter } from '../logs';
import type { Loop } from '../loop';
import type { ProbeKind, ProbeResult } from '../probes';
import { shouldRestart } from '../reconcile';
import { type ContainerRecord, type Instance, isRunning } from '../records';
import type { PodRunnerOptions } from '../runner-options';
import { startErrorMessage } from '../start-error';
import { recordOf } from '../state';
import { backoffKey } from '../status-view';
import type { PodSpecObject, RelatedObjects } from '../types';
import { recordExecSpec } from './exec-record';
import { instanceEnd } from './exit';
import { killLeftovers, untrackedLeftovers } from './leftovers';
import { logFile, pipeLogs } from './output';
import { prepareStart, pulledMessage, spawnRequest } from './start';
import { killContainer, stopContainers } from './stop';

/** How long a container that cannot start now (a config error, a missing volume) waits to be tried again. */
export const configRetryMs = 10_000;

/** What the infrastructure gives a container's start. */
export type ContainerInfra = Pick<
  PodInfrastructure,
  'sandbox' | 'podIP' | 'fromHost' | 'guarded' | 'watch' | 'cgroupOption' | 'podFiles' | 'cgroups'
>;

/** What the container executor needs of its runner. */
export interface ContainerContext {
  pod: PodSpecObject;
  related: RelatedObjects;
  /** `--image NAME=DIR` roots by image name. */
  images: ReadonlyMap<string, string>;
  options: Pick<PodRunnerOptions, 'noNewPrivilegesByDefault' | 'seccompProfileRoot'>;
  logRotation: LogRotation;
  stateDir: string;
  hostname: string;
  /** `name_namespace(uid)`, for messages. */
  podRef: string;
  root: boolean;
  imageStep: ImageStep;
  infra: ContainerInfra;
  backoff: Backoff;
  loop: Loop;
  /** A container's log line, as it comes. */
  onLog: (line: LogLine) => void;
}

/**
 * Starts, watches and stops a pod's containers.
 *
 * @example
 * const containers = new ContainerExecutor({ pod, related, images, options, logRotation, stateDir, hostname, podRef, root, imageStep, infra, backoff, loop, onLog });
 * containers.start('web', Date.now());
 */
export class ContainerExecutor {
  readonly #ctx: ContainerContext;
  readonly #logs = new Map<string, CriLogWriter>();
  readonly #streamEnds: Array<Promise<void>> = [];
  readonly #probes = new Map<string, ProbeWorkers>();
  readonly #kills = new Map<string, Promise<void>>();

  constructor(ctx: ContainerContext) {
    this.#ctx = ctx;
  }

  /** What the containers' output leaves open until the pod's end (teardown.ts closes it). */
  outputs(): { streamEnds: readonly Promise<void>[]; logs: Iterable<CriLogWriter> } {
    return { streamEnds: this.#streamEnds, logs: this.#logs.values() };
  }

  /**
   * Starts container `name` (the kubelet's startContainer): its volumes and image first, then what
   * container/start.ts prepares, then the spawn; each outcome is an observation.
   */
  start(name: string, now: number): void {
    const { loop, infra, imageStep, images } = this.#ctx;
    const state = loop.state();
    const r = recordOf(state, name)!;
    const imageError = state.imageErrors.get(name);
    if (imageError !== undefined) {
      loop.observe({ type: 'image', container: name, waiting: imageError }); // Pending; the image step retries
      return;
    }
    if (r.waiting?.reason === 'CreateContainerConfigError' && r.backOffUntil !== undefined && r.backOffUntil > now)
      return;
    const finished = r.current?.finishedAt !== undefined;
    // The kubelet waits for the pod's volumes before anything of the container (no image event before).
    const missing = (r.spec.volumeMounts ?? []).find((m) => !state.mounted.has(m.name));
    if (missing) {
      const why = state.volumeErrors.get(missing.name) ?? 'not found';
      return this.#blocked(name, 'ContainerCreating', `volume "${missing.name}": ${why}`, now, false);
    }
    // The kubelet's first step of every start (EnsureImageExists), before the container's config.
    const image = r.spec.image ?? '';
    const pulled = imageStep.pulled.get(image);
    // A pulled image's first start had its events from the image step.
    if (pulled === undefined || finished)
      loop.say('Normal', 'Pulled', pulledMessage(image, images.has(image) || pulled !== undefined), name);
    const instance: Instance = {
      id: randomUUID().replace(/-/g, ''),
      generation: state.generation,
      startedAt: new Date(),
      logTail: [],
    };
    const imageDir = r.spec.image === undefined ? undefined : images.get(r.spec.image);
    const sandbox = infra.sandbox!;
    const { options } = this.#ctx;
    const prepared = prepareStart(r.spec, instance, {
      pod: this.#ctx.pod,
      related: this.#ctx.related,
      hostname: this.#ctx.hostname,
      podIP: infra.podIP,
      stateDir: this.#ctx.stateDir,
      ...(pulled !== undefined ? { pulled } : {}),
      ...(imageDir !== undefined ? { imageDir } : {}),
      root: this.#ctx.root,
      userNamespace: sandbox.namespaces.includes('user'),
      noNewPrivilegesByDefault: options.noNewPrivilegesByDefault ?? true,
      ...(options.seccompProfileRoot !== undefined ? { seccompProfileRoot: options.seccompProfileRoot } : {}),
      podFiles: () => infra.podFiles(),
    });
    if (!prepared.ok) return this.#blocked(name, prepared.reason, prepared.message, now, true);
    if (finished) this.#ctx.backoff.recordRestart(backoffKey(r), now, r.current!.finishedAt!.getTime());
    const cgroups = infra.cgroupOption(name);
    let process: PodProcess;
    try {
      process = sandbox.spawn(spawnRequest(prepared, this.#ctx.pod.spec, { ...cgroups, guarded: infra.guarded }));
      if (this.#ctx.pod.spec.hostPID) infra.watch(process.pid);
    } catch (error) {
      closeMountFds(instance);
      if (!(error instanceof PodSystemError)) throw error;
      if (instance.rootDir !== undefined) removeInstanceRoot(instance.rootDir);
      const message = startErrorMessage(error, prepared.argv[0]!, r.spec.workingDir ?? '/');
      loop.observe({ type: 'start-failed', container: name, instance, message, at: new Date() });
      loop.changed();
      loop.queueSync();
      return;
    }
    closeMountFds(instance); // attached by the child: the pod's mount namespace holds them now
    instance.process = process;
    instance.target = {
      process,
      pause: sandbox.pause,
      env: Object.fromEntries(prepared.env),
      podIP: infra.podIP,
      ...(infra.fromHost ? { fromHost: true } : {}),
      cwd: prepared.cwd,
      ports: r.spec.ports ?? [],
      ...prepared.confinement,
      ...cgroups,
    };
    const postStart = r.spec.lifecycle?.postStart;
    loop.observe({ type: 'started', container: name, instance, postStart: postStart !== undefined });
    recordExecSpec(this.#ctx.stateDir, name, instance.target, cgroups.cgroups, loop.say);
    if (postStart) loop.run(this.#postStart(name, instance, postStart), 'FailedPostStartHook');
    else this.#startProbes(name, instance);
    const count = r.restartCount + (finished ? 1 : 0);
    const drained = Promise.all([
      this.#pipeLogs(name, count, instance, process.stdout!, 'stdout'),
      this.#pipeLogs(name, count, instance, process.stderr!, 'stderr'),
    ]);
    loop.run(
      process.exited.then((status) => this.#exited(name, instance, status, drained)),
      'FailedContainerExit',
    );
    loop.changed();
    loop.queueSync();
  }

  /** decide's `kill` (a failed liveness or startup probe or postStart hook, a changed definition), B.10. */
  kill(name: string, deadline: number, message: string): void {
    const r = recordOf(this.#ctx.loop.state(), name)!;
    // The workers but readiness stop; then killContainer.
    stopHealthProbes(this.#probes.get(r.current!.id));
    this.#ctx.loop.run(this.#kill(r, deadline, message), 'FailedKillContainer');
  }

  /** SIGKILL to every running container now (a delete with grace 0, or its shortened grace over). */
  killAll(): void {
    for (const r of this.#ctx.loop.state().records) if (isRunning(r)) r.current!.process?.kill('SIGKILL');
  }

  /**
   * The pod's termination (B.10): liveness and startup probes stop (readiness goes on, B.8), then every
   * running container is stopped in the pod's order with `deadline` as its grace's end (`immediate`:
   * SIGKILL first). Resolves once they have exited.
   */
  async stopAll(deadline: number, immediate: boolean): Promise<void> {
    for (const workers of this.#probes.values()) stopHealthProbes(workers);
    const running = this.#ctx.loop.state().records.filter(isRunning);
    if (immediate) for (const r of running) r.current!.process?.kill('SIGKILL');
    await stopContainers(running, (r, message, waitFor) => this.#kill(r, deadline, message, waitFor));
  }

  /** A container cannot start now: it waits with `reason` and is tried again in 10 s. */
  #blocked(name: string, reason: string, message: string, now: number, event: boolean): void {
    const loop = this.#ctx.loop;
    loop.observe({ type: 'start-blocked', container: name, reason, message, until: now + configRetryMs, event });
    loop.later(configRetryMs, () => loop.sync());
    loop.changed();
  }

  /**
   * An instance's process exited: its exec spec and probe workers go at once, what it left behind is
   * killed when it shares a pid namespace (container/leftovers.ts), its last lines are read
   * (the fallback message reads them; unless something it left holds the pipes), then what its end
   * leaves is done (container/exit.ts) and its end observed.
   */
  async #exited(name: string, instance: Instance, status: ExitStatus, drained: Promise<unknown>): Promise<void> {
    const loop = this.#ctx.loop;
    // At once: a postStart hook still running sees it and starts no probe workers for a dead instance.
    loop.observe({ type: 'exit-seen', container: name, id: instance.id });
    forgetExecSpec(this.#ctx.stateDir, name, instance.process!.pid);
    for (const worker of Object.values(this.#probes.get(instance.id) ?? {})) worker.stop();
    // No pid namespace of its own: what it left goes now (container/leftovers.ts), its pipes with it.
    await killLeftovers(this.#ctx.pod.spec, this.#ctx.infra.cgroups, name).catch((error: Error) =>
      loop.say('Warning', 'FailedKillContainer', `What container ${name} left behind: ${error.message}`, name),
    );
    const read = await Promise.race([
      drained.then(() => true),
      new Promise<false>((resolve) => setTimeout(() => resolve(false), 1000).unref()),
    ]);
    const untracked = read ? undefined : untrackedLeftovers(this.#ctx.pod.spec, this.#ctx.infra.cgroups);
    if (untracked !== undefined) {
      // Something it left holds its pipes and cannot be found: they are closed, or the pod never ends.
      instance.process!.stdout?.destroy();
      instance.process!.stderr?.destroy();
      const message = `Container ${name} left processes behind that hold its output; without cgroups (hostPID) they cannot be found: they outlive it, its output pipes are closed`;
      loop.say('Warning', 'LeftoverProcesses', message, name);
    }
    const r = recordOf(loop.state(), name)!;
    const cgroups = this.#ctx.infra.cgroups;
    const ended = await instanceEnd(r.spec, instance, status, {
      ...(cgroups !== undefined ? { cgroups } : {}),
      mayRestart: (code) => {
        const s = loop.state();
        return !s.terminating && (r.definitionChanged || shouldRestart(s.restartPolicy, r.kind, code, r.spec));
      },
    });
    this.#probes.delete(instance.id);
    loop.observe(ended);
    loop.changed();
    loop.queueSync();
  }

  /** The probe workers of a started instance (health/probe-workers.ts), unless it has ended already. */
  #startProbes(name: string, instance: Instance): void {
    const loop = this.#ctx.loop;
    const current = recordOf(loop.state(), name)?.current;
    if (current?.id !== instance.id || current.exitSeen) return; // it ended while its postStart ran
    const workers = startProbes(recordOf(loop.state(), name)!.spec, instance, {
      terminating: loop.state().terminating,
      say: loop.say,
      onResult: (kind, result) => this.#probeResult(name, instance, kind, result),
    });
    this.#probes.set(instance.id, workers);
  }

  /** A probe's settled result changed: observed; the workers follow (startup done, or a kill coming). */
  #probeResult(name: string, instance: Instance, kind: ProbeKind, result: ProbeResult): void {
    const loop = this.#ctx.loop;
    const current = recordOf(loop.state(), name)?.current;
    if (current?.id !== instance.id || current.finishedAt !== undefined) return;
    loop.observe({ type: 'probe', container: name, id: instance.id, kind, result });
    if (kind === 'readiness') return loop.changed();
    if (kind === 'startup' && result === 'success') {
      afterStartup(this.#probes.get(instance.id) ?? {}, instance.startedAt);
      loop.changed();
      loop.queueSync(); // a started sidecar lets the next init container start
      return;
    }
    if (result === 'failure') loop.queueSync(); // decide kills it
  }

  /** killContainer (container/stop.ts) with the pod's podRef and the container's image stop signal. */
  #kill(r: ContainerRecord, deadline: number, message: string, waitFor?: () => Promise<unknown>): Promise<void> {
    const config = this.#ctx.imageStep.pulled.get(r.spec.image ?? '')?.config.config;
    const imageSignal = imageStopSignal(config?.StopSignal);
    const ctx = {
      podRef: this.#ctx.podRef,
      ...(imageSignal !== undefined ? { imageStopSignal: imageSignal } : {}),
      say: this.#ctx.loop.say,
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
    const loop = this.#ctx.loop;
    const outcome = await runPostStart(hook, instance, { container: name, pod: this.#ctx.podRef });
    loop.observe({ type: 'post-start-ended', container: name, id: instance.id, outcome });
    if (outcome.ok) this.#startProbes(name, instance);
    loop.changed();
    loop.queueSync();
  }

  /** Streams one pipe of a container instance to its CRI log and to listeners (container/output.ts). */
  #pipeLogs(
    name: string,
    count: number,
    instance: Instance,
    stream: NodeJS.ReadableStream,
    which: 'stdout' | 'stderr',
  ) {
    const file = logFile(this.#ctx.stateDir, name, count);
    let sink = this.#logs.get(file);
    if (!sink) {
      sink = new CriLogWriter(file, this.#ctx.logRotation);
      this.#logs.set(file, sink);
    }
    const end = pipeLogs(stream, which, {
      container: name,
      sink,
      tail: instance.logTail,
      onLine: this.#ctx.onLog,
    });
    this.#streamEnds.push(end);
    return end;
  }
}
