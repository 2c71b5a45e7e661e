// The kubelet's decisions as a pure function (KUBERNETES.md B.1-B.3): init order, sidecars, restart
// policies, backoff, when the pod is done. No processes, no clock.
import { describe, expect, it } from 'vitest';
import { Backoff } from '../../src/pod/backoff';
import { type ContainerView, decide, type PodView, shouldRestart } from '../../src/pod/reconcile';

const c = (name: string, kind: ContainerView['kind'], state: Partial<ContainerView> = {}): ContainerView => ({
  name,
  kind,
  running: false,
  started: false,
  backoffKey: name,
  ...state,
});
const running = { running: true, started: true };
const exited = (exitCode: number, finishedAt = 0) => ({ lastExit: { exitCode, finishedAt } });
const view = (v: Partial<PodView>): PodView => ({
  restartPolicy: 'Always',
  init: [],
  regular: [],
  initialized: false,
  ...v,
});

describe('decide', () => {
  it('starts init containers one at a time, in order', () => {
    const init = [c('a', 'init'), c('b', 'init')];
    expect(decide(view({ init, regular: [c('web', 'regular')] }), new Backoff(), 0)).toEqual([
      { type: 'start', name: 'a' },
    ]);
    init[0] = c('a', 'init', running);
    expect(decide(view({ init, regular: [c('web', 'regular')] }), new Backoff(), 0)).toEqual([]);
    init[0] = c('a', 'init', exited(0));
    expect(decide(view({ init, regular: [c('web', 'regular')] }), new Backoff(), 0)).toEqual([
      { type: 'start', name: 'b' },
    ]);
  });

  it('starts every container in spec order once init is done', () => {
    const actions = decide(
      view({ init: [c('a', 'init', exited(0))], regular: [c('x', 'regular'), c('y', 'regular')] }),
      new Backoff(),
      0,
    );
    expect(actions).toEqual([{ type: 'initialized' }, { type: 'start', name: 'x' }, { type: 'start', name: 'y' }]);
  });

  it('waits for a sidecar to be started before the next init container', () => {
    const init = [c('proxy', 'sidecar', { running: true, started: false }), c('migrate', 'init')];
    expect(decide(view({ init, regular: [c('web', 'regular')] }), new Backoff(), 0)).toEqual([]);
    init[0] = c('proxy', 'sidecar', running);
    expect(decide(view({ init, regular: [c('web', 'regular')] }), new Backoff(), 0)).toEqual([
      { type: 'start', name: 'migrate' },
    ]);
  });

  it('a failed init container fails the pod under Never and is retried otherwise', () => {
    const init = [c('a', 'init', exited(1))];
    expect(decide(view({ restartPolicy: 'Never', init, regular: [c('w', 'regular')] }), new Backoff(), 0)).toEqual([
      { type: 'kill-pod', reason: 'InitFailed' },
    ]);
    expect(decide(view({ restartPolicy: 'OnFailure', init, regular: [c('w', 'regular')] }), new Backoff(), 0)).toEqual([
      { type: 'start', name: 'a' },
    ]);
  });

  it('init containers never run again once the pod is initialized; sidecars are kept alive', () => {
    const actions = decide(
      view({
        initialized: true,
        init: [c('a', 'init', exited(1)), c('proxy', 'sidecar', exited(0))],
        regular: [c('web', 'regular', running)],
      }),
      new Backoff(),
      0,
    );
    expect(actions).toEqual([{ type: 'start', name: 'proxy' }]);
  });

  it('backs off a restart when the backoff says so', () => {
    const backoff = new Backoff({ initialMs: 1000, maxMs: 4000 });
    backoff.recordRestart('web', 0);
    const actions = decide(view({ initialized: true, regular: [c('web', 'regular', exited(1, 100))] }), backoff, 300);
    expect(actions).toEqual([{ type: 'back-off', name: 'web', until: 1100, backoffMs: 1000 }]);
  });

  it('kills the pod when nothing runs and nothing is to be restarted', () => {
    const regular = [c('x', 'regular', exited(0)), c('y', 'regular', exited(0))];
    expect(decide(view({ restartPolicy: 'OnFailure', initialized: true, regular }), new Backoff(), 0)).toEqual([
      { type: 'kill-pod', reason: 'Completed' },
    ]);
    expect(decide(view({ restartPolicy: 'Always', initialized: true, regular }), new Backoff(), 0)).toEqual([
      { type: 'start', name: 'x' },
      { type: 'start', name: 'y' },
    ]);
  });
});

describe('shouldRestart (B.3)', () => {
  it.each([
    ['Always', 'regular', 0, true],
    ['Always', 'regular', 1, true],
    ['OnFailure', 'regular', 0, false],
    ['OnFailure', 'regular', 2, true],
    ['Never', 'regular', 2, false],
    ['Always', 'init', 0, false],
    ['Always', 'init', 1, true], // Always acts as OnFailure for init containers
    ['Never', 'init', 1, false],
    ['Never', 'sidecar', 0, true], // sidecars always restart
  ] as const)('%s %s exit %d -> %s', (policy, kind, code, expected) => {
    expect(shouldRestart(policy, kind, code)).toBe(expected);
  });

  it("restarts a regular container by its own restart rule, not the pod's Never (KEP-5307)", () => {
    const restart = {
      restartPolicy: 'Never',
      restartPolicyRules: [{ action: 'Restart', exitCodes: { operator: 'In', values: [42] } }],
    };
    const pod = (code: number) =>
      view({ restartPolicy: 'Never', initialized: true, regular: [c('w', 'regular', { ...exited(code), restart })] });
    expect(decide(pod(42), new Backoff(), 0)).toEqual([{ type: 'start', name: 'w' }]);
    expect(decide(pod(1), new Backoff(), 0)).toEqual([{ type: 'kill-pod', reason: 'Completed' }]);
    expect(shouldRestart('Always', 'regular', 0, { restartPolicy: 'Never' })).toBe(false);
    expect(shouldRestart('Never', 'regular', 0, { restartPolicy: 'Always' })).toBe(true);
  });
});
