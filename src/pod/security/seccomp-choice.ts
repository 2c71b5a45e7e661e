/**
 * Which seccomp profile a container gets (SECURITY.md §3.3, K3 `fieldSeccompProfile`): the container's
 * `seccompProfile`, else the pod's, else `RuntimeDefault`. That last default is pod-init's, as podman and
 * Docker do and as the kubelet does only with `--seccomp-default` (without it the kubelet sends
 * Unconfined). `privileged: true` gets no filter, whatever was asked (containerd `WithPrivileged`).
 * `Localhost` names a file under the seccomp profile root (the kubelet's `<root-dir>/seccomp`).
 *
 * Only the choice is made here; src/security/seccomp.ts loads and compiles it.
 * @module
 */
import path from 'node:path';

/** A v1 SeccompProfile. */
export interface SeccompProfileField {
  type: string;
  localhostProfile?: string;
}

/** The profile to apply. */
export type SeccompChoice =
  | { type: 'Unconfined' }
  | { type: 'RuntimeDefault' }
  /** `path` is `name` under `root` (src/security/seccomp.ts `loadLocalhostProfile(root, name, caps)` reads it). */
  | { type: 'Localhost'; path: string; root: string; name: string };

/** The kubelet's default profile root (`--root-dir` /var/lib/kubelet, + `seccomp`). */
export const defaultSeccompProfileRoot = '/var/lib/kubelet/seccomp';

/**
 * The seccomp profile of a container (see the module's description). `localhostProfile` was validated
 * as a relative path without `..` (validate-security.ts).
 *
 * @example
 * seccompChoice(undefined, undefined, false); // { type: 'RuntimeDefault' }
 * seccompChoice({ type: 'Localhost', localhostProfile: 'audit.json' }, { type: 'Unconfined' }, false);
 * // { type: 'Localhost', path: '/var/lib/kubelet/seccomp/audit.json', root: '/var/lib/kubelet/seccomp', name: 'audit.json' }
 */
export function seccompChoice(
  container: SeccompProfileField | undefined,
  pod: SeccompProfileField | undefined,
  privileged: boolean,
  profileRoot: string = defaultSeccompProfileRoot,
): SeccompChoice {
  if (privileged) return { type: 'Unconfined' };
  const chosen = container ?? pod;
  if (chosen === undefined || chosen.type === 'RuntimeDefault') return { type: 'RuntimeDefault' };
  if (chosen.type === 'Localhost') {
    const name = chosen.localhostProfile ?? '';
    return { type: 'Localhost', path: path.join(profileRoot, name), root: profileRoot, name };
  }
  return { type: 'Unconfined' };
}
