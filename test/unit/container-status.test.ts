// containerStatus: the v1 ContainerStatus read from a record, for the rules the kubelet's status manager keeps.
import { describe, expect, it } from 'vitest';
import type { ContainerRecord, Instance } from '../../src/pod/records';
import { containerStatus } from '../../src/pod/status';

const spec = { name: 'c', image: 'x' } as ContainerRecord['spec'];

function runningRecord(instance: Partial<Instance>): ContainerRecord {
  return {
    spec,
    kind: 'regular',
    restartCount: 0,
    current: { id: 'i1', generation: 1, startedAt: new Date(0), logTail: [], ...instance },
  };
}

describe('containerStatus: ready and started', () => {
  it('is never ready before it is started (a startup probe pending, no readiness probe)', () => {
    const status = containerStatus(runningRecord({ started: false, ready: true }), 'ContainerCreating');
    expect(status.started).toBe(false);
    expect(status.ready).toBe(false);
  });

  it('is ready once started when nothing else says otherwise', () => {
    const status = containerStatus(runningRecord({ started: true, ready: true }), 'ContainerCreating');
    expect(status).toMatchObject({ started: true, ready: true });
  });

  it('a failing readiness probe keeps a started container unready', () => {
    const status = containerStatus(runningRecord({ started: true, ready: false }), 'ContainerCreating');
    expect(status).toMatchObject({ started: true, ready: false });
  });
});
