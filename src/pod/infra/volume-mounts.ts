/**
 * The pod's volumes as the kubelet's volume manager sets them up: each prepared once (volumes.ts), or
 * `FailedMount` observed and tried again with its exponential backoff until it can be made — a hostPath
 * of type File that appears later, say; the containers that mount it wait meanwhile. A Memory emptyDir is
 * mounted with the sandbox and cannot come later: it fails once.
 * @module
 */
import type { Loop } from '../loop';
import { giveVolume } from '../root/pod-files';
import type { RelatedObjects } from '../types';
import { type PreparedVolume, prepareVolume, type VolumeContext, VolumeError, type VolumeSpec } from '../volumes';

/**
 * The volume manager's retry of a volume that could not be set up: 0.5 s doubling, at most 2 min 2 s.
 *
 * @example
 * mountRetryMs(0); // 500
 * mountRetryMs(20); // 122000
 */
export function mountRetryMs(attempt: number): number {
  return Math.min(500 * 2 ** attempt, 122_000);
}

/** What the volumes need of the pod. */
export interface VolumeMountsContext {
  stateDir: string;
  related: RelatedObjects;
  loop: Loop;
  /** `hostUsers: false`: the host id the pod's root maps to (a volume made later is given to it). */
  hostId: () => number | undefined;
}

/**
 * The pod's prepared volumes, by name.
 *
 * @example
 * const volumes = new VolumeMounts({ stateDir, related, loop, hostId: () => undefined });
 * for (const v of pod.spec.volumes ?? []) volumes.mount(v, context, memoryLimit);
 * volumes.prepared.get('data')?.hostPath;
 */
export class VolumeMounts {
  readonly prepared = new Map<string, PreparedVolume>();
  readonly #ctx: VolumeMountsContext;

  constructor(ctx: VolumeMountsContext) {
    this.#ctx = ctx;
  }

  /**
   * Sets `volume` up now, or observes `mount-failed` and tries again later; once made it is observed
   * `mounted` (and, when it came late, decide runs: its containers may start).
   */
  mount(volume: VolumeSpec, context: VolumeContext, memory: number | undefined): void {
    this.#attempt(volume, 0, context, memory, true);
  }

  #attempt(volume: VolumeSpec, attempt: number, context: VolumeContext, memory: number | undefined, first: boolean) {
    const { loop } = this.#ctx;
    let prepared: PreparedVolume;
    try {
      prepared = prepareVolume(volume, this.#ctx.stateDir, this.#ctx.related, memory, context);
    } catch (error) {
      const message = error instanceof VolumeError || error instanceof Error ? error.message : String(error);
      loop.observe({ type: 'mount-failed', volume: volume.name, message });
      if (volume.emptyDir?.medium === 'Memory') return;
      loop.later(mountRetryMs(attempt), () => {
        if (!loop.state().terminating) this.#attempt(volume, attempt + 1, context, memory, false);
      });
      return;
    }
    const hostId = this.#ctx.hostId();
    // A volume made with the pod is given to its id range with the rest (givePodFiles); a later one here.
    if (hostId !== undefined && !first) giveVolume(prepared, hostId);
    this.prepared.set(volume.name, prepared);
    loop.observe({ type: 'mounted', volume: volume.name });
    if (!first) loop.queueSync();
  }
}
