/**
 * The kubelet's cgroup values for a container and for a pod (SECURITY.md §7: K9 `MilliCPUToShares`,
 * `MilliCPUToQuota`, `ResourceConfigForPod`, `getCPUWeight`; K10 `calculateLinuxResources`). Pure: no files.
 * @module
 */
import { requestsDefaultedToLimits } from '../manifest/defaults';
import type { Container, Pod, PodQOSClass, ResourceList } from '../manifest/types';
import { bytes, milliCPU } from './quantities';

export const minShares = 2;
export const maxShares = 262144;
/** The CFS period the kubelet uses, µs. */
export const quotaPeriodMicros = 100_000;
/** The smallest quota the kubelet writes (1 ms): limits under 10m hit this floor. */
export const minQuotaMicros = 1000;

/**
 * `MilliCPUToShares`: milli-CPU → v1 `cpu.shares`, `milli·1024/1000` clamped to 2..262144 (0 → 2).
 *
 * @example
 * milliCPUToShares(0); // 2
 * milliCPUToShares(250); // 256
 * milliCPUToShares(1000); // 1024
 */
export function milliCPUToShares(milliCPU: number): number {
  if (milliCPU <= 0) return minShares;
  const shares = Math.floor((milliCPU * 1024) / 1000);
  return Math.min(maxShares, Math.max(minShares, shares));
}

/**
 * `MilliCPUToQuota`: a CPU limit in milli-CPU → CFS quota in µs for `period`, at least 1000; `undefined` when there
 * is no limit (the kubelet's 0: v1 `cpu.cfs_quota_us = -1`, v2 `cpu.max = max`).
 *
 * @example
 * milliCPUToQuota(200); // 20000
 * milliCPUToQuota(5); // 1000 (the floor)
 * milliCPUToQuota(0); // undefined
 */
export function milliCPUToQuota(milliCPU: number, period = quotaPeriodMicros): number | undefined {
  if (milliCPU <= 0) return undefined;
  return Math.max(minQuotaMicros, Math.floor((milliCPU * period) / 1000));
}

/**
 * v1 shares → v2 `cpu.weight`.
 *
 * Choice: the kubelet's LINEAR formula (`getCPUWeight`: `1 + (shares−2)·9999/262142`, ≥ 262144 → 10000), not the
 * quadratic one of runc ≥ 1.3.2 / crun ≥ 1.23. Why: pod-init writes the pod cgroup AND the container cgroups
 * itself; the kubelet writes pod cgroups with the linear formula, so using it for containers too keeps one formula
 * in the whole tree, and it keeps weight proportional to the request as v1 shares are (the quadratic one was made
 * to map the 1024-shares default to weight 100, which matters for runtimes sharing a parent with non-Kubernetes
 * cgroups, not for a pod's own children). Consequence: a 1-CPU request gets weight 39, not 100.
 *
 * @example
 * cpuSharesToWeight(2); // 1
 * cpuSharesToWeight(1024); // 39
 * cpuSharesToWeight(262144); // 10000
 */
export function cpuSharesToWeight(shares: number): number {
  if (shares >= maxShares) return 10000;
  if (shares <= minShares) return 1;
  return 1 + Math.floor(((shares - 2) * 9999) / 262142);
}

/**
 * What one cgroup gets: the values, independent of v1/v2 file names (see files.ts).
 * Unset fields mean "no limit" (the file is left at its default).
 */
export interface CgroupLimits {
  /** v1 `cpu.shares`; v2 `cpu.weight` via {@link cpuSharesToWeight}. */
  cpuShares: number;
  /** CFS quota in µs per {@link cpuPeriod}; undefined = unlimited. */
  cpuQuota?: number;
  cpuPeriod: number;
  /** Bytes; memory+swap is set to the same value (v1 memsw where it exists, v2 `memory.swap.max = 0`). */
  memoryLimit?: number;
  /** `pids.max`; undefined = `max`. */
  pidsLimit?: number;
  /** Page size as cgroup file names spell it (`2MB`, `1GB`) → bytes. */
  hugepageLimits: Record<string, number>;
  /** v2 `memory.oom.group = 1` (the whole container dies on an OOM kill). */
  oomGroup: boolean;
}

