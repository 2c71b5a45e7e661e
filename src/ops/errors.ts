/**
 * Errors of the read-only verbs, worded as kubectl words them (scripts grep the `(Reason)` token);
 * the CLI prints the message as it is and exits 1.
 * @module
 */

/**
 * A failure kubectl reports in these words.
 *
 * @example
 * throw new KubectlError('Error from server (NotFound): pods "web" not found');
 */
export class KubectlError extends Error {}
Object.defineProperty(KubectlError.prototype, 'name', { value: 'KubectlError', enumerable: false });

/**
 * `Error from server (NotFound): pods "NAME" not found`.
 *
 * @example
 * podNotFound('web').message; // 'Error from server (NotFound): pods "web" not found'
 */
export function podNotFound(name: string): KubectlError {
  return new KubectlError(`Error from server (NotFound): pods "${name}" not found`);
}
