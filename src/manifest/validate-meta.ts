/**
 * `apiVersion`/`kind` and `metadata` checks (`ValidateObjectMeta` of apimachinery), shared by Pod, ConfigMap and
 * Secret.
 * @module
 */
import { child, invalid, required, tooLong, unsupported, type FieldError } from './field-error';
import { isDNS1123Label, isLabelValue, isObjectName, isQualifiedName } from './formats';
import type { ObjectMeta } from './types';

/**
 * Checks that an object is `apiVersion: v1` of the given kind.
 *
 * @example
 * validateTypeMeta({ apiVersion: 'apps/v1', kind: 'Pod' }, 'Pod');
 * // apiVersion: Unsupported value: "apps/v1": supported values: "v1"
 */
export function validateTypeMeta(obj: { apiVersion?: string; kind?: string }, kind: string): FieldError[] {
  const errors: FieldError[] = [];
  if (obj.apiVersion === undefined || obj.apiVersion === '') errors.push(required('apiVersion'));
  else if (obj.apiVersion !== 'v1') errors.push(unsupported('apiVersion', obj.apiVersion, ['v1']));
  if (obj.kind === undefined || obj.kind === '') errors.push(required('kind'));
  else if (obj.kind !== kind) errors.push(unsupported('kind', obj.kind, [kind]));
  return errors;
}

/**
 * Validates object metadata as the API server does on create: `name` (or `generateName`, a prefix) a DNS-1123
 * subdomain, `namespace` a DNS-1123 label, label keys and values, annotation keys and their 256 KiB total, and
 * finalizer names.
 *
 * @example
 * validateObjectMeta({ name: 'Web_1' }).length; // 1: metadata.name: Invalid value: "Web_1": a lowercase RFC 1123 ...
 */
export function validateObjectMeta(meta: ObjectMeta, path = 'metadata'): FieldError[] {
  const errors: FieldError[] = [];
  if (meta.generateName !== undefined && meta.generateName !== '') {
    for (const msg of isObjectName(meta.generateName, true))
      errors.push(invalid(child(path, 'generateName'), meta.generateName, msg));
  }
  if (meta.name === undefined || meta.name === '') {
    if (meta.generateName === undefined || meta.generateName === '')
      errors.push(required(child(path, 'name'), 'name or generateName is required'));
  } else {
    for (const msg of isObjectName(meta.name, false)) errors.push(invalid(child(path, 'name'), meta.name, msg));
  }
  if (meta.namespace !== undefined && meta.namespace !== '') {
    for (const msg of isDNS1123Label(meta.namespace))
      errors.push(invalid(child(path, 'namespace'), meta.namespace, msg));
  }
  if (meta.generation !== undefined && meta.generation < 0) {
    errors.push(invalid(child(path, 'generation'), meta.generation, 'must be greater than or equal to 0'));
  }
  errors.push(...validateLabels(meta.labels, child(path, 'labels')));
  errors.push(...validateAnnotations(meta.annotations, child(path, 'annotations')));
  for (const finalizer of meta.finalizers ?? []) {
    for (const msg of isQualifiedName(finalizer)) errors.push(invalid(child(path, 'finalizers'), finalizer, msg));
  }
  return errors;
}

/**
 * Validates a label map (`metadata.labels`, `spec.nodeSelector`): qualified-name keys, label values.
 *
 * @example
 * validateLabels({ app: 'web' }, 'metadata.labels'); // []
 */
export function validateLabels(labels: Record<string, string> | undefined, path: string): FieldError[] {
  const errors: FieldError[] = [];
  for (const [key, value] of Object.entries(labels ?? {})) {
    for (const msg of isQualifiedName(key)) errors.push(invalid(path, key, msg));
    for (const msg of isLabelValue(value)) errors.push(invalid(path, value, msg));
  }
  return errors;
}

const totalAnnotationSizeLimit = 256 * 1024;

function validateAnnotations(annotations: Record<string, string> | undefined, path: string): FieldError[] {
  const errors: FieldError[] = [];
  let size = 0;
  for (const [key, value] of Object.entries(annotations ?? {})) {
    for (const msg of isQualifiedName(key.toLowerCase())) errors.push(invalid(path, key, msg));
    size += Buffer.byteLength(key) + Buffer.byteLength(value);
  }
  if (size > totalAnnotationSizeLimit) errors.push(tooLong(path, totalAnnotationSizeLimit));
  return errors;
}
