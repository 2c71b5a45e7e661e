/**
 * Volumes on this host (KUBERNETES.md A.2): emptyDir (a directory under the pod's state directory that
 * outlives container restarts; `medium: Memory` a tmpfs in the pod's mount namespace, sized as the
 * kubelet sizes it), hostPath with the kubelet's type checks, configMap / secret volumes materialized
 * from the objects in the same file, downwardAPI volumes, projected volumes of those three (a
 * serviceAccountToken, clusterTrustBundle or podCertificate source is skipped: there is no API server; load
 * warns), all four written with the kubelet's AtomicWriter layout (atomic-writer.ts), and the kubelet's
 * subPath rules. How they reach a container's root is rootfs.ts.
 * @module
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PodSystemError } from '../errors';
import { parseQuantity } from '../manifest/quantity';
import { native } from '../native';
import { type FileProjection, writeAtomic } from './atomic-writer';
import { collectDownwardAPI, type DownwardFileSpec } from './downward-api';
import { ContainerConfigError } from './environment';
import { expand } from './expand';
import type { NodeAllocatable } from './node-allocatable';
import { resolvePath } from './rootfs';
import type { PodSpecObject, RelatedObjects } from './types';

/** A v1 KeyToPath list (configMap and secret `items`). */
type KeyToPathSpec = Array<{ key: string; path: string; mode?: number }>;

/** A v1 Volume, as far as pod-init implements it. */
export interface VolumeSpec {
  name: string;
  emptyDir?: { medium?: string; sizeLimit?: string };
  hostPath?: { path: string; type?: string };
  persistentVolumeClaim?: { claimName: string; readOnly?: boolean };
  configMap?: { name: string; items?: KeyToPathSpec; defaultMode?: number; optional?: boolean };
  secret?: { secretName: string; items?: KeyToPathSpec; defaultMode?: number; optional?: boolean };
  downwardAPI?: { items?: DownwardFileSpec[]; defaultMode?: number };
  /** An image volume (Kubernetes 1.33+): pulled as a container's image is (image-volumes.ts). */
  image?: { reference?: string; pullPolicy?: string };
  projected?: {
    defaultMode?: number;
    sources?: Array<{
      configMap?: { name: string; items?: KeyToPathSpec; optional?: boolean };
      secret?: { name: string; items?: KeyToPathSpec; optional?: boolean };
      downwardAPI?: { items?: DownwardFileSpec[] };
      [other: string]: unknown;
    }>;
  };
}

/** What downwardAPI and projected volumes read besides the objects: the pod and the node's allocatable. */
export interface VolumeContext {
  pod: PodSpecObject;
  node: NodeAllocatable;
  /** Where persistentVolumeClaim volumes live (`<claimsDir>/<namespace>/<claimName>`); none: they fail. */
  claimsDir?: string;
  /** A pulled image's layer directories (bottom first), for image volumes; undefined until it is pulled. */
  pulledLayers?: (reference: string) => readonly string[] | undefined;
}

/** A claim name as PersistentVolumeClaim objects are named (a DNS-1123 subdomain): nothing else can be bound. */
const claimNamePattern = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/**
 * A persistentVolumeClaim volume: a directory of this host kept across runs (podman kube play's named
 * volumes), made on first use, mode 0777 as local provisioners make theirs. Like a hostPath it holds
 * the host's files with their owners (idmapped in a pod with `hostUsers: false`).
 */
function claimVolume(
  name: string,
  claim: { claimName: string; readOnly?: boolean },
  context?: VolumeContext,
): PreparedVolume {
  if (context?.claimsDir === undefined) throw new VolumeError('persistentVolumeClaim volumes have no directory here');
  if (claim.claimName.length > 253 || !claimNamePattern.test(claim.claimName))
    throw new VolumeError(`persistentvolumeclaim "${claim.claimName}" not found: not a valid claim name`);
  const namespace = context.pod.metadata.namespace || 'default';
  const dir = path.join(context.claimsDir, namespace, claim.claimName);
  if (!fs.existsSync(dir)) {
    fs.mkdirSync(path.dirname(dir), { recursive: true, mode: 0o700 });
    fs.mkdirSync(dir, { mode: 0o777 });
    fs.chmodSync(dir, 0o777); // past the umask
  }
  const stat = fs.lstatSync(dir);
  if (!stat.isDirectory()) throw new VolumeError(`claim ${namespace}/${claim.claimName}: ${dir} is not a directory`);
  return { name, source: dir, readOnly: claim.readOnly === true, hostPath: true };
}

