/**
 * `resources` checks (`validateResourceRequirements`): resource names, quantities, requests within limits, and the
 * rules for resources that cannot be overcommitted (huge pages, extended resources).
 * @module
 */
import { at, child, forbidden, invalid, required, type FieldError } from './field-error';
import { isQualifiedName } from './formats';
import { tryParseQuantity } from './quantity';
import type { Quantity, ResourceRequirements } from './types';

/** `helper.IsIntegerResourceName` for core names: object counts. */
const countResources = new Set([
  'pods',
  'services',
  'replicationcontrollers',
  'resourcequotas',
  'secrets',
  'configmaps',
  'persistentvolumeclaims',
  'services.nodeports',
  'services.loadbalancers',
]);

/** `helper.IsStandardResourceName`: every resource name the core API knows without a domain (the counts too). */
const standardResources = new Set([
  'cpu',
  'memory',
  'ephemeral-storage',
  'requests.cpu',
  'requests.memory',
  'requests.ephemeral-storage',
  'limits.cpu',
  'limits.memory',
  'limits.ephemeral-storage',
  'storage',
  'requests.storage',
  ...countResources,
]);

const isHugePages = (name: string): boolean => name.startsWith('hugepages-');
const isNative = (name: string): boolean => !name.includes('/') || name.includes('kubernetes.io/');
const isExtended = (name: string): boolean =>
  !isNative(name) && !name.startsWith('requests.') && isQualifiedName(`requests.${name}`).length === 0;
const overcommitAllowed = (name: string): boolean => isNative(name) && !isHugePages(name);

/**
 * Validates a container resource name (`validateContainerResourceName`).
 *
 * @example
 * validateResourceName('gpu', 'resources.limits[gpu]').length; // 2: not standard, not a container resource
 */
export function validateResourceName(name: string, path: string): FieldError[] {
  const errors = isQualifiedName(name).map((msg) => invalid(path, name, msg));
  if (errors.length > 0) return errors;
  if (!name.includes('/')) {
    if (!standardResources.has(name) && !isHugePages(name)) {
      errors.push(invalid(path, name, 'must be a standard resource type or fully qualified'));
    }
    if (!['cpu', 'memory', 'ephemeral-storage'].includes(name) && !isHugePages(name)) {
      errors.push(invalid(path, name, 'must be a standard resource for containers'));
    }
  } else if (!isNative(name) && !isExtended(name)) {
    errors.push(invalid(path, name, "doesn't follow extended resource name standard"));
  }
  return errors;
}

/** The page size of `hugepages-2Mi`, or undefined when the name does not carry one. */
function pageSize(name: string): number | undefined {
  const parsed = tryParseQuantity(name.slice('hugepages-'.length));
  return parsed.ok && parsed.value > 0 ? parsed.value : undefined;
}

function validateQuantity(name: string, q: Quantity, path: string): FieldError[] {
  const parsed = tryParseQuantity(q);
  if (!parsed.ok) return []; // reported when the manifest was decoded
  const shown = String(q).trim();
  const errors: FieldError[] = [];
  if (parsed.value < 0) errors.push(invalid(path, shown, 'must be greater than or equal to 0'));
  if ((isExtended(name) || countResources.has(name)) && !Number.isInteger(parsed.value))
    errors.push(invalid(path, shown, 'must be an integer'));
  const page = isHugePages(name) ? pageSize(name) : undefined;
  if (page !== undefined && parsed.value % page !== 0) {
    errors.push(invalid(path, shown, `${shown} is not positive integer multiple of ${name}`));
  }
  return errors;
}

/**
 * Validates `resources` of a container (after defaulting, so requests already include limits that had none).
 *
 * @example
 * validateResources({ requests: { cpu: '2' }, limits: { cpu: '1' } }, 'spec.containers[0].resources', new Set());
 * // spec.containers[0].resources.requests: Invalid value: "2": must be less than or equal to cpu limit of 1
 */
export function validateResources(
  res: ResourceRequirements,
  path: string,
  podClaims: ReadonlySet<string>,
): FieldError[] {
  const errors: FieldError[] = [];
  const limPath = child(path, 'limits');
  const reqPath = child(path, 'requests');
  const limits = res.limits ?? {};
  const requests = res.requests ?? {};
  const computeNames = new Set(['cpu', 'memory']);
  let hugePages = false;
  let compute = false;
  for (const [name, q] of Object.entries(limits)) {
    const p = at(limPath, name);
    errors.push(...validateResourceName(name, p), ...validateQuantity(name, q, p));
    hugePages ||= isHugePages(name);
    compute ||= computeNames.has(name);
  }
  for (const [name, q] of Object.entries(requests)) {
    const p = at(reqPath, name);
    errors.push(...validateResourceName(name, p), ...validateQuantity(name, q, p));
    hugePages ||= isHugePages(name);
    compute ||= computeNames.has(name);
    const limit = limits[name];
    const request = tryParseQuantity(q);
    if (limit !== undefined && request.ok) {
      const limitValue = tryParseQuantity(limit);
      if (!limitValue.ok) continue;
      const shown = String(q).trim();
      if (request.value !== limitValue.value && !overcommitAllowed(name)) {
        errors.push(invalid(reqPath, shown, `must be equal to ${name} limit of ${String(limit).trim()}`));
      } else if (request.value > limitValue.value) {
        errors.push(invalid(reqPath, shown, `must be less than or equal to ${name} limit of ${String(limit).trim()}`));
      }
    } else if (limit === undefined && !overcommitAllowed(name)) {
      errors.push(required(limPath, 'Limit must be set for non overcommitable resources'));
    }
  }
  if (hugePages && !compute) errors.push(forbidden(path, 'HugePages require cpu or memory'));
  const seen = new Set<string>();
  (res.claims ?? []).forEach((claim, i) => {
    const cp = at(child(path, 'claims'), i);
    if (claim.name === '') return errors.push(required(cp));
    const key = claim.request === undefined || claim.request === '' ? claim.name : `${claim.name}/${claim.request}`;
    if (seen.has(claim.name) || seen.has(key)) errors.push({ field: cp, type: 'Duplicate', message: '', value: key });
    seen.add(key);
    if (!podClaims.has(claim.name)) {
      const names = [...podClaims].sort();
      const detail = names.length === 0 ? ' which is empty' : `: ${names.join(', ')}`;
      errors.push({
        field: cp,
        type: 'NotFound',
        message: `must be one of the names in pod.spec.resourceClaims${detail}`,
        value: claim.name,
      });
    }
  });
  return errors;
}
