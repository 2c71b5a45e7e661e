/**
 * Environment checks (`ValidateEnv`, `ValidateEnvFrom`) and the downward API selectors they share with volumes.
 * @module
 */
import { at, child, invalid, required, unsupported, type FieldError } from './field-error';
import { isConfigMapKey, isEnvVarName, isObjectName, isQualifiedName } from './formats';
import { tryParseQuantity } from './quantity';
import type { EnvFromSource, EnvVar, ObjectFieldSelector, ResourceFieldSelector } from './types';

/** The `fieldRef` paths an env var may read (`validEnvDownwardAPIFieldPathExpressions`). */
export const envFieldPaths = [
  'metadata.name',
  'metadata.namespace',
  'metadata.uid',
  'spec.nodeName',
  'spec.serviceAccountName',
  'status.hostIP',
  'status.hostIPs',
  'status.podIP',
  'status.podIPs',
] as const;

/** The `fieldRef` paths a downwardAPI volume file may read. */
export const volumeFieldPaths = [
  'metadata.name',
  'metadata.namespace',
  'metadata.labels',
  'metadata.annotations',
  'metadata.uid',
] as const;

/** What `ConvertDownwardAPIFieldLabel` knows for v1, before the env/volume lists narrow it. */
const convertible = new Set([
  'metadata.annotations',
  'metadata.labels',
  'metadata.name',
  'metadata.namespace',
  'metadata.uid',
  'spec.nodeName',
  'spec.restartPolicy',
  'spec.serviceAccountName',
  'spec.schedulerName',
  'status.phase',
  'status.hostIP',
  'status.hostIPs',
  'status.podIP',
  'status.podIPs',
]);

const resourceFieldPaths = [
  'limits.cpu',
  'limits.memory',
  'limits.ephemeral-storage',
  'requests.cpu',
  'requests.memory',
  'requests.ephemeral-storage',
];

/**
 * Validates a downward API `fieldRef` against the paths allowed where it is used; `metadata.labels['k']` and
 * `metadata.annotations['k']` take a qualified-name key.
 *
 * @example
 * validateObjectFieldSelector({ fieldPath: 'spec.hostname' }, envFieldPaths, 'env[0].valueFrom.fieldRef');
 * // env[0].valueFrom.fieldRef.fieldPath: Invalid value: "spec.hostname": error converting fieldPath: field label not supported: spec.hostname
 */
export function validateObjectFieldSelector(
  fs: ObjectFieldSelector,
  allowed: readonly string[],
  path: string,
): FieldError[] {
  const apiVersion = fs.apiVersion ?? 'v1';
  if (apiVersion === '') return [required(child(path, 'apiVersion'))];
  if (fs.fieldPath === '') return [required(child(path, 'fieldPath'))];
  if (apiVersion !== 'v1') return [conversionError(fs.fieldPath, `unsupported pod version: ${apiVersion}`, path)];
  // `SplitMaybeSubscriptedPath`: `<path>['<subscript>']`, split at the first `['`.
  const subscripted = /^(.+?)\['(.*)'\]$/.exec(fs.fieldPath);
  if (subscripted !== null) {
    const base = subscripted[1]!;
    if (base !== 'metadata.labels' && base !== 'metadata.annotations')
      return [conversionError(fs.fieldPath, `field label does not support subscript: ${fs.fieldPath}`, path)];
    const key = base === 'metadata.annotations' ? subscripted[2]!.toLowerCase() : subscripted[2]!;
    return isQualifiedName(key).map((msg) => invalid(path, key, msg));
  }
  // `spec.host` is what old v1 clients send for `spec.nodeName`; the conversion renames it.
  const internal = fs.fieldPath === 'spec.host' ? 'spec.nodeName' : fs.fieldPath;
  if (!convertible.has(internal))
    return [conversionError(fs.fieldPath, `field label not supported: ${fs.fieldPath}`, path)];
  return allowed.includes(internal) ? [] : [unsupported(child(path, 'fieldPath'), internal, allowed)];
}

function conversionError(fieldPath: string, reason: string, path: string): FieldError {
  return invalid(child(path, 'fieldPath'), fieldPath, `error converting fieldPath: ${reason}`);
}

const byteDivisors = ['1', '1k', '1M', '1G', '1T', '1P', '1E', '1Ki', '1Mi', '1Gi', '1Ti', '1Pi', '1Ei'];

/** The divisors a resource takes and the API server's message otherwise (`validateContainerResourceDivisor`). */
function divisorRule(resource: string): { allowed: readonly string[]; message: string } | undefined {
  const bytes = (what: string) => ({
    allowed: byteDivisors,
    message: `only divisor's values ${byteDivisors.join(', ')} are supported with the ${what} resource`,
  });
  if (resource === 'limits.cpu' || resource === 'requests.cpu')
    return { allowed: ['1m', '1'], message: "only divisor's values 1m and 1 are supported with the cpu resource" };
  if (resource === 'limits.memory' || resource === 'requests.memory') return bytes('memory');
  if (resource === 'limits.ephemeral-storage' || resource === 'requests.ephemeral-storage')
    return bytes('local ephemeral storage');
  // Any other resource (unsupported, reported as such) has no divisor rule.
  return /^(requests|limits)\.hugepages-/.test(resource) ? bytes('hugepages') : undefined;
}