/** A v1 VolumeMount. */
export interface VolumeMountSpec {
  name: string;
  mountPath: string;
  readOnly?: boolean;
  subPath?: string;
  subPathExpr?: string;
  /** Validated: only with readOnly true (and no mount propagation). */
  recursiveReadOnly?: 'Disabled' | 'IfPossible' | 'Enabled';
}

/** A volume ready to be bound into containers. */
export interface PreparedVolume {
  name: string;
  /** Where it is on the host. */
  source: string;
  /** Mounted read-only whatever the mount says (configMap, secret). */
  readOnly: boolean;
  /** `medium: Memory`: a tmpfs of this many bytes, mounted over `source` in the pod's mount namespace. */
  tmpfsBytes?: number;
  /** A hostPath volume: the host's files with their owners (idmapped in a pod with `hostUsers: false`). */
  hostPath?: boolean;
  /** An image volume: its layers' directories, top first (`source` is the top one). */
  imageLayers?: readonly string[];
}

/** A volume that could not be set up: event FailedMount, its containers wait. */
export class VolumeError extends Error {}

/**
 * Creates `file` empty with `mode` (exactly: fchmod, past the umask), or empties the regular file that
 * is there; never follows a symlink and never blocks: a FIFO there (O_NONBLOCK makes its open fail
 * with ENXIO instead of waiting for a reader) or anything else but a regular file is an error. With
 * `owner`, it is given to that host id (uid and gid) through the same fd.
 *
 * @example
 * createEmptyFile('/run/pod-init/…/containers/web/0f3a', 0o666);
 */
