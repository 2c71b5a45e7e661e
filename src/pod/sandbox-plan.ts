/**
 * The pod's sandbox as the kubelet admits and plans it: its sysctls admitted (a forbidden one rejects
 * the pod before anything is made), the namespaces it gets (host ones shared), its hostname, and the
 * sysctl writes its pause's setup does in the pod's namespaces.
 * @module
 */
import os from 'node:os';
import type { NamespaceKind } from '../process/namespaces';
import type { Sandbox } from '../sandbox';
import type { MountStep } from '../process/spawn';
import type { Rejection } from './network-plan';
import { isPodGone } from './owners';
import { admitSysctls, sysctlAllowlist } from './security/sysctls';
import { allocateRange, type UserNamespaceRange } from './userns-ranges';
import type { PodSpecObject } from './types';

/** What Sandbox.create takes. */
export type SandboxOptions = NonNullable<Parameters<typeof Sandbox.create>[0]>;

/** An admitted pod's sandbox: its options so far and its sysctl writes. */
export interface SandboxPlan {
  options: SandboxOptions;
  sysctlSteps: MountStep[];
}

/**
 * Admits the pod (its sysctls against the node's allowlist) and plans its sandbox.
 *
 * @example
 * const plan = planSandbox(pod, 'web', []);
 * if ('reason' in plan) reject(plan);
 */
export function planSandbox(
  pod: PodSpecObject,
  hostname: string,
  allowedUnsafeSysctls: readonly string[],
): SandboxPlan | Rejection {
  const spec = pod.spec;
  const sysctls = admitSysctls(
    { ...spec, sysctls: spec.securityContext?.sysctls ?? [] },
    sysctlAllowlist(allowedUnsafeSysctls, os.release()),
  );
  if (!sysctls.admitted) return { reason: sysctls.reason, message: sysctls.message };
  const kinds: NamespaceKind[] = ['mnt'];
  if (!spec.hostPID) kinds.push('pid');
  if (!spec.hostIPC) kinds.push('ipc');
  if (!spec.hostNetwork) kinds.push('net', 'uts');
  const options: SandboxOptions = { namespaces: kinds };
  if (!spec.hostNetwork) options.hostname = hostname;
  return { options, sysctlSteps: sysctls.steps };
}

/**
 * `hostUsers: false` as root: a range of 65536 ids of the pod's own (userns-ranges.ts), for the sandbox's
 * user namespace; a rejection when none is free (as the kubelet's sandbox creation fails). Undefined
 * otherwise: without root the pod's user namespace is already one of its own.
 *
 * @example
 * const range = podIdRange(pod, { dir: defaultRangesDir(), ownersDir, root: true });
 */
export function podIdRange(
  pod: PodSpecObject,
  o: { dir: string; ownersDir: string; root: boolean },
): UserNamespaceRange | Rejection | undefined {
  if (pod.spec.hostUsers !== false || !o.root) return undefined;
  try {
    return allocateRange(o.dir, pod.metadata.uid!, (uid) => !isPodGone(o.ownersDir, uid));
  } catch (error) {
    return { reason: 'FailedCreatePodSandBox', message: (error as Error).message };
  }
}
