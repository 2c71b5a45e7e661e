/**
 * {@link CgroupLimits} → the files to write, for v1 and for v2. Pure: the manager writes them.
 * @module
 */
import type { Controller } from './layout';
import { cpuSharesToWeight, type CgroupLimits } from './resources';

/** One write into a cgroup directory of the hierarchy serving `controller`. */
export interface CgroupWrite {
  controller: Controller;
  file: string;
  value: string;
  /** Skipped when the file does not exist (swap accounting off, no memsw). */
  ifExists?: boolean;
}

/**
 * The v1 writes. Memory: the limit first, then memory+swap to the same value (the memsw file exists only with
 * swap accounting); a missing quota is written as -1 so a reused directory loses an old one.
 *
 * @example
 * v1Writes({ cpuShares: 204, cpuQuota: 20000, cpuPeriod: 100000, hugepageLimits: {}, oomGroup: true });
 * // cpu.shares 204, cpu.cfs_period_us 100000, cpu.cfs_quota_us 20000
 */
export function v1Writes(limits: CgroupLimits): CgroupWrite[] {
  const writes: CgroupWrite[] = [
    { controller: 'cpu', file: 'cpu.shares', value: String(limits.cpuShares) },
    { controller: 'cpu', file: 'cpu.cfs_period_us', value: String(limits.cpuPeriod) },
    { controller: 'cpu', file: 'cpu.cfs_quota_us', value: String(limits.cpuQuota ?? -1) },
  ];
  if (limits.memoryLimit !== undefined) {
    const value = String(limits.memoryLimit);
    writes.push({ controller: 'memory', file: 'memory.limit_in_bytes', value });
    writes.push({ controller: 'memory', file: 'memory.memsw.limit_in_bytes', value, ifExists: true });
  }
  if (limits.pidsLimit !== undefined)
    writes.push({ controller: 'pids', file: 'pids.max', value: String(limits.pidsLimit) });
  for (const [size, value] of Object.entries(limits.hugepageLimits)) {
    writes.push({ controller: 'hugetlb', file: `hugetlb.${size}.limit_in_bytes`, value: String(value) });
  }
  return writes;
}

/**
 * The v2 writes: `cpu.weight` (linear formula, see resources.ts), `cpu.max`, `memory.max`, `memory.swap.max = 0`
 * (no swap: memory+swap = limit), `memory.oom.group`, `pids.max`, `hugetlb.<size>.max`.
 *
 * @example
 * v2Writes({ cpuShares: 1024, cpuPeriod: 100000, memoryLimit: 1 << 26, hugepageLimits: {}, oomGroup: true });
 * // cpu.weight 39, cpu.max "max 100000", memory.max 67108864, memory.swap.max 0, memory.oom.group 1
 */
export function v2Writes(limits: CgroupLimits): CgroupWrite[] {
  const writes: CgroupWrite[] = [
    { controller: 'cpu', file: 'cpu.weight', value: String(cpuSharesToWeight(limits.cpuShares)) },
    { controller: 'cpu', file: 'cpu.max', value: `${limits.cpuQuota ?? 'max'} ${limits.cpuPeriod}` },
  ];
  if (limits.memoryLimit !== undefined) {
    writes.push({ controller: 'memory', file: 'memory.max', value: String(limits.memoryLimit) });
    writes.push({ controller: 'memory', file: 'memory.swap.max', value: '0', ifExists: true });
  }
  if (limits.oomGroup) writes.push({ controller: 'memory', file: 'memory.oom.group', value: '1' });
  if (limits.pidsLimit !== undefined)
    writes.push({ controller: 'pids', file: 'pids.max', value: String(limits.pidsLimit) });
  for (const [size, value] of Object.entries(limits.hugepageLimits)) {
    writes.push({ controller: 'hugetlb', file: `hugetlb.${size}.max`, value: String(value) });
  }
  return writes;
}
