/**
 * The files of a pod with a user namespace of its own (`hostUsers: false`) that its containers read
 * or write: root in the pod is host uid N·65536, which owns nothing on the host and for which
 * capabilities act only on files whose owner is mapped into the pod. So what pod-init makes for the
 * pod (emptyDir directories, configMap and secret files, /etc/hosts, /etc/hostname, the termination-
 * message files) is given to the pod's root — the mapped ids, as the kubelet makes them root-owned
 * in a pod without one — and nothing else of the host is. Volumes of the host (hostPath) keep their
 * owners and are idmapped instead (container-root.ts, native `idmappedTree`).
 * @module
 */
import { native } from '../native';

/**
 * Gives `root` and everything under it to host id `hostId` (uid and gid): a post-order walk by fd
 * (native `ownTreeBeneath`, as the fsGroup walk, security/volume-ownership.ts), so a symlink is changed
 * itself and never followed, and a directory swapped for a symlink mid-walk gets nothing outside the
 * tree changed. It runs on trees pod-init made in the pod's state directory before any container of
 * the pod starts.
 *
 * @example
 * givePodTree('/run/pod-init/default_web_uid/volumes/kubernetes.io~configmap/conf', 65536);
 */
export function givePodTree(root: string, hostId: number): void {
  native.ownTreeBeneath(root, hostId, hostId, 0, 0);
}
