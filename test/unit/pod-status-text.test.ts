// The READY / STATUS / RESTARTS columns of `pod-init get`: the kubectl printer's rules (printPod), as a table.
import { describe, expect, it } from 'vitest';
import { podColumns, type PodObject } from '../../src/ops/pod-status-text';

const now = new Date('2026-12-06T12:00:00Z');
const running = { running: { startedAt: '2026-12-06T11:00:00Z' } };
const done = (exitCode: number, reason?: string, signal?: number) => ({
  terminated: { exitCode, ...(reason ? { reason } : {}), ...(signal ? { signal } : {}) },
});
const waiting = (reason: string) => ({ waiting: { reason } });
const cond = (type: string, status = 'True') => ({ type, status });

function pod(status: PodObject['status'], spec: PodObject['spec'] = {}, extra: Partial<PodObject['metadata']> = {}) {
  const names = (status?.containerStatuses ?? []).map((c) => ({ name: c.name }));
  return { metadata: { name: 'p', ...extra }, spec: { containers: names, ...spec }, status } as PodObject;
}

const cases: Array<[string, PodObject, string, string]> = [
  ['pending, nothing yet', pod({ phase: 'Pending' }, { containers: [{ name: 'a' }] }), 'Pending', '0/1'],
  [
    'creating',
    pod({ phase: 'Pending', containerStatuses: [{ name: 'a', state: waiting('ContainerCreating') }] }),
    'ContainerCreating',
    '0/1',
  ],
  [
    'running and ready',
    pod({ phase: 'Running', containerStatuses: [{ name: 'a', state: running, ready: true }] }),
    'Running',
    '1/1',
  ],
  [
    'running, not ready: still Running',
    pod({ phase: 'Running', containerStatuses: [{ name: 'a', state: running, ready: false }] }),
    'Running',
    '0/1',
  ],
  [
    'crash loop',
    pod({ phase: 'Running', containerStatuses: [{ name: 'a', state: waiting('CrashLoopBackOff'), restartCount: 3 }] }),
    'CrashLoopBackOff',
    '0/1',
  ],
  [
    'completed',
    pod({ phase: 'Succeeded', containerStatuses: [{ name: 'a', state: done(0, 'Completed') }] }),
    'Completed',
    '0/1',
  ],
  ['error', pod({ phase: 'Failed', containerStatuses: [{ name: 'a', state: done(1, 'Error') }] }), 'Error', '0/1'],
  [
    'OOMKilled',
    pod({ phase: 'Failed', containerStatuses: [{ name: 'a', state: done(137, 'OOMKilled') }] }),
    'OOMKilled',
    '0/1',
  ],
  [
    'no reason: ExitCode',
    pod({ phase: 'Failed', containerStatuses: [{ name: 'a', state: done(3) }] }),
    'ExitCode:3',
    '0/1',
  ],
  [
    'no reason: Signal',
    pod({ phase: 'Failed', containerStatuses: [{ name: 'a', state: done(137, undefined, 9) }] }),
    'Signal:9',
    '0/1',
  ],
  [
    'the first container wins (walked last to first)',
    pod({
      phase: 'Running',
      containerStatuses: [
        { name: 'a', state: waiting('CrashLoopBackOff') },
        { name: 'b', state: done(1, 'Error') },
      ],
    }),
    'CrashLoopBackOff',
    '0/2',
  ],
  [
    'Completed next to a running one, pod Ready: Running',
    pod({
      phase: 'Running',
      conditions: [cond('Ready')],
      containerStatuses: [
        { name: 'a', state: done(0, 'Completed') },
        { name: 'b', state: running, ready: true },
      ],
    }),
    'Running',
    '1/2',
  ],
  [
    'Completed next to a running one, pod not Ready: NotReady',
    pod({
      phase: 'Running',
      conditions: [cond('Ready', 'False')],
      containerStatuses: [
        { name: 'a', state: done(0, 'Completed') },
        { name: 'b', state: running, ready: true },
      ],
    }),
    'NotReady',
    '1/2',
  ],
  [
    'first init container running: Init:0/2',
    pod(
      {
        phase: 'Pending',
        initContainerStatuses: [
          { name: 'i1', state: running },
          { name: 'i2', state: waiting('PodInitializing') },
        ],
      },
      { initContainers: [{ name: 'i1' }, { name: 'i2' }], containers: [{ name: 'a' }] },
    ),
    'Init:0/2',
    '0/1',
  ],
  [
    'second init container: Init:1/2',
    pod(
      {
        phase: 'Pending',
        initContainerStatuses: [
          { name: 'i1', state: done(0, 'Completed') },
          { name: 'i2', state: running },
        ],
      },
      { initContainers: [{ name: 'i1' }, { name: 'i2' }], containers: [{ name: 'a' }] },
    ),
    'Init:1/2',
    '0/1',
  ],
  [
    'init container failed: Init:Error',
    pod(
      { phase: 'Pending', initContainerStatuses: [{ name: 'i1', state: done(1, 'Error') }] },
      { initContainers: [{ name: 'i1' }], containers: [{ name: 'a' }] },
    ),
    'Init:Error',
    '0/1',
  ],
  [
    'init container crash loop',
    pod(
      { phase: 'Pending', initContainerStatuses: [{ name: 'i1', state: waiting('CrashLoopBackOff') }] },
      { initContainers: [{ name: 'i1' }], containers: [{ name: 'a' }] },
    ),
    'Init:CrashLoopBackOff',
    '0/1',
  ],
  [
    'init container without reason: Init:ExitCode',
    pod(
      { phase: 'Pending', initContainerStatuses: [{ name: 'i1', state: done(2) }] },
      { initContainers: [{ name: 'i1' }], containers: [{ name: 'a' }] },
    ),
    'Init:ExitCode:2',
    '0/1',
  ],
  [
    'a started sidecar counts as done, and as a container',
    pod(
      {
        phase: 'Running',
        initContainerStatuses: [{ name: 's', state: running, started: true, ready: true }],
        containerStatuses: [{ name: 'a', state: running, ready: true }],
      },
      { initContainers: [{ name: 's', restartPolicy: 'Always' }], containers: [{ name: 'a' }] },
    ),
    'Running',
    '2/2',
  ],
  [
    'main containers waiting after init: PodInitializing',
    pod(
      {
        phase: 'Pending',
        initContainerStatuses: [{ name: 'i1', state: done(0, 'Completed') }],
        containerStatuses: [{ name: 'a', state: waiting('PodInitializing') }],
      },
      { initContainers: [{ name: 'i1' }], containers: [{ name: 'a' }] },
    ),
    'PodInitializing',
    '0/1',
  ],
  [
    'deletion timestamp: Terminating',
    pod(
      { phase: 'Running', containerStatuses: [{ name: 'a', state: running, ready: true }] },
      {},
      {
        deletionTimestamp: '2026-12-06T11:59:50Z',
      },
    ),
    'Terminating',
    '1/1',
  ],
  [
    'deletion timestamp on a terminal pod: its reason',
    pod(
      { phase: 'Succeeded', containerStatuses: [{ name: 'a', state: done(0, 'Completed') }] },
      {},
      {
        deletionTimestamp: '2026-12-06T11:59:50Z',
      },
    ),
    'Completed',
    '0/1',
  ],
  [
    'status.reason',
    pod({ phase: 'Failed', reason: 'DeadlineExceeded' }, { containers: [{ name: 'a' }] }),
    'DeadlineExceeded',
    '0/1',
  ],
  [
    'SchedulingGated',
    pod({ phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'SchedulingGated' }] }),
    'SchedulingGated',
    '0/0',
  ],
  [
    'pod-init gone: Unknown (not Running forever)',
    pod({
      phase: 'Unknown',
      reason: 'SupervisorLost',
      containerStatuses: [{ name: 'a', state: running, ready: true }],
    }),
    'Unknown',
    '1/1',
  ],
];

