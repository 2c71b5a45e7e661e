/**
 * Images from local sources into the store, verified by digest as a pull is and unpacked through
 * the same layer pipeline (layer-stream.ts): `oci:DIR[:TAG]` (an OCI image layout), `oci-archive:FILE[:TAG]`
 * (a tar of one) and `docker-archive:FILE` (`docker save`: manifest.json, config, uncompressed layer
 * tars; a Docker schema 2 manifest is made for it, as containers/image does).
 * @module
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { type ArchiveFiles, directoryFiles, tarFiles } from './archive-files';
import { type LayerDescriptor, unpackLayerStream } from './layer-stream';
import { hostManifest, hostPlatform, type ImageConfig, type StoredImage } from './pull';
import { parseReference, referenceString } from './reference';
import { RegistryError } from './registry';
import type { ImageRecord, ImageStore } from './store';
import type { UnpackOptions } from './unpack';

/** A local image source as `--image NAME=…` and `pod-init load` name it. */
export interface LocalSource {
  transport: 'oci' | 'oci-archive' | 'docker-archive';
  path: string;
  /** `oci:DIR:TAG`: the `org.opencontainers.image.ref.name` to pick. */
  tag?: string;
}

/** What loading needs. */
export interface LoadContext {
  store: ImageStore;
  unpack: UnpackOptions;
}

/** A local image source that cannot be loaded (not found, malformed, or failing verification). */
export class LocalImageError extends Error {
  override name = 'LocalImageError';
}

const maxJsonBytes = 4 << 20;
const refName = 'org.opencontainers.image.ref.name';
const containerdName = 'io.containerd.image.name';
const sha256 = (bytes: Buffer) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
const digestPattern = /^sha256:[a-f0-9]{64}$/;

/**
 * `oci:PATH[:TAG]`, `oci-archive:PATH[:TAG]` or `docker-archive:PATH` as a {@link LocalSource};
 * undefined for anything else (a directory).
 *
 * @example
 * parseLocalSource('oci:/tmp/layout:v1'); // { transport: 'oci', path: '/tmp/layout', tag: 'v1' }
 */
export function parseLocalSource(text: string): LocalSource | undefined {
  const match = /^(oci|oci-archive|docker-archive):(.+)$/.exec(text);
  if (!match) return undefined;
  const transport = match[1] as LocalSource['transport'];
  let file = match[2]!;
  let tag: string | undefined;
  const colon = file.lastIndexOf(':');
  if (transport !== 'docker-archive' && colon > 0 && !file.slice(colon + 1).includes('/')) {
    tag = file.slice(colon + 1);
    file = file.slice(0, colon);
  }
  return { transport, path: path.resolve(file), ...(tag ? { tag } : {}) };
}

/**
 * The source `file` is, by its contents: a directory with `oci-layout`, or a tar holding `oci-layout`
 * (oci-archive) or `manifest.json` (docker-archive).
 *
 * @example
 * detectLocalSource('bb.tar'); // { transport: 'docker-archive', path: '/…/bb.tar' }
 */
export function detectLocalSource(file: string): LocalSource {
  const full = path.resolve(file);
  const stat = fs.statSync(full, { throwIfNoEntry: false });
  if (!stat) throw new LocalImageError(`${file}: no such file or directory`);
  if (stat.isDirectory()) {
    if (fs.existsSync(path.join(full, 'oci-layout'))) return { transport: 'oci', path: full };
    throw new LocalImageError(`${file}: a directory without oci-layout is not an OCI image layout`);
  }
  let files: ArchiveFiles;
  try {
    files = tarFiles(full);
  } catch (error) {
    throw new LocalImageError(`${file}: not a tar archive: ${(error as Error).message}`);
  }
  if (files.has('oci-layout')) return { transport: 'oci-archive', path: full };
  if (files.has('manifest.json')) return { transport: 'docker-archive', path: full };
  throw new LocalImageError(`${file}: neither an OCI archive (oci-layout) nor a docker save archive (manifest.json)`);
}

interface Descriptor extends LayerDescriptor {
  annotations?: Record<string, string>;
  platform?: { os?: string; architecture?: string; variant?: string };
}

interface Found {
  /** Names it is recorded under (normalized references). */
  names: string[];
  digest: string;
  manifest: string;
  config: Descriptor;
  layers: Descriptor[];
  /** The files holding each blob. */
  blob: (digest: string) => string;
}

function readJson<T>(files: ArchiveFiles, name: string, digest?: string): { value: T; bytes: Buffer } {
  if (!files.has(name)) throw new LocalImageError(`${files.where}: ${name} is missing`);
  const bytes = files.read(name, maxJsonBytes);
  if (digest !== undefined && sha256(bytes) !== digest)
    throw new LocalImageError(`${files.where}: ${name}: digest mismatch: expected ${digest}, got ${sha256(bytes)}`);
  try {
    return { value: JSON.parse(bytes.toString('utf8')) as T, bytes };
  } catch {
    throw new LocalImageError(`${files.where}: ${name} is not JSON`);
  }
}

