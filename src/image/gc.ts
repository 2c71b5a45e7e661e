/**
 * Removing images from the store without ever taking one a running pod uses: `rmi` (one image, by
 * name or IMAGE ID) and `prune` (every image no live pod leases and older than the kubelet's
 * ImageMinimumGCAge, 2 min), then a sweep of the layers and blobs no remaining image or lease refers
 * to. Both hold the store's `gc` lock exclusively (pulls hold it shared: nothing a pull is making is
 * swept) and the `images` lock to rewrite images.json.
 * @module
 */
import fs from 'node:fs';
import path from 'node:path';
import { liveLeases, type LeaseContent } from './leases';
import { withFileLock } from './lock';
import { removeTree } from '../subordinate-ids';
import { ImageReferenceError, parseReference, referenceString } from './reference';
import type { ImageRecord, ImageStore } from './store';

/** An image that cannot be removed (not found, or in use); `message` says which and why. */
export class ImageRemoveError extends Error {
  override name = 'ImageRemoveError';
}

/** The kubelet's ImageMinimumGCAge: an image younger than this is never pruned. */
export const minimumGcAgeMs = 2 * 60_000;

/** What a removal freed. */
export interface Removed {
  images: string[];
  layers: number;
  bytes: number;
}

const hex12 = (digest: string) => digest.replace(/^sha256:/, '').slice(0, 12);

function leasedBy(leases: readonly LeaseContent[], reference: string, record: ImageRecord): string[] {
  return leases
    .filter((l) => Object.entries(l.images).some(([r, i]) => r === reference || i.config === record.config))
    .map((l) => `${l.pod} (pid ${l.pid})`);
}

function duSync(dir: string): number {
  let total = 0;
  const walk = (p: string) => {
    const st = fs.lstatSync(p, { throwIfNoEntry: false });
    if (!st) return;
    total += st.blocks * 512;
    if (!st.isDirectory()) return;
    let names: string[];
    try {
      names = fs.readdirSync(p);
    } catch (error) {
      // Rootless: a 0700 directory of a subordinate id is not the caller's to list; its size is not counted.
      if ((error as NodeJS.ErrnoException).code === 'EACCES') return;
      throw error;
    }
    for (const n of names) walk(path.join(p, n));
  };
  walk(dir);
  return total;
}

/** Removes layers and blobs that no image and no lease refer to (the caller holds the gc lock). */
function sweep(store: ImageStore, leases: readonly LeaseContent[]): { layers: number; bytes: number } {
  const diffIds = new Set<string>();
  const blobs = new Set<string>();
  for (const record of Object.values(store.images())) {
    record.diffIds.forEach((d) => diffIds.add(d.slice(7)));
    for (const b of [record.config, record.manifest, record.digest]) blobs.add(b.slice(7));
  }
  for (const lease of leases)
    for (const image of Object.values(lease.images)) {
      image.diffIds.forEach((d) => diffIds.add(d.slice(7)));
      blobs.add(image.config.slice(7));
    }
  let layers = 0;
  let bytes = 0;
  const layerDir = path.join(store.dir, 'layers');
  for (const name of fs.readdirSync(layerDir)) {
    if (name.startsWith('.') || diffIds.has(name)) continue;
    bytes += duSync(path.join(layerDir, name));
    // The marker first: a half-removed layer is never taken for a complete one.
    fs.rmSync(path.join(layerDir, name, 'layer.json'), { force: true });
    removeTree(path.join(layerDir, name)); // rootless: its files may be the caller's subordinate ids'
    layers++;
  }
  const blobDir = path.join(store.dir, 'blobs', 'sha256');
  for (const name of fs.readdirSync(blobDir)) {
    if (blobs.has(name) || name.endsWith('.tmp')) continue;
    bytes += fs.lstatSync(path.join(blobDir, name)).size;
    fs.rmSync(path.join(blobDir, name), { force: true });
  }
  return { layers, bytes };
}

function withGcLock<T>(store: ImageStore, fn: () => Promise<T>): Promise<T> {
  return withFileLock(path.join(store.dir, 'locks', 'gc.lock'), fn);
}

