/**
 * A pod's QoS class, computed as the kubelet's `ComputePodQOS` does (SECURITY.md §7, K8): only `cpu` and `memory`
 * count; init containers, sidecars and app containers all count; pod-level `resources` decide when they are set.
 * @module
 */
import { requestsDefaultedToLimits } from '../manifest/defaults';
import type { Pod, PodQOSClass, ResourceList } from '../manifest/types';
import { bytes, milliCPU } from './quantities';

const qosResources = ['cpu', 'memory'] as const;

/** Adds the positive cpu/memory quantities of `list` into `sum`; returns the names that were positive. */
function addPositive(sum: Map<string, number>, list: ResourceList | undefined): Set<string> {
  const found = new Set<string>();
  for (const name of qosResources) {
    const quantity = list?.[name];
    if (quantity === undefined) continue;
    const value = name === 'cpu' ? milliCPU(quantity) : bytes(quantity);
    if (value <= 0) continue;
    found.add(name);
    sum.set(name, (sum.get(name) ?? 0) + value);
  }
  return found;
}

/**
 * The pod's `status.qosClass`. Requests default to limits first (as the API server does before the kubelet sees
 * the pod), so an undefaulted manifest gets the same answer as a defaulted one.
 *
 * Rules: no cpu/memory request or limit anywhere → `BestEffort`; every container (or the pod-level `resources`)
 * limits both cpu and memory and the summed requests equal the summed limits → `Guaranteed`; else `Burstable`.
 * Quantities that do not parse throw (validation rejects them earlier).
 *
 * @example
 * podQOSClass({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' },
 *   spec: { containers: [{ name: 'c', image: 'i', resources: { limits: { cpu: '1', memory: '1Gi' } } }] } });
 * // 'Guaranteed'
 */
export function podQOSClass(pod: Pod): PodQOSClass {
  const requests = new Map<string, number>();
  const limits = new Map<string, number>();
  let guaranteed = true;
  const podLevel = pod.spec?.resources;
  if (podLevel !== undefined && hasQOSResource(podLevel.requests, podLevel.limits)) {
    addPositive(requests, requestsDefaultedToLimits(podLevel));
    if (podLevel.limits !== undefined && Object.keys(podLevel.limits).length > 0) {
      const found = addPositive(limits, podLevel.limits);
      if (!found.has('cpu') || !found.has('memory')) guaranteed = false;
    }
  } else {
    for (const container of [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])]) {
      addPositive(requests, requestsDefaultedToLimits(container.resources));
      const found = addPositive(limits, container.resources?.limits);
      if (!found.has('cpu') || !found.has('memory')) guaranteed = false;
    }
  }
  if (requests.size === 0 && limits.size === 0) return 'BestEffort';
  if (guaranteed) {
    for (const [name, request] of requests) {
      if (limits.get(name) !== request) guaranteed = false;
    }
  }
  return guaranteed && requests.size === limits.size ? 'Guaranteed' : 'Burstable';
}

/** `IsPodLevelResourcesSet`: pod-level resources count only when they name cpu or memory. */
function hasQOSResource(...lists: Array<ResourceList | undefined>): boolean {
  return lists.some((list) => qosResources.some((name) => list?.[name] !== undefined));
}
