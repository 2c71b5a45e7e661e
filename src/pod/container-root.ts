/**
 * What a container's root is made of, as the runner prepares it: the pod's tmpfs mounts (its
 * /dev/shm and Memory emptyDirs, mounted in the pod's mount namespace), and per container the binds
 * of its /etc files, volumes (subPath and subPathExpr resolved beneath their volume) and termination-
 * message file, planned by rootfs.ts.
 * @module
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseQuantity } from '../manifest/quantity';
import { native } from '../native';
import type { MountStep } from '../process/spawn';
import { ContainerConfigError } from './environment';
import type { ContainerRecord, Instance } from './records';
import { imageVolumeMount } from './image-volumes';
import { type Bind, type ImageRoot, rootMounts } from './rootfs';
import type { ContainerSpec } from './types';
import { removeTree } from '../subordinate-ids';
import { userNamespaceSize } from './userns-ranges';
import { createEmptyFile, expandSubPathExpr, type PreparedVolume, subPathBeneath } from './volumes';

/** The pod-level inputs of {@link containerRootMounts}. */
export interface PodFiles {
  stateDir: string;
  volumes: ReadonlyMap<string, PreparedVolume>;
  /** The pod's /etc/hosts and /etc/hostname. */
  etcFiles: readonly Bind[];
  /** Root filesystem directories by image name. */
  images: ReadonlyMap<string, string>;
  /** Pulled images' layer directories (top first) by image name (src/image/). */
  pulled?: ReadonlyMap<string, readonly string[]>;
  /** The pod's /dev/shm; the host's when undefined (hostIPC). */
  shm?: string;
  /** Where the pod's mount namespace is read (rootfs.ts RootOptions.view). */
  view: (p: string) => string;
  /** The pod has a user namespace (its image roots are mounted there, rootfs.ts ImageRoot). */
  userNamespace?: boolean;
  /** The mount points of the pod's mount namespace (rootfs.ts `mountPointsOf`), read when a root is planned. */
  mountPoints?: () => readonly string[];
  /**
   * `hostUsers: false` as root: the host id of the pod's root (its range's first id) and the pod's user
   * namespace (`/proc/<pause>/ns/user`). The termination file is given to the pod's root; hostPath
   * volumes are bound as idmapped trees of that namespace.
   */
  podUsers?: { hostId: number; userNamespace: string };
}

/**
 * The tmpfs mounts of the pod's mount namespace: its /dev/shm (unless hostIPC; 64 MiB, the
 * runtime's default) and its `medium: Memory` emptyDirs. Containers see them, the host does not,
 * and they go with the sandbox. With `podRootOwns` (`hostUsers: false`) they belong to the pod's root.
 */
export function podTmpfsMounts(
  shm: string | undefined,
  volumes: ReadonlyMap<string, PreparedVolume>,
  podRootOwns = false,
): MountStep[] {
  const f = native.mountFlags as Record<string, number>;
  const steps: MountStep[] = [];
  const tmpfs = (target: string, data: string, extra = 0) =>
    steps.push({
      type: 'mount',
      source: 'tmpfs',
      target,
      fstype: 'tmpfs',
      flags: f.MS_NOSUID! | f.MS_NODEV! | extra,
      // hostUsers: false: the pause mounts as host root, unmapped in the pod; its root owns them instead.
      data: podRootOwns ? `${data},uid=0,gid=0` : data,
    });
  if (shm !== undefined) {
    fs.mkdirSync(shm, { recursive: true });
    tmpfs(shm, 'mode=1777,size=65536k', f.MS_NOEXEC!);
  }
  for (const volume of volumes.values())
    if (volume.tmpfsBytes !== undefined) tmpfs(volume.source, `mode=0777,size=${volume.tmpfsBytes}`);
  return steps;
}

/**
 * The mount steps of a container's root (rootfs.ts): the pod's /etc files, its volumes (subPath and
 * subPathExpr resolved in the volume), and a fresh host file at terminationMessagePath; with
 * `readOnlyRoot` (readOnlyRootFilesystem) the root's own mounts are remounted read-only after pivot_root.
 */