const blobName = (digest: string): string => {
  if (!digestPattern.test(digest)) throw new LocalImageError(`unsupported digest ${JSON.stringify(digest)}`);
  return `blobs/sha256/${digest.slice(7)}`;
};

/** A name as a normalized reference; `localhost/<base>:<tag>` for a bare tag (as skopeo writes ref.name). */
function normalizedName(name: string, base: string): string | undefined {
  try {
    if (name.includes('/') || name.includes('@')) return referenceString(parseReference(name));
    return referenceString(parseReference(`localhost/${base}:${name}`));
  } catch {
    return undefined;
  }
}

function ociImages(files: ArchiveFiles, source: LocalSource): Found[] {
  const layout = readJson<{ imageLayoutVersion?: string }>(files, 'oci-layout').value;
  if (layout.imageLayoutVersion !== '1.0.0')
    throw new LocalImageError(`${files.where}: oci-layout version ${String(layout.imageLayoutVersion)} is not 1.0.0`);
  const index = readJson<{ manifests?: Descriptor[] }>(files, 'index.json').value;
  let entries = index.manifests ?? [];
  if (source.tag !== undefined) entries = entries.filter((m) => m.annotations?.[refName] === source.tag);
  if (entries.length === 0)
    throw new LocalImageError(`${files.where}: no image${source.tag ? ` tagged ${JSON.stringify(source.tag)}` : ''}`);
  const base = path
    .basename(source.path)
    .replace(/\.(tar|oci)$/, '')
    .toLowerCase()
    .replace(/[^a-z0-9._-]/g, '-');
  return entries.map((entry) => {
    let manifest = readJson<{ manifests?: Descriptor[]; config?: Descriptor; layers?: Descriptor[] }>(
      files,
      blobName(entry.digest),
      entry.digest,
    ).value;
    let manifestDigest = entry.digest;
    if (manifest.manifests !== undefined) {
      const want = hostPlatform();
      const pick = hostManifest(manifest.manifests);
      if (!pick) throw new LocalImageError(`${files.where}: no manifest for linux/${want.architecture}`);
      manifest = readJson<typeof manifest>(files, blobName(pick.digest), pick.digest).value;
      manifestDigest = pick.digest;
    }
    if (!manifest.config || !manifest.layers)
      throw new LocalImageError(`${files.where}: manifest ${manifestDigest}: no config or layers`);
    const named = entry.annotations?.[containerdName] ?? entry.annotations?.[refName];
    const name = named === undefined ? undefined : normalizedName(named, base);
    return {
      names: name === undefined ? [] : [name],
      digest: entry.digest,
      manifest: manifestDigest,
      config: manifest.config,
      layers: manifest.layers,
      blob: blobName,
    };
  });
}

function dockerImages(files: ArchiveFiles, store: ImageStore): Found[] {
  const entries = readJson<Array<{ Config?: string; RepoTags?: string[] | null; Layers?: string[] }>>(
    files,
    'manifest.json',
  ).value;
  if (!Array.isArray(entries) || entries.length === 0)
    throw new LocalImageError(`${files.where}: manifest.json lists no image`);
  return entries.map((entry) => {
    if (typeof entry.Config !== 'string' || !Array.isArray(entry.Layers))
      throw new LocalImageError(`${files.where}: manifest.json: an entry without Config or Layers`);
    const { value: config, bytes } = readJson<ImageConfig>(files, entry.Config);
    const configDigest = sha256(bytes);
    // The config's name is its digest (<hex>.json, or blobs/sha256/<hex> since Docker 25).
    const hex = /([a-f0-9]{64})(\.json)?$/.exec(entry.Config)?.[1];
    if (hex !== undefined && `sha256:${hex}` !== configDigest)
      throw new LocalImageError(`${files.where}: ${entry.Config}: digest mismatch: got ${configDigest}`);
    const diffIds = config.rootfs?.diff_ids ?? [];
    if (diffIds.length !== entry.Layers.length)
      throw new LocalImageError(
        `${files.where}: the config has ${diffIds.length} diff_ids for ${entry.Layers.length} layers`,
      );
    // docker save layers are uncompressed tars: the blob digest is the diff_id.
    const byDigest = new Map<string, string>();
    const layers = entry.Layers.map((name, i) => {
      byDigest.set(diffIds[i]!, name);
      return {
        mediaType: 'application/vnd.docker.image.rootfs.diff.tar',
        digest: diffIds[i]!,
        size: files.size(name),
      };
    });
    const configDesc = {
      mediaType: 'application/vnd.docker.container.image.v1+json',
      digest: configDigest,
      size: bytes.length,
    };
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
        config: configDesc,
        layers,
      }),
    );
    const manifestDigest = sha256(manifest);
    store.writeBlob(manifestDigest, manifest);
    store.writeBlob(configDigest, bytes);
    const names = (entry.RepoTags ?? []).flatMap((t) => {
      try {
        return [referenceString(parseReference(t))];
      } catch {
        return [];
      }
    });
    return {
      names,
      digest: manifestDigest,
      manifest: manifestDigest,
      config: configDesc,
      layers,
      blob: (digest: string) => (digest === configDigest ? entry.Config! : byDigest.get(digest)!),
    };
  });
}

