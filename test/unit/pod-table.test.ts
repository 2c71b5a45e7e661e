// pod-init get's formats: kubectl's table (wide, -A), name, json/yaml (a Pod or a List).
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { formatPods } from '../../src/ops/pod-table';
import type { PodObject } from '../../src/ops/pod-status-text';

const now = new Date('2026-12-06T12:00:00Z');
const web: PodObject = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'web', namespace: 'default', creationTimestamp: '2026-12-06T11:59:48Z' },
  spec: { containers: [{ name: 'a' }] },
  status: {
    phase: 'Running',
    podIP: '127.0.0.1',
    containerStatuses: [{ name: 'a', ready: true, state: { running: {} } }],
  },
};
const job: PodObject = {
  metadata: { name: 'batch-job', namespace: 'dev', creationTimestamp: '2026-12-06T11:00:00Z' },
  spec: { containers: [{ name: 'a' }] },
  status: {
    phase: 'Succeeded',
    containerStatuses: [{ name: 'a', state: { terminated: { exitCode: 0, reason: 'Completed' } } }],
  },
};

describe('formatPods', () => {
  it('the table: columns three spaces apart', () => {
    expect(formatPods([job, web], { output: 'table', now })).toBe(
      'NAME        READY   STATUS      RESTARTS   AGE\n' +
        'batch-job   0/1     Completed   0          60m\n' +
        'web         1/1     Running     0          12s\n',
    );
  });

  it('wide and all namespaces', () => {
    const out = formatPods([web], { output: 'wide', allNamespaces: true, now });
    expect(out.split('\n')[0]).toBe(
      'NAMESPACE   NAME   READY   STATUS    RESTARTS   AGE   IP          NODE     NOMINATED NODE   READINESS GATES',
    );
    expect(out.split('\n')[1]).toBe(
      'default     web    1/1     Running   0          12s   127.0.0.1   <none>   <none>           <none>',
    );
  });

  it('-o name', () => {
    expect(formatPods([job, web], { output: 'name', now })).toBe('pod/batch-job\npod/web\n');
  });

  it('-o json: a v1 List, or the Pod for one by name', () => {
    const list = JSON.parse(formatPods([web], { output: 'json', now }));
    expect(list).toEqual({ apiVersion: 'v1', kind: 'List', items: [web], metadata: { resourceVersion: '' } });
    expect(JSON.parse(formatPods([web], { output: 'json', single: true, now }))).toEqual(web);
  });

  it('-o yaml', () => {
    expect(YAML.parse(formatPods([web], { output: 'yaml', single: true, now }))).toEqual(web);
  });
});