export function containerRootMounts(
  pod: PodFiles,
  spec: ContainerSpec,
  env: ReadonlyMap<string, string>,
  instance: Instance,
  options: { readOnlyRoot?: boolean } = {},
): MountStep[] {
  const idmapped = idmappedTrees(pod, instance);
  try {
    return planContainerRoot(pod, spec, env, instance, options, idmapped);
  } catch (error) {
    closeMountFds(instance);
    throw error;
  } finally {
    idmapped?.done();
  }
}

function planContainerRoot(
  pod: PodFiles,
  spec: ContainerSpec,
  env: ReadonlyMap<string, string>,
  instance: Instance,
  options: { readOnlyRoot?: boolean },
  idmapped: ((name: string, source: string, readOnly?: boolean) => number) | undefined,
): MountStep[] {
  const binds: Bind[] = [...pod.etcFiles];
  for (const mount of spec.volumeMounts ?? []) {
    const volume = pod.volumes.get(mount.name)!;
    let source = volume.source;
    let beneath: Bind['beneath'];
    let image: Bind['image'];
    try {
      const subPath = mount.subPathExpr ? expandSubPathExpr(mount.subPathExpr, env) : mount.subPath;
      if (volume.imageLayers !== undefined) {
        const merged = imageVolumeMount(volume.imageLayers, subPath);
        source = merged.source;
        image = { lowers: merged.lowers, userxattr: pod.userNamespace === true };
        // hostUsers: false: each layer (or the file) as a read-only idmapped tree of the pod's namespace.
        if (idmapped !== undefined)
          image.idmapped = merged.lowers.map((lower, i) => ({
            fd: idmapped(`volume "${mount.name}" layer ${i + 1} of ${merged.lowers.length}`, lower, true),
            at: '',
          }));
      } else if (subPath) {
        const resolved = subPathBeneath(volume.source, subPath, pod.view);
        source = resolved.source;
        beneath = { root: resolved.root, path: resolved.path };
      }
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      throw new ContainerConfigError(
        `failed to prepare subPath for volumeMount "${mount.name}" of container "${spec.name}": ${why}`,
      );
    }
    binds.push({
      source,
      target: mount.mountPath,
      readOnly: mount.readOnly === true || volume.readOnly,
      ...(mount.recursiveReadOnly === 'Enabled' || mount.recursiveReadOnly === 'IfPossible'
        ? { recursiveReadOnly: mount.recursiveReadOnly }
        : {}),
      ...(beneath ? { beneath } : {}),
      ...(image ? { image } : {}),
      // hostUsers: false: a hostPath volume keeps its owners as the pod sees them (a subPath is bound
      // beneath its volume as it is: the host's owners are then unmapped in the pod, the overflow id).
      ...(volume.hostPath && !beneath && idmapped ? { detached: idmapped(`volume "${mount.name}"`, source) } : {}),
    });
  }
  if (spec.terminationMessagePath) {
    // Per instance, writable by whoever the container runs as (the kubelet's 0666 file).
    const file = path.join(pod.stateDir, 'containers', spec.name, instance.id);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    createEmptyFile(file, 0o666, pod.podUsers?.hostId);
    instance.terminationFile = file;
    binds.push({ source: file, target: spec.terminationMessagePath });
  }
  const layers = spec.image === undefined ? undefined : pod.pulled?.get(spec.image);
  const lower = layers?.[0] ?? (spec.image === undefined ? undefined : pod.images.get(spec.image));
  const dir = instanceRootDir(pod.stateDir, spec.name, instance.id, pod.podUsers?.hostId);
  instance.rootDir = dir;
  const root = path.join(dir, 'root');
  fs.mkdirSync(root);
  if (pod.podUsers !== undefined) fs.chownSync(root, pod.podUsers.hostId, pod.podUsers.hostId);
  imageVolumeMountPoints(binds, dir, pod.podUsers?.hostId);
  let image: ImageRoot | undefined;
  if (lower !== undefined) {
    image = {
      lower,
      ...(layers !== undefined && layers.length > 1 ? { lowers: layers.slice(1) } : {}),
      upper: path.join(dir, 'upper'),
      work: path.join(dir, 'work'),
      userNamespace: pod.userNamespace === true,
    };
    // The overlay's root directory is the upper one: it takes the image root's mode and owner.
    const top = fs.statSync(lower);
    fs.mkdirSync(image.upper, { mode: 0o700 });
    if (process.geteuid?.() === 0 && !image.userNamespace) fs.chownSync(image.upper, top.uid, top.gid);
    fs.mkdirSync(image.work, { mode: 0o700 });
    if (pod.podUsers !== undefined && idmapped !== undefined) {
      // hostUsers: false: the image appears with its owners (root's files as the pod root's) through
      // idmapped copies of DIR, or of each layer of a pulled image, attached in the child's mount
      // namespace; the layers the overlay writes are the pod's, with the image root's owner as the pod sees it.
      const id = (host: number) => pod.podUsers!.hostId + (host < userNamespaceSize ? host : 0);
      fs.chownSync(image.work, pod.podUsers.hostId, pod.podUsers.hostId);
      fs.chownSync(image.upper, id(top.uid), id(top.gid));
      image.idmappedLowers = [lower, ...(image.lowers ?? [])].map((source, i) => {
        const at = path.join(dir, i === 0 ? 'lower' : `lower-${i}`);
        fs.mkdirSync(at, { mode: 0o700 });
        fs.chownSync(at, pod.podUsers!.hostId, pod.podUsers!.hostId);
        const what = `image ${JSON.stringify(spec.image)}${layers ? ` layer ${i + 1} of ${layers.length}` : ''}`;
        return { fd: idmapped(what, source), at };
      });
    }
    fs.chmodSync(image.upper, top.mode & 0o7777);
  }
  try {
    return rootMounts({
      root,
      view: pod.view,
      ...(image !== undefined ? { image } : { mountPoints: pod.mountPoints?.() ?? [] }),
      privileged: spec.securityContext?.privileged === true,
      readOnly: options.readOnlyRoot === true,
      ...(pod.shm !== undefined ? { shm: pod.shm } : {}),
      binds,
      ...(pod.podUsers !== undefined ? { podRootOwnsTmpfs: true } : {}),
    });
  } catch (error) {
    removeInstanceRoot(dir);
    instance.rootDir = undefined;
    throw error;
  }
}

