/**
 * Volumes on this host (KUBERNETES.md A.2): emptyDir (a directory under the pod's state directory that
 * outlives container restarts; `medium: Memory` a tmpfs), hostPath with the kubelet's type checks,
 * and configMap / secret volumes materialized from the objects in the same file. Each container that
 * mounts volumes gets a root of its own: a tmpfs holding bind mounts of the host's top-level
 * directories (host mode: no image), the volumes bound at their mountPaths, then pivot_root — so a
 * mountPath may be a new top-level directory without creating anything on the host.
 * @module
 */
import fs from 'node:fs';
import path from 'node:path';
import { native } from '../native';
import type { MountStep } from '../spawn';
import { ContainerConfigError } from './environment';
import type { RelatedObjects } from './types';

/** A v1 Volume, as far as pod-init implements it. */
export interface VolumeSpec {
  name: string;
  emptyDir?: { medium?: string; sizeLimit?: string };
  hostPath?: { path: string; type?: string };
  configMap?: {
    name: string;
    items?: Array<{ key: string; path: string; mode?: number }>;
    defaultMode?: number;
    optional?: boolean;
  };
  secret?: {
    secretName: string;
    items?: Array<{ key: string; path: string; mode?: number }>;
    defaultMode?: number;
    optional?: boolean;
  };
}

/** A v1 VolumeMount. */
export interface VolumeMountSpec {
  name: string;
  mountPath: string;
  readOnly?: boolean;
  subPath?: string;
}

/** A volume ready to be bound into containers. */
export interface PreparedVolume {
  name: string;
  /** Where it is on the host. */
  source: string;
  /** Mounted read-only whatever the mount says (configMap, secret). */
  readOnly: boolean;
}

/** A volume that could not be set up: event FailedMount, its containers wait. */
export class VolumeError extends Error {}

function checkHostPath(p: string, type: string): void {
  const stat = fs.statSync(p, { throwIfNoEntry: false });
  const fail = (what: string) => {
    throw new VolumeError(`hostPath type check failed: ${p} is not a ${what}`);
  };
  switch (type) {
    case '':
      return;
    case 'DirectoryOrCreate':
      if (!stat) fs.mkdirSync(p, { recursive: true, mode: 0o755 });
      else if (!stat.isDirectory()) fail('directory');
      return;
    case 'Directory':
      if (!stat?.isDirectory()) fail('directory');
      return;
    case 'FileOrCreate':
      if (!stat) fs.writeFileSync(p, '', { mode: 0o644 });
      else if (!stat.isFile()) fail('file');
      return;
    case 'File':
      if (!stat?.isFile()) fail('file');
      return;
    case 'Socket':
      if (!stat?.isSocket()) fail('socket');
      return;
    case 'CharDevice':
      if (!stat?.isCharacterDevice()) fail('character device');
      return;
    case 'BlockDevice':
      if (!stat?.isBlockDevice()) fail('block device');
      return;
    default:
      throw new VolumeError(`unsupported hostPath type ${type}`);
  }
}

function materialize(
  dir: string,
  data: Record<string, string>,
  items: Array<{ key: string; path: string; mode?: number }> | undefined,
  defaultMode: number,
): void {
  fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
  const entries = items ?? Object.keys(data).map((key) => ({ key, path: key, mode: undefined }));
  for (const item of entries) {
    const value = data[item.key];
    if (value === undefined) throw new VolumeError(`configuration key "${item.key}" not found`);
    const file = path.join(dir, item.path);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, value, { mode: item.mode ?? defaultMode });
    fs.chmodSync(file, item.mode ?? defaultMode);
  }
}

/**
 * Sets up one volume under the pod's state directory (or checks the host path).
 *
 * @example
 * prepareVolume({ name: 'cache', emptyDir: {} }, '/run/pod-init/default_web_uid', related).source;
 * // '/run/pod-init/default_web_uid/volumes/kubernetes.io~empty-dir/cache'
 */
