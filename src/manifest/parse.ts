/**
 * Reads a `pod-init run` manifest: one or more YAML (or JSON) documents holding exactly one Pod and any number of
 * ConfigMaps and Secrets (a `kind: List` is unpacked). Other objects people keep beside a Pod (a Service, a
 * Deployment, ConfigMaps and Secrets of another namespace) are skipped and named, not an error. YAML is read with
 * the YAML 1.1 rules kubectl's decoder uses, so `0644` is octal and `yes`/`no` are booleans, as they would be on a
 * cluster. ConfigMaps and Secrets are validated here, like the API server does; the Pod is returned as written, for
 * {@link validatePod}.
 * @module
 */
import { Composer, CST, type Document, LineCounter, Parser, type Tags } from 'yaml';
import { formatFieldError, invalid, required, tooLong, type FieldError } from './field-error';
import { isConfigMapKey } from './formats';
import { checkObject, isObject } from './structure';
import type { ConfigMap, Pod, Secret } from './types';
import { validateObjectMeta, validateTypeMeta } from './validate-meta';

/**
 * A manifest that cannot be run: every problem found, each prefixed with `source:line:`.
 *
 * @example
 * try {
 *   parseManifests(text, 'pod.yaml');
 * } catch (error) {
 *   if (error instanceof ManifestError) for (const problem of error.problems) console.error(problem);
 * }
 */
export class ManifestError extends Error {
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super(
      problems.length === 1 ? problems[0] : `${problems.length} problems:\n${problems.map((p) => `  ${p}`).join('\n')}`,
    );
    this.problems = problems;
  }
}
Object.defineProperty(ManifestError.prototype, 'name', { value: 'ManifestError', enumerable: false });

/** What a manifest holds, by name for the ConfigMaps and Secrets. */
export interface Manifests {
  pod: Pod;
  configMaps: Map<string, ConfigMap>;
  secrets: Map<string, Secret>;
  /** The objects left out, as `Kind/name` (`Service/web`): other kinds, other namespaces. */
  skipped: string[];
}

/** @internal `Kind/name` of an object, for messages; its place in the file when it has no name. */
export function objectRef(doc: Located): string {
  const metadata = doc.value.metadata;
  const name = isObject(metadata) && typeof metadata.name === 'string' && metadata.name !== '' ? metadata.name : '';
  return `${String(doc.value.kind)}/${name === '' ? `(${doc.where})` : name}`;
}

/** kubectl's YAML 1.1 has no base-60 numbers and keeps timestamps as strings. */
const kubectlTags = (tags: Tags): Tags =>
  tags.filter(
    (t) =>
      typeof t === 'string' || (t.tag !== 'tag:yaml.org,2002:timestamp' && !('format' in t && t.format === 'TIME')),
  );

const maxDataSize = 1024 * 1024;

/** @internal A document's object and where it starts (`source:line`). */
export interface Located {
  value: Record<string, unknown>;
  where: string;
}

function dataErrors(data: Record<string, string>, path: string): FieldError[] {
  return Object.keys(data).flatMap((key) => isConfigMapKey(key).map((msg) => invalid(`${path}[${key}]`, key, msg)));
}

/** @internal A ConfigMap checked as the API server would. */
export function checkConfigMap(raw: Record<string, unknown>): { object: ConfigMap; errors: FieldError[] } {
  const errors: FieldError[] = [];
  const cm = (checkObject(raw, 'ConfigMap', '', errors) ?? {}) as ConfigMap;
  errors.push(...validateTypeMeta(cm, 'ConfigMap'), ...validateObjectMeta(cm.metadata ?? {}));
  errors.push(...dataErrors(cm.data ?? {}, 'data'), ...dataErrors(cm.binaryData ?? {}, 'binaryData'));
  let size = 0;
  for (const [key, value] of Object.entries(cm.data ?? {})) {
    if (cm.binaryData?.[key] !== undefined)
      errors.push(invalid(`data[${key}]`, key, 'duplicate of key present in binaryData'));
    size += Buffer.byteLength(value);
  }
  for (const value of Object.values(cm.binaryData ?? {})) size += Buffer.from(value, 'base64').length;
  if (size > maxDataSize) errors.push(tooLong('data', maxDataSize));
  cm.data ??= {};
  return { object: cm, errors };
}

