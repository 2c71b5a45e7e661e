/**
 * From manifest text to what the runner needs: the Pod (validated as the API server would, with its
 * defaults applied) and the ConfigMaps and Secrets that came with it, decoded. Problems are collected
 * and thrown together as a {@link ManifestError}, each naming its field path in the API server's
 * wording; what pod-init does not implement comes back as warnings, never silently ignored.
 * @module
 */
import {
  applyDefaults,
  formatFieldError,
  ManifestError as ParseError,
  parseManifestSet,
  parseManifests,
  validatePod,
} from '.';
import type { ManifestInput, Manifests, Pod } from '.';
import type { PodSpecObject, RelatedObjects } from '../pod/types';

/**
 * An invalid manifest: every problem at once, as `field: problem` lines.
 *
 * @example
 * // spec.containers[1].name: Duplicate value: "web"
 */
export class ManifestError extends Error {
  /** One line per problem. */
  readonly problems: string[];
  constructor(source: string, problems: string[]) {
    super(`${source}: the Pod is invalid:\n${problems.map((p) => `* ${p}`).join('\n')}`);
    this.problems = problems;
  }
}
Object.defineProperty(ManifestError.prototype, 'name', { value: 'ManifestError', enumerable: false });

/** A Pod ready for the runner: defaulted, with its related objects and what was said about it. */
export interface LoadedPod {
  pod: PodSpecObject;
  related: RelatedObjects;
  warnings: string[];
}

/** Fields the validator accepts and the runner does not carry out yet (this session's runner). */
function runnerGaps(pod: Pod): string[] {
  const gaps: string[] = [];
  const spec = pod.spec ?? { containers: [] };
  // gRPC probes are in the validator's summary warning already (unsupported.ts): not said twice.
  (spec.volumes ?? []).forEach((v, i) => {
    // On disk the kubelet enforces sizeLimit by eviction, which pod-init does not do (a tmpfs is sized).
    if (v.emptyDir?.sizeLimit !== undefined && v.emptyDir.medium !== 'Memory')
      gaps.push(`spec.volumes[${i}].emptyDir.sizeLimit`);
  });
  return gaps;
}

function decoded(data: Record<string, string> | undefined, base64: boolean): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  for (const [k, v] of Object.entries(data ?? {})) out[k] = Buffer.from(v, base64 ? 'base64' : 'utf8');
  return out;
}

const asText = (bytes: Record<string, Buffer>): Record<string, string> =>
  Object.fromEntries(Object.entries(bytes).map(([k, v]) => [k, v.toString('utf8')]));

/** A parsed Pod validated and defaulted, its ConfigMaps and Secrets decoded; ManifestError if invalid. */
function finish(parsed: Manifests, source: string): LoadedPod {
  const { errors, warnings } = validatePod(parsed.pod, { configMaps: parsed.configMaps, secrets: parsed.secrets });
  if (errors.length > 0) throw new ManifestError(source, errors.map(formatFieldError));
  const pod = applyDefaults(parsed.pod);
  // Set by the API server on create, whatever the client sent: a uid per run (the runner's), and
  // the time of this run.
  if (pod.metadata !== undefined) {
    delete pod.metadata.uid;
    delete pod.metadata.creationTimestamp;
  }
  if (parsed.skipped.length > 0)
    warnings.push(
      `skipped what pod-init does not run beside the Pod: ${parsed.skipped.join(', ')} (only the Pod, the ConfigMaps and Secrets of its namespace, PersistentVolumeClaims and ServiceAccounts are used)`,
    );
  const gaps = runnerGaps(pod);
  if (gaps.length > 0) warnings.push(`not carried out by pod-init yet (accepted, then ignored): ${gaps.join(', ')}`);
  const bytes = {
    configMaps: new Map<string, Record<string, Buffer>>(),
    secrets: new Map<string, Record<string, Buffer>>(),
  };
  const related: RelatedObjects = { configMaps: new Map(), secrets: new Map(), bytes };
  for (const [name, cm] of parsed.configMaps) {
    const values = {
      ...decoded(cm.binaryData as Record<string, string> | undefined, true),
      ...decoded(cm.data, false),
    };
    bytes.configMaps.set(name, values);
    related.configMaps.set(name, asText(values));
  }
  for (const [name, secret] of parsed.secrets) {
    const values = decoded(secret.data as Record<string, string> | undefined, true);
    bytes.secrets.set(name, values);
    related.secrets.set(name, asText(values));
  }
  return { pod: pod as unknown as PodSpecObject, related, warnings };
}

