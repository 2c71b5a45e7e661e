// The loop's facts as timelines (issue 11 §1): a table of observations in, the state and events out.
// No processes, no clock: times come in the observations.
import { describe, expect, it } from 'vitest';
import { Backoff } from '../../src/pod/backoff';
import { decide } from '../../src/pod/reconcile';
import { type Observation, reduce, type ReducedEvent } from '../../src/pod/reduce';
import type { Instance } from '../../src/pod/records';
import { initialState, type PodState, recordOf } from '../../src/pod/state';
import { reconcileView } from '../../src/pod/status-view';
import type { PodSpecObject } from '../../src/pod/types';

const pod = (spec: Partial<PodSpecObject['spec']>): PodSpecObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'p', namespace: 'default', uid: 'u1' },
  spec: { containers: [{ name: 'web' }], ...spec },
});
const instance = (id: string, startedAt = 0): Instance => ({
  id,
  generation: 1,
  startedAt: new Date(startedAt),
  logTail: [],
});
/** Folds a timeline; returns the final state and every event. */
const run = (state: PodState, timeline: Observation[]) => {
  const events: ReducedEvent[] = [];
  for (const o of timeline) {
    const out = reduce(state, o);
    events.push(...out.events);
    state = out.state;
  }
  return { state, events };
};
const actions = (state: PodState, now = 0) =>
  decide(
    reconcileView(state.records, {
      restartPolicy: state.restartPolicy,
      initialized: state.initialized,
      generation: state.generation,
      blocked: state.replacing || state.postStartRunning !== undefined,
    }),
    new Backoff(),
    now,
  );
const ref = 'p_default(u1)';

