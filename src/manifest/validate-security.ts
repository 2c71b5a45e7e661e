/**
 * `securityContext` checks of the pod (`validatePodSpecSecurityContext`) and of containers
 * (`ValidateSecurityContext`): ID ranges, enums, and the combinations the API server refuses.
 * @module
 */
import { at, child, duplicate, invalid, required, unsupported, type FieldError } from './field-error';
import { isValidID } from './formats';
import type { AppArmorProfile, PodSecurityContext, SeccompProfile, SecurityContext } from './types';
import { localDescendingPath } from './validate-volumes';
import { unknownCapabilityMessage } from '../pod/security/capabilities';

function ids(sc: { runAsUser?: number; runAsGroup?: number }, path: string): FieldError[] {
  const errors: FieldError[] = [];
  for (const name of ['runAsUser', 'runAsGroup'] as const) {
    const id = sc[name];
    if (id !== undefined) for (const msg of isValidID(id)) errors.push(invalid(child(path, name), id, msg));
  }
  return errors;
}

function seccomp(sp: SeccompProfile | undefined, path: string): FieldError[] {
  if (sp === undefined) return [];
  const types = ['Localhost', 'RuntimeDefault', 'Unconfined'];
  const errors: FieldError[] = [];
  if ((sp.type as string) === '')
    errors.push(required(child(path, 'type'), 'type is required when seccompProfile is set'));
  else if (!types.includes(sp.type)) errors.push(unsupported(child(path, 'type'), sp.type, types));
  if (sp.type === 'Localhost') {
    if (sp.localhostProfile === undefined)
      errors.push(required(child(path, 'localhostProfile'), 'must be set when seccomp type is Localhost'));
    else errors.push(...localDescendingPath(sp.localhostProfile, child(path, 'localhostProfile')));
  } else if (sp.localhostProfile !== undefined) {
    errors.push(invalid(child(path, 'localhostProfile'), sp, 'can only be set when seccomp type is Localhost'));
  }
  return errors;
}

function appArmor(profile: AppArmorProfile | undefined, path: string): FieldError[] {
  if (profile === undefined) return [];
  const types = ['Localhost', 'RuntimeDefault', 'Unconfined'];
  if ((profile.type as string) === '')
    return [required(child(path, 'type'), 'type is required when appArmorProfile is set')];
  if (!types.includes(profile.type)) return [unsupported(child(path, 'type'), profile.type, types)];
  const local = profile.localhostProfile;
  if (profile.type !== 'Localhost') {
    return local === undefined
      ? []
      : [invalid(child(path, 'localhostProfile'), local, 'can only be set when AppArmor type is Localhost')];
  }
  if (local === undefined || local.trim() === '') {
    return [required(child(path, 'localhostProfile'), 'must be set when AppArmor type is Localhost')];
  }
  return local.trim() === local
    ? []
    : [invalid(child(path, 'localhostProfile'), local, 'must not be padded with whitespace')];
}

/**
 * Validates `spec.securityContext`.
 *
 * @example
 * validatePodSecurityContext({ runAsUser: -1 }, { hostPID: false }, 'spec.securityContext');
 * // spec.securityContext.runAsUser: Invalid value: -1: must be between 0 and 2147483647, inclusive
 */