/**
 * The maker of a container's idmapped trees (`hostUsers: false` as root), or undefined: each is a
 * detached copy of a host directory or file made idmapped with the pod's user namespace, so its owners
 * appear in the pod as they are on the host (root-owned files as root's, and what the pod's root makes
 * there is owned by host root), which only a process of the host's user namespace can make. The fds
 * go on `instance.mountFds` until the start ({@link closeMountFds}).
 */
function idmappedTrees(
  pod: PodFiles,
  instance: Instance,
): (((name: string, source: string, readOnly?: boolean) => number) & { done: () => void }) | undefined {
  const users = pod.podUsers;
  if (users === undefined) return undefined;
  let userns: number | undefined;
  const make = (name: string, source: string, readOnly = false): number => {
    userns ??= fs.openSync(users.userNamespace, fs.constants.O_RDONLY);
    let fd: number;
    try {
      fd = native.idmappedTree(source, userns, fs.statSync(source).isDirectory(), readOnly);
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      throw new ContainerConfigError(
        `${name}: ${source} cannot be given to the pod's user namespace as an idmapped mount (${why}); ` +
          'hostUsers: false needs Linux >= 5.12 and a filesystem with idmapped mounts (ext4, xfs, btrfs; tmpfs >= 6.3)',
      );
    }
    (instance.mountFds ??= []).push(fd);
    return fd;
  };
  return Object.assign(make, {
    done: () => {
      if (userns !== undefined) fs.closeSync(userns);
    },
  });
}

