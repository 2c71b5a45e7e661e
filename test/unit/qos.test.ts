import { describe, expect, it } from 'vitest';
import { podQOSClass } from '../../src/cgroups/qos';
import { applyDefaults } from '../../src/manifest/defaults';
import type { Container, Pod, PodQOSClass, ResourceRequirements } from '../../src/manifest/types';

const c = (name: string, resources?: ResourceRequirements, extra: Partial<Container> = {}): Container => ({
  name,
  image: 'busybox',
  ...(resources === undefined ? {} : { resources }),
  ...extra,
});
const pod = (containers: Container[], initContainers: Container[] = [], resources?: ResourceRequirements): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'p' },
  spec: { containers, initContainers, ...(resources === undefined ? {} : { resources }) },
});
const both = { cpu: '500m', memory: '64Mi' };

// One row per rule of ComputePodQOS (K8): [what, pod, expected].
const table: Array<[string, Pod, PodQOSClass]> = [
  ['nothing set anywhere → BestEffort', pod([c('a'), c('b')]), 'BestEffort'],
  [
    'only non-QoS resources (ephemeral-storage, hugepages) → BestEffort',
    pod([c('a', { limits: { 'ephemeral-storage': '1Gi' }, requests: { 'hugepages-2Mi': '2Mi' } })]),
    'BestEffort',
  ],
  [
    'zero requests and limits count as unset → BestEffort',
    pod([c('a', { requests: { cpu: '0', memory: '0' } })]),
    'BestEffort',
  ],
  ['limits only (requests default to them) → Guaranteed', pod([c('a', { limits: both })]), 'Guaranteed'],
  ['requests == limits for cpu and memory → Guaranteed', pod([c('a', { limits: both, requests: both })]), 'Guaranteed'],
  [
    'equal values written differently (0.5 vs 500m) → Guaranteed',
    pod([c('a', { limits: { cpu: '0.5', memory: '64Mi' }, requests: { cpu: '500m', memory: '67108864' } })]),
    'Guaranteed',
  ],
  ['request below limit → Burstable', pod([c('a', { limits: both, requests: { cpu: '100m' } })]), 'Burstable'],
  ['only a cpu limit → Burstable (memory limit missing)', pod([c('a', { limits: { cpu: '1' } })]), 'Burstable'],
  ['only requests → Burstable', pod([c('a', { requests: { memory: '10Mi' } })]), 'Burstable'],
  ['one Guaranteed and one BestEffort container → Burstable', pod([c('a', { limits: both }), c('b')]), 'Burstable'],
  [
    'all containers Guaranteed → Guaranteed',
    pod([c('a', { limits: both }), c('b', { limits: { cpu: '1', memory: '1Gi' } })]),
    'Guaranteed',
  ],
  [
    'an init container without limits spoils Guaranteed → Burstable',
    pod([c('a', { limits: both })], [c('init')]),
    'Burstable',
  ],
  [
    'init container with requests, app without anything → Burstable',
    pod([c('a')], [c('init', { requests: { cpu: '100m' } })]),
    'Burstable',
  ],
  [
    'Guaranteed init and app → Guaranteed',
    pod([c('a', { limits: both })], [c('init', { limits: both })]),
    'Guaranteed',
  ],
  [
    'sidecar (restartPolicy Always) counts like any init container',
    pod([c('a', { limits: both })], [c('side', { requests: { cpu: '1m' } }, { restartPolicy: 'Always' })]),
    'Burstable',
  ],
  [
    'pod-level limits for cpu and memory decide over containers → Guaranteed',
    pod([c('a'), c('b', { requests: { cpu: '100m' } })], [], { limits: both }),
    'Guaranteed',
  ],
  ['pod-level limits without memory → Burstable', pod([c('a')], [], { limits: { cpu: '1' } }), 'Burstable'],
  [
    'pod-level requests below limits → Burstable',
    pod([c('a')], [], { limits: both, requests: { cpu: '100m' } }),
    'Burstable',
  ],
  [
    'pod-level requests only → Burstable',
    pod([c('a', { limits: both })], [], { requests: { memory: '1Mi' } }),
    'Burstable',
  ],
  [
    'pod-level resources naming neither cpu nor memory are ignored (containers decide)',
    pod([c('a', { limits: both })], [], { limits: { 'hugepages-2Mi': '2Mi' } }),
    'Guaranteed',
  ],
];

describe('podQOSClass (ComputePodQOS)', () => {
  it.each(table)('%s', (_what, p, expected) => {
    expect(podQOSClass(p)).toBe(expected);
  });

  it('gives the same class for a pod and its API-server-defaulted copy', () => {
    for (const [, p] of table) expect(podQOSClass(applyDefaults(p))).toBe(podQOSClass(p));
  });
});
