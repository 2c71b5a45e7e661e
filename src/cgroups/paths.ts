/**
 * Where the kubelet puts a pod's cgroup (SECURITY.md §7, cgroupfs driver): `<root>/kubepods/pod<uid>` for
 * Guaranteed, `<root>/kubepods/burstable/pod<uid>`, `<root>/kubepods/besteffort/pod<uid>`.
 * @module
 */
import * as path from 'node:path';
import type { PodQOSClass } from '../manifest/types';

/** The QoS sub-directories of kubepods ('' = Guaranteed, directly under kubepods). */
export const qosSegments: readonly string[] = ['', 'burstable', 'besteffort'];

/**
 * The pod cgroup relative to a hierarchy's mount.
 *
 * @example
 * podCgroupPath('/', 'Burstable', 'abc'); // 'kubepods/burstable/podabc'
 * podCgroupPath('/pod-init', 'Guaranteed', 'abc'); // 'pod-init/kubepods/podabc'
 */
export function podCgroupPath(cgroupRoot: string, qos: PodQOSClass, uid: string): string {
  const segment = qos === 'Guaranteed' ? '' : qos.toLowerCase();
  return path.join(relativeRoot(cgroupRoot), 'kubepods', segment, `pod${uid}`);
}

/** `cgroupRoot` without its leading slash ('/' → ''). */
export function relativeRoot(cgroupRoot: string): string {
  return path.normalize(cgroupRoot).replace(/^\/+/, '').replace(/\/+$/, '');
}

/** The uid in a `pod<uid>` directory name, or undefined. */
export function podUidOf(dirName: string): string | undefined {
  return /^pod(.+)$/.exec(dirName)?.[1];
}
