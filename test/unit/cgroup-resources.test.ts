import { describe, expect, it } from 'vitest';
import { deviceRuleWrites } from '../../src/cgroups/devices';
import { v1Writes, v2Writes } from '../../src/cgroups/files';
import { podCgroupPath } from '../../src/cgroups/paths';
import {
  containerLimits,
  cpuSharesToWeight,
  hugepageSizeName,
  milliCPUToQuota,
  milliCPUToShares,
  podLimits,
  podTotals,
} from '../../src/cgroups/resources';
import { podCgroupSpec, sandboxCgroupName } from '../../src/cgroups/spec';
import { podQOSClass } from '../../src/cgroups/qos';
import type { Container, Pod, ResourceRequirements } from '../../src/manifest/types';

const c = (name: string, resources?: ResourceRequirements, extra: Partial<Container> = {}): Container => ({
  name,
  image: 'busybox',
  ...(resources === undefined ? {} : { resources }),
  ...extra,
});
const pod = (containers: Container[], initContainers: Container[] = []): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'p' },
  spec: { containers, initContainers },
});
const Mi = 1024 * 1024;

describe('the kubelet formulas (SECURITY.md §7 table)', () => {
  // cpu (milli) → shares, linear weight, quota
  const rows: Array<[number, number, number, number | undefined]> = [
    [0, 2, 1, undefined],
    [10, 10, 1, 1000],
    [100, 102, 4, 10000],
    [250, 256, 10, 25000],
    [500, 512, 20, 50000],
    [1000, 1024, 39, 100000],
    [4000, 4096, 157, 400000],
  ];
  it.each(rows)('%i m → shares %i, weight %i, quota %s', (milli, shares, weight, quota) => {
    expect(milliCPUToShares(milli)).toBe(shares);
    expect(cpuSharesToWeight(shares)).toBe(weight);
    expect(milliCPUToQuota(milli)).toBe(quota);
  });

  it('clamps shares to 2..262144 and weight to 1..10000', () => {
    expect(milliCPUToShares(1)).toBe(2);
    expect(milliCPUToShares(1_000_000)).toBe(262144);
    expect(cpuSharesToWeight(262144)).toBe(10000);
    expect(cpuSharesToWeight(2)).toBe(1);
  });

  it('floors the quota at 1 ms (limits under 10m)', () => {
    expect(milliCPUToQuota(1)).toBe(1000);
    expect(milliCPUToQuota(9)).toBe(1000);
    expect(milliCPUToQuota(11)).toBe(1100);
  });

  it('names huge page sizes as cgroup files do', () => {
    expect(hugepageSizeName(2 * Mi)).toBe('2MB');
    expect(hugepageSizeName(1024 * Mi)).toBe('1GB');
    expect(hugepageSizeName(64 * 1024)).toBe('64KB');
  });
});

describe('containerLimits (calculateLinuxResources)', () => {
  it('takes shares from the request, quota and memory from the limits, oom.group on', () => {
    expect(containerLimits(c('a', { requests: { cpu: '100m' }, limits: { cpu: '200m', memory: '64Mi' } }))).toEqual({
      cpuShares: 102,
      cpuQuota: 20000,
      cpuPeriod: 100000,
      memoryLimit: 64 * Mi,
      hugepageLimits: {},
      oomGroup: true,
    });
  });

  it('defaults the request to the limit (shares from the limit) as the API server does', () => {
    expect(containerLimits(c('a', { limits: { cpu: '200m' } })).cpuShares).toBe(204);
  });

  it('gives a container without resources the minimum shares and no limit', () => {
    expect(containerLimits(c('a'))).toEqual({ cpuShares: 2, cpuPeriod: 100000, hugepageLimits: {}, oomGroup: true });
  });

  it('leaves oom.group off with singleProcessOOMKill', () => {
    expect(containerLimits(c('a'), { singleProcessOOMKill: true }).oomGroup).toBe(false);
  });

  it('limits every supported huge page size, to 0 where none is asked for', () => {
    const limits = containerLimits(c('a', { limits: { 'hugepages-2Mi': '4Mi' } }), {
      hugepageSizes: [2 * Mi, 1024 * Mi],
    });
    expect(limits.hugepageLimits).toEqual({ '2MB': 4 * Mi, '1GB': 0 });
  });

  it('sets no memory.min for a memory request (MemoryQoS is alpha and not implemented)', () => {
    const limits = containerLimits(c('a', { requests: { memory: '1Gi' } }));
    expect(limits.memoryLimit).toBeUndefined();
    expect(v2Writes(limits).map((w) => w.file)).not.toContain('memory.min');
  });
});