/**
 * The reference an rmi name means: a recorded reference, a name that normalizes to one, or an IMAGE ID
 * (a prefix of the config digest's hex, at least 3 characters, matching one image).
 *
 * @example
 * resolveImage(store, 'busybox:1'); // 'docker.io/library/busybox:1'
 */
export function resolveImage(store: ImageStore, name: string): string {
  const images = store.images();
  if (images[name]) return name;
  try {
    const reference = referenceString(parseReference(name));
    if (images[reference]) return reference;
  } catch (error) {
    if (!(error instanceof ImageReferenceError)) throw error;
  }
  const id = name.replace(/^sha256:/, '');
  const byId = /^[a-f0-9]{3,64}$/.test(id)
    ? Object.entries(images).filter(([, r]) => r.config.slice(7).startsWith(id))
    : [];
  if (byId.length === 1) return byId[0]![0];
  if (byId.length > 1)
    throw new ImageRemoveError(
      `${name}: the IMAGE ID of ${byId.length} images (${byId.map(([r]) => r).join(', ')}): name one`,
    );
  throw new ImageRemoveError(`${name}: image not known`);
}

/**
 * Removes an image (refused while a running pod uses it), then what nothing refers to any more.
 *
 * @example
 * await removeImage(store, 'busybox:1'); // { images: ['docker.io/library/busybox:1'], layers: 1, bytes: … }
 */
export function removeImage(store: ImageStore, name: string): Promise<Removed> {
  return withGcLock(store, async () => {
    const reference = resolveImage(store, name);
    const record = store.image(reference)!;
    const leases = liveLeases(store.dir);
    const users = leasedBy(leases, reference, record);
    if (users.length > 0)
      throw new ImageRemoveError(`${reference}: image is in use by a running pod: ${users.join(', ')}`);
    await store.forgetImages([reference]);
    return { images: [reference], ...sweep(store, leases) };
  });
}

/**
 * Removes every image no running pod uses and pulled more than `minAgeMs` ago (the kubelet's
 * ImageMinimumGCAge, so a pull whose pod has not started yet keeps its image), then what nothing refers to.
 *
 * @example
 * await pruneImages(store); // { images: [...], layers: 3, bytes: 12345678 }
 */
export function pruneImages(store: ImageStore, minAgeMs = minimumGcAgeMs, now = Date.now()): Promise<Removed> {
  return withGcLock(store, async () => {
    const leases = liveLeases(store.dir);
    const gone = Object.entries(store.images())
      .filter(([reference, record]) => leasedBy(leases, reference, record).length === 0)
      .filter(([, record]) => now - Date.parse(record.pulledAt) >= minAgeMs)
      .map(([reference]) => reference);
    if (gone.length > 0) await store.forgetImages(gone);
    return { images: gone, ...sweep(store, leases) };
  });
}

/** One row of `pod-init images`. */
export interface ImageRow {
  repository: string;
  tag: string;
  imageId: string;
  created: string | undefined;
  size: number;
  /** Whether a running pod uses it. */
  inUse: boolean;
}

/**
 * The store's images as `pod-init images` lists them (REPOSITORY, TAG, IMAGE ID = 12 hex of the config
 * digest, CREATED from the image config, SIZE as the kubelet reports it), newest pull first.
 *
 * @example
 * imageRows(store)[0]?.repository; // 'docker.io/library/busybox'
 */
export function imageRows(store: ImageStore): ImageRow[] {
  const leases = liveLeases(store.dir);
  return Object.entries(store.images())
    .sort(([, a], [, b]) => Date.parse(b.pulledAt) - Date.parse(a.pulledAt))
    .map(([reference, record]) => {
      const at = reference.lastIndexOf('@');
      const colon = reference.lastIndexOf(':');
      const [repository, tag] =
        at >= 0
          ? [reference.slice(0, at), '<none>']
          : colon > reference.lastIndexOf('/')
            ? [reference.slice(0, colon), reference.slice(colon + 1)]
            : [reference, '<none>'];
      let created: string | undefined;
      try {
        created = (JSON.parse(store.readBlob(record.config).toString('utf8')) as { created?: string }).created;
      } catch {
        created = undefined;
      }
      return {
        repository,
        tag,
        imageId: hex12(record.config),
        created,
        size: record.size,
        inUse: leasedBy(leases, reference, record).length > 0,
      };
    });
}