describe('podColumns: STATUS and READY', () => {
  it.each(cases)('%s', (_, p, status, ready) => {
    expect(podColumns(p, now)).toMatchObject({ status, ready });
  });
});

describe('podColumns: RESTARTS', () => {
  it('counts restarts with the age of the last one', () => {
    const p = pod({
      phase: 'Running',
      containerStatuses: [
        {
          name: 'a',
          state: running,
          restartCount: 2,
          lastState: { terminated: { exitCode: 1, finishedAt: '2026-12-06T11:55:00Z' } },
        },
        {
          name: 'b',
          state: running,
          restartCount: 1,
          lastState: { terminated: { exitCode: 1, finishedAt: '2026-12-06T11:59:30Z' } },
        },
      ],
    });
    expect(podColumns(p, now).restarts).toBe('3 (30s ago)');
  });

  it('0 without restarts', () => {
    expect(
      podColumns(pod({ phase: 'Running', containerStatuses: [{ name: 'a', state: running }] }), now).restarts,
    ).toBe('0');
  });

  it('while initializing, init restarts count', () => {
    const p = pod(
      { phase: 'Pending', initContainerStatuses: [{ name: 'i', state: waiting('CrashLoopBackOff'), restartCount: 4 }] },
      { initContainers: [{ name: 'i' }], containers: [{ name: 'a' }] },
    );
    expect(podColumns(p, now)).toMatchObject({ status: 'Init:CrashLoopBackOff', restarts: '4' });
  });
});