/** Options of the kubelet that change the values. */
export interface ResourceOptions {
  /** kubelet `--pod-max-pids` / `podPidsLimit`: undefined, 0 or -1 = unlimited (the kubelet's default). */
  podPidsLimit?: number;
  /** kubelet `singleProcessOOMKill`: true leaves v2 `memory.oom.group` unset (v1 is always single-process). */
  singleProcessOOMKill?: boolean;
  /** Huge page sizes the host supports, in bytes (containers get limit 0 for sizes they do not ask for). */
  hugepageSizes?: readonly number[];
}

/**
 * A huge page size in bytes → the name cgroup files use (`hugetlb.<name>.max`), as the kernel prints it.
 *
 * @example
 * hugepageSizeName(2097152); // '2MB'
 * hugepageSizeName(1073741824); // '1GB'
 * hugepageSizeName(65536); // '64KB'
 */
export function hugepageSizeName(size: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let unit = 0;
  while (size >= 1024 && size % 1024 === 0 && unit < units.length - 1) {
    size /= 1024;
    unit++;
  }
  return `${size}${units[unit]}`;
}

/** `hugepages-<size>` entries of a resource list, summed per cgroup page-size name. */
function hugepagesOf(list: ResourceList, into: Record<string, number>): void {
  for (const [name, quantity] of Object.entries(list)) {
    if (!name.startsWith('hugepages-')) continue;
    const key = hugepageSizeName(bytes(name.slice('hugepages-'.length)));
    into[key] = (into[key] ?? 0) + bytes(quantity);
  }
}

/**
 * A container's cgroup values (`calculateLinuxResources` + `GetHugepageLimitsFromResources`): shares from the cpu
 * request (or the limit when there is no request), quota from the cpu limit, memory limit, hugepage limits (0 for
 * every supported size not asked for), `memory.oom.group` unless `singleProcessOOMKill`. Requests default to limits
 * first. The pids limit is the pod's only, as with the kubelet. Memory requests set nothing: `memory.min` is only
 * written with the alpha MemoryQoS gate, which pod-init does not implement.
 *
 * @example
 * containerLimits({ name: 'c', resources: { limits: { cpu: '200m', memory: '64Mi' } } });
 * // { cpuShares: 204, cpuQuota: 20000, cpuPeriod: 100000, memoryLimit: 67108864, hugepageLimits: {}, oomGroup: true }
 */
export function containerLimits(container: Container, options: ResourceOptions = {}): CgroupLimits {
  const requests = requestsDefaultedToLimits(container.resources);
  const limits = container.resources?.limits ?? {};
  const cpuRequest = milliCPU(requests.cpu);
  const cpuLimit = milliCPU(limits.cpu);
  const shares = cpuRequest === 0 && cpuLimit !== 0 ? milliCPUToShares(cpuLimit) : milliCPUToShares(cpuRequest);
  const hugepageLimits: Record<string, number> = {};
  for (const size of options.hugepageSizes ?? []) hugepageLimits[hugepageSizeName(size)] = 0;
  hugepagesOf(limits, hugepageLimits);
  const result: CgroupLimits = {
    cpuShares: shares,
    cpuPeriod: quotaPeriodMicros,
    hugepageLimits,
    oomGroup: options.singleProcessOOMKill !== true,
  };
  const quota = milliCPUToQuota(cpuLimit);
  if (quota !== undefined) result.cpuQuota = quota;
  const memory = bytes(limits.memory);
  if (memory > 0) result.memoryLimit = memory;
  return result;
}

/** The sandbox (pause) cgroup: the minimum shares and nothing else, as containerd gives the sandbox. */
export function sandboxLimits(): CgroupLimits {
  return { cpuShares: minShares, cpuPeriod: quotaPeriodMicros, hugepageLimits: {}, oomGroup: false };
}

type Totals = Map<string, number>;

/** A resource list in integer units: milli-CPU for cpu, bytes for the rest. */
function totals(list: ResourceList): Totals {
  const out: Totals = new Map();
  for (const [name, quantity] of Object.entries(list))
    out.set(name, name === 'cpu' ? milliCPU(quantity) : bytes(quantity));
  return out;
}

