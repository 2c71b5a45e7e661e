/**
 * A pod manifest → what its cgroups get: the QoS class, the pod's limits and each container's (pure).
 * @module
 */
import type { Pod, PodQOSClass } from '../manifest/types';
import { podQOSClass } from './qos';
import { containerLimits, podLimits, sandboxLimits, type CgroupLimits, type ResourceOptions } from './resources';

/**
 * The sandbox's (pause's) cgroup name under the pod. It contains a dot, which no container name (a DNS-1123
 * label) can, so it never collides with a container's.
 */
export const sandboxCgroupName = 'sandbox.pause';

export interface ContainerCgroupSpec {
  /** The container's name, or {@link sandboxCgroupName}. */
  name: string;
  limits: CgroupLimits;
  /** `securityContext.privileged`: all devices allowed. */
  privileged: boolean;
}

export interface PodCgroupSpec {
  /** `metadata.uid`; the pod cgroup is `pod<uid>`. */
  uid: string;
  qosClass: PodQOSClass;
  limits: CgroupLimits;
  /** The sandbox first, then init containers, then app containers. */
  containers: ContainerCgroupSpec[];
}

/**
 * Everything the manager writes for `pod` (defaulted or not: requests default to limits here too).
 *
 * @example
 * const spec = podCgroupSpec(pod, 'a1b2…', { podPidsLimit: 1024 });
 * spec.qosClass; // 'Burstable'
 */
export function podCgroupSpec(pod: Pod, uid: string, options: ResourceOptions = {}): PodCgroupSpec {
  const qosClass = podQOSClass(pod);
  const anyPrivileged = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])].some(
    (c) => c.securityContext?.privileged === true,
  );
  const containers: ContainerCgroupSpec[] = [
    // The sandbox is privileged when any container is (SECURITY.md §2.6).
    { name: sandboxCgroupName, limits: sandboxLimits(), privileged: anyPrivileged },
  ];
  for (const c of [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])]) {
    containers.push({
      name: c.name,
      limits: containerLimits(c, options),
      privileged: c.securityContext?.privileged === true,
    });
  }
  return { uid, qosClass, limits: podLimits(pod, qosClass, options), containers };
}