/** Keys each Secret type must carry (`ValidateSecret`). */
function secretTypeErrors(secret: Secret): FieldError[] {
  const data = secret.data ?? {};
  const need = (...keys: string[]): FieldError[] =>
    keys.filter((k) => data[k] === undefined).map((k) => required(`data[${k}]`));
  switch (secret.type) {
    case 'kubernetes.io/tls':
      return need('tls.crt', 'tls.key');
    case 'kubernetes.io/ssh-auth':
      return (data['ssh-privatekey'] ?? '') === '' ? [required('data[ssh-privatekey]')] : [];
    case 'kubernetes.io/basic-auth':
      return data.username === undefined && data.password === undefined ? need('username', 'password') : [];
    case 'kubernetes.io/dockerconfigjson':
      return need('.dockerconfigjson');
    case 'kubernetes.io/dockercfg':
      return need('.dockercfg');
    case 'kubernetes.io/service-account-token':
      return (secret.metadata?.annotations?.['kubernetes.io/service-account.name'] ?? '') === ''
        ? [required('metadata.annotations[kubernetes.io/service-account.name]')]
        : [];
    default:
      return [];
  }
}

/** @internal A Secret checked as the API server would, stringData merged into data. */
export function checkSecret(raw: Record<string, unknown>): { object: Secret; errors: FieldError[] } {
  const errors: FieldError[] = [];
  const secret = (checkObject(raw, 'Secret', '', errors) ?? {}) as Secret;
  errors.push(...validateTypeMeta(secret, 'Secret'), ...validateObjectMeta(secret.metadata ?? {}));
  // stringData is write-only: the API server merges it into data (base64), its values winning.
  const data: Record<string, string> = { ...secret.data };
  for (const [key, value] of Object.entries(secret.stringData ?? {})) data[key] = Buffer.from(value).toString('base64');
  secret.data = data;
  delete secret.stringData;
  if ((secret.type ?? '') === '') secret.type = 'Opaque';
  errors.push(...dataErrors(data, 'data'), ...secretTypeErrors(secret));
  const size = Object.values(data).reduce((n, v) => n + Buffer.from(v, 'base64').length, 0);
  if (size > maxDataSize) errors.push(tooLong('data', maxDataSize));
  return { object: secret, errors };
}

/**
 * kubectl's YAML (go-yaml) reads `\'` in a double-quoted string as `'`, an escape YAML itself does not
 * have: it is rewritten as `\x27` before the documents are composed. Escape pairs are read left to
 * right, so `\\'` stays an escaped backslash and a quote.
 */
function goYamlEscapes(token: CST.Token): void {
  const fix = (t: CST.Token | undefined) => {
    if (t?.type === 'double-quoted-scalar')
      t.source = t.source.replace(/\\([\s\S])/g, (pair, c: string) => (c === "'" ? '\\x27' : pair));
  };
  if (token.type !== 'document') return;
  fix(token.value);
  CST.visit(token, (item) => {
    fix(item.key ?? undefined);
    fix(item.value);
  });
}

/** The YAML documents of `text`, read as kubectl reads them. */
function composeDocuments(text: string, lineCounter: LineCounter): Document.Parsed[] {
  const composer = new Composer({ version: '1.1', customTags: kubectlTags });
  const docs: Document.Parsed[] = [];
  for (const token of new Parser(lineCounter.addNewLine).parse(text)) {
    goYamlEscapes(token);
    docs.push(...composer.next(token));
  }
  docs.push(...composer.end(false, text.length));
  return docs;
}

/** @internal Reads the YAML documents, unpacking `kind: List`; records syntax errors as problems. */
export function readDocuments(
  text: string,
  source: string,
  problems: string[],
): { docs: Located[]; unreadable: number } {
  const lineCounter = new LineCounter();
  const docs: Located[] = [];
  let unreadable = 0;
  for (const doc of composeDocuments(text, lineCounter)) {
    if (doc.errors.length > 0) {
      unreadable++;
      for (const e of doc.errors) {
        const { line, col } = lineCounter.linePos(e.pos[0]);
        problems.push(
          `${source}:${line}:${col}: ${e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')}`,
        );
      }
      continue;
    }
    const where = `${source}:${lineCounter.linePos(doc.contents?.range[0] ?? doc.range[0]).line}`;
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: 100 });
    } catch (error) {
      // An alias bomb (the yaml package refuses to expand it) is a problem of this document, not a crash.
      unreadable++;
      problems.push(`${where}: ${error instanceof Error ? error.message : String(error)}`);
      continue;
    }
    if (value === null || value === undefined) continue; // an empty document, as kubectl skips it
    if (!isObject(value)) {
      problems.push(
        `${where}: a document must be a mapping (an object), not ${Array.isArray(value) ? 'a list' : typeof value}`,
      );
      continue;
    }
    if (value.kind === 'List' && Array.isArray(value.items)) {
      value.items.forEach((item: unknown, i) => {
        if (isObject(item)) docs.push({ value: item, where: `${where} (items[${i}])` });
        else problems.push(`${where}: items[${i}] must be a mapping (an object)`);
      });
    } else {
      docs.push({ value, where });
    }
  }
  return { docs, unreadable };
}