function add(into: Totals, from: Totals): void {
  for (const [name, value] of from) into.set(name, (into.get(name) ?? 0) + value);
}

function max(into: Totals, from: Totals): void {
  for (const [name, value] of from) into.set(name, Math.max(into.get(name) ?? 0, value));
}

/**
 * The pod's effective requests or limits (`PodRequests`/`PodLimits`): app containers and sidecars summed, then the
 * max with each init container (plus the sidecars started before it). Pod-level `resources` replace cpu/memory.
 *
 * @example
 * podTotals(pod, 'requests').get('cpu'); // milli-CPU
 */
export function podTotals(pod: Pod, which: 'requests' | 'limits'): Map<string, number> {
  const pick = (c: Container): Totals =>
    totals(which === 'requests' ? requestsDefaultedToLimits(c.resources) : (c.resources?.limits ?? {}));
  const sum: Totals = new Map();
  for (const c of pod.spec?.containers ?? []) add(sum, pick(c));
  const sidecars: Totals = new Map();
  const initMax: Totals = new Map();
  for (const c of pod.spec?.initContainers ?? []) {
    const own = pick(c);
    if (c.restartPolicy === 'Always') {
      add(sum, own);
      add(sidecars, own);
      max(initMax, sidecars);
    } else {
      const during: Totals = new Map(sidecars);
      add(during, own);
      max(initMax, during);
    }
  }
  max(sum, initMax);
  const podLevel = pod.spec?.resources;
  if (podLevel !== undefined) {
    const list = totals(which === 'requests' ? requestsDefaultedToLimits(podLevel) : (podLevel.limits ?? {}));
    for (const name of ['cpu', 'memory']) {
      const value = list.get(name);
      if (value !== undefined) sum.set(name, value);
    }
  }
  return sum;
}

/** Whether every container (app, init, sidecar) — or the pod-level resources — sets a limit for `name`. */
function limitDeclared(pod: Pod, name: 'cpu' | 'memory'): boolean {
  const podLevel = pod.spec?.resources?.limits?.[name];
  if (podLevel !== undefined) return (name === 'cpu' ? milliCPU(podLevel) : bytes(podLevel)) > 0;
  const all = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])];
  return all.every((c) => {
    const limit = c.resources?.limits?.[name];
    return limit !== undefined && (name === 'cpu' ? milliCPU(limit) : bytes(limit)) > 0;
  });
}

/**
 * The pod cgroup's values (`ResourceConfigForPod`): shares from the pod's requests; cpu quota and memory limit from
 * the summed limits only if every container sets that limit; BestEffort gets the minimum shares only; hugepage
 * limits from the requests; `pids.max` from `podPidsLimit` (> 0; -1, 0 or unset = unlimited). No oom.group on the
 * pod (the kubelet sets it per container).
 *
 * @example
 * podLimits(pod, podQOSClass(pod), { podPidsLimit: 1024 });
 */
export function podLimits(pod: Pod, qos: PodQOSClass, options: ResourceOptions = {}): CgroupLimits {
  const requests = podTotals(pod, 'requests');
  const limits = podTotals(pod, 'limits');
  const result: CgroupLimits = {
    cpuShares: qos === 'BestEffort' ? minShares : milliCPUToShares(requests.get('cpu') ?? 0),
    cpuPeriod: quotaPeriodMicros,
    hugepageLimits: {},
    oomGroup: false,
  };
  for (const [name, value] of requests) {
    if (name.startsWith('hugepages-')) {
      const key = hugepageSizeName(bytes(name.slice('hugepages-'.length)));
      result.hugepageLimits[key] = (result.hugepageLimits[key] ?? 0) + value;
    }
  }
  if (qos !== 'BestEffort') {
    const quota = limitDeclared(pod, 'cpu') ? milliCPUToQuota(limits.get('cpu') ?? 0) : undefined;
    if (quota !== undefined) result.cpuQuota = quota;
    const memory = limitDeclared(pod, 'memory') ? (limits.get('memory') ?? 0) : 0;
    if (memory > 0) result.memoryLimit = memory;
  }
  const pids = options.podPidsLimit;
  if (pids !== undefined && pids > 0) result.pidsLimit = pids;
  return result;
}
