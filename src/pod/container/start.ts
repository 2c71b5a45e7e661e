/**
 * What a container's start is made of, before its spawn (the kubelet's startContainer up to the CRI's
 * CreateContainer): its environment and command (the image config applied as containerd applies it),
 * its security (ids, capabilities, no_new_privs, seccomp), its root's mounts and working directory. A
 * problem is the container's waiting reason (`CreateContainerConfigError`, `CreateContainerError`), not a
 * throw; the runner spawns what is prepared.
 * @module
 */
import path from 'node:path';
import type { MemberOptions } from '../../sandbox';
import type { MountStep } from '../../process/spawn';
import type { SeccompFilter } from '../../security/seccomp';
import type { StoredImage } from '../../image/pull';
import { imageArgv, imageEnv } from '../../image/image-config';
import { layeredUserDatabase, makeWorkingDir } from '../../image/layers';
import { closeMountFds, containerRootMounts, type PodFiles, removeInstanceRoot } from '../container-root';
import { containerArgv, ContainerConfigError, containerEnv } from '../environment';
import { nodeAllocatable } from '../node-allocatable';
import type { Instance } from '../records';
import { containerSecurity, type ContainerSecurity } from '../security/container-security';
import { runtimeCapabilities } from '../security/capabilities';
import { seccompFilter } from '../security/seccomp-filter';
import { readUserDatabase } from '../security/identity';
import type { ContainerSpec, PodSpecObject, RelatedObjects } from '../types';

/** What {@link prepareStart} needs of the pod and the runner. */
export interface StartContext {
  pod: PodSpecObject;
  related: RelatedObjects;
  hostname: string;
  podIP: string;
  stateDir: string;
  /** The container's pulled image, if it names one. */
  pulled?: StoredImage;
  /** Its `--image NAME=DIR` root, if any. */
  imageDir?: string;
  /** pod-init runs as root. */
  root: boolean;
  /** The sandbox has a user namespace of its own. */
  userNamespace: boolean;
  noNewPrivilegesByDefault: boolean;
  seccompProfileRoot?: string;
  /** What the container's root is made from (read only once the rest is valid). */
  podFiles: () => PodFiles;
}

/** The ids, capabilities and filters a container (and its exec probes and hooks) runs with. */
export type Confinement = {
  uid?: number;
  gid?: number;
  groups?: number[];
  capabilities: ContainerSecurity['capabilities'];
  noNewPrivileges: boolean;
  seccomp?: SeccompFilter;
};

/** A start ready to spawn. */
export interface PreparedStart {
  ok: true;
  argv: string[];
  env: Map<string, string>;
  cwd: string;
  mounts: MountStep[];
  confinement: Confinement;
}

/** Why a start cannot be made (the container waits with this reason). */
export interface StartProblem {
  ok: false;
  reason: 'CreateContainerConfigError' | 'CreateContainerError';
  message: string;
}

/**
 * The `Pulled` event's message of a start (the kubelet's EnsureImageExists, its first step).
 *
 * @example
 * pulledMessage('busybox', true); // 'Container image "busybox" already present on machine'
 */
export function pulledMessage(image: string, present: boolean): string {
  return present
    ? `Container image ${JSON.stringify(image)} already present on machine`
    : `Container image ${JSON.stringify(image)} not pulled: no --image for it, the container runs on the host's filesystem`;
}

/**
 * The ids to spawn a container (and its exec probes and hooks) with. Plain root is left as it is when
 * pod-init is not root: a rootless pod's user namespace maps one id and cannot setgroups.
 *
 * @example
 * identity(security, false); // {} for plain root without root
 */
export function identity(
  security: ContainerSecurity,
  root: boolean,
): { uid?: number; gid?: number; groups?: number[] } {
  const plainRoot = security.uid === 0 && security.gid === 0 && security.groups.every((g) => g === 0);
  if (plainRoot && !root) return {};
  return { uid: security.uid, gid: security.gid, groups: security.groups };
}

/**
 * Prepares a container's start for `instance` (its root's directory and mounts are attached to it); a
 * {@link StartProblem} when it cannot start. Other errors (bugs, the host failing) throw.
 *
 * @example
 * const prepared = prepareStart(spec, instance, ctx);
 * if (!prepared.ok) waitWith(prepared.reason, prepared.message);
 */
