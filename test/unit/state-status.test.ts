import { describe, expect, it } from 'vitest';
import { reduce } from '../../src/pod/reduce';
import { initialState, type PodState } from '../../src/pod/state';
import { stateStatus } from '../../src/pod/state-status';
import type { Condition } from '../../src/pod/status';
import type { PodSpecObject } from '../../src/pod/types';

const pod: PodSpecObject = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'p', namespace: 'default', uid: 'u1' },
  spec: { containers: [{ name: 'web' }] },
};
const up = { running: true, podIP: '10.88.0.5', qosClass: 'Burstable' };
const condition = (status: Record<string, unknown>, type: string) =>
  (status.conditions as Condition[]).find((c) => c.type === type);
const fold = (state: PodState, ...os: Parameters<typeof reduce>[1][]) => os.reduce((s, o) => reduce(s, o).state, state);

describe('stateStatus', () => {
  it("carries the sandbox's facts: IPs, QoS class, PodReadyToStartContainers", () => {
    const status = stateStatus(initialState(pod, 'p'), { ...up, podIPs: ['10.88.0.5', 'fd70::5'] }, [], new Date(0));
    expect(status.podIP).toBe('10.88.0.5');
    expect(status.podIPs).toEqual([{ ip: '10.88.0.5' }, { ip: 'fd70::5' }]);
    expect(status.qosClass).toBe('Burstable');
    expect(condition(status, 'PodReadyToStartContainers')?.status).toBe('True');
  });

  it('a pause that is not running, or a pod that is done, is not ready to start containers', () => {
    const state = initialState(pod, 'p');
    const down = stateStatus(state, { ...up, running: false, notice: 'no limits' }, [], new Date(0));
    expect(condition(down, 'PodReadyToStartContainers')?.status).toBe('False');
    const done = stateStatus(fold(state, { type: 'done' }), up, [], new Date(0));
    expect(condition(done, 'PodReadyToStartContainers')?.status).toBe('False');
  });

  it('a deadline forces Failed; startTime comes from the state', () => {
    const at = new Date(5000);
    const state = fold(initialState(pod, 'p'), { type: 'pod-started', at }, { type: 'deadline' });
    const status = stateStatus(state, up, [], new Date(6000));
    expect(status.phase).toBe('Failed');
    expect(status.reason).toBe('DeadlineExceeded');
    expect(status.startTime).toBe(at.toISOString().replace(/\.\d{3}Z$/, 'Z'));
  });

  it('an unchanged condition keeps its transition time', () => {
    const state = initialState(pod, 'p');
    const first = stateStatus(state, up, [], new Date(0));
    const later = stateStatus(state, up, first.conditions as Condition[], new Date(60_000));
    expect(condition(later, 'PodScheduled')?.lastTransitionTime).toBe(
      condition(first, 'PodScheduled')?.lastTransitionTime,
    );
  });
});