describe('podLimits (ResourceConfigForPod)', () => {
  it('sums limits when every container sets them (Guaranteed)', () => {
    const p = pod([
      c('a', { limits: { cpu: '200m', memory: '64Mi' } }),
      c('b', { limits: { cpu: '300m', memory: '32Mi' } }),
    ]);
    expect(podLimits(p, podQOSClass(p))).toEqual({
      cpuShares: 512,
      cpuQuota: 50000,
      cpuPeriod: 100000,
      memoryLimit: 96 * Mi,
      hugepageLimits: {},
      oomGroup: false,
    });
  });

  it('sets no pod memory/cpu limit when one container has none (Burstable)', () => {
    const p = pod([c('a', { limits: { cpu: '200m', memory: '64Mi' } }), c('b', { requests: { cpu: '100m' } })]);
    const limits = podLimits(p, podQOSClass(p));
    expect(limits.cpuShares).toBe(307); // 300m of requests
    expect(limits.cpuQuota).toBeUndefined();
    expect(limits.memoryLimit).toBeUndefined();
  });

  it('counts init containers: an init container without a limit removes the pod limit', () => {
    const p = pod([c('a', { limits: { cpu: '1', memory: '64Mi' } })], [c('init', { requests: { cpu: '1' } })]);
    expect(podLimits(p, podQOSClass(p)).memoryLimit).toBeUndefined();
  });

  it('takes shares from the larger of the summed app requests and the largest init container', () => {
    const p = pod(
      [c('a', { requests: { cpu: '100m' } }), c('b', { requests: { cpu: '100m' } })],
      [c('init', { requests: { cpu: '1' } })],
    );
    expect(podTotals(p, 'requests').get('cpu')).toBe(1000);
    expect(podLimits(p, 'Burstable').cpuShares).toBe(1024);
  });

  it('adds sidecars to the app sum and to every later init container', () => {
    const p = pod(
      [c('a', { requests: { cpu: '100m' } })],
      [c('side', { requests: { cpu: '300m' } }, { restartPolicy: 'Always' }), c('init', { requests: { cpu: '500m' } })],
    );
    // app + sidecar = 400m; init while the sidecar runs = 800m.
    expect(podTotals(p, 'requests').get('cpu')).toBe(800);
  });

  it('gives a BestEffort pod the minimum shares and nothing else', () => {
    const p = pod([c('a')]);
    expect(podLimits(p, 'BestEffort', { podPidsLimit: -1 })).toEqual({
      cpuShares: 2,
      cpuPeriod: 100000,
      hugepageLimits: {},
      oomGroup: false,
    });
  });

  it('sets pids.max only for a positive podPidsLimit (-1 and 0 are unlimited, as --pod-max-pids)', () => {
    const p = pod([c('a')]);
    expect(podLimits(p, 'BestEffort', { podPidsLimit: 100 }).pidsLimit).toBe(100);
    expect(podLimits(p, 'BestEffort', { podPidsLimit: -1 }).pidsLimit).toBeUndefined();
    expect(podLimits(p, 'BestEffort', { podPidsLimit: 0 }).pidsLimit).toBeUndefined();
    expect(podLimits(p, 'BestEffort').pidsLimit).toBeUndefined();
  });

  it('limits huge pages on the pod from the summed requests', () => {
    const p = pod([
      c('a', { limits: { 'hugepages-2Mi': '4Mi', memory: '8Mi' } }),
      c('b', { limits: { 'hugepages-2Mi': '2Mi', memory: '8Mi' } }),
    ]);
    expect(podLimits(p, podQOSClass(p)).hugepageLimits).toEqual({ '2MB': 6 * Mi });
  });
});

describe('cgroup files', () => {
  const limits = containerLimits(c('a', { limits: { cpu: '200m', memory: '64Mi' } }));
  it('v1: shares, period, quota, memory then memsw (only if the file exists)', () => {
    expect(v1Writes(limits).map((w) => [w.file, w.value, w.ifExists === true])).toEqual([
      ['cpu.shares', '204', false],
      ['cpu.cfs_period_us', '100000', false],
      ['cpu.cfs_quota_us', '20000', false],
      ['memory.limit_in_bytes', String(64 * Mi), false],
      ['memory.memsw.limit_in_bytes', String(64 * Mi), true],
    ]);
  });
  it('v2: weight, cpu.max, memory.max, no swap, oom.group', () => {
    expect(v2Writes(limits).map((w) => [w.file, w.value])).toEqual([
      ['cpu.weight', '8'],
      ['cpu.max', '20000 100000'],
      ['memory.max', String(64 * Mi)],
      ['memory.swap.max', '0'],
      ['memory.oom.group', '1'],
    ]);
  });
  it('an unlimited cpu is -1 on v1 and max on v2', () => {
    const none = containerLimits(c('a'));
    expect(v1Writes(none).find((w) => w.file === 'cpu.cfs_quota_us')?.value).toBe('-1');
    expect(v2Writes(none).find((w) => w.file === 'cpu.max')?.value).toBe('max 100000');
  });
  it('devices: deny all then runc’s allow list; privileged gets everything', () => {
    const rules = deviceRuleWrites(false);
    expect(rules[0]).toEqual(['devices.deny', 'a']);
    expect(rules).toContainEqual(['devices.allow', 'c 1:3 rwm']);
    expect(rules).toContainEqual(['devices.allow', 'c 10:200 rwm']);
    expect(rules.some(([, line]) => line.startsWith('b ') && line.includes('r'))).toBe(false);
    expect(deviceRuleWrites(true)).toEqual([['devices.allow', 'a *:* rwm']]);
  });
});

describe('layout of the pod cgroups', () => {
  it('puts Guaranteed pods directly under kubepods and the others under their QoS class', () => {
    expect(podCgroupPath('/', 'Guaranteed', 'u1')).toBe('kubepods/podu1');
    expect(podCgroupPath('/', 'Burstable', 'u1')).toBe('kubepods/burstable/podu1');
    expect(podCgroupPath('/', 'BestEffort', 'u1')).toBe('kubepods/besteffort/podu1');
    expect(podCgroupPath('/pod-init/', 'BestEffort', 'u1')).toBe('pod-init/kubepods/besteffort/podu1');
  });
  it('has one cgroup per container and one for the sandbox, privileged sandbox when a container is', () => {
    const spec = podCgroupSpec(pod([c('a', {}, { securityContext: { privileged: true } })], [c('i')]), 'u1');
    expect(spec.containers.map((x) => [x.name, x.privileged])).toEqual([
      [sandboxCgroupName, true],
      ['i', false],
      ['a', true],
    ]);
  });
});