/**
 * Parses a manifest into its Pod, ConfigMaps and Secrets. Secrets come back as the API server stores them: `data`
 * is base64, with `stringData` merged in (its values override `data`) and removed; `type` defaults to `Opaque`.
 * Throws a {@link ManifestError} listing every problem: YAML syntax, a document that is not an object or has no kind,
 * no Pod or more than one, two objects with one name, ConfigMap/Secret validation errors. Objects of other kinds,
 * and ConfigMaps and Secrets of another namespace than the Pod's, come back in `skipped`.
 *
 * @example
 * const { pod, configMaps, secrets } = parseManifests(fs.readFileSync('pod.yaml', 'utf8'), 'pod.yaml');
 * const { errors, warnings } = validatePod(pod, { configMaps, secrets });
 */
export function parseManifests(text: string, source: string): Manifests {
  const problems: string[] = [];
  const pods: Located[] = [];
  const configMaps = new Map<string, ConfigMap>();
  const secrets = new Map<string, Secret>();
  const add = <T extends ConfigMap | Secret>(
    doc: Located,
    checked: { object: T; errors: FieldError[] },
    into: Map<string, T>,
    kind: string,
  ): void => {
    const name = checked.object.metadata?.name ?? '';
    const label = `${kind} ${JSON.stringify(name)}`;
    for (const e of checked.errors) problems.push(`${doc.where}: ${label}: ${formatFieldError(e)}`);
    if (into.has(name)) problems.push(`${doc.where}: ${label} is defined twice`);
    into.set(name, checked.object);
  };
  const skipped: string[] = [];
  const { docs, unreadable } = readDocuments(text, source, problems);
  for (const doc of docs) {
    const kind = doc.value.kind;
    if (kind === 'Pod') pods.push(doc);
    else if (kind === 'ConfigMap') add(doc, checkConfigMap(doc.value), configMaps, 'ConfigMap');
    else if (kind === 'Secret') add(doc, checkSecret(doc.value), secrets, 'Secret');
    // A claim is a local directory by its name, a service account only a name here: both are used as they are.
    else if (kind === 'PersistentVolumeClaim' || kind === 'ServiceAccount') continue;
    else if (kind === undefined || kind === '') problems.push(`${doc.where}: kind: Required value`);
    else skipped.push(objectRef(doc));
  }
  if (pods.length === 0 && unreadable === 0)
    problems.push(
      `${source}: no Pod in the manifest (exactly one is required${skipped.length > 0 ? `; skipped: ${skipped.join(', ')}` : ''})`,
    );
  if (pods.length > 1)
    problems.push(`${source}: ${pods.length} Pods (${pods.map((p) => p.where).join(', ')}): exactly one is required`);
  const pod = pods[0]?.value as Pod | undefined;
  // An empty namespace is the request's namespace: `default`, as for a missing one.
  const namespaceOf = (ns: unknown): unknown => (ns === undefined || ns === '' ? 'default' : ns);
  const namespace = namespaceOf((pod?.metadata as { namespace?: unknown } | undefined)?.namespace);
  for (const [kind, objects] of [
    ['ConfigMap', configMaps],
    ['Secret', secrets],
  ] as const) {
    for (const [name, object] of objects) {
      // Another namespace's object is not the Pod's to use (the kubelet would not find it).
      if (namespaceOf(object.metadata?.namespace) === namespace) continue;
      objects.delete(name);
      skipped.push(`${kind}/${name} (namespace ${String(object.metadata?.namespace)})`);
    }
  }
  if (problems.length > 0 || pod === undefined) throw new ManifestError(problems);
  return { pod, configMaps, secrets, skipped };
}