/**
 * Gives the idmapped layers of image volumes (`hostUsers: false`) their mount points: empty directories
 * `image-<n>` in the instance's directory `dir`, owned by the pod's root (host id `owner`), where the
 * child attaches them before the read-only overlay that stacks them.
 */
function imageVolumeMountPoints(binds: readonly Bind[], dir: string, owner: number | undefined): void {
  let n = 0;
  for (const tree of binds.flatMap((bind) => bind.image?.idmapped ?? [])) {
    tree.at = path.join(dir, `image-${n++}`);
    fs.mkdirSync(tree.at, { mode: 0o700 });
    if (owner !== undefined) fs.chownSync(tree.at, owner, owner);
  }
}

/**
 * Closes the detached trees a container instance's start was given (the child has attached them, or
 * the start failed).
 *
 * @example
 * closeMountFds(instance);
 */
export function closeMountFds(instance: Instance): void {
  for (const fd of instance.mountFds ?? []) fs.closeSync(fd);
  instance.mountFds = undefined;
}

/**
 * A fresh directory of one container instance, `<stateDir>/roots/<container>/<instance>` (0700):
 * the mount point of its root and, in image mode, the upper and work directories of its overlay.
 * Removed with {@link removeInstanceRoot} when the instance ends.
 */
function instanceRootDir(stateDir: string, container: string, instanceId: string, owner?: number): string {
  const dir = path.join(stateDir, 'roots', container, instanceId);
  fs.mkdirSync(path.dirname(dir), { recursive: true, mode: 0o700 });
  fs.mkdirSync(dir, { mode: 0o700 });
  fs.chmodSync(dir, 0o700);
  if (owner !== undefined) {
    // hostUsers: false: the child makes the root as the pod's root (host id `owner`), past the pod's
    // state directory (group `owner`, 0710): roots/ and roots/<container> let it through, the instance's
    // directory is its own.
    for (const parent of [path.dirname(path.dirname(dir)), path.dirname(dir)]) fs.chmodSync(parent, 0o711);
    fs.chownSync(dir, owner, owner);
  }
  return dir;
}

/**
 * Removes a container instance's root directory (its overlay's upper layer with it), once the
 * instance has ended: a restarted container starts from the image again, as under the kubelet.
 * Without root, directories the container left unreadable (overlayfs makes `work/work` mode 0) are
 * opened up first: they are the caller's own, as everything the pod's user namespace wrote.
 *
 * @example
 * removeInstanceRoot('/run/pod-init/default_web_uid/roots/web/3f9a…');
 */
export function removeInstanceRoot(dir: string): void {
  try {
    fs.rmSync(dir, { recursive: true, force: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EACCES' && code !== 'EPERM') throw error;
    try {
      openUp(dir);
    } catch (notOurs) {
      // Rootless with subordinate ids: a container's files as uid 33 are not the caller's to open up.
      const why = (notOurs as NodeJS.ErrnoException).code;
      if (why !== 'EPERM' && why !== 'EACCES') throw notOurs;
    }
    removeTree(dir);
  }
}

/** Makes every directory under `dir` (links not followed) readable and writable by its owner. */
function openUp(dir: string): void {
  const stat = fs.lstatSync(dir, { throwIfNoEntry: false });
  if (!stat?.isDirectory()) return;
  if ((stat.mode & 0o700) !== 0o700) fs.chmodSync(dir, (stat.mode & 0o7777) | 0o700);
  for (const name of fs.readdirSync(dir)) openUp(path.join(dir, name));
}

/**
 * The pod's memory limit as the kubelet sizes its cgroup (cm.ResourceConfigForPod): set only when
 * every container has one; the larger of the running containers' sum and the largest init container.
 */
export function podMemoryLimit(records: readonly ContainerRecord[]): number | undefined {
  let running = 0;
  let init = 0;
  for (const r of records) {
    const limit = r.spec.resources?.limits?.memory;
    if (limit === undefined) return undefined;
    const bytes = parseQuantity(limit);
    if (r.kind === 'init') init = Math.max(init, bytes);
    else running += bytes;
  }
  return Math.max(running, init);
}
