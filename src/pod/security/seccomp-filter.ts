/**
 * The compiled seccomp filter of a container's {@link SeccompChoice}, through src/security/seccomp.ts:
 * containerd's RuntimeDefault for its capability bounding set, or its Localhost file; none for
 * Unconfined. Compiled filters are cached by content there, so containers with the same profile share one.
 * @module
 */
import type { Capability } from '../../security/capabilities';
import {
  compileSeccomp,
  loadLocalhostProfile,
  runtimeDefaultProfile,
  type SeccompFilter,
} from '../../security/seccomp';
import type { SeccompChoice } from './seccomp-choice';

/**
 * The filter to load, undefined for Unconfined. Throws `SeccompProfileError` for a Localhost profile that
 * cannot be read or parsed (the runner's CreateContainerError), or a compile error.
 *
 * @example
 * sandbox.spawn({ …, seccomp: seccompFilter({ type: 'RuntimeDefault' }, security.capabilities.bounding) });
 */
export function seccompFilter(
  choice: SeccompChoice,
  bounding: readonly Capability[],
  options: { cacheDir?: string } = {},
): SeccompFilter | undefined {
  if (choice.type === 'Unconfined') return undefined;
  const profile =
    choice.type === 'RuntimeDefault'
      ? runtimeDefaultProfile(bounding)
      : loadLocalhostProfile(choice.root, choice.name, bounding);
  return compileSeccomp(profile, options);
}
