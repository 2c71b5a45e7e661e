// resourceFieldRef values (src/pod/resource-field.ts), against the kubelet's pkg/api/v1/resource
// ExtractContainerResourceValue / MergeContainerResourceLimits and SECURITY.md "resourceFieldRef (K12)":
// ceil(quantity / divisor), cpu in milli-CPUs, unset limits from the node's allocatable.
import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { scaledValue } from '../../src/manifest/quantity';
import { containerEnv } from '../../src/pod/environment';
import { nodeAllocatable } from '../../src/pod/node-allocatable';
import { resourceFieldValue, resourceValue, withAllocatableLimits } from '../../src/pod/resource-field';
import type { ContainerSpec, PodSpecObject } from '../../src/pod/types';

const node = { milliCpu: 4000n, memoryBytes: 8n * 2n ** 30n, ephemeralStorageBytes: 100n * 10n ** 9n };

describe('scaledValue', () => {
  it('rounds up exactly, in units or thousandths', () => {
    expect(scaledValue('250m', 3)).toBe(250n);
    expect(scaledValue('250m', 0)).toBe(1n);
    expect(scaledValue('1.1', 3)).toBe(1100n); // 1.1 × 1000 in floating point is 1100.0000000000002
    expect(scaledValue('1.5m', 3)).toBe(2n);
    expect(scaledValue('1n', 0)).toBe(1n);
    expect(scaledValue('0', 3)).toBe(0n);
    expect(scaledValue('1.5Ki', 0)).toBe(1536n);
    expect(scaledValue('1e3', 0)).toBe(1000n);
    expect(scaledValue('-1.5', 0)).toBe(-1n); // towards +∞
    expect(scaledValue('1e30', 0)).toBe(2n ** 63n - 1n);
  });
});

describe('resourceValue', () => {
  const res = {
    limits: { cpu: '250m', memory: '64Mi', 'ephemeral-storage': '1G', 'hugepages-2Mi': '4Mi' },
    requests: { cpu: '100m', memory: '1000001' },
  };
  it('divides and rounds up: cpu in milli-CPUs (divisor 1 or 1m), bytes with any byte divisor', () => {
    expect(resourceValue(res, { resource: 'limits.cpu' })).toBe('1');
    expect(resourceValue(res, { resource: 'limits.cpu', divisor: '1' })).toBe('1');
    expect(resourceValue(res, { resource: 'limits.cpu', divisor: '1m' })).toBe('250');
    expect(resourceValue(res, { resource: 'requests.cpu', divisor: '1m' })).toBe('100');
    expect(resourceValue(res, { resource: 'limits.memory' })).toBe('67108864');
    expect(resourceValue(res, { resource: 'limits.memory', divisor: '1Mi' })).toBe('64');
    expect(resourceValue(res, { resource: 'limits.memory', divisor: '1M' })).toBe('68'); // 67.108864 up
    expect(resourceValue(res, { resource: 'requests.memory', divisor: '1M' })).toBe('2'); // 1.000001 up
    expect(resourceValue(res, { resource: 'limits.ephemeral-storage', divisor: '1Gi' })).toBe('1');
    expect(resourceValue(res, { resource: 'limits.hugepages-2Mi', divisor: '1Mi' })).toBe('4');
  });
  it('a zero divisor is 1 and an unset resource is 0', () => {
    expect(resourceValue(res, { resource: 'limits.cpu', divisor: '0' })).toBe('1');
    expect(resourceValue(res, { resource: 'requests.ephemeral-storage' })).toBe('0');
    expect(resourceValue({}, { resource: 'requests.hugepages-1Gi' })).toBe('0');
  });
  it('refuses what the kubelet does not know', () => {
    expect(() => resourceValue(res, { resource: 'limits.nvidia.com/gpu' })).toThrow(
      'unsupported container resource : limits.nvidia.com/gpu',
    );
  });
});

describe('withAllocatableLimits', () => {
  it('fills unset or zero cpu, memory and ephemeral-storage limits from the node, never hugepages or requests', () => {
    const merged = withAllocatableLimits({ limits: { memory: '0', 'hugepages-2Mi': '2Mi' } }, node);
    expect(resourceValue(merged, { resource: 'limits.cpu' })).toBe('4');
    expect(resourceValue(merged, { resource: 'limits.cpu', divisor: '1m' })).toBe('4000');
    expect(resourceValue(merged, { resource: 'limits.memory', divisor: '1Gi' })).toBe('8');
    expect(resourceValue(merged, { resource: 'limits.ephemeral-storage', divisor: '1G' })).toBe('100');
    expect(resourceValue(merged, { resource: 'limits.hugepages-2Mi' })).toBe(String(2 * 2 ** 20));
    expect(resourceValue(merged, { resource: 'limits.hugepages-1Gi' })).toBe('0');
    expect(resourceValue(merged, { resource: 'requests.cpu' })).toBe('0');
    expect(withAllocatableLimits({ limits: { cpu: '500m' } }, node).limits).toMatchObject({ cpu: '500m' });
  });
});

describe('resourceFieldValue', () => {
  const init: ContainerSpec = { name: 'setup' };
  const app: ContainerSpec = { name: 'app', resources: { limits: { cpu: '1500m' } } };
  const pod: PodSpecObject = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p' },
    spec: { containers: [app], initContainers: [init] },
  };
  it('reads the named container, else the one given', () => {
    expect(resourceFieldValue(pod, { resource: 'limits.cpu' }, app, node, 'env')).toBe('2');
    expect(resourceFieldValue(pod, { resource: 'limits.cpu', containerName: 'app' }, init, node, 'env')).toBe('2');
    expect(resourceFieldValue(pod, { resource: 'limits.cpu' }, init, node, 'env')).toBe('4');
    expect(() =>
      resourceFieldValue(pod, { resource: 'limits.cpu', containerName: 'nope' }, app, node, 'volume'),
    ).toThrow('container nope not found');
  });
  it('an init container named from env gets no allocatable defaults; from a volume it does (as the kubelet)', () => {
    const sel = { resource: 'limits.memory', containerName: 'setup' };
    expect(resourceFieldValue(pod, sel, app, node, 'env')).toBe('0');
    expect(resourceFieldValue(pod, sel, app, node, 'volume')).toBe(String(8 * 2 ** 30));
  });
  it('reaches env through containerEnv', () => {
    const env = containerEnv(
      {
        ...pod,
        spec: {
          containers: [
            {
              ...app,
              env: [{ name: 'CPU', valueFrom: { resourceFieldRef: { resource: 'limits.cpu', divisor: '1m' } } }],
            },
          ],
        },
      },
      { ...app, env: [{ name: 'CPU', valueFrom: { resourceFieldRef: { resource: 'limits.cpu', divisor: '1m' } } }] },
      { configMaps: new Map(), secrets: new Map() },
      'h',
      '127.0.0.1',
      node,
    );
    expect(env.get('CPU')).toBe('1500');
  });
});

describe('nodeAllocatable', () => {
  it('is the online CPUs, MemTotal and the size of the filesystem given', () => {
    const n = nodeAllocatable(os.tmpdir());
    expect(n.milliCpu).toBe(BigInt(os.cpus().length) * 1000n);
    expect(n.milliCpu).toBeGreaterThan(0n);
    expect(n.memoryBytes).toBe(BigInt(os.totalmem()));
    expect(n.ephemeralStorageBytes).toBeGreaterThan(0n);
    expect(nodeAllocatable('/nonexistent/dir').ephemeralStorageBytes).toBeUndefined();
  });
});
