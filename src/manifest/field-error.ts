/**
 * Field errors in the API server's shape (`k8s.io/apimachinery/pkg/util/validation/field`): a field path, an error
 * type, the offending value and a detail, printed as `<path>: <Type>[: <value>][: <detail>]`.
 * @module
 */

/** The API server's field error types, named as in `field.ErrorType` without the `FieldValue` prefix. */
export type FieldErrorType =
  'Required' | 'Invalid' | 'Duplicate' | 'Unsupported' | 'NotFound' | 'Forbidden' | 'TooLong' | 'TooMany';

/** One problem with one field. `message` is the API server's detail (may be empty); `value` the bad value, if shown. */
export interface FieldError {
  field: string;
  type: FieldErrorType;
  message: string;
  value?: unknown;
}

/**
 * The message of an unknown field: strict field validation rejects fields the schema does not declare, and
 * {@link formatFieldError} prints such an error as `unknown field "<path>"`, the way `kubectl apply --validate=strict`
 * reports it.
 */
export const UNKNOWN_FIELD = 'field not declared in schema';

const labels: Record<FieldErrorType, string> = {
  Required: 'Required value',
  Invalid: 'Invalid value',
  Duplicate: 'Duplicate value',
  Unsupported: 'Unsupported value',
  NotFound: 'Not found',
  Forbidden: 'Forbidden',
  TooLong: 'Too long',
  TooMany: 'Too many',
};

/** Types whose printed form includes the bad value (the others print only the type and the detail). */
const showsValue = new Set<FieldErrorType>(['Invalid', 'Duplicate', 'Unsupported', 'NotFound', 'TooMany']);

/**
 * Prints a field error in the API server's wording.
 *
 * @example
 * formatFieldError({ field: 'spec.containers[1].name', type: 'Duplicate', message: '', value: 'web' });
 * // => 'spec.containers[1].name: Duplicate value: "web"'
 * formatFieldError(required('spec.containers[0].image'));
 * // => 'spec.containers[0].image: Required value'
 */
export function formatFieldError(e: FieldError): string {
  if (e.message === UNKNOWN_FIELD) return `unknown field ${JSON.stringify(e.field)}`;
  let body = labels[e.type];
  if (showsValue.has(e.type) && e.value !== undefined) body += `: ${formatValue(e.value)}`;
  if (e.message !== '') body += `: ${e.message}`;
  return `${e.field}: ${body}`;
}

/** Go prints strings with %q and numbers and booleans bare; anything else as JSON. */
function formatValue(value: unknown): string {
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value) ?? String(value);
}

/**
 * A `Required value` error.
 *
 * @example
 * required('spec.containers[0].image'); // spec.containers[0].image: Required value
 */
export function required(field: string, message = ''): FieldError {
  return { field, type: 'Required', message };
}

/**
 * An `Invalid value` error.
 *
 * @example
 * invalid('spec.activeDeadlineSeconds', 0, 'must be between 1 and 2147483647, inclusive');
 */
export function invalid(field: string, value: unknown, message: string): FieldError {
  return { field, type: 'Invalid', message, value };
}

/**
 * A `Duplicate value` error.
 *
 * @example
 * duplicate('spec.volumes[1].name', 'data'); // spec.volumes[1].name: Duplicate value: "data"
 */
export function duplicate(field: string, value: unknown): FieldError {
  return { field, type: 'Duplicate', message: '', value };
}

/**
 * An `Unsupported value` error listing the supported values, sorted and quoted as the API server prints them.
 *
 * @example
 * unsupported('spec.restartPolicy', 'Sometimes', ['Always', 'OnFailure', 'Never']);
 * // spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "Never", "OnFailure"
 */
export function unsupported(field: string, value: unknown, supported: readonly string[]): FieldError {
  const list = [...supported].sort().map((v) => JSON.stringify(v));
  return { field, type: 'Unsupported', message: list.length > 0 ? `supported values: ${list.join(', ')}` : '', value };
}

/**
 * A `Not found` error: a reference to something that does not exist.
 *
 * @example
 * notFound('spec.containers[0].volumeMounts[0].name', 'cache'); // ...: Not found: "cache"
 */
export function notFound(field: string, value: unknown): FieldError {
  return { field, type: 'NotFound', message: '', value };
}

/**
 * A `Forbidden` error.
 *
 * @example
 * forbidden('spec.initContainers[0].livenessProbe', 'may not be set for init containers without restartPolicy=Always');
 */
export function forbidden(field: string, message: string): FieldError {
  return { field, type: 'Forbidden', message };
}

/**
 * A `Too long` error for a value over `max` bytes.
 *
 * @example
 * tooLong('metadata.annotations', 262144); // metadata.annotations: Too long: may not be more than 262144 bytes
 */
export function tooLong(field: string, max: number): FieldError {
  return { field, type: 'TooLong', message: `may not be more than ${max} ${max === 1 ? 'byte' : 'bytes'}` };
}

/**
 * A `Too many` error for a list of `actual` items over `max` (`field.TooMany`).
 *
 * @example
 * tooMany('spec.containers[0].restartPolicyRules', 21, 20);
 * // spec.containers[0].restartPolicyRules: Too many: 21: must have at most 20 items
 */
export function tooMany(field: string, actual: number, max: number): FieldError {
  return { field, type: 'TooMany', message: `must have at most ${max} items`, value: actual };
}

/**
 * An unknown-field error (see {@link UNKNOWN_FIELD}).
 *
 * @example
 * formatFieldError(unknownField('spec.containers[0].imagePullPolcy'));
 * // => 'unknown field "spec.containers[0].imagePullPolcy"'
 */
export function unknownField(field: string): FieldError {
  return { field, type: 'NotFound', message: UNKNOWN_FIELD };
}

/**
 * Appends a child field name to a path (`field.Path.Child`).
 *
 * @example
 * child('spec', 'containers'); // 'spec.containers'
 */
export function child(path: string, name: string): string {
  return path === '' ? name : `${path}.${name}`;
}

/**
 * Appends a list index or a map key to a path (`field.Path.Index` / `Key`).
 *
 * @example
 * at('spec.containers', 0); // 'spec.containers[0]'
 * at('resources.limits', 'cpu'); // 'resources.limits[cpu]'
 */
export function at(path: string, indexOrKey: number | string): string {
  return `${path}[${indexOrKey}]`;
}