async function storeImage(
  files: ArchiveFiles,
  found: Found,
  ctx: LoadContext,
): Promise<Omit<StoredImage, 'reference'>> {
  if (!ctx.store.hasBlob(found.config.digest)) {
    const { bytes } = readJson<ImageConfig>(files, found.blob(found.config.digest), found.config.digest);
    ctx.store.writeBlob(found.config.digest, bytes);
  }
  const config = JSON.parse(ctx.store.readBlob(found.config.digest).toString('utf8')) as ImageConfig;
  const diffIds = config.rootfs?.diff_ids ?? [];
  if (diffIds.length !== found.layers.length)
    throw new LocalImageError(`the image config has ${diffIds.length} diff_ids for ${found.layers.length} layers`);
  const dirs: string[] = [];
  for (const [i, desc] of found.layers.entries()) {
    const diffId = diffIds[i]!;
    const present = ctx.store.layerDir(diffId);
    if (present) {
      dirs.push(present);
      continue;
    }
    const name = found.blob(desc.digest);
    if (!files.has(name)) throw new LocalImageError(`${files.where}: layer ${desc.digest} is missing`);
    dirs.push(
      await ctx.store.withLock(
        `layer-${diffId.slice(7)}`,
        async () =>
          ctx.store.layerDir(diffId) ??
          unpackLayerStream(ctx.store, ctx.unpack, desc, diffId, async () => files.open(name)).catch(
            (error: unknown) => {
              throw error instanceof RegistryError ? new LocalImageError(`${files.where}: ${error.message}`) : error;
            },
          ),
      ),
    );
  }
  const record: ImageRecord = {
    digest: found.digest,
    manifest: found.manifest,
    config: found.config.digest,
    diffIds,
    size: found.config.size + found.layers.reduce((sum, l) => sum + l.size, 0),
    pulledAt: new Date().toISOString(),
  };
  return { record, config, layers: dirs };
}

/**
 * Loads every image of `source` into the store, recorded under its names (docker save's RepoTags; an
 * OCI layout's `io.containerd.image.name` or `org.opencontainers.image.ref.name`, a bare tag as
 * `localhost/<file name>:<tag>`), or under `name` when given (then the source must hold one image,
 * or one tagged `source.tag`, or one whose names include `name`).
 *
 * @example
 * const [image] = await loadLocalImages({ transport: 'oci-archive', path: 'bb.tar' }, ctx, 'bb:1');
 * image.reference; // 'docker.io/library/bb:1'
 */
export function loadLocalImages(source: LocalSource, ctx: LoadContext, name?: string): Promise<StoredImage[]> {
  return ctx.store.whilePulling(() => load(source, ctx, name));
}

async function load(source: LocalSource, ctx: LoadContext, name?: string): Promise<StoredImage[]> {
  let files: ArchiveFiles;
  try {
    files = source.transport === 'oci' ? directoryFiles(source.path) : tarFiles(source.path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new LocalImageError(
      code === 'ENOENT' ? `${source.path}: no such file or directory` : `${source.path}: ${(error as Error).message}`,
    );
  }
  if (source.transport !== 'oci' && files.has('manifest.json') !== (source.transport === 'docker-archive'))
    throw new LocalImageError(
      `${source.path}: not a${source.transport === 'docker-archive' ? ' docker save archive (no manifest.json)' : 'n OCI archive (a docker save archive)'}`,
    );
  let found = source.transport === 'docker-archive' ? dockerImages(files, ctx.store) : ociImages(files, source);
  if (name !== undefined) {
    const reference = referenceString(parseReference(name));
    if (found.length > 1) found = found.filter((f) => f.names.includes(reference));
    if (found.length !== 1)
      throw new LocalImageError(
        `${source.path}: holds ${found.length === 0 ? 'no image named' : 'several images; name one:'} ${name}`,
      );
    found = [{ ...found[0]!, names: [reference] }];
  }
  const loaded: StoredImage[] = [];
  for (const f of found) {
    const image = await storeImage(files, f, ctx);
    for (const reference of f.names) {
      await ctx.store.recordImage(reference, image.record);
      loaded.push({ reference, ...image });
    }
  }
  return loaded;
}
