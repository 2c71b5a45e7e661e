/**
 * The manifest layer of `pod-init run pod.yaml`: parse the documents, validate the Pod as the API server would,
 * apply its defaults.
 * @module
 */
export { applyDefaults, defaultPullPolicy } from './defaults';
export { formatFieldError, UNKNOWN_FIELD, type FieldError, type FieldErrorType } from './field-error';
export { ManifestError, parseManifests, type Manifests } from './parse';
export { parseManifestSet, type ManifestInput, type PodManifests } from './manifest-set';
export { parseQuantity, QuantityError, tryParseQuantity } from './quantity';
export type { RelatedObjects } from './references';
export type * from './types';
export { validatePod, type ValidationResult } from './validate';
