/**
 * `validatePod`: what the API server says about a Pod on create. Like the API server it decodes strictly (unknown
 * fields and wrong JSON types), applies the defaults, then validates and collects every error instead of stopping
 * at the first. Warnings list what pod-init would ignore and what the manifest lacks.
 * @module
 */
import { UNKNOWN_FIELD, type FieldError } from './field-error';
import { applyDefaults } from './defaults';
import { referenceWarnings, type RelatedObjects } from './references';
import { checkObject } from './structure';
import type { Pod } from './types';
import { unsupportedWarning } from './unsupported';
import { validateObjectMeta, validateTypeMeta } from './validate-meta';
import { validatePodSpec } from './validate-spec';

export type { FieldError, FieldErrorType } from './field-error';
export { formatFieldError } from './field-error';
export type { RelatedObjects } from './references';

/** Errors (the pod would be rejected) and warnings (it would run, differently or not at all, under pod-init). */
export interface ValidationResult {
  errors: FieldError[];
  warnings: string[];
}

/** Whether `field` is `prefix` or lies under it. */
function under(field: string, prefix: string): boolean {
  return field === prefix || field.startsWith(`${prefix}.`) || field.startsWith(`${prefix}[`);
}

/**
 * Validates a Pod as the API server does on create, without throwing. `pod` is the parsed manifest (any JSON
 * value); `related`, when given, holds the ConfigMaps and Secrets of the same manifest, and references to others
 * become warnings.
 *
 * The summary warning (at most one) lists every field that is valid Kubernetes but that pod-init does not
 * implement; the others name missing ConfigMaps, Secrets and keys.
 *
 * @example
 * const { pod, configMaps, secrets } = parseManifests(text, 'pod.yaml');
 * const { errors, warnings } = validatePod(pod, { configMaps, secrets });
 * for (const e of errors) console.error(formatFieldError(e));
 * // spec.containers[1].name: Duplicate value: "web"
 * // spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "Never", "OnFailure"
 * // unknown field "spec.containers[0].imagePullPolcy"
 */
export function validatePod(pod: unknown, related?: RelatedObjects): ValidationResult {
  const decodeErrors: FieldError[] = [];
  const decoded = checkObject(pod, 'Pod', '', decodeErrors) as Pod | undefined;
  if (decoded === undefined) return { errors: decodeErrors, warnings: [] };
  // A missing spec or container list decodes to empty ones, as in Go, so only `spec.containers` is reported.
  const defaulted = applyDefaults({
    ...decoded,
    spec: { ...decoded.spec, containers: decoded.spec?.containers ?? [] },
  });
  const semantic = [
    ...validateTypeMeta(defaulted, 'Pod'),
    ...validateObjectMeta(defaulted.metadata ?? {}),
    ...validatePodSpec(defaulted.spec!, 'spec'),
  ];
  // A field that did not decode is not reported a second time (as missing or invalid) by the checks after it.
  const badTypes = decodeErrors.filter((e) => e.message !== UNKNOWN_FIELD).map((e) => e.field);
  const errors = [...decodeErrors, ...semantic.filter((e) => !badTypes.some((p) => under(e.field, p)))];
  const warnings = [
    ...unsupportedWarning(decoded),
    ...(related === undefined ? [] : referenceWarnings(decoded, related)),
  ];
  return { errors, warnings };
}