export function prepareStart(spec: ContainerSpec, instance: Instance, ctx: StartContext): PreparedStart | StartProblem {
  const problem = (reason: StartProblem['reason'], message: string): StartProblem => ({ ok: false, reason, message });
  const pulled = ctx.pulled;
  let env: Map<string, string>;
  let argv: string[];
  try {
    env = containerEnv(ctx.pod, spec, ctx.related, ctx.hostname, ctx.podIP, nodeAllocatable(ctx.stateDir));
    argv = containerArgv(spec, env);
    if (pulled !== undefined) {
      // The image config, as the kubelet and containerd apply it (src/image/image-config.ts).
      const ownPath = (spec.env ?? []).some((e) => e.name === 'PATH');
      env = imageEnv(pulled.config, env, ownPath ? new Set() : new Set(['PATH']));
      argv = imageArgv(
        { hasCommand: spec.command !== undefined, hasArgs: spec.args !== undefined },
        argv,
        pulled.config,
      );
    }
  } catch (error) {
    if (!(error instanceof ContainerConfigError)) throw error;
    return problem('CreateContainerConfigError', error.message);
  }
  if (argv.length === 0) return problem('CreateContainerError', 'no command specified');
  const security = containerSecurity(ctx.pod, spec, {
    users: pulled ? layeredUserDatabase([...pulled.layers].reverse()) : readUserDatabase(ctx.imageDir ?? '/'),
    ...(pulled?.config.config?.User ? { imageUser: pulled.config.config.User } : {}),
    rootful: ctx.root,
    availableCapabilities: runtimeCapabilities(),
    // host mode binds the host's /sys read-only already (rootfs.ts)
    freshSysfs: ctx.imageDir !== undefined || pulled !== undefined,
    noNewPrivilegesByDefault: ctx.noNewPrivilegesByDefault,
    userNamespace: ctx.userNamespace, // procMount: Unmasked is honoured there
    ...(ctx.seccompProfileRoot !== undefined ? { seccompProfileRoot: ctx.seccompProfileRoot } : {}),
  });
  if (security.errors.length > 0) return problem('CreateContainerConfigError', security.errors[0]!);
  let seccomp: SeccompFilter | undefined;
  try {
    seccomp = seccompFilter(security.seccomp, security.capabilities.bounding, {
      // Kept across runs beside the pods' state (libseccomp takes ~20 ms per profile; a read, ~0.1 ms).
      cacheDir: path.join(path.dirname(ctx.stateDir), '.cache', 'seccomp'),
    });
  } catch (error) {
    // containerd: the profile cannot be generated, CreateContainer fails.
    const why = error instanceof Error ? error.message : String(error);
    return problem('CreateContainerError', `failed to generate seccomp spec opts: ${why}`);
  }
  const confinement: Confinement = {
    ...identity(security, ctx.root),
    capabilities: security.capabilities,
    noNewPrivileges: security.noNewPrivileges,
    ...(seccomp !== undefined ? { seccomp } : {}),
  };
  let mounts: MountStep[];
  try {
    // The root ends in pivot_root (and its read-only remounts); /sys and the masks come after it.
    mounts = [
      ...containerRootMounts(ctx.podFiles(), spec, env, instance, { readOnlyRoot: security.readOnlyRoot }),
      ...security.maskedSteps,
    ];
  } catch (error) {
    if (!(error instanceof ContainerConfigError)) throw error;
    return problem('CreateContainerConfigError', error.message);
  }
  const workingDir = spec.workingDir ?? pulled?.config.config?.WorkingDir;
  if (pulled !== undefined && workingDir !== undefined && instance.rootDir !== undefined)
    try {
      makeWorkingDir(
        [...pulled.layers].reverse(),
        path.join(instance.rootDir, 'upper'),
        workingDir,
        ctx.root ? { uid: security.uid, gid: security.gid } : undefined,
      );
    } catch (error) {
      closeMountFds(instance);
      removeInstanceRoot(instance.rootDir);
      const why = error instanceof Error ? error.message : String(error);
      return problem('CreateContainerError', `creating the working directory ${workingDir}: ${why}`);
    }
  return { ok: true, argv, env, cwd: spec.workingDir ?? pulled?.config.config?.WorkingDir ?? '/', mounts, confinement };
}

/**
 * The sandbox's spawn request for a prepared start: a mount namespace of its own (a copy of the pod's)
 * for its root, a pid namespace unless shared; with hostPID and a guard, no parent-death signal (the
 * guard kills the container's tree if pod-init dies; a parent-death signal would race it).
 *
 * @example
 * sandbox.spawn(spawnRequest(prepared, pod.spec, { cgroups: dirs, guarded: true }));
 */
export function spawnRequest(
  prepared: PreparedStart,
  podSpec: PodSpecObject['spec'],
  o: { cgroups?: string[]; guarded: boolean },
): MemberOptions {
  const own: Array<'pid' | 'mnt'> = podSpec.shareProcessNamespace || podSpec.hostPID ? ['mnt'] : ['pid', 'mnt'];
  return {
    file: prepared.argv[0]!,
    args: prepared.argv.slice(1),
    env: Object.fromEntries(prepared.env),
    cwd: prepared.cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
    newNamespaces: own,
    mounts: prepared.mounts,
    ...(o.cgroups !== undefined ? { cgroups: o.cgroups } : {}),
    ...prepared.confinement,
    ...(podSpec.hostPID && o.guarded ? { dieWithParent: false } : {}),
  };
}
