/**
 * `resourceFieldRef` values, as the kubelet computes them (pkg/api/v1/resource `ExtractContainerResourceValue`,
 * `MergeContainerResourceLimits`): a cpu, memory or ephemeral-storage limit the container does not set (or sets to
 * 0) is the node's allocatable; the value is the quantity divided by the divisor (default 1) and rounded up — cpu in
 * milli-CPUs (250m with divisor 1 → `1`, with 1m → `250`), the others in bytes. Hugepages limits never default.
 * @module
 */
import { scaledValue } from '../manifest/quantity';
import { ContainerConfigError } from './container-config-error';
import type { NodeAllocatable } from './node-allocatable';
import type { ContainerSpec, PodSpecObject } from './types';

/** A v1 ResourceFieldSelector. */
export interface ResourceFieldSpec {
  containerName?: string;
  resource: string;
  divisor?: string | number;
}

type Resources = NonNullable<ContainerSpec['resources']>;

const isZero = (q: string | number | undefined): boolean => q === undefined || scaledValue(q, 3) === 0n;

/**
 * The container's resources with the node's allocatable for each cpu, memory and ephemeral-storage limit it
 * does not set (`MergeContainerResourceLimits`).
 *
 * @example
 * withAllocatableLimits({}, { milliCpu: 2000n, memoryBytes: 4096n }).limits; // { cpu: '2', memory: '4096' }
 */
export function withAllocatableLimits(resources: Resources | undefined, node: NodeAllocatable): Resources {
  const limits: Record<string, string | number> = { ...resources?.limits };
  const allocatable: Record<string, string | undefined> = {
    cpu: `${node.milliCpu}m`,
    memory: String(node.memoryBytes),
    'ephemeral-storage': node.ephemeralStorageBytes === undefined ? undefined : String(node.ephemeralStorageBytes),
  };
  for (const [name, value] of Object.entries(allocatable))
    if (isZero(limits[name]) && value !== undefined) limits[name] = value;
  return { ...resources, limits };
}

/** `ceil(quantity / divisor)`, in milli-units for cpu, units for the rest; a zero divisor is 1. */
function divide(quantity: string | number | undefined, divisor: string | number | undefined, cpu: boolean): string {
  const scale = cpu ? 3 : 0;
  const by =
    divisor === undefined || scaledValue(divisor, 3) === 0n ? 10n ** BigInt(scale) : scaledValue(divisor, scale);
  const value = quantity === undefined ? 0n : scaledValue(quantity, scale);
  // Go divides as float64 and takes the ceiling; for these non-negative integers that is a ceiling division.
  const q = value / by;
  return String(value % by === 0n || value < 0n ? q : q + 1n);
}

/**
 * The value of `resource` (`limits.cpu`, `requests.memory`, `limits.hugepages-2Mi`, …) of a container's resources.
 *
 * @example
 * resourceValue({ limits: { cpu: '250m' } }, { resource: 'limits.cpu', divisor: '1m' }); // '250'
 */
export function resourceValue(resources: Resources | undefined, selector: ResourceFieldSpec): string {
  const match = /^(limits|requests)\.(.+)$/.exec(selector.resource);
  const name = match?.[2];
  if (
    match === null ||
    name === undefined ||
    (!['cpu', 'memory', 'ephemeral-storage'].includes(name) && !name.startsWith('hugepages-'))
  )
    throw new ContainerConfigError(`unsupported container resource : ${selector.resource}`);
  const list = match[1] === 'limits' ? resources?.limits : resources?.requests;
  return divide(list?.[name], selector.divisor, name === 'cpu');
}

/** `findContainerInPod`: regular containers first, then init containers. */
function findContainer(pod: PodSpecObject, name: string): { container: ContainerSpec; init: boolean } {
  const regular = pod.spec.containers.find((c) => c.name === name);
  if (regular !== undefined) return { container: regular, init: false };
  const init = (pod.spec.initContainers ?? []).find((c) => c.name === name);
  if (init === undefined) throw new ContainerConfigError(`container ${name} not found`);
  return { container: init, init: true };
}

/**
 * A `resourceFieldRef`'s value: of `selector.containerName` when set (any container of the pod), else of
 * `container`; unset limits are the node's allocatable — except, as in the kubelet
 * (`defaultPodLimitsForDownwardAPI` merges into regular containers only), for an init container named by an
 * env var's `containerName`.
 *
 * @example
 * resourceFieldValue(pod, { resource: 'limits.memory', divisor: '1Mi' }, pod.spec.containers[0], node, 'env'); // '64'
 */
export function resourceFieldValue(
  pod: PodSpecObject,
  selector: ResourceFieldSpec,
  container: ContainerSpec | undefined,
  node: NodeAllocatable,
  from: 'env' | 'volume',
): string {
  const name = selector.containerName ?? '';
  if (name === '') {
    if (container === undefined)
      throw new ContainerConfigError(`resourceFieldRef ${selector.resource}: no containerName`);
    return resourceValue(withAllocatableLimits(container.resources, node), selector);
  }
  const found = findContainer(pod, name);
  const resources =
    found.init && from === 'env' ? found.container.resources : withAllocatableLimits(found.container.resources, node);
  return resourceValue(resources, selector);
}
