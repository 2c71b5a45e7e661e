/**
 * Image volumes (`volumes[].image`, Kubernetes 1.33+; KEP-4639): the layers of an image pulled for the
 * volume (as a container's image is, src/image/), merged read-only at the mount path — an overlayfs
 * without an upper layer, or a bind for a single layer — `ro,nosuid,nodev,noexec` as the API describes.
 * A `subPath` is looked up in the merged view (whiteouts and opaque directories applied, never through
 * a symlink of the image) and mounted the same way: the overlay of that directory in each layer that
 * has it, or a bind of the file.
 * @module
 */
import path from 'node:path';
import { mergedEntry } from '../image/layers';

/** What a container mounts for an image volume: `lowers` top first (`source` the first). */
export interface ImageVolumeMount {
  source: string;
  lowers: readonly string[];
}

/**
 * The mount of image volume layers `layers` (top first) at `subPath` ('' or undefined: the whole
 * image). Throws an Error saying why when the path is missing, or reaches a symlink or a file midway.
 *
 * @example
 * imageVolumeMount(['/s/layers/b/diff', '/s/layers/a/diff'], 'etc/app');
 * // { source: '/s/layers/b/diff/etc/app', lowers: ['/s/layers/b/diff/etc/app', '/s/layers/a/diff/etc/app'] }
 */
export function imageVolumeMount(layers: readonly string[], subPath?: string): ImageVolumeMount {
  const parts = (subPath ?? '').split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..') || path.isAbsolute(subPath ?? ''))
    throw new Error(`subPath ${JSON.stringify(subPath)} must be a relative path inside the volume`);
  let dirs: readonly string[] = layers;
  for (let i = 0; i < parts.length; i++) {
    const entry = mergedEntry(dirs, parts[i]!);
    const shown = JSON.stringify(parts.slice(0, i + 1).join('/'));
    if (entry === undefined) throw new Error(`${shown} does not exist in the image`);
    if (entry.stat.isSymbolicLink())
      throw new Error(`${shown} is a symlink in the image (not followed in an image volume's subPath)`);
    if (!entry.stat.isDirectory()) {
      if (i < parts.length - 1) throw new Error(`${shown} is not a directory in the image`);
      return { source: entry.at, lowers: [entry.at] };
    }
    dirs = [entry.at, ...entry.below];
  }
  return { source: dirs[0]!, lowers: dirs };
}

/** An image volume's pull, in the shape of a container's image step (the runner pulls both alike). */
export interface ImageVolumePull {
  /** `volume NAME`: the key of its pull errors (never a container's name: those have no space). */
  name: string;
  image: string;
  imagePullPolicy?: string;
  volume: string;
}

/**
 * The pulls the image volumes of a pod need, after its containers' (the kubelet pulls them with the pod).
 *
 * @example
 * imageVolumePulls([{ name: 'tools', image: { reference: 'reg:5000/tools:1', pullPolicy: 'IfNotPresent' } }]);
 * // [{ name: 'volume tools', image: 'reg:5000/tools:1', imagePullPolicy: 'IfNotPresent', volume: 'tools' }]
 */
export function imageVolumePulls(
  volumes: ReadonlyArray<{ name: string; image?: { reference?: string; pullPolicy?: string } }>,
): ImageVolumePull[] {
  return volumes
    .filter((v) => (v.image?.reference ?? '') !== '')
    .map((v) => ({
      name: `volume ${v.name}`,
      image: v.image!.reference!,
      ...(v.image!.pullPolicy ? { imagePullPolicy: v.image!.pullPolicy } : {}),
      volume: v.name,
    }));
}
