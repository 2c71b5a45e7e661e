// Downward API values of env fieldRefs (src/pod/environment.ts; KUBERNETES.md A.3).
import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { fieldValue } from '../../src/pod/environment';
import type { PodSpecObject } from '../../src/pod/types';

const pod: PodSpecObject = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'web', namespace: 'prod', uid: 'u-1', labels: { app: 'web' } },
  spec: { containers: [] },
};

describe('fieldValue', () => {
  it('reads metadata, the node (spec.host is its old name) and the pod IP', () => {
    expect(fieldValue(pod, 'metadata.name', '10.0.0.1')).toBe('web');
    expect(fieldValue(pod, 'metadata.namespace', '10.0.0.1')).toBe('prod');
    expect(fieldValue(pod, "metadata.labels['app']", '10.0.0.1')).toBe('web');
    expect(fieldValue(pod, 'spec.nodeName', '10.0.0.1')).toBe(os.hostname());
    expect(fieldValue(pod, 'spec.host', '10.0.0.1')).toBe(os.hostname());
    expect(fieldValue(pod, 'status.podIP', '10.0.0.1')).toBe('10.0.0.1');
  });
});
