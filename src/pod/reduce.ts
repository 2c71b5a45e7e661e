/**
 * Every fact that reaches the pod, folded into its state (issue 11 §1): a pure
 * `reduce(state, observation)` that returns the new state and the events the fact makes — no process,
 * no clock (times come in the observations). What to do next is reconcile.ts's `decide`; the runner
 * carries the actions out and feeds their results back here, failures included.
 * @module
 */
import type { PodEvent } from './events';
import type { HookOutcome } from './hooks';
import type { ImageWaiting } from './image-step';
import type { ProbeKind, ProbeResult } from './probes';
import type { ContainerRecord, Instance } from './records';
import type { PodState } from './state';
import type { ContainerSpec } from './types';

/** A kill the loop asks for (a failed probe or postStart hook, a changed definition): decide turns it into an action. */
export interface KillRequest {
  message: string;
  graceSeconds: number;
}

/** An instance as the loop sees it: what it has, plus a kill asked for. */
export type InstanceState = Instance & { killRequest?: KillRequest };

/** A fact about the pod. */
export type Observation =
  /** A sandbox was made (the first, or a new one after the pause died). */
  | { type: 'sandbox-created' }
  /** The pod's start finished: its startTime. */
  | { type: 'pod-started'; at: Date }
  /** The pause died while the pod ran (B.1 step 1). */
  | { type: 'sandbox-died' }
  /** activeDeadlineSeconds passed. */
  | { type: 'deadline' }
  /** Admission (or the sandbox's making) refused the pod. */
  | { type: 'rejected'; reason: string; message: string }
  /** delete() was called. */
  | { type: 'deleted' }
  /** The pod's containers are being stopped. */
  | { type: 'terminating' }
  /** Everything of the pod is gone. */
  | { type: 'done' }
  /** decide said so: init containers are done. */
  | { type: 'initialized' }
  /** A container's image step: failed (its waiting reason), or done (undefined). */
  | { type: 'image'; container: string; waiting?: ImageWaiting }
  /** A volume could not be set up. */
  | { type: 'mount-failed'; volume: string; message: string }
  /** A volume is set up. */
  | { type: 'mounted'; volume: string }
  /** A container cannot start now (CreateContainerConfigError, CreateContainerError, a missing volume): it waits until `until`. */
  | { type: 'start-blocked'; container: string; reason: string; message: string; until: number; event: boolean }
  /** A container waits in crash-loop back-off. */
  | { type: 'back-off'; container: string; until: number; backoffMs: number }
  /** A container's instance was spawned; `postStart`: its hook runs now. */
  | { type: 'started'; container: string; instance: Instance; postStart: boolean }
  /** A container's spawn failed (RunContainerError). */
  | { type: 'start-failed'; container: string; instance: Instance; message: string; at: Date }
  /** An instance's process exited (its pipes may still drain). */
  | { type: 'exit-seen'; container: string; id: string }
  /** An instance has ended: how. */
  | {
      type: 'exited';
      container: string;
      id: string;
      at: Date;
      exitCode: number;
      signal?: number;
      reason: string;
      message?: string;
    }
  /** A probe's settled result changed. */
  | { type: 'probe'; container: string; id: string; kind: ProbeKind; result: ProbeResult }
  /** An instance's postStart hook returned. */
  | { type: 'post-start-ended'; container: string; id: string; outcome: HookOutcome }
  /** An applied change of a running container's image: it is killed and started again. */
  | { type: 'definition-changed'; container: string }
  /** An action failed in a way no other observation says (the store, a helper): said as a warning. */
  | { type: 'failed'; reason: string; message: string; container?: string };

/** An event a fact makes (the runner stamps its time). */
export type ReducedEvent = Omit<PodEvent, 'time'>;

/**
 * `started` and `ready` of an instance whose probes begin now (B.8): started at once without a startup
 * probe, ready at once without a readiness probe; during the pod's termination only readiness is probed.
 *
 * @example
 * initialHealth({ name: 'web', readinessProbe: { httpGet: { port: 80 } } }, false); // { started: true, ready: false }
 */
export function initialHealth(spec: ContainerSpec, terminating: boolean): { started: boolean; ready: boolean } {
  return { started: spec.startupProbe === undefined || terminating, ready: spec.readinessProbe === undefined };
}

const event = (type: PodEvent['type'], reason: string, message: string, container?: string): ReducedEvent =>
  container === undefined ? { type, reason, message } : { type, reason, message, container };

/**
 * The pod's state after `o`, and the events it makes.
 *
 * @example
 * const { state, events } = reduce(before, { type: 'deadline' });
 * state.forcedPhase?.reason; // 'DeadlineExceeded'
 */
