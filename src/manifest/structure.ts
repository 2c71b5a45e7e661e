/**
 * The decoding step the API server does before validation: every field must be declared by the schema (strict field
 * validation) and hold the JSON type its Go field has. Problems become field errors; the result is a copy with the
 * bad and unknown parts removed, so the semantic checks after it can trust the types.
 * @module
 */
import { at, child, invalid, unknownField, type FieldError } from './field-error';
import { tryParseQuantity } from './quantity';
import { schema, type TypeName } from './schema';

/** JSON type names as OpenAPI uses them in messages. */
function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

/**
 * Whether a value is a plain JSON object (not an array, not null).
 *
 * @example
 * isObject({}); // true
 * isObject([]); // false
 */
export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Sets a key as an own property even when it is `__proto__` (plain assignment would change the prototype and drop
 * the key), so decoded maps keep every key the manifest has.
 */
function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

function typeError(path: string, value: unknown, expected: string): FieldError {
  const actual = jsonType(value);
  return invalid(path, actual, `${path} in body must be of type ${expected}: ${JSON.stringify(actual)}`);
}

const base64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Checks one scalar; returns the value to keep, or undefined after recording why not. */
function scalar(kind: string, value: unknown, path: string, errors: FieldError[]): unknown {
  switch (kind) {
    case 'any':
      return value;
    case 'string':
    case 'time':
      if (typeof value === 'string') return value;
      errors.push(typeError(path, value, 'string'));
      return undefined;
    case 'bytes':
      if (typeof value !== 'string') {
        errors.push(typeError(path, value, 'string'));
        return undefined;
      }
      if (base64.test(value.replace(/\s/g, ''))) return value;
      errors.push(invalid(path, '<value omitted>', 'must be base64-encoded data'));
      return undefined;
    case 'boolean':
      if (typeof value === 'boolean') return value;
      errors.push(typeError(path, value, 'boolean'));
      return undefined;
    case 'int32':
    case 'int64':
      if (typeof value === 'number' && Number.isInteger(value)) {
        if (kind === 'int32' && (value > 2147483647 || value < -2147483648)) {
          errors.push(invalid(path, value, 'must be a 32-bit integer'));
          return undefined;
        }
        // Go's decoder refuses a number that does not fit the int64 (2^63, as a double, stands for 2^63 - 1).
        if (kind === 'int64' && (value > 2 ** 63 || value < -(2 ** 63))) {
          errors.push(invalid(path, value, 'must be a 64-bit integer'));
          return undefined;
        }
        return value;
      }
      errors.push(typeError(path, value, 'integer'));
      return undefined;
    case 'intOrString':
      if (typeof value === 'string' || (typeof value === 'number' && Number.isInteger(value))) return value;
      errors.push(typeError(path, value, 'integer or string'));
      return undefined;
    case 'quantity': {
      if (typeof value !== 'string' && typeof value !== 'number') {
        errors.push(typeError(path, value, 'string or number'));
        return undefined;
      }
      const parsed = tryParseQuantity(value);
      if (parsed.ok) return value;
      errors.push(invalid(path, value, parsed.reason));
      return undefined;
    }
    default:
      return checkObject(value, kind as TypeName, path, errors);
  }
}

/** Go's zero value of a field's type: what a missing required field decodes to. */
function zeroOf(kind: string): unknown {
  if (kind.endsWith('[]')) return [];
  if (kind.startsWith('map<')) return {};
  if (kind in schema) return checkObject({}, kind as TypeName, '', []);
  if (kind === 'boolean') return false;
  if (kind === 'int32' || kind === 'int64' || kind === 'intOrString') return 0;
  return '';
}

function field(kind: string, value: unknown, path: string, errors: FieldError[]): unknown {
  if (kind.endsWith('[]')) {
    if (!Array.isArray(value)) {
      errors.push(typeError(path, value, 'array'));
      return undefined;
    }
    const item = kind.slice(0, -2);
    // Items keep their index: a null item is the zero value, as Go decodes it, and so is a bad one (its errors are
    // already recorded, and errors under a path with a type error are not reported again).
    return value.map(
      (v: unknown, i) => (v === null ? undefined : scalar(item, v, at(path, i), errors)) ?? zeroOf(item),
    );
  }
  const map = /^map<(\w+)>$/.exec(kind);
  if (map !== null) {
    if (!isObject(value)) {
      errors.push(typeError(path, value, 'object'));
      return undefined;
    }
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      const kept = v === null ? undefined : scalar(map[1]!, v, at(path, k), errors);
      if (kept !== undefined) setOwn(out, k, kept);
    }
    return out;
  }
  return scalar(kind, value, path, errors);
}

/**
 * Checks a value against an object type of the schema: unknown fields and wrong JSON types become field errors
 * (with the API server's wording), `null` counts as absent, as in Go's decoder. Returns the value without the bad
 * parts and with Go's zero value in every required field that is missing, or undefined when the value is not an
 * object at all.
 *
 * @example
 * const errors: FieldError[] = [];
 * checkObject({ image: 'nginx', imagePullPolcy: 'Always' }, 'Container', 'spec.containers[0]', errors);
 * // => { image: 'nginx', name: '' }; errors: unknown field "spec.containers[0].imagePullPolcy"
 */
export function checkObject(value: unknown, type: TypeName, path: string, errors: FieldError[]): unknown {
  if (!isObject(value)) {
    errors.push(typeError(path === '' ? '<root>' : path, value, 'object'));
    return undefined;
  }
  const fields = schema[type] as Record<string, string>;
  const out: Record<string, unknown> = {};
  for (const [name, v] of Object.entries(value)) {
    // Own properties only: `constructor`, `toString` or `__proto__` are unknown fields, not Object.prototype's.
    const kind = Object.hasOwn(fields, name) ? fields[name] : undefined;
    const fieldPath = child(path, name);
    if (kind === undefined) {
      errors.push(unknownField(fieldPath));
      continue;
    }
    if (v === null) continue;
    const kept = field(kind.replace(/^!/, ''), v, fieldPath, errors);
    if (kept !== undefined) out[name] = kept;
  }
  // Required fields that are missing (or did not decode) hold their zero value, as after Go's decoder, so the
  // types are true for the checks after this one.
  for (const [name, kind] of Object.entries(fields)) {
    if (kind.startsWith('!') && out[name] === undefined) out[name] = zeroOf(kind.slice(1));
  }
  return out;
}
