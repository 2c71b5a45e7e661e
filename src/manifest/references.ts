/**
 * ConfigMaps and Secrets a pod refers to but the manifest does not carry. The API server does not check these; the
 * kubelet does, when it starts the container (env: `CreateContainerConfigError`) or mounts the volume
 * (`FailedMount`, container stays `ContainerCreating`). pod-init warns before it starts.
 * @module
 */
import { at, child } from './field-error';
import type { ConfigMap, Container, KeyToPath, Pod, Secret } from './types';

/** The objects that came with the pod in the same manifest, by name. */
export interface RelatedObjects {
  configMaps?: ReadonlyMap<string, ConfigMap>;
  secrets?: ReadonlyMap<string, Secret>;
}

type Kind = 'ConfigMap' | 'Secret';

function keysOf(kind: Kind, name: string, related: RelatedObjects): Set<string> | undefined {
  if (kind === 'ConfigMap') {
    const cm = related.configMaps?.get(name);
    return cm === undefined ? undefined : new Set([...Object.keys(cm.data ?? {}), ...Object.keys(cm.binaryData ?? {})]);
  }
  const secret = related.secrets?.get(name);
  return secret === undefined
    ? undefined
    : new Set([...Object.keys(secret.data ?? {}), ...Object.keys(secret.stringData ?? {})]);
}

interface Ref {
  path: string;
  kind: Kind;
  name: string;
  keys: string[];
  optional: boolean;
  consequence: string;
}

const envConsequence = 'the container would wait in CreateContainerConfigError';
const mountConsequence = 'the pod would wait in ContainerCreating (FailedMount)';

/** A container's reference through env or envFrom: a missing object stops the container's start. */
function envRef(path: string, kind: Kind, sel: { name?: string; optional?: boolean }, key?: string): Ref {
  return {
    path,
    kind,
    name: sel.name ?? '',
    keys: key === undefined ? [] : [key],
    optional: sel.optional === true,
    consequence: envConsequence,
  };
}

function containerRefs(c: Container, p: string): Ref[] {
  const refs: Ref[] = [];
  (c.env ?? []).forEach((env, i) => {
    const vp = child(at(child(p, 'env'), i), 'valueFrom');
    const cm = env.valueFrom?.configMapKeyRef;
    if (cm !== undefined) refs.push(envRef(child(vp, 'configMapKeyRef'), 'ConfigMap', cm, cm.key));
    const sk = env.valueFrom?.secretKeyRef;
    if (sk !== undefined) refs.push(envRef(child(vp, 'secretKeyRef'), 'Secret', sk, sk.key));
  });
  (c.envFrom ?? []).forEach((src, i) => {
    const fp = at(child(p, 'envFrom'), i);
    if (src.configMapRef !== undefined) refs.push(envRef(child(fp, 'configMapRef'), 'ConfigMap', src.configMapRef));
    if (src.secretRef !== undefined) refs.push(envRef(child(fp, 'secretRef'), 'Secret', src.secretRef));
  });
  return refs;
}

const itemKeys = (items: readonly KeyToPath[] | undefined): string[] => (items ?? []).map((item) => item.key);

function podRefs(pod: Pod): Ref[] {
  const spec = pod.spec;
  if (spec === undefined) return [];
  const refs: Ref[] = [];
  (spec.initContainers ?? []).forEach((c, i) => refs.push(...containerRefs(c, at('spec.initContainers', i))));
  (spec.containers ?? []).forEach((c, i) => refs.push(...containerRefs(c, at('spec.containers', i))));
  (spec.volumes ?? []).forEach((v, i) => {
    const vp = at('spec.volumes', i);
    const source = (
      path: string,
      kind: Ref['kind'],
      name: string | undefined,
      src: { items?: Parameters<typeof itemKeys>[0]; optional?: boolean },
    ): Ref => ({
      path,
      kind,
      name: name ?? '',
      keys: itemKeys(src.items),
      optional: src.optional === true,
      consequence: mountConsequence,
    });
    if (v.configMap !== undefined)
      refs.push(source(child(vp, 'configMap'), 'ConfigMap', v.configMap.name, v.configMap));
    if (v.secret !== undefined) refs.push(source(child(vp, 'secret'), 'Secret', v.secret.secretName, v.secret));
    (v.projected?.sources ?? []).forEach((s, j) => {
      const sp = at(child(child(vp, 'projected'), 'sources'), j);
      if (s.configMap !== undefined)
        refs.push(source(child(sp, 'configMap'), 'ConfigMap', s.configMap.name, s.configMap));
      if (s.secret !== undefined) refs.push(source(child(sp, 'secret'), 'Secret', s.secret.name, s.secret));
    });
  });
  return refs;
}

/**
 * Warnings for references to ConfigMaps, Secrets or keys that the manifest does not contain, unless the reference is
 * `optional`.
 *
 * @example
 * referenceWarnings(pod, { configMaps: new Map(), secrets: new Map() });
 * // ['spec.volumes[0].configMap: ConfigMap "app-config" is not in the manifest; the pod would wait in ContainerCreating (FailedMount)']
 */
export function referenceWarnings(pod: Pod, related: RelatedObjects): string[] {
  const warnings: string[] = [];
  for (const ref of podRefs(pod)) {
    if (ref.optional || ref.name === '') continue;
    const keys = keysOf(ref.kind, ref.name, related);
    if (keys === undefined) {
      warnings.push(`${ref.path}: ${ref.kind} ${JSON.stringify(ref.name)} is not in the manifest; ${ref.consequence}`);
      continue;
    }
    for (const key of ref.keys) {
      if (!keys.has(key))
        warnings.push(
          `${ref.path}: ${ref.kind} ${JSON.stringify(ref.name)} has no key ${JSON.stringify(key)}; ${ref.consequence}`,
        );
    }
  }
  return warnings;
}