export function createEmptyFile(file: string, mode: number, owner?: number): void {
  const { O_WRONLY, O_CREAT, O_NOFOLLOW, O_NONBLOCK } = fs.constants;
  const fd = fs.openSync(file, O_WRONLY | O_CREAT | O_NOFOLLOW | O_NONBLOCK, mode);
  try {
    if (!fs.fstatSync(fd).isFile()) throw new VolumeError(`${file} is not a file`);
    fs.ftruncateSync(fd, 0);
    if (owner !== undefined) fs.fchownSync(fd, owner, owner);
    fs.fchmodSync(fd, mode);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Creates `file` for hostPath FileOrCreate unless something is there (O_EXCL: nothing swapped in
 * between the check and the creation is opened, a FIFO included); true when it made it.
 */
function createFileIfMissing(file: string, mode: number): boolean {
  const { O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW, O_NONBLOCK } = fs.constants;
  try {
    fs.closeSync(fs.openSync(file, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_NONBLOCK, mode));
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
}

/**
 * The kubelet's hostPath type checks (hostpath.go `checkType`): by stat, which follows symlinks as the
 * kubelet's does and never opens the path, so a FIFO is simply "not a file".
 */
function checkHostPath(p: string, type: string): void {
  const stat = fs.statSync(p, { throwIfNoEntry: false });
  const fail = (what: string) => {
    throw new VolumeError(`hostPath type check failed: ${p} is not a ${what}`);
  };
  switch (type) {
    case '':
      // No check; a missing path is made as a directory, as containerd does for a bind source.
      if (!stat) fs.mkdirSync(p, { recursive: true, mode: 0o755 });
      return;
    case 'DirectoryOrCreate':
      if (!stat) fs.mkdirSync(p, { recursive: true, mode: 0o755 });
      else if (!stat.isDirectory()) fail('directory');
      return;
    case 'Directory':
      if (!stat?.isDirectory()) fail('directory');
      return;
    case 'FileOrCreate':
      if (!stat && createFileIfMissing(p, 0o644)) return;
      if (!fs.statSync(p, { throwIfNoEntry: false })?.isFile()) fail('file');
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

/**
 * The files of a configMap or secret (configmap/secret `MakePayload`): every key with `defaultMode`, or the
 * `items` with their modes — a missing key is skipped when the source is optional, else an error.
 *
 * @example
 * makePayload('configmap', { a: '1' }, [{ key: 'a', path: 'x/a' }], 0o644, false); // Map { 'x/a' => { data: '1', mode: 0o644 } }
 */
export function makePayload(
  kind: 'configmap' | 'secret',
  data: Record<string, string | Buffer>,
  items: KeyToPathSpec | undefined,
  defaultMode: number,
  optional: boolean,
): Map<string, FileProjection> {
  const out = new Map<string, FileProjection>();
  if (items === undefined || items.length === 0) {
    for (const [key, value] of Object.entries(data)) out.set(key, { data: value, mode: defaultMode });
    return out;
  }
  for (const item of items) {
    const value = data[item.key];
    if (value === undefined) {
      if (optional) continue;
      throw new VolumeError(
        kind === 'configmap'
          ? `configmap references non-existent config key: ${item.key}`
          : `references non-existent secret key: ${item.key}`,
      );
    }
    out.set(item.path, { data: value, mode: item.mode ?? defaultMode });
  }
  return out;
}

/** A configMap or secret by name (as bytes when they are known), `{}` when it is missing and optional. */
function objectData(
  kind: 'configmap' | 'secret',
  related: RelatedObjects,
  name: string,
  optional: boolean | undefined,
): Record<string, string | Buffer> {
  const bytes = (kind === 'configmap' ? related.bytes?.configMaps : related.bytes?.secrets)?.get(name);
  const data = bytes ?? (kind === 'configmap' ? related.configMaps : related.secrets).get(name);
  if (data === undefined && !optional) throw new VolumeError(`${kind} "${name}" not found`);
  return data ?? {};
}

/** A projected volume's files, source by source, a later one replacing an earlier one's path (projected.go). */
function projectedPayload(
  projected: NonNullable<VolumeSpec['projected']>,
  related: RelatedObjects,
  context: VolumeContext,
): Map<string, FileProjection> {
  const mode = projected.defaultMode ?? 0o644;
  const out = new Map<string, FileProjection>();
  for (const source of projected.sources ?? []) {
    let files: Map<string, FileProjection> | undefined;
    if (source.configMap) {
      const { name, items, optional } = source.configMap;
      files = makePayload('configmap', objectData('configmap', related, name, optional), items, mode, !!optional);
    } else if (source.secret) {
      const { name, items, optional } = source.secret;
      files = makePayload('secret', objectData('secret', related, name, optional), items, mode, !!optional);
    } else if (source.downwardAPI) {
      files = collectDownwardAPI(source.downwardAPI.items ?? [], context.pod, mode, context.node);
    }
    // serviceAccountToken, clusterTrustBundle, podCertificate: nothing to read them from (load warned).
    for (const [p, file] of files ?? []) out.set(p, file);
  }
  return out;
}

/**
 * The size of a `medium: Memory` emptyDir, as the kubelet computes it (emptydir.go
 * `calculateEmptyDirMemorySize`): the node's memory, lowered to the pod's memory limit when it has
 * one, lowered to `sizeLimit` when that is smaller still.
 *
 * @example
 * memoryVolumeBytes('64Mi', undefined); // 67108864
 */
export function memoryVolumeBytes(sizeLimit: string | number | undefined, podMemoryLimit?: number): number {
  let bytes = os.totalmem();
  if (podMemoryLimit !== undefined && podMemoryLimit > 0 && podMemoryLimit <= bytes) bytes = podMemoryLimit;
  const limit = sizeLimit === undefined ? 0 : Math.ceil(parseQuantity(sizeLimit));
  if (limit > 0 && limit <= bytes) bytes = limit;
  return bytes;
}

/**
 * The path a volumeMount with a subPath binds: `subPath` inside the volume, resolved as the kernel
 * will resolve it in the pod's mount namespace (read through `view`, so a Memory emptyDir is seen as
 * the containers see it), made as a directory with the volume's mode when missing, as the kubelet
 * does (kubelet_pods.go `makeMounts`). A path that leaves the volume, through `..` or a symlink, is
 * refused. Missing directories are made by fd beneath the volume (native `makeDirsBeneath`: openat2
 * without symlinks, mkdirat, fchmod), so a symlink swapped in after the check fails the mount
 * instead of making or chmod'ing anything outside (CVE-2017-1002101). With it come the volume's resolved root and the path under it, for the child to bind it
 * beneath the root (openat2 RESOLVE_BENEATH) whatever happens meanwhile.
 *
 * @example
 * subPathBeneath('/run/pod-init/…/empty-dir/data', 'logs/web');
 * // { source: '…/data/logs/web', root: '…/data', path: 'logs/web' }
 */
export function subPathBeneath(
  volume: string,
  subPath: string,
  view: (p: string) => string = (p) => p,
): { source: string; root: string; path: string } {
  if (path.isAbsolute(subPath))
    throw new ContainerConfigError(`error SubPath \`${subPath}\` must not be an absolute path`);
  if (subPath.split('/').includes('..'))
    throw new ContainerConfigError(`unable to provision SubPath \`${subPath}\`: must not contain '..'`);
  const readLink = (p: string) => {
    const stat = fs.lstatSync(view(p), { throwIfNoEntry: false });
    return stat?.isSymbolicLink() ? fs.readlinkSync(view(p)) : undefined;
  };
  const base = resolvePath(volume, readLink);
  const real = resolvePath(path.join(base, subPath), readLink);
  if (real !== base && !real.startsWith(`${base}/`))
    throw new ContainerConfigError(`subpath "${path.join(volume, subPath)}" not within volume path "${volume}"`);
  const mode = fs.statSync(view(base)).mode & 0o7777;
  const relative = path.relative(base, real);
  try {
    native.makeDirsBeneath(view(base), relative, mode);
  } catch (error) {
    if (!(error instanceof PodSystemError)) throw error;
    // The path changed since it was resolved above (a symlink swapped in): nothing was made through it.
    const where = error.path?.startsWith(view(base)) ? base + error.path.slice(view(base).length) : error.path;
    const why =
      error.code === 'ELOOP' || error.code === 'EXDEV' || error.code === 'ENOTDIR'
        ? `${where} is no longer a directory of the volume (a symbolic link or a file was put there), nothing was created through it`
        : `${where}: ${error.message}`;
    throw new ContainerConfigError(`unable to provision SubPath \`${subPath}\`: ${why} (${error.code})`);
  }
  return { source: real, root: base, path: relative };
}

/**
 * A subPathExpr with the container's environment put in (kubelet `ExpandContainerVolumeMounts`): a
 * reference to a variable that is missing or empty is an error.
 *
 * @example
 * expandSubPathExpr('logs/$(POD_NAME)', new Map([['POD_NAME', 'web-0']])); // 'logs/web-0'
 */
export function expandSubPathExpr(expr: string, env: ReadonlyMap<string, string>): string {
  const missing = new Set<string>();
  const out = expand(expr, (name) => {
    const value = env.get(name);
    if (!value) missing.add(name);
    return value ?? '';
  });
  if (missing.size > 0) throw new ContainerConfigError(`missing value for ${[...missing].sort().join(', ')}`);
  return out;
}

/**
 * An image volume: the layers of the image pulled for it (image-volumes.ts mounts them read-only), or a
 * VolumeError while it is not pulled (the runner pulls it before the volumes, and again with the
 * kubelet's image back-off after a failure; the volume is retried meanwhile).
 */
function imageVolume(
  name: string,
  reference: string,
  pulledLayers: ((reference: string) => readonly string[] | undefined) | undefined,
): PreparedVolume {
  const layers = pulledLayers?.(reference);
  if (layers === undefined || layers.length === 0)
    throw new VolumeError(`image ${JSON.stringify(reference)} of volume ${name} is not pulled (yet)`);
  const topFirst = [...layers].reverse();
  return { name, source: topFirst[0]!, readOnly: true, imageLayers: topFirst };
}

/**
 * Sets up one volume under the pod's state directory (or checks the host path); downwardAPI and projected
 * volumes need `context`.
 *
 * @example
 * prepareVolume({ name: 'cache', emptyDir: {} }, '/run/pod-init/default_web_uid', related).source;
 * // '/run/pod-init/default_web_uid/volumes/kubernetes.io~empty-dir/cache'
 */
export function prepareVolume(
  volume: VolumeSpec,
  stateDir: string,
  related: RelatedObjects,
  podMemoryLimit?: number,
  context?: VolumeContext,
): PreparedVolume {
  const under = (plugin: string) => path.join(stateDir, 'volumes', plugin, volume.name);
  if (volume.emptyDir) {
    const dir = under('kubernetes.io~empty-dir');
    fs.mkdirSync(dir, { recursive: true });
    fs.chmodSync(dir, 0o777);
    const prepared: PreparedVolume = { name: volume.name, source: dir, readOnly: false };
    if (volume.emptyDir.medium === 'Memory')
      prepared.tmpfsBytes = memoryVolumeBytes(volume.emptyDir.sizeLimit, podMemoryLimit);
    return prepared;
  }
  if (volume.persistentVolumeClaim) return claimVolume(volume.name, volume.persistentVolumeClaim, context);
  if (volume.image) return imageVolume(volume.name, volume.image.reference ?? '', context?.pulledLayers);
  if (volume.hostPath) {
    checkHostPath(volume.hostPath.path, volume.hostPath.type ?? '');
    return { name: volume.name, source: volume.hostPath.path, readOnly: false, hostPath: true };
  }
  const write = (plugin: string, payload: () => Map<string, FileProjection>): PreparedVolume => {
    const dir = under(plugin);
    writeAtomic(dir, payload());
    return { name: volume.name, source: dir, readOnly: true };
  };
  if (volume.configMap) {
    const { name, items, defaultMode, optional } = volume.configMap;
    return write('kubernetes.io~configmap', () =>
      makePayload(
        'configmap',
        objectData('configmap', related, name, optional),
        items,
        defaultMode ?? 0o644,
        !!optional,
      ),
    );
  }
  if (volume.secret) {
    const { secretName, items, defaultMode, optional } = volume.secret;
    return write('kubernetes.io~secret', () =>
      makePayload(
        'secret',
        objectData('secret', related, secretName, optional),
        items,
        defaultMode ?? 0o644,
        !!optional,
      ),
    );
  }
  if (volume.downwardAPI || volume.projected) {
    if (context === undefined) throw new VolumeError(`volume ${volume.name}: the pod is needed for its files`);
    if (volume.downwardAPI) {
      const { items, defaultMode } = volume.downwardAPI;
      return write('kubernetes.io~downward-api', () =>
        collectDownwardAPI(items ?? [], context.pod, defaultMode ?? 0o644, context.node),
      );
    }
    return write('kubernetes.io~projected', () => projectedPayload(volume.projected!, related, context));
  }
  throw new VolumeError(
    `volume ${volume.name}: no supported source (emptyDir, hostPath, configMap, secret, downwardAPI, projected, image)`,
  );
}

/**
 * /etc/hosts as the kubelet writes it (kubelet_pods.go `managedHostsFileContent`).
 *
 * @example
 * hostsFile('127.0.0.1', 'web', undefined); // '# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n…'
 */
export function hostsFile(
  podIP: string | readonly string[],
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
    // Every pod IP, as the kubelet's managedHostsFileContent lists them.
    ...(typeof podIP === 'string' ? [podIP] : podIP).map((ip) =>
      fqdn ? `${ip}\t${fqdn}\t${hostname}` : `${ip}\t${hostname}`,
    ),
  ];
  return `${lines.join('\n')}\n`;
}
