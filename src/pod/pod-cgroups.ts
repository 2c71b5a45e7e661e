/**
 * The runner's side of cgroups, in one place so `runner.ts` needs only a few calls: sweep and create at pod start,
 * a fresh cgroup per container start (its directories go to `SpawnOptions.cgroups`), the OOM check on exit, the
 * QoS class for the status, the "not enforced" notice for a condition message, removal at teardown.
 * @module
 */
import { PodCgroups, type CgroupEnforcement } from '../cgroups/manager';
import { podCgroupSpec } from '../cgroups/spec';
import { sweepLeftovers, type SweptPod } from '../cgroups/sweep';
import { readCgroupLayout, readHugepageSizes } from '../cgroups/layout';
import type { Pod, PodQOSClass } from '../manifest/types';

export interface PodCgroupOptions {
  /** `--pod-pids-limit` (kubelet `--pod-max-pids`): unset, 0 or -1 = unlimited. */
  podPidsLimit?: number;
  /** `--cgroup-root`: where `kubepods` goes in each hierarchy; default `/` (rootless: the delegated subtree). */
  cgroupRoot?: string;
  /** kubelet `singleProcessOOMKill`: v2 `memory.oom.group` left unset. */
  singleProcessOOMKill?: boolean;
  /** Whether a pod uid belongs to a pod that is still running (another pod-init); others' cgroups are swept. */
  isAlive: (podUid: string) => boolean;
}

export interface StartedPodCgroups {
  cgroups: PodCgroups;
  qosClass: PodQOSClass;
  /** Left-over pod cgroups of dead pods that were removed (say so: "removed the cgroups of pod <uid>"). */
  swept: SweptPod[];
  /** One line to print once and to put in a condition message when limits are not (fully) applied. */
  notice?: string;
}

/**
 * Sweeps the cgroups of dead pods, then creates this pod's. Call once at pod start, before the sandbox.
 *
 * @example
 * const { cgroups, qosClass, swept, notice } = await startPodCgroups(pod, { isAlive });
 * if (notice !== undefined) console.error(`pod-init: ${notice}`);
 */
export async function startPodCgroups(pod: Pod, options: PodCgroupOptions): Promise<StartedPodCgroups> {
  const uid = pod.metadata?.uid;
  if (uid === undefined) throw new Error('the pod has no metadata.uid');
  const layout = readCgroupLayout();
  const spec = podCgroupSpec(pod, uid, {
    ...(options.podPidsLimit === undefined ? {} : { podPidsLimit: options.podPidsLimit }),
    ...(options.singleProcessOOMKill === undefined ? {} : { singleProcessOOMKill: options.singleProcessOOMKill }),
    hugepageSizes: readHugepageSizes(),
  });
  const cgroups = await PodCgroups.create(spec, {
    layout,
    ...(options.cgroupRoot === undefined ? {} : { cgroupRoot: options.cgroupRoot }),
  });
  const swept = cgroups.enforcement.enforced
    ? await sweepLeftovers(layout, options.cgroupRoot ?? '/', (podUid) => podUid === uid || options.isAlive(podUid))
    : [];
  const notice = enforcementNotice(cgroups.enforcement);
  return { cgroups, qosClass: spec.qosClass, swept, ...(notice === undefined ? {} : { notice }) };
}

/**
 * The one-line notice for what is not enforced, or undefined when everything is.
 *
 * @example
 * enforcementNotice({ enforced: false, reason: 'rootless on cgroup v1 …', notEnforced: [] });
 * // 'cgroup limits are not applied: rootless on cgroup v1 …'
 */
export function enforcementNotice(enforcement: CgroupEnforcement): string | undefined {
  if (!enforcement.enforced) return `cgroup limits are not applied: ${enforcement.reason ?? 'unknown reason'}`;
  if (enforcement.notEnforced.length > 0) return `cgroup limits partly applied: ${enforcement.notEnforced.join('; ')}`;
  return undefined;
}

/**
 * The `terminated.reason` of a container that exited: `OOMKilled` when it exited with 137 and the kernel's OOM
 * counter of its cgroup says so (never from the exit code alone), else `Completed`/`Error`.
 *
 * @example
 * current.reason = terminationReason(cgroups, 'app', current.exitCode);
 */
export function terminationReason(
  cgroups: Pick<PodCgroups, 'oomKilled'>,
  container: string,
  exitCode: number,
): 'OOMKilled' | 'Completed' | 'Error' {
  if (exitCode === 137 && cgroups.oomKilled(container)) return 'OOMKilled';
  return exitCode === 0 ? 'Completed' : 'Error';
}
