/**
 * The pod's cgroups at its start (pod-cgroups.ts): what dead pod-inits left is swept first (and said),
 * then this pod's are made with its limits; its QoS class is known from here on, and a notice says why
 * limits are not (fully) applied.
 * @module
 */
import type { PodCgroups } from '../cgroups/manager';
import type { Pod } from '../manifest/types';
import type { Say } from './events';
import { isPodGone } from './owners';
import { startPodCgroups } from './pod-cgroups';
import type { PodSpecObject } from './types';

/** The pod's cgroups once made. */
export interface CgroupStep {
  cgroups?: PodCgroups;
  qosClass: string;
  /** Why cgroup limits are not (fully) applied, for the PodReadyToStartContainers condition. */
  notice?: string;
}

/**
 * Makes the pod's cgroups.
 *
 * @example
 * const { cgroups, qosClass } = await cgroupStep(pod, { ownersDir, say });
 */
export async function cgroupStep(
  pod: PodSpecObject,
  o: { ownersDir: string; podPidsLimit?: number; cgroupRoot?: string; say: Say },
): Promise<CgroupStep> {
  // The runner's PodSpecObject is the validated manifest's Pod (two views of one object, issue #11).
  const started = await startPodCgroups(pod as unknown as Pod, {
    isAlive: (uid) => !isPodGone(o.ownersDir, uid),
    ...(o.podPidsLimit !== undefined ? { podPidsLimit: o.podPidsLimit } : {}),
    ...(o.cgroupRoot !== undefined ? { cgroupRoot: o.cgroupRoot } : {}),
  });
  for (const swept of started.swept)
    o.say(
      'Normal',
      'SweptLeftovers',
      `Removed the cgroups of pod ${swept.podUid}, left behind by a pod-init that is gone`,
    );
  if (started.notice !== undefined) o.say('Warning', 'ResourcesNotEnforced', started.notice);
  return {
    ...(started.cgroups !== undefined ? { cgroups: started.cgroups } : {}),
    qosClass: started.qosClass,
    ...(started.notice !== undefined ? { notice: started.notice } : {}),
  };
}
