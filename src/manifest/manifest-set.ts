/**
 * Several manifests read as one input (`pod-init run -f a.yaml -f b.yaml`, `-f DIR`): any number of Pods, each
 * with the ConfigMaps and Secrets of its namespace from any of the files (kubectl's habit of keeping them apart).
 * Other kinds are skipped and named, as in {@link parseManifests}; two Pods (or two ConfigMaps, two Secrets) of
 * one namespace and name are an error, as the second create would be on a cluster.
 * @module
 */
import { formatFieldError, type FieldError } from './field-error';
import { isObject } from './structure';
import {
  checkConfigMap,
  checkSecret,
  type Located,
  ManifestError,
  type Manifests,
  objectRef,
  readDocuments,
} from './parse';
import type { ConfigMap, Pod, Secret } from './types';

/** One input: its text and the name messages give it (`a.yaml`, `<stdin>`). */
export interface ManifestInput {
  text: string;
  source: string;
}

/** One Pod of a manifest set with the objects of its namespace. */
export interface PodManifests extends Manifests {
  /** Where the Pod starts (`a.yaml:1`). */
  where: string;
  /** The Pod and the objects of its namespace as written (JSON documents), for a supervisor's stdin. */
  documents: string[];
}

/** An empty namespace is the request's namespace: `default`, as for a missing one. */
const namespaceOf = (value: Record<string, unknown>): string => {
  const ns = isObject(value.metadata) ? value.metadata.namespace : undefined;
  return ns === undefined || ns === '' ? 'default' : String(ns);
};

const nameOf = (value: Record<string, unknown>): string =>
  isObject(value.metadata) && typeof value.metadata.name === 'string' ? value.metadata.name : '';

interface Related {
  doc: Located;
  kind: string;
  namespace: string;
  json: string;
  object?: ConfigMap | Secret;
}

/**
 * Parses several manifests into their Pods, each with the ConfigMaps and Secrets of its namespace. Throws a
 * {@link ManifestError} listing every problem of every input (syntax, a document without kind, no Pod at all,
 * duplicates, ConfigMap/Secret validation errors); nothing is returned then.
 *
 * @example
 * const { pods, skipped } = parseManifestSet([
 *   { text: fs.readFileSync('web.yaml', 'utf8'), source: 'web.yaml' },
 *   { text: fs.readFileSync('config.yaml', 'utf8'), source: 'config.yaml' },
 * ]);
 */
export function parseManifestSet(inputs: readonly ManifestInput[]): { pods: PodManifests[]; skipped: string[] } {
  const problems: string[] = [];
  const pods: { doc: Located; namespace: string; json: string }[] = [];
  const related: Related[] = [];
  const skipped: string[] = [];
  const seen = new Map<string, string>();
  let unreadable = 0;
  const once = (doc: Located, kind: string, namespace: string): void => {
    const name = nameOf(doc.value);
    if (name === '') return; // validation names a missing name
    const key = `${kind}/${namespace}/${name}`;
    const first = seen.get(key);
    if (first !== undefined)
      problems.push(
        `${doc.where}: ${kind} ${JSON.stringify(name)} of namespace ${JSON.stringify(namespace)} is defined twice (first at ${first}): names are unique per namespace`,
      );
    else seen.set(key, doc.where);
  };
  for (const input of inputs) {
    const read = readDocuments(input.text, input.source, problems);
    unreadable += read.unreadable;
    for (const doc of read.docs) {
      const kind = doc.value.kind;
      const namespace = namespaceOf(doc.value);
      // As written, before the checks below normalise a Secret.
      const json = JSON.stringify(doc.value);
      if (kind === 'Pod') {
        once(doc, 'Pod', namespace);
        pods.push({ doc, namespace, json });
      } else if (kind === 'ConfigMap' || kind === 'Secret') {
        const checked = kind === 'ConfigMap' ? checkConfigMap(doc.value) : checkSecret(doc.value);
        const label = `${kind} ${JSON.stringify(nameOf(doc.value))}`;
        for (const e of checked.errors as FieldError[]) problems.push(`${doc.where}: ${label}: ${formatFieldError(e)}`);
        once(doc, kind, namespace);
        related.push({ doc, kind, namespace, json, object: checked.object });
      } else if (kind === 'PersistentVolumeClaim' || kind === 'ServiceAccount') {
        related.push({ doc, kind, namespace, json });
      } else if (kind === undefined || kind === '') problems.push(`${doc.where}: kind: Required value`);
      else skipped.push(objectRef(doc));
    }
  }
  const sources = inputs.map((i) => i.source).join(', ');
  if (pods.length === 0 && unreadable === 0)
    problems.push(
      `${sources}: no Pod in the manifests (at least one is required${skipped.length > 0 ? `; skipped: ${skipped.join(', ')}` : ''})`,
    );
  const podNamespaces = new Set(pods.map((p) => p.namespace));
  for (const r of related)
    if (r.object !== undefined && !podNamespaces.has(r.namespace))
      skipped.push(`${r.kind}/${nameOf(r.doc.value)} (namespace ${r.namespace})`);
  if (problems.length > 0) throw new ManifestError(problems);
  return {
    skipped,
    pods: pods.map(({ doc, namespace, json }) => {
      const mine = related.filter((r) => r.namespace === namespace);
      const byName = <T>(kind: string) =>
        new Map(mine.filter((r) => r.kind === kind).map((r) => [nameOf(r.doc.value), r.object as T]));
      return {
        pod: doc.value as Pod,
        where: doc.where,
        configMaps: byName<ConfigMap>('ConfigMap'),
        secrets: byName<Secret>('Secret'),
        skipped: [],
        documents: [json, ...mine.map((r) => r.json)],
      };
    }),
  };
}
