/**
 * Whether a container runs with `no_new_privs`, as the kubelet decides it (K1 `AddNoNewPrivileges`):
 * only when `allowPrivilegeEscalation` is false. Unset means off — the kubelet's rule for nil, and
 * what E15 of SECURITY.md expects ("unset → euid 0, the K8s default"); containerd's CRI path resets the
 * OCI default and sets it only when asked.
 *
 * The wording ("no_new_privs unless allowPrivilegeEscalation: true or privileged or
 * CAP_SYS_ADMIN") is the defaulting the pod security admission's `restricted` level / the old
 * PodSecurityPolicy's `defaultAllowPrivilegeEscalation: false` applied, not the kubelet's rule: it is
 * available as `byDefault: true`, off by default.
 * @module
 */

/** The fields the decision reads (container values, already merged over nothing: these are container-only). */
export interface EscalationFields {
  allowPrivilegeEscalation?: boolean;
  privileged?: boolean;
  capabilities?: { add?: readonly string[] };
}

/** Options of {@link noNewPrivileges}. */
export interface NoNewPrivilegesOptions {
  /**
   * Set no_new_privs also when `allowPrivilegeEscalation` is unset, unless the container is privileged
   * or adds SYS_ADMIN (the API server's defaulting under PSP/`restricted`). Default false: the kubelet's rule.
   */
  byDefault?: boolean;
}

const addsSysAdmin = (add: readonly string[] | undefined): boolean =>
  (add ?? []).some((name) => ['SYS_ADMIN', 'CAP_SYS_ADMIN', 'ALL'].includes(name.toUpperCase()));

/**
 * True when the container's process gets `PR_SET_NO_NEW_PRIVS`.
 *
 * @example
 * noNewPrivileges({ allowPrivilegeEscalation: false }); // true
 * noNewPrivileges({}); // false (the kubelet: nil → false)
 * noNewPrivileges({}, { byDefault: true }); // true
 */
export function noNewPrivileges(sc: EscalationFields | undefined, options: NoNewPrivilegesOptions = {}): boolean {
  if (sc?.allowPrivilegeEscalation !== undefined) return !sc.allowPrivilegeEscalation;
  if (options.byDefault !== true) return false;
  return sc?.privileged !== true && !addsSysAdmin(sc?.capabilities?.add);
}
