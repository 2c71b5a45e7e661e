/**
 * The error of a container that cannot be started as configured.
 * @module
 */

/**
 * A container that cannot be started as configured: becomes Waiting/CreateContainerConfigError.
 *
 * @example
 * throw new ContainerConfigError('configmap "app" not found');
 */
export class ContainerConfigError extends Error {}
