// `kubectl describe pod`'s text (describe-pod.ts): the sections, kubectl's alignment, container
// states with reasons and exit codes, Terminating, and events folded with their ages.
import { beforeAll, describe, expect, it } from 'vitest';
import { describePod, foldEvents, rfc1123z, type DescribedPod } from '../../src/ops/describe-pod';
import type { LoggedEvent } from '../../src/pod/event-log';

beforeAll(() => {
  process.env.TZ = 'UTC'; // RFC 1123 times are in the host's zone
});

const now = new Date('2026-12-06T20:10:00Z');

const pod: DescribedPod = {
  metadata: { name: 'web', namespace: 'default', labels: { tier: 'x', app: 'web' }, annotations: { note: 'hi' } },
  spec: {
    serviceAccountName: 'default',
    containers: [
      {
        name: 'app',
        image: 'busybox',
        command: ['sh', '-c', 'exit 3'],
        env: [
          { name: 'FOO', value: 'bar' },
          { name: 'POD', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.name' } } },
        ],
        resources: { limits: { memory: '64Mi' } },
        volumeMounts: [{ name: 'data', mountPath: '/data', readOnly: true }],
      },
    ],
    volumes: [{ name: 'data', emptyDir: {} }],
  },
  status: {
    phase: 'Running',
    podIP: '127.0.0.1',
    podIPs: [{ ip: '127.0.0.1' }],
    startTime: '2026-12-06T20:00:00Z',
    qosClass: 'Burstable',
    conditions: [
      { type: 'Initialized', status: 'True' },
      { type: 'Ready', status: 'False' },
    ],
    containerStatuses: [
      {
        name: 'app',
        containerID: 'pod-init://abc',
        imageID: '',
        ready: false,
        restartCount: 2,
        state: { waiting: { reason: 'CrashLoopBackOff' } },
        lastState: {
          terminated: {
            exitCode: 3,
            reason: 'Error',
            startedAt: '2026-12-06T20:09:00Z',
            finishedAt: '2026-12-06T20:09:01Z',
          },
        },
      },
    ],
  },
};

const event = (reason: string, time: string, type: 'Normal' | 'Warning' = 'Normal'): LoggedEvent => ({
  type,
  reason,
  message: `${reason} message`,
  container: 'app',
  time,
});

describe('describePod', () => {
  it("prints kubectl's layout, aligned as kubectl aligns it", () => {
    const events = [
      event('Started', '2026-12-06T20:00:01Z'),
      event('BackOff', '2026-12-06T20:01:00Z', 'Warning'),
      event('BackOff', '2026-12-06T20:09:30Z', 'Warning'),
    ];
    expect(describePod(pod, events, now)).toBe(
      [
        'Name:             web',
        'Namespace:        default',
        'Service Account:  default',
        'Node:             <none>',
        'Start Time:       Sun, 06 Dec 2026 20:00:00 +0000',
        'Labels:           app=web',
        '                  tier=x',
        'Annotations:      note: hi',
        'Status:           Running',
        'IP:               127.0.0.1',
        'IPs:',
        '  IP:  127.0.0.1',
        'Containers:',
        '  app:',
        '    Container ID:  pod-init://abc',
        '    Image:         busybox',
        '    Image ID:      ',
        '    Port:          <none>',
        '    Host Port:     <none>',
        '    Command:',
        '      sh',
        '      -c',
        '      exit 3',
        '    State:          Waiting',
        '      Reason:       CrashLoopBackOff',
        '    Last State:     Terminated',
        '      Reason:       Error',
        '      Exit Code:    3',
        '      Started:      Sun, 06 Dec 2026 20:09:00 +0000',
        '      Finished:     Sun, 06 Dec 2026 20:09:01 +0000',
        '    Ready:          False',
        '    Restart Count:  2',
        '    Limits:',
        '      memory:  64Mi',
        '    Environment:',
        '      FOO:  bar',
        '      POD:   (v1:metadata.name)',
        '    Mounts:',
        '      /data from data (ro)',
        'Conditions:',
        '  Type          Status',
        '  Initialized   True ',
        '  Ready         False ',
        'Volumes:',
        '  data:',
        "    Type:        EmptyDir (a temporary directory that shares a pod's lifetime)",
        '    Medium:      ',
        '    SizeLimit:   <unset>',
        'QoS Class:       Burstable',
        'Node-Selectors:  <none>',
        'Tolerations:     <none>',
        'Events:',
        '  Type     Reason   Age               From      Message',
        '  ----     ------   ----              ----      -------',
        '  Normal   Started  9m59s             pod-init  Started message',
        '  Warning  BackOff  30s (x2 over 9m)  pod-init  BackOff message',
        '',
      ].join('\n'),
    );
  });

  it('a deleted pod is Terminating with its grace; a finished one shows its phase; no events is <none>', () => {
    const deleted = {
      ...pod,
      metadata: { ...pod.metadata, deletionTimestamp: '2026-12-06T20:09:50Z', deletionGracePeriodSeconds: 30 },
    };
    const text = describePod(deleted, [], now);
    expect(text).toContain('\nStatus:                    Terminating (lasts 10s)\n');
    expect(text).toContain('\nTermination Grace Period:  30s\n');
    expect(text.endsWith('\nEvents:          <none>\n')).toBe(true);
    const finished = { ...deleted, status: { ...deleted.status, phase: 'Failed' } };
    expect(describePod(finished, [], now)).toMatch(/\nStatus: +Failed\n/);
  });
});

describe('foldEvents', () => {
  it('folds identical events (count, first, last) and keeps different ones apart, by last time', () => {
    const a = event('BackOff', '2026-12-06T20:00:00Z');
    const folded = foldEvents([a, event('Started', '2026-12-06T20:00:05Z'), { ...a, time: '2026-12-06T20:00:10Z' }]);
    expect(folded.map((e) => [e.reason, e.count, e.first, e.last])).toEqual([
      ['Started', 1, '2026-12-06T20:00:05Z', '2026-12-06T20:00:05Z'],
      ['BackOff', 2, '2026-12-06T20:00:00Z', '2026-12-06T20:00:10Z'],
    ]);
    expect(foldEvents([a, { ...a, container: 'other' }])).toHaveLength(2);
  });

  it('rfc1123z is Go time.RFC1123Z', () => {
    expect(rfc1123z('2026-01-02T03:04:05Z')).toBe('Fri, 02 Jan 2026 03:04:05 +0000');
  });
});