/**
 * Validates a `resourceFieldRef` (env: container name optional; volume files: required) and its divisor.
 *
 * @example
 * validateResourceFieldSelector({ resource: 'limits.gpu' }, 'env[0].valueFrom.resourceFieldRef', false);
 * // ...resource: Unsupported value: "limits.gpu": supported values: "limits.cpu", ...
 */
export function validateResourceFieldSelector(
  fs: ResourceFieldSelector,
  path: string,
  inVolume: boolean,
): FieldError[] {
  const errors: FieldError[] = [];
  if (inVolume && (fs.containerName ?? '') === '') errors.push(required(child(path, 'containerName')));
  else if (fs.resource === '') errors.push(required(child(path, 'resource')));
  else if (!resourceFieldPaths.includes(fs.resource) && !/^(requests|limits)\.hugepages-/.test(fs.resource)) {
    errors.push(unsupported(child(path, 'resource'), fs.resource, resourceFieldPaths));
  }
  const rule = divisorRule(fs.resource);
  if (fs.divisor !== undefined && rule !== undefined) {
    const divisor = String(fs.divisor).trim();
    const parsed = tryParseQuantity(divisor);
    if (parsed.ok && parsed.value !== 0 && !rule.allowed.includes(divisor)) {
      errors.push(invalid(child(path, 'divisor'), fs.resource, rule.message));
    }
  }
  return errors;
}

function validateKeySelector(sel: { name?: string; key: string }, path: string): FieldError[] {
  const errors: FieldError[] = [];
  for (const msg of isObjectName(sel.name ?? '', false)) errors.push(invalid(child(path, 'name'), sel.name ?? '', msg));
  if (sel.key === '') errors.push(required(child(path, 'key')));
  else for (const msg of isConfigMapKey(sel.key)) errors.push(invalid(child(path, 'key'), sel.key, msg));
  return errors;
}

/**
 * Validates `env`: names, and a `valueFrom` with exactly one source and no `value`.
 *
 * @example
 * validateEnv([{ name: 'A', value: 'x', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }], 'env');
 * // env[0].valueFrom: Invalid value: "": may not be specified when `value` is not empty
 */
export function validateEnv(vars: readonly EnvVar[], path: string): FieldError[] {
  const errors: FieldError[] = [];
  vars.forEach((ev, i) => {
    const p = at(path, i);
    if (ev.name === '') errors.push(required(child(p, 'name')));
    else for (const msg of isEnvVarName(ev.name)) errors.push(invalid(child(p, 'name'), ev.name, msg));
    if (ev.valueFrom === undefined) return;
    const vp = child(p, 'valueFrom');
    const from = ev.valueFrom;
    let sources = 0;
    if (from.fieldRef !== undefined) {
      sources++;
      errors.push(...validateObjectFieldSelector(from.fieldRef, envFieldPaths, child(vp, 'fieldRef')));
    }
    if (from.resourceFieldRef !== undefined) {
      sources++;
      errors.push(...validateResourceFieldSelector(from.resourceFieldRef, child(vp, 'resourceFieldRef'), false));
    }
    if (from.configMapKeyRef !== undefined) {
      sources++;
      errors.push(...validateKeySelector(from.configMapKeyRef, child(vp, 'configMapKeyRef')));
    }
    if (from.secretKeyRef !== undefined) {
      sources++;
      errors.push(...validateKeySelector(from.secretKeyRef, child(vp, 'secretKeyRef')));
    }
    if (from.fileKeyRef !== undefined) {
      sources++;
      const fp = child(vp, 'fileKeyRef');
      if (from.fileKeyRef.volumeName === '') errors.push(required(child(fp, 'volumeName')));
      if (from.fileKeyRef.path === '') errors.push(required(child(fp, 'path')));
      if (from.fileKeyRef.key === '') errors.push(required(child(fp, 'key')));
    }
    if (sources === 0) {
      errors.push(
        invalid(vp, '', 'must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`'),
      );
    } else if ((ev.value ?? '') !== '') {
      errors.push(invalid(vp, '', 'may not be specified when `value` is not empty'));
    } else if (sources > 1) {
      errors.push(invalid(vp, '', 'may not have more than one field specified at a time'));
    }
  });
  return errors;
}

/**
 * Validates `envFrom`: an env-name prefix and exactly one of `configMapRef`/`secretRef`, each with a valid name.
 *
 * @example
 * validateEnvFrom([{}], 'envFrom'); // envFrom: Invalid value: "": must specify one of: `configMapRef` or `secretRef`
 */
export function validateEnvFrom(sources: readonly EnvFromSource[], path: string): FieldError[] {
  const errors: FieldError[] = [];
  sources.forEach((src, i) => {
    const p = at(path, i);
    if ((src.prefix ?? '') !== '') {
      for (const msg of isEnvVarName(src.prefix!)) errors.push(invalid(child(p, 'prefix'), src.prefix, msg));
    }
    let count = 0;
    for (const kind of ['configMapRef', 'secretRef'] as const) {
      const ref = src[kind];
      if (ref === undefined) continue;
      count++;
      const name = ref.name ?? '';
      if (name === '') errors.push(required(child(child(p, kind), 'name')));
      else for (const msg of isObjectName(name, true)) errors.push(invalid(child(child(p, kind), 'name'), name, msg));
    }
    if (count === 0) errors.push(invalid(path, '', 'must specify one of: `configMapRef` or `secretRef`'));
    else if (count > 1) errors.push(invalid(path, '', 'may not have more than one field specified at a time'));
  });
  return errors;
}
