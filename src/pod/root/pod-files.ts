/**
 * Ownership of what pod-init makes for a pod before its containers start: fsGroup on its volumes
 * (KUBERNETES.md K5), and for a `hostUsers: false` pod its files given to the pod's root (userns-files.ts).
 * @module
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Say } from '../events';
import type { Sandbox } from '../../sandbox';
import type { StoredImage } from '../../image/pull';
import type { PodFiles } from '../container-root';
import { type Bind, mountPointsOf } from '../rootfs';
import { setVolumeOwnership } from '../security/volume-ownership';
import type { PodSpecObject } from '../types';
import { givePodTree } from '../userns-files';
import type { PreparedVolume } from '../volumes';

/**
 * fsGroup (K5): the pod's emptyDir, configMap, secret, downwardAPI, projected and persistentVolumeClaim
 * volumes given to the group before any container starts, read through the pod's mount namespace at
 * `root` (a Memory emptyDir is its tmpfs there). A failure is a FailedMount warning.
 *
 * @example
 * applyFsGroup(pod, volumes, { root: sandbox.root, say });
 */
export function applyFsGroup(
  pod: PodSpecObject,
  volumes: ReadonlyMap<string, PreparedVolume>,
  o: { root: string; hostId?: number; say: Say },
): void {
  const sc = pod.spec.securityContext;
  if (sc?.fsGroup === undefined) return;
  for (const spec of pod.spec.volumes ?? []) {
    const volume = volumes.get(spec.name);
    const owned = !!(
      spec.emptyDir ??
      spec.configMap ??
      spec.secret ??
      spec.downwardAPI ??
      spec.projected ??
      spec.persistentVolumeClaim
    );
    if (volume === undefined || !owned) continue;
    try {
      setVolumeOwnership(`${o.root}${volume.source}`, {
        // In the pod's user namespace (hostUsers: false) the group is fsGroup there.
        fsGroup: sc.fsGroup + (o.hostId ?? 0),
        readOnly: volume.readOnly,
        // configMap, secret, downwardAPI, projected: the kubelet passes no policy (always walked).
        ...((spec.emptyDir ?? spec.persistentVolumeClaim) !== undefined && sc.fsGroupChangePolicy === 'OnRootMismatch'
          ? { policy: 'OnRootMismatch' as const }
          : {}),
      });
    } catch (error) {
      o.say(
        'Warning',
        'FailedMount',
        `MountVolume.SetUp failed for volume "${spec.name}" : applying fsGroup: ${(error as Error).message}`,
      );
    }
  }
}

/**
 * What pod-init made for a `hostUsers: false` pod and its containers read or write, given to the pod's
 * root `hostId` (userns-files.ts): its state directory (reachable through the state root, 0711), /etc
 * files, and its volumes but hostPath, tmpfs and image ones.
 *
 * @example
 * givePodFiles(stateDir, etcFiles, volumes, pod, 100000);
 */
export function givePodFiles(
  stateDir: string,
  etcFiles: readonly Bind[],
  volumes: ReadonlyMap<string, PreparedVolume>,
  pod: PodSpecObject,
  hostId: number,
): void {
  // Its setup runs as the pod's root: through the state root (searchable, not listable: 0711, as
  // Docker's userns-remap makes its root) into the pod's own state directory (its group, 0710).
  const stateRoot = path.dirname(stateDir);
  fs.chmodSync(stateRoot, (fs.statSync(stateRoot).mode & 0o7777) | 0o001);
  fs.chownSync(stateDir, 0, hostId);
  fs.chmodSync(stateDir, 0o710);
  for (const file of etcFiles) givePodTree(file.source, hostId);
  for (const spec of pod.spec.volumes ?? []) {
    const volume = volumes.get(spec.name);
    if (volume !== undefined) giveVolume(volume, hostId);
  }
}

/**
 * A volume made after the others (a retried mount) given to the pod's root, as {@link givePodFiles} does.
 *
 * @example
 * giveVolume(prepared, 100000);
 */
export function giveVolume(volume: PreparedVolume, hostId: number): void {
  // Not the host's (hostPath), not a tmpfs, not the store's layers (image volumes are idmapped instead).
  if (!volume.hostPath && volume.tmpfsBytes === undefined && volume.imageLayers === undefined)
    givePodTree(volume.source, hostId);
}

/**
 * What a container's root is made from (container-root.ts PodFiles): the pod's volumes, /etc files,
 * image roots and pulled layers, its /dev/shm, paths as its mount namespace has them (through its pause),
 * its user namespace, and the host's mount points as Node sees them (the pod's mount namespace is a copy
 * of the host's plus its own tmpfs mounts; the pause, chrooted into an empty root, lists none).
 *
 * @example
 * const files = podFilesOf({ stateDir, volumes, etcFiles, images, pulled, sandbox });
 */
export function podFilesOf(o: {
  stateDir: string;
  volumes: ReadonlyMap<string, PreparedVolume>;
  etcFiles: readonly Bind[];
  images: ReadonlyMap<string, string>;
  pulled: ReadonlyMap<string, StoredImage>;
  shm?: string;
  sandbox: Pick<Sandbox, 'root' | 'pid' | 'namespaces'>;
  hostId?: number;
}): PodFiles {
  const sandbox = o.sandbox;
  return {
    stateDir: o.stateDir,
    volumes: o.volumes,
    etcFiles: o.etcFiles,
    images: o.images,
    pulled: new Map([...o.pulled].map(([name, image]) => [name, [...image.layers].reverse()])),
    ...(o.shm !== undefined ? { shm: o.shm } : {}),
    view: (p) => `${sandbox.root}${p}`,
    userNamespace: sandbox.namespaces.includes('user'),
    ...(o.hostId !== undefined
      ? { podUsers: { hostId: o.hostId, userNamespace: `/proc/${sandbox.pid}/ns/user` } }
      : {}),
    mountPoints: () => mountPointsOf(fs.readFileSync('/proc/self/mountinfo', 'utf8')),
  };
}
