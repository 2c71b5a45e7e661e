/**
 * The end of a pod once its containers are stopped (container/stop.ts): the sandbox and its network
 * helper, the pipes and log files, the cgroups (whatever outlived its container goes with them), the
 * `hostUsers: false` id range, the guard (released last: everything it would kill is gone), the pod's name
 * and image lease, and its state directory but its logs and final status (emptyDirs go with the pod, as
 * in Kubernetes).
 * @module
 */
import path from 'node:path';
import type { PodCgroups } from '../cgroups/manager';
import type { Sandbox } from '../sandbox';
import { removeTree } from '../subordinate-ids';
import { removeInstanceRoot } from './container-root';
import type { CriLogWriter } from './logs';
import type { PodGuard } from './pod-guard';
import { type PodNameRegistry, releasePodName } from './pod-names';
import type { RootlessPodNetwork } from './rootless-pod-network';
import { releaseRange, type UserNamespaceRange } from './userns-ranges';

/** What a pod holds until its end. */
export interface PodResources {
  stateDir: string;
  sandbox?: Sandbox;
  rootless?: RootlessPodNetwork;
  /** The ends of its containers' pipes. */
  streamEnds: readonly Promise<void>[];
  logs: Iterable<CriLogWriter>;
  cgroups?: PodCgroups;
  idRange?: { dir: string; range: UserNamespaceRange };
  guardStarting?: Promise<void>;
  /** The guard, once started (read after `guardStarting`). */
  guard: () => PodGuard | undefined;
  names: PodNameRegistry;
  metadata: { namespace?: string; name: string; uid?: string };
  imageLease: { release(): void };
  /** Its membership of the `--hosts` group (hosts-group.ts). */
  hosts?: { leave(): void };
}

/**
 * Releases what the pod holds, in order; failures of the cgroups' removal and of a guard that could not
 * start are not the pod's (they are swept by the next start).
 *
 * @example
 * await releasePodResources({ stateDir, sandbox, streamEnds, logs, guard: () => guard, names, metadata, imageLease });
 */
export async function releasePodResources(r: PodResources): Promise<void> {
  // The pipes end once every process holding them is gone (the pause takes any orphan with it):
  // wait for both together, then close the log files together.
  await Promise.all([r.sandbox?.destroy(), r.rootless?.stop(), ...r.streamEnds]);
  await Promise.all([...r.logs].map((writer) => writer.close()));
  await r.cgroups?.remove().catch(() => undefined);
  const m = r.metadata;
  if (r.idRange) releaseRange(r.idRange.dir, r.idRange.range, m.uid!);
  await r.guardStarting?.catch(() => undefined);
  await r.guard()?.release();
  releasePodName(r.names, m.namespace!, m.name, m.uid!);
  r.hosts?.leave();
  r.imageLease.release();
  removeInstanceRoot(path.join(r.stateDir, 'roots'));
  // removeTree: rootless, what the pod wrote as another of its ids (an emptyDir file of uid 33) is a subordinate id's.
  for (const item of ['volumes', 'containers', 'shm', 'etc-hosts', 'hostname', 'resolv.conf'])
    removeTree(path.join(r.stateDir, item));
}
