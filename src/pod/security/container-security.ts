/**
 * Everything a container's `securityContext` (over the pod's) means for its process, in one place:
 * capabilities, no_new_privs, seccomp choice, masked/read-only paths and /sys, a read-only root, and
 * its uid/gid/groups — or the kubelet's CreateContainerConfigError message when it must not start.
 * Container fields override pod fields one by one (K1 `DetermineEffectiveSecurityContext`).
 * @module
 */
import type { Capability, CapabilitySets } from '../../security/capabilities';
import type { MountStep } from '../../process/spawn';
import { type CapabilityChanges, containerCapabilities } from './capabilities';
import { type IdentityFields, containerIdentity, type UserDatabase } from './identity';
import {
  allMaskedPaths,
  hostPathKind,
  hostPossibleCpus,
  maskSteps,
  type PathKind,
  readOnlyPaths,
  sysSteps,
} from './masked-paths';
import { noNewPrivileges } from './no-new-privs';
import { type SeccompChoice, seccompChoice, type SeccompProfileField } from './seccomp-choice';

/** A container's securityContext, as far as it is carried out. */
export interface ContainerSecurityFields extends IdentityFields {
  capabilities?: CapabilityChanges;
  privileged?: boolean;
  allowPrivilegeEscalation?: boolean;
  readOnlyRootFilesystem?: boolean;
  procMount?: string;
  seccompProfile?: SeccompProfileField;
}

/** A pod's securityContext, as far as it is carried out. */
export interface PodSecurityFields extends IdentityFields {
  seccompProfile?: SeccompProfileField;
}

/** The pod and container fields read. */
export interface SecurityPod {
  metadata: { name: string; namespace?: string; uid?: string };
  spec: { hostNetwork?: boolean; securityContext?: PodSecurityFields };
}

/** Options of {@link containerSecurity}: what the node knows. */
export interface ContainerSecurityOptions {
  /** The root's /etc/passwd and /etc/group (identity.ts `readUserDatabase`). */
  users: UserDatabase;
  /** The image's `USER`; empty (root) until images supply it. */
  imageUser?: string;
  /** `--seccomp-profile-root`; default /var/lib/kubelet/seccomp. */
  seccompProfileRoot?: string;
  /** pod-init runs as root (a rootless pod on the host network cannot mount a fresh sysfs). */
  rootful: boolean;
  /**
   * Mount a fresh read-only sysfs on /sys (default true). False for a root whose /sys is already the
   * host's, read-only with its submounts (rootfs.ts host mode): that keeps /sys/fs/cgroup readable, where
   * a fresh sysfs would show an empty directory until the container's own cgroup is mounted there.
   */
  freshSysfs?: boolean;
  /** no_new_privs also when allowPrivilegeEscalation is unset (no-new-privs.ts). Default false: the kubelet's. */
  noNewPrivilegesByDefault?: boolean;
  /**
   * The pod has a user namespace of its own (`hostUsers: false`). `procMount: Unmasked` is honoured only
   * then: the API server demands hostUsers false for it, and without the namespace an unmasked /proc
   * would be the host's root's. Default false (pod-init does not make one yet).
   */
  userNamespace?: boolean;
  /** What a /proc or /sys path is on this kernel; default: the host's. */
  pathKind?: PathKind;
  /** What "all" capabilities are (privileged, `add: [ALL]`): the runtime's own; default every one the kernel has. */
  availableCapabilities?: readonly Capability[];
  /** `/sys/devices/system/cpu/possible`; default: the host's. */
  possibleCpus?: string;
}

/** What the runner passes to `sandbox.spawn` (and to exec probes and hooks). */
export interface ContainerSecurity {
  privileged: boolean;
  capabilities: CapabilitySets;
  noNewPrivileges: boolean;
  seccomp: SeccompChoice;
  /** /sys read-only, masked and read-only /proc paths: mount steps to run after pivot_root. */
  maskedSteps: MountStep[];
  /** The root is remounted read-only (rootfs.ts `readOnlyRoot`). */
  readOnlyRoot: boolean;
  uid: number;
  gid: number;
  groups: number[];
  /** CreateContainerConfigError messages (runAsNonRoot); the container must not start when any. */
  errors: string[];
}

/**
 * The security settings of one container (see the module's description).
 *
 * @example
 * const s = containerSecurity(pod, pod.spec.containers[0], { users: readUserDatabase('/'), rootful: true });
 * if (s.errors.length > 0) throw new ContainerConfigError(s.errors[0]);
 * sandbox.spawn({ …, uid: s.uid, gid: s.gid, groups: s.groups, capabilities: s.capabilities,
 *   noNewPrivileges: s.noNewPrivileges, mounts: [...rootSteps, ...s.maskedSteps] });
 */
export function containerSecurity(
  pod: SecurityPod,
  container: { name: string; securityContext?: ContainerSecurityFields },
  options: ContainerSecurityOptions,
): ContainerSecurity {
  const podSc = pod.spec.securityContext ?? {};
  const sc = container.securityContext ?? {};
  const privileged = sc.privileged === true;
  const m = pod.metadata;
  const identity = containerIdentity({
    security: {
      ...pick(podSc, sc, 'runAsUser', 'runAsGroup', 'runAsNonRoot'),
      ...pick(podSc, {}, 'supplementalGroups', 'supplementalGroupsPolicy', 'fsGroup'),
    },
    imageUser: options.imageUser ?? '',
    users: options.users,
    podRef: `${m.name}_${m.namespace ?? 'default'}(${m.uid ?? ''})`,
    container: container.name,
  });
  const errors = 'error' in identity ? [identity.error] : [];
  const ids = 'error' in identity ? { uid: 0, gid: 0, groups: [0] } : identity;
  const maskedSteps: MountStep[] = [];
  if (!privileged) {
    if (options.freshSysfs !== false) maskedSteps.push(...sysSteps(options.rootful || pod.spec.hostNetwork !== true));
    if (sc.procMount !== 'Unmasked' || options.userNamespace !== true)
      maskedSteps.push(
        ...maskSteps({
          masked: allMaskedPaths(options.possibleCpus ?? hostPossibleCpus()),
          readOnly: readOnlyPaths,
          kind: options.pathKind ?? hostPathKind,
        }),
      );
  }
  return {
    privileged,
    capabilities: containerCapabilities(sc.capabilities, privileged, options.availableCapabilities),
    noNewPrivileges: noNewPrivileges(sc, { byDefault: options.noNewPrivilegesByDefault === true }),
    seccomp: seccompChoice(sc.seccompProfile, podSc.seccompProfile, privileged, options.seccompProfileRoot),
    maskedSteps,
    readOnlyRoot: sc.readOnlyRootFilesystem === true,
    ...ids,
    errors,
  };
}

/** `keys` of `over`, else of `base`. */
function pick<K extends keyof IdentityFields>(
  base: IdentityFields,
  over: IdentityFields,
  ...keys: K[]
): Pick<IdentityFields, K> {
  const out = {} as Pick<IdentityFields, K>;
  for (const key of keys) {
    const value = over[key] ?? base[key];
    if (value !== undefined) out[key] = value;
  }
  return out;
}
