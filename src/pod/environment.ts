/**
 * A container's environment and argv, as the kubelet builds them (KUBERNETES.md A.3): HOSTNAME and
 * the default PATH, envFrom, env in order with `$(VAR)` references to earlier entries, fieldRef /
 * resourceFieldRef (resource-field.ts) / configMapKeyRef / secretKeyRef sources, then command and args expanded
 * with the result.
 * @module
 */
import os from 'node:os';
import { ContainerConfigError } from './container-config-error';
import { expand } from './expand';
import { metadataFieldValue } from './metadata-field';
import { type NodeAllocatable, nodeAllocatable } from './node-allocatable';
import { resourceFieldValue } from './resource-field';
import type { ContainerSpec, PodSpecObject, RelatedObjects } from './types';

/** The PATH the runtime sets when the image has none. */
export const defaultPath = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export { ContainerConfigError };

/**
 * The downward API value of a fieldRef path.
 *
 * @example
 * fieldValue(pod, 'metadata.labels[\'app\']', '127.0.0.1'); // 'web'
 */
export function fieldValue(pod: PodSpecObject, fieldPath: string, podIP: string): string {
  const metadata = metadataFieldValue(pod.metadata, fieldPath);
  if (metadata !== undefined) return metadata;
  switch (fieldPath) {
    case 'spec.host': // the API server's old name for it
    case 'spec.nodeName':
      return pod.spec.nodeName ?? os.hostname();
    case 'spec.serviceAccountName':
      return pod.spec.serviceAccountName ?? 'default';
    case 'status.podIP':
    case 'status.podIPs':
    case 'status.hostIP':
    case 'status.hostIPs':
      return podIP;
    default:
      throw new ContainerConfigError(`unsupported fieldRef ${fieldPath}`);
  }
}

function lookupKey(
  kind: 'configmap' | 'secret',
  objects: Map<string, Record<string, string>>,
  ref: { name: string; key: string; optional?: boolean },
): string | undefined {
  const object = objects.get(ref.name);
  if (object === undefined) {
    if (ref.optional) return undefined;
    throw new ContainerConfigError(`${kind} "${ref.name}" not found`);
  }
  const value = object[ref.key];
  if (value === undefined && !ref.optional)
    throw new ContainerConfigError(
      `couldn't find key ${ref.key} in ${kind === 'configmap' ? 'ConfigMap' : 'Secret'} ${ref.name}`,
    );
  return value;
}

/**
 * The environment of a container, as an ordered map. `node` is the node's allocatable for unset limits
 * (measured when not given).
 *
 * @example
 * containerEnv(pod, pod.spec.containers[0], related, 'web-0', '127.0.0.1').get('HOSTNAME'); // 'web-0'
 */
export function containerEnv(
  pod: PodSpecObject,
  container: ContainerSpec,
  related: RelatedObjects,
  hostname: string,
  podIP: string,
  node?: NodeAllocatable,
): Map<string, string> {
  const env = new Map<string, string>([
    ['PATH', defaultPath],
    ['HOSTNAME', hostname],
  ]);
  for (const source of container.envFrom ?? []) {
    const prefix = source.prefix ?? '';
    const ref = source.configMapRef ?? source.secretRef;
    if (!ref) continue;
    const objects = source.configMapRef ? related.configMaps : related.secrets;
    const object = objects.get(ref.name);
    if (object === undefined) {
      if (ref.optional) continue;
      throw new ContainerConfigError(`${source.configMapRef ? 'configmap' : 'secret'} "${ref.name}" not found`);
    }
    for (const [k, v] of Object.entries(object)) env.set(prefix + k, v);
  }
  for (const variable of container.env ?? []) {
    let value: string | undefined;
    const from = variable.valueFrom;
    if (from?.fieldRef) value = fieldValue(pod, from.fieldRef.fieldPath, podIP);
    else if (from?.resourceFieldRef)
      value = resourceFieldValue(pod, from.resourceFieldRef, container, node ?? nodeAllocatable(), 'env');
    else if (from?.configMapKeyRef) value = lookupKey('configmap', related.configMaps, from.configMapKeyRef);
    else if (from?.secretKeyRef) value = lookupKey('secret', related.secrets, from.secretKeyRef);
    else value = expand(variable.value ?? '', (name) => env.get(name));
    if (value !== undefined) env.set(variable.name, value);
  }
  return env;
}

/**
 * argv from command and args (no image config: ENTRYPOINT and CMD are empty), expanded with `env`.
 * Empty: the runtime's "no command specified".
 *
 * @example
 * containerArgv({ name: 'c', command: ['sh', '-c'], args: ['echo $(MSG)'] }, new Map([['MSG', 'hi']]));
 * // ['sh', '-c', 'echo hi']
 */
export function containerArgv(container: ContainerSpec, env: ReadonlyMap<string, string>): string[] {
  const lookup = (name: string) => env.get(name);
  return [...(container.command ?? []), ...(container.args ?? [])].map((arg) => expand(arg, lookup));
}