export function reduce(state: PodState, o: Observation): { state: PodState; events: ReducedEvent[] } {
  const events: ReducedEvent[] = [];
  const next = (patch: Partial<PodState>): { state: PodState; events: ReducedEvent[] } => ({
    state: { ...state, ...patch },
    events,
  });
  /** The state with container `name`'s record replaced by `change(record)`. */
  const withRecord = (name: string, change: (r: ContainerRecord) => ContainerRecord | undefined, patch = {}) => {
    let changed = false;
    const records = state.records.map((r) => {
      if (r.spec.name !== name) return r;
      const after = change(r);
      if (after === undefined || after === r) return r;
      changed = true;
      return after;
    });
    return next(changed ? { records, ...patch } : patch);
  };
  /** The record's current instance, when it is `id`, changed by `change`. */
  const withInstance = (name: string, id: string, change: (i: InstanceState, r: ContainerRecord) => InstanceState) =>
    withRecord(name, (r) => (r.current?.id === id ? { ...r, current: change(r.current, r) } : undefined));

  switch (o.type) {
    case 'sandbox-created':
      return next({
        generation: state.generation + 1,
        replacing: false,
        ...(state.replacing ? { initialized: false } : {}),
      });
    case 'pod-started':
      return next({ startTime: o.at });
    case 'sandbox-died': {
      events.push(event('Normal', 'SandboxChanged', 'Pod sandbox changed, it will be killed and re-created.'));
      // Under Never with containers that already ran the pod ends there: the infrastructure died, the rest
      // is killed at once. The pod's policy alone decides, whatever a container's own restartPolicy or rules
      // say: computePodActions skips the new sandbox when `!shouldRestartOnFailure(pod) && attempt != 0`,
      // and shouldRestartOnFailure reads the pod's policy only (ContainerRestartRules' first cut, PR #132642,
      // had it read the containers' too; a later change took that out: README "A dead pause").
      // Otherwise a new sandbox, where the init containers run again.
      if (state.restartPolicy === 'Never' && state.records.some((r) => r.current !== undefined))
        return next({ terminate: { graceSeconds: 0, immediate: true } });
      return next({ replacing: true });
    }
    case 'deadline': {
      const message = 'Pod was active on the node longer than the specified deadline';
      events.push(event('Normal', 'DeadlineExceeded', message));
      return next({
        forcedPhase: { phase: 'Failed', reason: 'DeadlineExceeded', message },
        terminate: state.terminate ?? { graceSeconds: state.graceSeconds, immediate: false },
      });
    }
    case 'rejected':
      events.push(event('Warning', o.reason, o.message));
      return next({
        forcedPhase: { phase: 'Failed', reason: o.reason, message: `Pod was rejected: ${o.message}` },
        terminate: { graceSeconds: 0, immediate: true },
      });
    case 'deleted':
      return next({ deleted: true });
    case 'terminating':
      // A container that ran shows how it ended; one that never started keeps why (CreateContainerError,
      // say), as the kubelet's final status does.
      return next({
        terminating: true,
        records: state.records.map((r) =>
          r.current !== undefined && r.current.finishedAt !== undefined && r.waiting !== undefined
            ? { ...r, waiting: undefined }
            : r,
        ),
      });
    case 'done':
      return next({ done: true });
    case 'initialized':
      return next({ initialized: true });
    case 'image': {
      const imageErrors = new Map(state.imageErrors);
      if (o.waiting !== undefined) imageErrors.set(o.container, o.waiting);
      else imageErrors.delete(o.container);
      return withRecord(
        o.container,
        (r) => {
          if (o.waiting !== undefined) return { ...r, waiting: o.waiting };
          if (r.waiting?.reason === 'ErrImagePull' || r.waiting?.reason === 'ImagePullBackOff')
            return { ...r, waiting: undefined };
          return r;
        },
        { imageErrors },
      );
    }
    case 'mount-failed': {
      const volumeErrors = new Map(state.volumeErrors).set(o.volume, o.message);
      events.push(event('Warning', 'FailedMount', `MountVolume.SetUp failed for volume "${o.volume}" : ${o.message}`));
      return next({ volumeErrors });
    }
    case 'mounted': {
      const volumeErrors = new Map(state.volumeErrors);
      volumeErrors.delete(o.volume);
      return next({ volumeErrors, mounted: new Set(state.mounted).add(o.volume) });
    }
    case 'start-blocked':
      if (o.event) events.push(event('Warning', 'Failed', `Error: ${o.message}`, o.container));
      return withRecord(o.container, (r) => ({
        ...r,
        waiting: { reason: o.reason, message: o.message },
        backOffUntil: o.until,
      }));
    case 'back-off': {
      const seconds = Math.round(o.backoffMs / 1000);
      events.push(
        event(
          'Warning',
          'BackOff',
          `Back-off restarting failed container ${o.container} in pod ${state.podRef}`,
          o.container,
        ),
      );
      return withRecord(o.container, (r) => ({
        ...r,
        backOffUntil: o.until,
        waiting: {
          reason: 'CrashLoopBackOff',
          message: `back-off ${seconds}s restarting failed container=${o.container} pod=${state.podRef}`,
        },
      }));
    }
    case 'started':
    case 'start-failed': {
      const failed = o.type === 'start-failed';
      if (failed) events.push(event('Warning', 'Failed', `Error: ${o.message}`, o.container));
      else {
        events.push(event('Normal', 'Created', `Created container: ${o.container}`, o.container));
        events.push(event('Normal', 'Started', `Started container ${o.container}`, o.container));
      }
      let regular = false;
      const result = withRecord(o.container, (r) => {
        regular = r.kind === 'regular';
        const restarted = r.current?.finishedAt !== undefined;
        const base: ContainerRecord = {
          ...r,
          restartCount: restarted ? r.restartCount + 1 : r.restartCount,
          definitionChanged: undefined,
          backOffUntil: undefined,
        };
        if (r.current) base.previous = r.current;
        if (o.type === 'start-failed')
          return {
            ...base,
            current: { ...o.instance, finishedAt: o.at, exitCode: 128, reason: 'StartError', message: o.message },
            waiting: { reason: 'RunContainerError', message: o.message },
          };
        // postStart: ContainerCreating, neither started nor ready until the hook returns.
        const health = o.postStart ? { started: false, ready: false } : initialHealth(r.spec, state.terminating);
        return {
          ...base,
          current: { ...o.instance, ...health },
          waiting: o.postStart ? { reason: 'ContainerCreating' } : undefined,
        };
      });
      return {
        state: {
          ...result.state,
          ...(!failed && regular ? { anyStarted: true } : {}),
          ...(o.type === 'started' && o.postStart ? { postStartRunning: o.container } : {}),
        },
        events,
      };
    }
    case 'exit-seen':
      return withInstance(o.container, o.id, (i) => ({ ...i, exitSeen: true }));
    case 'exited':
      return withInstance(o.container, o.id, (i) => {
        const ended: InstanceState = {
          ...i,
          finishedAt: o.at,
          exitCode: o.exitCode,
          reason: o.reason,
          process: undefined,
        };
        if (o.signal !== undefined) ended.signal = o.signal;
        if (o.message !== undefined) ended.message = o.message;
        return ended;
      });
    case 'probe':
      return withInstance(o.container, o.id, (i, r) => {
        if (i.finishedAt !== undefined) return i;
        if (o.kind === 'readiness') return { ...i, ready: o.result === 'success' };
        if (o.kind === 'startup' && o.result === 'success') return { ...i, started: true };
        if (o.result !== 'failure' || state.terminating || i.killRequest) return i;
        // Liveness or startup failed: killed with the probe's grace (or the pod's), then restarted by policy.
        const probe = o.kind === 'startup' ? r.spec.startupProbe : r.spec.livenessProbe;
        return {
          ...i,
          killRequest: {
            message: `Container ${o.container} failed ${o.kind} probe, will be restarted`,
            graceSeconds: probe?.terminationGracePeriodSeconds ?? state.graceSeconds,
          },
        };
      });
    case 'post-start-ended': {
      const r = state.records.find((x) => x.spec.name === o.container);
      const current = r?.current?.id === o.id ? (r.current as InstanceState) : undefined;
      const alive = current !== undefined && !current.exitSeen;
      if (!o.outcome.ok && alive) events.push(event('Warning', 'FailedPostStartHook', o.outcome.message, o.container));
      const result = withRecord(o.container, (rec) => {
        if (current === undefined) return undefined;
        let instance: InstanceState = current;
        if (alive && o.outcome.ok) instance = { ...current, ...initialHealth(rec.spec, state.terminating) };
        else if (alive && !current.killRequest)
          instance = { ...current, killRequest: { message: 'FailedPostStartHook', graceSeconds: state.graceSeconds } };
        return { ...rec, waiting: undefined, current: instance };
      });
      return { state: { ...result.state, postStartRunning: undefined }, events };
    }
    case 'definition-changed':
      return withRecord(o.container, (r) => {
        const i = r.current as InstanceState | undefined;
        if (r.kind === 'init' || state.terminating || i === undefined || i.finishedAt !== undefined) return undefined;
        return {
          ...r,
          definitionChanged: true,
          current: i.killRequest
            ? i
            : {
                ...i,
                killRequest: {
                  message: `Container ${o.container} definition changed, will be restarted`,
                  graceSeconds: state.graceSeconds,
                },
              },
        };
      });
    case 'failed':
      events.push(event('Warning', o.reason, o.message, o.container));
      return next({});
  }
}