export function prepareVolume(volume: VolumeSpec, stateDir: string, related: RelatedObjects): PreparedVolume {
  const under = (plugin: string) => path.join(stateDir, 'volumes', plugin, volume.name);
  if (volume.emptyDir) {
    const dir = under('kubernetes.io~empty-dir');
    fs.mkdirSync(dir, { recursive: true });
    fs.chmodSync(dir, 0o777);
    return { name: volume.name, source: dir, readOnly: false };
  }
  if (volume.hostPath) {
    checkHostPath(volume.hostPath.path, volume.hostPath.type ?? '');
    return { name: volume.name, source: volume.hostPath.path, readOnly: false };
  }
  if (volume.configMap) {
    const data = related.configMaps.get(volume.configMap.name);
    const dir = under('kubernetes.io~configmap');
    if (data === undefined && !volume.configMap.optional)
      throw new VolumeError(`configmap "${volume.configMap.name}" not found`);
    materialize(dir, data ?? {}, volume.configMap.items, volume.configMap.defaultMode ?? 0o644);
    return { name: volume.name, source: dir, readOnly: true };
  }
  if (volume.secret) {
    const data = related.secrets.get(volume.secret.secretName);
    const dir = under('kubernetes.io~secret');
    if (data === undefined && !volume.secret.optional)
      throw new VolumeError(`secret "${volume.secret.secretName}" not found`);
    materialize(dir, data ?? {}, volume.secret.items, volume.secret.defaultMode ?? 0o644);
    return { name: volume.name, source: dir, readOnly: true };
  }
  throw new VolumeError(`volume ${volume.name}: no supported source (emptyDir, hostPath, configMap, secret)`);
}

/**
 * The mount steps that give a container its own root with its volumes (host mode), ending in
 * pivot_root. `root` is an empty directory under the pod's state directory.
 *
 * @example
 * containerMounts([{ name: 'cache', mountPath: '/cache' }], volumes, '/run/pod-init/…/roots/web');
 */
export function containerMounts(
  mounts: VolumeMountSpec[],
  volumes: ReadonlyMap<string, PreparedVolume>,
  root: string,
  files: ReadonlyArray<{ source: string; target: string }> = [],
  image?: string,
): MountStep[] {
  if (image !== undefined) return imageMounts(image, mounts, volumes, root, files);
  const f = native.mountFlags as Record<string, number>;
  const steps: MountStep[] = [{ type: 'mount', source: 'tmpfs', target: root, fstype: 'tmpfs', data: 'mode=0755' }];
  for (const entry of fs.readdirSync('/', { withFileTypes: true })) {
    const target = path.join(root, entry.name);
    if (entry.isSymbolicLink()) steps.push({ type: 'symlink', target, linkTo: fs.readlinkSync(`/${entry.name}`) });
    else if (entry.isDirectory()) {
      steps.push({ type: 'mkdir', target });
      steps.push({ type: 'mount', source: `/${entry.name}`, target, flags: f.MS_BIND! | f.MS_REC! });
    }
  }
  const created = new Set<string>();
  for (const mount of mounts) {
    const volume = volumes.get(mount.name);
    if (!volume) throw new ContainerConfigError(`volume "${mount.name}" is not set up`);
    const mountPath = path.resolve('/', mount.mountPath);
    const parts = mountPath.split('/').filter(Boolean);
    if (!fs.existsSync(mountPath)) {
      // Only a new top-level directory can be made without writing to the host.
      if (parts.length === 0 || fs.existsSync(`/${parts[0]}`))
        throw new ContainerConfigError(
          `mountPath ${mountPath} does not exist on the host: without an image, volumes mount at existing paths or under new top-level directories`,
        );
      for (let i = 1; i <= parts.length; i++) {
        const dir = path.join(root, ...parts.slice(0, i));
        if (!created.has(dir)) steps.push({ type: 'mkdir', target: dir });
        created.add(dir);
      }
    }
    const target = path.join(root, mountPath);
    steps.push({ type: 'mount', source: volume.source, target, flags: f.MS_BIND! | f.MS_REC! });
    if (mount.readOnly || volume.readOnly)
      steps.push({ type: 'mount', target, flags: f.MS_BIND! | f.MS_REMOUNT! | f.MS_RDONLY! });
  }
  for (const file of files)
    steps.push({ type: 'mount', source: file.source, target: path.join(root, file.target), flags: f.MS_BIND! });
  steps.push({ type: 'pivot-root', target: root });
  return steps;
}

/**
 * Bind mounts of pod-level files over existing paths (the kubelet's /etc/hosts, the runtime's
 * /etc/hostname), for a container without a root of its own.
 *
 * @example
 * fileMounts([{ source: '/run/pod-init/…/etc-hosts', target: '/etc/hosts' }]);
 */
export function fileMounts(files: ReadonlyArray<{ source: string; target: string }>): MountStep[] {
  const f = native.mountFlags as Record<string, number>;
  return files.map((file) => ({ type: 'mount', source: file.source, target: file.target, flags: f.MS_BIND! }));
}

/**
 * /etc/hosts as the kubelet writes it (kubelet_pods.go `managedHostsFileContent`).
 *
 * @example
 * hostsFile('127.0.0.1', 'web', undefined); // '# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n…'
 */
