/**
 * From manifest text to what the runner needs: the Pod (checked, with the API server's defaults) and
 * the ConfigMaps and Secrets that came with it. Errors are collected and thrown together as a
 * {@link ManifestError}, each naming its field path in the API server's wording.
 * @module
 */
import YAML from 'yaml';
import type { PodSpecObject, RelatedObjects } from './types';

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

const dns1123Label = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const dns1123Subdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

function decode(kind: string, doc: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  const data = (doc.data ?? {}) as Record<string, string>;
  for (const [k, v] of Object.entries(data))
    out[k] = kind === 'Secret' ? Buffer.from(String(v), 'base64').toString('utf8') : String(v);
  if (kind === 'Secret')
    for (const [k, v] of Object.entries((doc.stringData ?? {}) as Record<string, string>)) out[k] = String(v);
  return out;
}

function checkPod(pod: PodSpecObject, problems: string[]): void {
  const name = pod.metadata?.name;
  if (typeof name !== 'string' || name === '')
    problems.push('metadata.name: Required value: name or generateName is required');
  else if (name.length > 253 || !dns1123Subdomain.test(name))
    problems.push(
      `metadata.name: Invalid value: ${JSON.stringify(name)}: a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character`,
    );
  const spec = pod.spec;
  if (!spec || typeof spec !== 'object') {
    problems.push('spec: Required value');
    return;
  }
  if (!Array.isArray(spec.containers) || spec.containers.length === 0) problems.push('spec.containers: Required value');
  const seen = new Set<string>();
  const check = (list: unknown, field: string) => {
    if (list === undefined) return;
    if (!Array.isArray(list)) {
      problems.push(`${field}: Invalid value: must be a list`);
      return;
    }
    list.forEach((c: { name?: unknown; image?: unknown }, i) => {
      const at = `${field}[${i}]`;
      if (typeof c?.name !== 'string' || c.name === '') problems.push(`${at}.name: Required value`);
      else if (c.name.length > 63 || !dns1123Label.test(c.name))
        problems.push(
          `${at}.name: Invalid value: ${JSON.stringify(c.name)}: a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character`,
        );
      else if (seen.has(c.name)) problems.push(`${at}.name: Duplicate value: ${JSON.stringify(c.name)}`);
      else seen.add(c.name);
      if (typeof c?.image !== 'string' || c.image === '') problems.push(`${at}.image: Required value`);
    });
  };
  check(spec.initContainers, 'spec.initContainers');
  check(spec.containers, 'spec.containers');
  const policy = spec.restartPolicy;
  if (policy !== undefined && !['Always', 'OnFailure', 'Never'].includes(policy))
    problems.push(
      `spec.restartPolicy: Unsupported value: ${JSON.stringify(policy)}: supported values: "Always", "OnFailure", "Never"`,
    );
  const grace = spec.terminationGracePeriodSeconds;
  if (grace !== undefined && (!Number.isInteger(grace) || grace < 0))
    problems.push(
      `spec.terminationGracePeriodSeconds: Invalid value: ${JSON.stringify(grace)}: must be greater than or equal to 0`,
    );
}

/** Applies the API server defaults the runner depends on. */
function withDefaults(pod: PodSpecObject): PodSpecObject {
  pod.metadata.namespace ??= 'default';
  pod.spec.restartPolicy ??= 'Always';
  pod.spec.terminationGracePeriodSeconds ??= 30;
  for (const c of [...(pod.spec.initContainers ?? []), ...pod.spec.containers]) {
    c.terminationMessagePath ??= '/dev/termination-log';
    c.terminationMessagePolicy ??= 'File';
  }
  return pod;
}

/**
 * Parses and checks a manifest (YAML or JSON, several documents allowed).
 *
 * @example
 * const { pod, related, warnings } = loadPod(fs.readFileSync('pod.yaml', 'utf8'), 'pod.yaml');
 */
export function loadPod(
  text: string,
  source: string,
): { pod: PodSpecObject; related: RelatedObjects; warnings: string[] } {
  const problems: string[] = [];
  const related: RelatedObjects = { configMaps: new Map(), secrets: new Map() };
  let pod: PodSpecObject | undefined;
  const docs = YAML.parseAllDocuments(text);
  docs.forEach((doc, i) => {
    if (doc.errors.length > 0) {
      problems.push(`document ${i + 1}: ${doc.errors[0]!.message.split('\n')[0]}`);
      return;
    }
    const value = doc.toJS() as Record<string, unknown> | null;
    if (value === null) return;
    const kind = value.kind;
    if (kind === 'Pod') {
      if (value.apiVersion !== 'v1')
        problems.push(`apiVersion: Unsupported value: ${JSON.stringify(value.apiVersion)}: supported values: "v1"`);
      if (pod) problems.push(`document ${i + 1}: only one Pod per file`);
      else pod = value as unknown as PodSpecObject;
    } else if (kind === 'ConfigMap' || kind === 'Secret') {
      const name = (value.metadata as { name?: string } | undefined)?.name;
      if (!name) problems.push(`document ${i + 1}: metadata.name: Required value`);
      else (kind === 'ConfigMap' ? related.configMaps : related.secrets).set(name, decode(kind, value));
    } else {
      problems.push(
        `document ${i + 1}: kind: Unsupported value: ${JSON.stringify(kind)}: supported values: "Pod", "ConfigMap", "Secret"`,
      );
    }
  });
  if (!pod && problems.length === 0) problems.push('kind: Required value: the file has no Pod');
  if (pod) checkPod(pod, problems);
  if (problems.length > 0 || !pod) throw new ManifestError(source, problems);
  const warnings: string[] = [];
  const unimplemented = [
    'volumes',
    'affinity',
    'nodeSelector',
    'tolerations',
    'dnsConfig',
    'hostAliases',
    'readinessGates',
  ].filter((f) => pod!.spec[f] !== undefined);
  const perContainer = [
    'volumeMounts',
    'livenessProbe',
    'readinessProbe',
    'startupProbe',
    'lifecycle',
    'resources',
    'ports',
  ];
  const containerFields = [...(pod.spec.initContainers ?? []), ...pod.spec.containers].flatMap((c, i) =>
    perContainer
      .filter((f) => (c as unknown as Record<string, unknown>)[f] !== undefined)
      .map((f) => `${c.name}.${f}${i < 0 ? '' : ''}`),
  );
  if (unimplemented.length + containerFields.length > 0)
    warnings.push(
      `not implemented by pod-init yet, ignored: ${[...unimplemented.map((f) => `spec.${f}`), ...new Set(containerFields)].join(', ')}`,
    );
  return { pod: withDefaults(pod), related, warnings };
}