describe('reduce', () => {
  it('never changes the state it is given', () => {
    const before = initialState(pod({}), ref);
    const frozen = JSON.stringify(before.records);
    const { state } = run(before, [
      { type: 'sandbox-created' },
      { type: 'started', container: 'web', instance: instance('a'), postStart: false },
    ]);
    expect(JSON.stringify(before.records)).toBe(frozen);
    expect(before.generation).toBe(0);
    expect(state).not.toBe(before);
    expect(recordOf(state, 'web')!.current?.id).toBe('a');
  });

  it('a start, an exit, a restart: restartCount, lastState, Created/Started events', () => {
    const { state, events } = run(initialState(pod({}), ref), [
      { type: 'sandbox-created' },
      { type: 'started', container: 'web', instance: instance('a'), postStart: false },
      { type: 'exit-seen', container: 'web', id: 'a' },
      { type: 'exited', container: 'web', id: 'a', at: new Date(5), exitCode: 1, reason: 'Error' },
      { type: 'started', container: 'web', instance: instance('b', 10), postStart: false },
    ]);
    const r = recordOf(state, 'web')!;
    expect(r.restartCount).toBe(1);
    expect(r.previous).toMatchObject({ id: 'a', exitCode: 1, reason: 'Error', exitSeen: true });
    expect(r.current).toMatchObject({ id: 'b', started: true, ready: true });
    expect(state.anyStarted).toBe(true);
    expect(events.map((e) => e.reason)).toEqual(['Created', 'Started', 'Created', 'Started']);
  });

  it('an exit of an instance that is not the current one changes nothing', () => {
    const started = run(initialState(pod({}), ref), [
      { type: 'started', container: 'web', instance: instance('b'), postStart: false },
    ]).state;
    const { state } = reduce(started, {
      type: 'exited',
      container: 'web',
      id: 'a',
      at: new Date(1),
      exitCode: 0,
      reason: 'Completed',
    });
    expect(state.records).toBe(started.records);
  });

  it('a startup probe gates started and ready (B.8): ready is never true before started', () => {
    const spec = pod({
      containers: [
        { name: 'web', startupProbe: { exec: { command: ['true'] } }, readinessProbe: { exec: { command: ['true'] } } },
      ],
    });
    let { state } = run(initialState(spec, ref), [
      { type: 'started', container: 'web', instance: instance('a'), postStart: false },
    ]);
    expect(recordOf(state, 'web')!.current).toMatchObject({ started: false, ready: false });
    state = reduce(state, { type: 'probe', container: 'web', id: 'a', kind: 'startup', result: 'success' }).state;
    expect(recordOf(state, 'web')!.current).toMatchObject({ started: true, ready: false });
    state = reduce(state, { type: 'probe', container: 'web', id: 'a', kind: 'readiness', result: 'success' }).state;
    expect(recordOf(state, 'web')!.current).toMatchObject({ started: true, ready: true });
  });

  it('a failed liveness probe asks for a kill with the probe grace; decide carries it out, once asked', () => {
    const spec = pod({
      terminationGracePeriodSeconds: 30,
      containers: [{ name: 'web', livenessProbe: { exec: { command: ['false'] }, terminationGracePeriodSeconds: 3 } }],
    });
    const { state } = run(initialState(spec, ref), [
      { type: 'sandbox-created' },
      { type: 'initialized' },
      { type: 'started', container: 'web', instance: instance('a'), postStart: false },
      { type: 'probe', container: 'web', id: 'a', kind: 'liveness', result: 'failure' },
    ]);
    expect(actions(state)).toEqual([
      { type: 'kill', name: 'web', message: 'Container web failed liveness probe, will be restarted', graceSeconds: 3 },
    ]);
    // During the pod's termination a failure asks for nothing (the termination kills it).
    const terminating = run(initialState(spec, ref), [
      { type: 'started', container: 'web', instance: instance('a'), postStart: false },
      { type: 'terminating' },
      { type: 'probe', container: 'web', id: 'a', kind: 'liveness', result: 'failure' },
    ]).state;
    expect((recordOf(terminating, 'web')!.current as { killRequest?: unknown }).killRequest).toBeUndefined();
  });

  it('postStart (B.9): ContainerCreating and blocking the next start until it ends; a failure kills', () => {
    const spec = pod({ containers: [{ name: 'a' }, { name: 'b' }] });
    let { state } = run(initialState(spec, ref), [
      { type: 'sandbox-created' },
      { type: 'initialized' },
      { type: 'started', container: 'a', instance: instance('a1'), postStart: true },
    ]);
    expect(recordOf(state, 'a')!.waiting).toEqual({ reason: 'ContainerCreating' });
    expect(recordOf(state, 'a')!.current).toMatchObject({ started: false, ready: false });
    expect(state.postStartRunning).toBe('a');
    expect(actions(state)).toEqual([]); // b waits for the hook
    const failed = reduce(state, {
      type: 'post-start-ended',
      container: 'a',
      id: 'a1',
      outcome: { ok: false, message: 'hook failed' },
    });
    expect(failed.events).toEqual([
      { type: 'Warning', reason: 'FailedPostStartHook', message: 'hook failed', container: 'a' },
    ]);
    state = failed.state;
    expect(state.postStartRunning).toBeUndefined();
    expect(recordOf(state, 'a')!.waiting).toBeUndefined();
    expect(actions(state)).toEqual([
      { type: 'kill', name: 'a', message: 'FailedPostStartHook', graceSeconds: 30 },
      { type: 'start', name: 'b' },
    ]);
  });

  it('a container that exits while its postStart hook runs is neither killed nor probed (issue 11 §2)', () => {
    const { state, events } = run(initialState(pod({}), ref), [
      { type: 'started', container: 'web', instance: instance('a'), postStart: true },
      { type: 'exit-seen', container: 'web', id: 'a' },
      { type: 'post-start-ended', container: 'web', id: 'a', outcome: { ok: false, message: 'gone' } },
    ]);
    expect(events.map((e) => e.reason)).toEqual(['Created', 'Started']);
    expect(state.postStartRunning).toBeUndefined();
    expect(recordOf(state, 'web')!.current).toMatchObject({ started: false, exitSeen: true });
  });

  it('the deadline fails the pod and asks for its termination with the pod grace', () => {
    const { state, events } = run(initialState(pod({ terminationGracePeriodSeconds: 7 }), ref), [
      { type: 'pod-started', at: new Date(0) },
      { type: 'deadline' },
    ]);
    expect(state.forcedPhase).toEqual({
      phase: 'Failed',
      reason: 'DeadlineExceeded',
      message: 'Pod was active on the node longer than the specified deadline',
    });
    expect(state.terminate).toEqual({ graceSeconds: 7, immediate: false });
    expect(events.map((e) => [e.type, e.reason])).toEqual([['Normal', 'DeadlineExceeded']]);
  });

  it('a rejection is phase Failed with "Pod was rejected", terminated at once', () => {
    const { state, events } = run(initialState(pod({}), ref), [
      { type: 'rejected', reason: 'NodePorts', message: 'port 80 taken' },
    ]);
    expect(state.forcedPhase).toEqual({
      phase: 'Failed',
      reason: 'NodePorts',
      message: 'Pod was rejected: port 80 taken',
    });
    expect(state.terminate).toEqual({ graceSeconds: 0, immediate: true });
    expect(events).toEqual([{ type: 'Warning', reason: 'NodePorts', message: 'port 80 taken' }]);
  });

  it("the pause's death: a new sandbox where init containers run again; under Never the pod ends", () => {
    const spec = pod({ initContainers: [{ name: 'setup' }] });
    let { state } = run(initialState(spec, ref), [
      { type: 'sandbox-created' },
      { type: 'started', container: 'setup', instance: instance('s1'), postStart: false },
      { type: 'exited', container: 'setup', id: 's1', at: new Date(1), exitCode: 0, reason: 'Completed' },
      { type: 'initialized' },
      { type: 'started', container: 'web', instance: instance('w1'), postStart: false },
      { type: 'sandbox-died' },
    ]);
    expect(state.replacing).toBe(true);
    expect(actions(state)).toEqual([]); // no start while it is replaced
    state = reduce(state, { type: 'sandbox-created' }).state;
    expect(state).toMatchObject({ replacing: false, initialized: false, generation: 2 });
    expect(actions(state)).toEqual([{ type: 'start', name: 'setup' }]); // it ran in the old sandbox
    const never = run(initialState(pod({ restartPolicy: 'Never' }), ref), [
      { type: 'started', container: 'web', instance: instance('w1'), postStart: false },
      { type: 'sandbox-died' },
    ]);
    expect(never.state.terminate).toEqual({ graceSeconds: 0, immediate: true });
    expect(never.events.map((e) => e.reason)).toContain('SandboxChanged');
  });

  it("the pause's death under Never ends the pod whatever a container's own restartPolicy or rules say", () => {
    const rule = { action: 'Restart', exitCodes: { operator: 'In', values: [42] } };
    for (const web of [
      { name: 'web', restartPolicy: 'Always' },
      { name: 'web', restartPolicy: 'Never', restartPolicyRules: [rule] },
    ]) {
      const { state, events } = run(initialState(pod({ restartPolicy: 'Never', containers: [web] }), ref), [
        { type: 'sandbox-created' },
        { type: 'started', container: 'web', instance: instance('w1'), postStart: false },
        { type: 'sandbox-died' },
      ]);
      expect(events.map((e) => e.reason)).toContain('SandboxChanged');
      expect(state.terminate).toEqual({ graceSeconds: 0, immediate: true });
      expect(state.replacing).toBe(false);
    }
  });

  it('without init containers the new sandbox starts every container of the old one but one that succeeded under OnFailure', () => {
    const spec = pod({
      containers: [
        { name: 'web' }, // the pod's Always
        { name: 'once', restartPolicy: 'Never' }, // killed with the old sandbox: started again all the same
        { name: 'job', restartPolicy: 'OnFailure' }, // succeeded before: not started
      ],
    });
    let { state } = run(initialState(spec, ref), [
      { type: 'sandbox-created' },
      { type: 'started', container: 'web', instance: instance('w1'), postStart: false },
      { type: 'started', container: 'once', instance: instance('o1'), postStart: false },
      { type: 'started', container: 'job', instance: instance('j1'), postStart: false },
      { type: 'exited', container: 'job', id: 'j1', at: new Date(1), exitCode: 0, reason: 'Completed' },
      { type: 'sandbox-died' },
    ]);
    expect(state.replacing).toBe(true);
    ({ state } = run(state, [
      { type: 'exited', container: 'web', id: 'w1', at: new Date(2), exitCode: 137, signal: 9, reason: 'Error' },
      { type: 'exited', container: 'once', id: 'o1', at: new Date(2), exitCode: 137, signal: 9, reason: 'Error' },
    ]));
    // Still in the old sandbox (being replaced): nothing starts; `once` would not restart by its policy.
    expect(actions(state, 100_000)).toEqual([]);
    state = reduce(state, { type: 'sandbox-created' }).state;
    expect(actions(state, 100_000)).toEqual([
      { type: 'initialized' },
      { type: 'start', name: 'web' },
      { type: 'start', name: 'once' },
    ]);
  });

  it('with init containers the new sandbox runs them, then restarts each container by its own policy', () => {
    const spec = pod({
      restartPolicy: 'OnFailure',
      initContainers: [{ name: 'setup' }],
      containers: [{ name: 'web', restartPolicy: 'Never' }, { name: 'side' }],
    });
    let { state } = run(initialState(spec, ref), [
      { type: 'sandbox-created' },
      { type: 'started', container: 'setup', instance: instance('i1'), postStart: false },
      { type: 'exited', container: 'setup', id: 'i1', at: new Date(1), exitCode: 0, reason: 'Completed' },
      { type: 'initialized' },
      { type: 'started', container: 'web', instance: instance('w1'), postStart: false },
      { type: 'started', container: 'side', instance: instance('s1'), postStart: false },
      { type: 'sandbox-died' },
      { type: 'exited', container: 'web', id: 'w1', at: new Date(2), exitCode: 137, signal: 9, reason: 'Error' },
      { type: 'exited', container: 'side', id: 's1', at: new Date(2), exitCode: 137, signal: 9, reason: 'Error' },
      { type: 'sandbox-created' },
    ]);
    expect(actions(state, 100_000)).toEqual([{ type: 'start', name: 'setup' }]);
    ({ state } = run(state, [
      { type: 'started', container: 'setup', instance: { ...instance('i2'), generation: 2 }, postStart: false },
      { type: 'exited', container: 'setup', id: 'i2', at: new Date(3), exitCode: 0, reason: 'Completed' },
    ]));
    // ShouldContainerBeRestarted for each, on its exit in the old sandbox (137): web (its own Never) no,
    // side (the pod's OnFailure) yes.
    expect(actions(state, 100_000)).toEqual([{ type: 'initialized' }, { type: 'start', name: 'side' }]);
  });

  it('image pulled and failed: the waiting reason comes and goes', () => {
    let { state } = run(initialState(pod({}), ref), [
      { type: 'image', container: 'web', waiting: { reason: 'ErrImagePull', message: 'no such host' } },
    ]);
    expect(recordOf(state, 'web')!.waiting).toEqual({ reason: 'ErrImagePull', message: 'no such host' });
    expect(state.imageErrors.get('web')?.reason).toBe('ErrImagePull');
    state = reduce(state, { type: 'image', container: 'web' }).state;
    expect(recordOf(state, 'web')!.waiting).toBeUndefined();
    expect(state.imageErrors.size).toBe(0);
  });

  it('a failed mount is FailedMount until the volume is there', () => {
    const failed = reduce(initialState(pod({}), ref), { type: 'mount-failed', volume: 'data', message: 'not a file' });
    expect(failed.events).toEqual([
      { type: 'Warning', reason: 'FailedMount', message: 'MountVolume.SetUp failed for volume "data" : not a file' },
    ]);
    expect(failed.state.volumeErrors.get('data')).toBe('not a file');
    const mounted = reduce(failed.state, { type: 'mounted', volume: 'data' }).state;
    expect(mounted.volumeErrors.size).toBe(0);
    expect(mounted.mounted.has('data')).toBe(true);
  });

  it('a crash-loop back-off is CrashLoopBackOff with the kubelet message and one BackOff event', () => {
    const { state, events } = run(initialState(pod({}), ref), [
      { type: 'back-off', container: 'web', until: 10_000, backoffMs: 10_000 },
    ]);
    expect(recordOf(state, 'web')).toMatchObject({
      backOffUntil: 10_000,
      waiting: { reason: 'CrashLoopBackOff', message: `back-off 10s restarting failed container=web pod=${ref}` },
    });
    expect(events).toEqual([
      {
        type: 'Warning',
        reason: 'BackOff',
        message: `Back-off restarting failed container web in pod ${ref}`,
        container: 'web',
      },
    ]);
  });

  it('a spawn that fails is a StartError instance (exit 128) and RunContainerError', () => {
    const { state } = run(initialState(pod({}), ref), [
      { type: 'start-failed', container: 'web', instance: instance('a'), message: 'exec: not found', at: new Date(3) },
    ]);
    expect(recordOf(state, 'web')).toMatchObject({
      current: { id: 'a', exitCode: 128, reason: 'StartError', finishedAt: new Date(3) },
      waiting: { reason: 'RunContainerError', message: 'exec: not found' },
    });
    expect(state.anyStarted).toBe(false);
  });

  it('a changed definition kills a running regular container once; an init container is left alone', () => {
    const spec = pod({ initContainers: [{ name: 'setup' }] });
    const { state } = run(initialState(spec, ref), [
      { type: 'started', container: 'setup', instance: instance('s'), postStart: false },
      { type: 'started', container: 'web', instance: instance('w'), postStart: false },
      { type: 'definition-changed', container: 'setup' },
      { type: 'definition-changed', container: 'web' },
    ]);
    expect(recordOf(state, 'setup')!.definitionChanged).toBeUndefined();
    expect(recordOf(state, 'web')).toMatchObject({
      definitionChanged: true,
      current: { killRequest: { message: 'Container web definition changed, will be restarted', graceSeconds: 30 } },
    });
  });

  it('termination clears the waiting reason of ended containers and keeps that of never-started ones', () => {
    const spec = pod({ containers: [{ name: 'a' }, { name: 'b' }] });
    const { state } = run(initialState(spec, ref), [
      { type: 'started', container: 'a', instance: instance('a1'), postStart: false },
      { type: 'exited', container: 'a', id: 'a1', at: new Date(1), exitCode: 1, reason: 'Error' },
      { type: 'back-off', container: 'a', until: 10, backoffMs: 10_000 },
      {
        type: 'start-blocked',
        container: 'b',
        reason: 'CreateContainerError',
        message: 'no command specified',
        until: 10,
        event: true,
      },
      { type: 'terminating' },
    ]);
    expect(recordOf(state, 'a')!.waiting).toBeUndefined();
    expect(recordOf(state, 'b')!.waiting).toEqual({ reason: 'CreateContainerError', message: 'no command specified' });
  });
});