export function validatePodSecurityContext(
  sc: PodSecurityContext,
  spec: { hostPID?: boolean; shareProcessNamespace?: boolean; hostNetwork?: boolean; hostIPC?: boolean },
  path: string,
): FieldError[] {
  const errors = ids(sc, path);
  if (sc.fsGroup !== undefined)
    for (const msg of isValidID(sc.fsGroup)) errors.push(invalid(child(path, 'fsGroup'), sc.fsGroup, msg));
  (sc.supplementalGroups ?? []).forEach((gid, i) => {
    for (const msg of isValidID(gid)) errors.push(invalid(at(child(path, 'supplementalGroups'), i), gid, msg));
  });
  if (spec.shareProcessNamespace === true && spec.hostPID === true) {
    errors.push(
      invalid(child(path, 'shareProcessNamespace'), true, 'ShareProcessNamespace and HostPID cannot both be enabled'),
    );
  }
  const names = new Set<string>();
  (sc.sysctls ?? []).forEach((s, i) => {
    const np = child(at(child(path, 'sysctls'), i), 'name');
    const re = /^([a-z0-9]([-_a-z0-9]*[a-z0-9])?[./])*[a-z0-9]([-_a-z0-9]*[a-z0-9])?$/;
    if (s.name === '') errors.push(required(np));
    else if (s.name.length > 253 || !re.test(s.name))
      errors.push(invalid(np, s.name, `must have at most 253 characters and match regex ${re.source}`));
    else if (names.has(s.name)) errors.push(duplicate(np, s.name));
    else if (spec.hostNetwork === true && s.name.startsWith('net.'))
      errors.push(invalid(np, s.name, "may not be specified when 'hostNetwork' is true"));
    names.add(s.name);
  });
  const enums: [keyof PodSecurityContext, string[]][] = [
    ['fsGroupChangePolicy', ['OnRootMismatch', 'Always']],
    ['supplementalGroupsPolicy', ['Merge', 'Strict']],
    ['seLinuxChangePolicy', ['Recursive', 'MountOption']],
  ];
  for (const [name, values] of enums) {
    const value = sc[name];
    if (typeof value === 'string' && !values.includes(value))
      errors.push(unsupported(child(path, name), value, values));
  }
  errors.push(
    ...seccomp(sc.seccompProfile, child(path, 'seccompProfile')),
    ...appArmor(sc.appArmorProfile, child(path, 'appArmorProfile')),
  );
  return errors;
}

/**
 * Capability names pod-init can apply: Kubernetes accepts any string, crun refuses an unknown name and
 * runc ignores it (a `drop` that silently keeps the capability), so pod-init refuses it here.
 */
function capabilityNames(sc: SecurityContext, path: string): FieldError[] {
  const errors: FieldError[] = [];
  for (const list of ['add', 'drop'] as const)
    (sc.capabilities?.[list] ?? []).forEach((name, i) => {
      const message = unknownCapabilityMessage(name);
      if (message !== undefined) errors.push(invalid(at(child(child(path, 'capabilities'), list), i), name, message));
    });
  return errors;
}

/**
 * Validates a container's `securityContext`; `hostUsers` is the pod's (default true).
 *
 * @example
 * validateSecurityContext({ privileged: true, allowPrivilegeEscalation: false }, 'spec.containers[0].securityContext');
 * // spec.containers[0].securityContext: Invalid value: {...}: cannot set `allowPrivilegeEscalation` to false and `privileged` to true
 */
export function validateSecurityContext(sc: SecurityContext, path: string, hostUsers = true): FieldError[] {
  const errors = [...ids(sc, path), ...capabilityNames(sc, path)];
  if (sc.allowPrivilegeEscalation === false) {
    if (sc.privileged === true) {
      errors.push(invalid(path, sc, 'cannot set `allowPrivilegeEscalation` to false and `privileged` to true'));
    }
    if ((sc.capabilities?.add ?? []).includes('CAP_SYS_ADMIN')) {
      errors.push(
        invalid(path, sc, 'cannot set `allowPrivilegeEscalation` to false and `capabilities.Add` CAP_SYS_ADMIN'),
      );
    }
  }
  if (sc.procMount !== undefined && !['Default', 'Unmasked'].includes(sc.procMount)) {
    errors.push(unsupported(child(path, 'procMount'), sc.procMount, ['Default', 'Unmasked']));
  } else if (sc.procMount === 'Unmasked' && hostUsers) {
    errors.push(invalid(child(path, 'procMount'), sc.procMount, '`hostUsers` must be false to use `Unmasked`'));
  }
  errors.push(
    ...seccomp(sc.seccompProfile, child(path, 'seccompProfile')),
    ...appArmor(sc.appArmorProfile, child(path, 'appArmorProfile')),
  );
  return errors;
}