export function hostsFile(
  podIP: string,
  hostname: string,
  fqdn: string | undefined,
  hostNetworkHosts?: string,
): string {
  if (hostNetworkHosts !== undefined) return `# Kubernetes-managed hosts file (host network).\n${hostNetworkHosts}`;
  const lines = [
    '# Kubernetes-managed hosts file.',
    '127.0.0.1\tlocalhost',
    '::1\tlocalhost ip6-localhost ip6-loopback',
    'fe00::0\tip6-localnet',
    'fe00::0\tip6-mcastprefix',
    'fe00::1\tip6-allnodes',
    'fe00::2\tip6-allrouters',
    fqdn ? `${podIP}\t${fqdn}\t${hostname}` : `${podIP}\t${hostname}`,
  ];
  return `${lines.join('\n')}\n`;
}

const devices = ['null', 'zero', 'full', 'random', 'urandom', 'tty'];

/**
 * The mount steps for a container with a root filesystem of its own (`--image NAME=DIR`): DIR bound
 * as the root, a fresh /proc of the container's pid namespace, a minimal /dev (tmpfs with the host's
 * null, zero, full, random, urandom and tty bound in, the usual symlinks, /dev/shm), the pod's
 * /etc/hosts and /etc/hostname, the volumes, then pivot_root. Mount points missing in DIR are
 * created in it (as a runtime creates them in its rootfs).
 *
 * @example
 * imageMounts('/srv/rootfs/busybox', [], volumes, '/run/pod-init/…/roots/web', []);
 */
export function imageMounts(
  image: string,
  mounts: VolumeMountSpec[],
  volumes: ReadonlyMap<string, PreparedVolume>,
  root: string,
  files: ReadonlyArray<{ source: string; target: string }>,
): MountStep[] {
  const f = native.mountFlags as Record<string, number>;
  const inRoot = (p: string) => path.join(root, p);
  const dirChain = (p: string): MountStep[] =>
    p
      .split('/')
      .filter(Boolean)
      .map((_, i, parts) => ({ type: 'mkdir' as const, target: inRoot(parts.slice(0, i + 1).join('/')) }));
  const steps: MountStep[] = [
    { type: 'mount', source: image, target: root, flags: f.MS_BIND! | f.MS_REC! },
    ...dirChain('proc'),
    {
      type: 'mount',
      source: 'proc',
      target: inRoot('proc'),
      fstype: 'proc',
      flags: f.MS_NOSUID! | f.MS_NODEV! | f.MS_NOEXEC!,
    },
    ...dirChain('dev'),
    { type: 'mount', source: 'tmpfs', target: inRoot('dev'), fstype: 'tmpfs', flags: f.MS_NOSUID!, data: 'mode=755' },
  ];
  for (const device of devices) {
    if (!fs.existsSync(`/dev/${device}`)) continue;
    steps.push({ type: 'file', target: inRoot(`dev/${device}`) });
    steps.push({ type: 'mount', source: `/dev/${device}`, target: inRoot(`dev/${device}`), flags: f.MS_BIND! });
  }
  for (const [name, to] of [
    ['fd', '/proc/self/fd'],
    ['stdin', '/proc/self/fd/0'],
    ['stdout', '/proc/self/fd/1'],
    ['stderr', '/proc/self/fd/2'],
  ] as const)
    steps.push({ type: 'symlink', target: inRoot(`dev/${name}`), linkTo: to });
  steps.push({ type: 'mkdir', target: inRoot('dev/shm') });
  steps.push({
    type: 'mount',
    source: 'tmpfs',
    target: inRoot('dev/shm'),
    fstype: 'tmpfs',
    flags: f.MS_NOSUID! | f.MS_NODEV!,
    data: 'mode=1777',
  });
  for (const file of files) {
    steps.push(...dirChain(path.dirname(file.target)));
    steps.push({ type: 'file', target: inRoot(file.target) });
    steps.push({ type: 'mount', source: file.source, target: inRoot(file.target), flags: f.MS_BIND! });
  }
  for (const mount of mounts) {
    const volume = volumes.get(mount.name);
    if (!volume) throw new ContainerConfigError(`volume "${mount.name}" is not set up`);
    const target = inRoot(path.resolve('/', mount.mountPath));
    steps.push(...dirChain(path.resolve('/', mount.mountPath)));
    steps.push({ type: 'mount', source: volume.source, target, flags: f.MS_BIND! | f.MS_REC! });
    if (mount.readOnly || volume.readOnly)
      steps.push({ type: 'mount', target, flags: f.MS_BIND! | f.MS_REMOUNT! | f.MS_RDONLY! });
  }
  steps.push({ type: 'pivot-root', target: root });
  return steps;
}
