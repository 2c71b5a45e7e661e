/**
 * What a container's main process leaves behind when the container has no pid namespace of its own
 * (`hostPID`, `shareProcessNamespace`): its end takes nothing with it — no PID 1 of the container dies — so
 * its background children would live on (and hold its output pipes open, which the pod's end waits for).
 * containerd's shim kills them when the container's init exits (ShouldKillAllOnExit, then KillAll: every
 * process of the container's cgroup); so does pod-init, through the container's cgroup (v2 `cgroup.kill`;
 * v1 freezer, SIGKILL, thaw; cgroups/kill.ts). Without cgroups they cannot be found once the main process
 * is gone: {@link untrackedLeftovers} says so.
 * @module
 */
import type { PodCgroups } from '../../cgroups/manager';
import type { PodSpecObject } from '../types';

/**
 * Whether a container of `spec` shares a pid namespace (the host's or the pod's): its main process's end
 * does not end the rest of it.
 *
 * @example
 * sharesPidNamespace({ hostPID: true, containers: [] }); // true
 */
export function sharesPidNamespace(spec: PodSpecObject['spec']): boolean {
  return spec.hostPID === true || spec.shareProcessNamespace === true;
}

/**
 * Kills what is left in container `name`'s cgroup once its main process has ended, when the container
 * shares a pid namespace and the pod has cgroups; resolves when the cgroup is empty. A no-op otherwise (a
 * container with its own pid namespace loses everything with its PID 1).
 *
 * @example
 * await killLeftovers(pod.spec, cgroups, 'web');
 */
export async function killLeftovers(
  spec: PodSpecObject['spec'],
  cgroups: PodCgroups | undefined,
  name: string,
): Promise<void> {
  if (!sharesPidNamespace(spec) || cgroups === undefined || !cgroups.enforcement.enforced) return;
  await cgroups.killAll(name);
}

/**
 * The warning for a `hostPID` pod without cgroups (none asked for, or rootless without a delegated v2
 * subtree): a container's background children cannot be found once its main process is gone (they are
 * the host's init's then), so they outlive it; undefined when that cannot happen.
 *
 * @example
 * untrackedLeftovers({ hostPID: true, containers: [] }, undefined); // 'hostPID without cgroups: ...'
 */
export function untrackedLeftovers(spec: PodSpecObject['spec'], cgroups: PodCgroups | undefined): string | undefined {
  if (spec.hostPID !== true || cgroups?.enforcement.enforced === true) return undefined;
  return (
    'hostPID without cgroups: processes a container leaves behind (a background child) cannot be found ' +
    'once its main process has ended, and outlive it and the pod'
  );
}