/**
 * Parses, validates and defaults a manifest: YAML or JSON text (several documents allowed), or the
 * objects themselves (a Pod, or a list of a Pod and the ConfigMaps and Secrets it uses), checked
 * exactly as the text would be.
 *
 * @example
 * const { pod, related, warnings } = loadPod(fs.readFileSync('pod.yaml', 'utf8'), 'pod.yaml');
 * const fromObject = loadPod({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web' }, spec: { containers } });
 */
export function loadPod(
  input: string | object | readonly object[],
  source = typeof input === 'string' ? '<manifest>' : '<object>',
): LoadedPod {
  const text =
    typeof input === 'string'
      ? input
      : (Array.isArray(input) ? input : [input]).map((doc) => JSON.stringify(doc)).join('\n---\n');
  let parsed;
  try {
    parsed = parseManifests(text, source);
  } catch (error) {
    if (error instanceof ParseError) throw new ManifestError(source, [...error.problems]);
    throw error;
  }
  return finish(parsed, source);
}

/** One Pod of several inputs: {@link LoadedPod}, where it was, and its manifest as one text. */
export interface LoadedSetPod extends LoadedPod {
  /** Where the Pod starts (`a.yaml:1`). */
  where: string;
  /** The Pod and the objects of its namespace as one multi-document text ({@link loadPod} reads it). */
  manifest: string;
}

/**
 * Parses, validates and defaults several manifests as one input (`-f a.yaml -f b.yaml`): every Pod in them,
 * each with the ConfigMaps and Secrets of its namespace. Every Pod is checked before any is returned: one
 * {@link ManifestError} names each invalid Pod's place and field paths. `warnings` are the set's (skipped
 * objects, when several Pods); each Pod has its own, naming it when there are several.
 *
 * @example
 * const { pods, warnings } = loadPods([{ text: fs.readFileSync('web.yaml', 'utf8'), source: 'web.yaml' }]);
 */
export function loadPods(inputs: readonly ManifestInput[]): { pods: LoadedSetPod[]; warnings: string[] } {
  let parsed;
  const sources = inputs.map((i) => i.source).join(', ');
  try {
    parsed = parseManifestSet(inputs);
  } catch (error) {
    if (!(error instanceof ParseError)) throw error;
    const invalid = new ManifestError(sources, [...error.problems]);
    if (inputs.length > 1)
      invalid.message = `the manifests cannot be run:\n${error.problems.map((p) => `* ${p}`).join('\n')}`;
    throw invalid;
  }
  const pods: LoadedSetPod[] = [];
  const invalid: ManifestError[] = [];
  for (const one of parsed.pods) {
    const name = typeof one.pod.metadata?.name === 'string' ? ` (pod ${JSON.stringify(one.pod.metadata.name)})` : '';
    try {
      // One Pod: said as for one file; several: each warning names its Pod, the skipped objects once.
      const single = parsed.pods.length === 1;
      const loaded = finish({ ...one, skipped: single ? parsed.skipped : [] }, `${one.where}${name}`);
      if (!single) loaded.warnings = loaded.warnings.map((w) => `pod/${String(one.pod.metadata?.name)}: ${w}`);
      pods.push({ ...loaded, where: one.where, manifest: one.documents.join('\n---\n') });
    } catch (error) {
      if (!(error instanceof ManifestError)) throw error;
      invalid.push(error);
    }
  }
  if (invalid.length > 0) {
    const error = new ManifestError(
      sources,
      invalid.flatMap((e) => e.problems),
    );
    error.message = invalid.map((e) => e.message).join('\n');
    throw error;
  }
  const warnings: string[] = [];
  if (pods.length > 1 && parsed.skipped.length > 0)
    warnings.push(
      `skipped what pod-init does not run beside the Pods: ${parsed.skipped.join(', ')} (only Pods, the ConfigMaps and Secrets of their namespaces, PersistentVolumeClaims and ServiceAccounts are used)`,
    );
  return { pods, warnings };
}
