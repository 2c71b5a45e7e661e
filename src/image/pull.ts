/**
 * Pulling an image into the store: the manifest (an index resolved to this host's platform), the
 * config, then the layers, three at a time, each streamed from the registry through sha256 (the
 * blob digest), the decompressor, sha256 again (the diff_id) and the tar reader into a temp dir of
 * the store, renamed to its diff_id only once both digests and the size match. A layer present is
 * never fetched again; a layer another pull (in this process or another) is fetching is waited for; a
 * layer an earlier pull fetched part of is resumed from the bytes it kept (blob-fetch.ts).
 * @module
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { type BlobBody, fetchBlob, keptBytes } from './blob-fetch';
import { type ImageReference, parseReference, referenceString } from './reference';
import { manifestTypes, RegistryClient, RegistryError } from './registry';
import type { ImageRecord, ImageStore } from './store';
import { unpackLayerStream } from './layer-stream';
import type { UnpackOptions } from './unpack';

/** The parts of an image config (OCI image-spec config.md) a container uses. */
export interface ImageConfig {
  config?: {
    Entrypoint?: string[] | null;
    Cmd?: string[] | null;
    Env?: string[] | null;
    WorkingDir?: string;
    User?: string;
    StopSignal?: string;
  };
  rootfs?: { type?: string; diff_ids?: string[] };
  architecture?: string;
  os?: string;
}

/** An image in the store, ready to run. */
export interface StoredImage {
  /** The normalized reference it is recorded under. */
  reference: string;
  record: ImageRecord;
  config: ImageConfig;
  /** The layers' directories, bottom first. */
  layers: string[];
}

/** What a pull needs. */
export interface PullContext {
  store: ImageStore;
  client: RegistryClient;
  unpack: UnpackOptions;
  /** Layers fetched at once (default 3, as containerd). */
  parallel?: number;
  /**
   * A layer transfer that yields no byte for this long is aborted and resumed with `Range` (default
   * 60 s, containerd's and the kubelet's order of magnitude for "no progress").
   */
  stallTimeoutMs?: number;
  /** Told of the layers' progress as bytes arrive (the caller decides whether and how to show it). */
  onProgress?: (progress: PullProgress) => void;
}

/** Where a pull is: each layer's bytes so far (`present`: in the store already, not fetched). */
export interface PullProgress {
  image: string;
  layers: Array<{ digest: string; size: number; received: number; state: 'waiting' | 'fetching' | 'done' | 'present' }>;
}

interface Descriptor {
  mediaType?: string;
  digest: string;
  size: number;
  platform?: { os?: string; architecture?: string; variant?: string };
}

interface Manifest {
  schemaVersion?: number;
  mediaType?: string;
  manifests?: Descriptor[];
  config?: Descriptor;
  layers?: Descriptor[];
}

/** Manifests and configs larger than this are refused (our cap). */
const maxJsonBytes = 4 << 20;

/** This host's platform as image indexes name it. */
export function hostPlatform(): { architecture: string; variant?: string } {
  switch (process.arch) {
    case 'x64':
      return { architecture: 'amd64' };
    case 'arm64':
      return { architecture: 'arm64', variant: 'v8' };
    case 'arm':
      return { architecture: 'arm', variant: 'v7' };
    case 'ia32':
      return { architecture: '386' };
    default:
      return { architecture: process.arch };
  }
}

/**
 * The entry of a manifest list (OCI index, Docker manifest list) for linux on this host's architecture
 * and variant (an entry without a variant matches any), or undefined.
 *
 * @example
 * hostManifest(index.manifests)?.digest; // the linux/amd64 manifest's digest on an x86-64 host
 */
export function hostManifest<T extends { platform?: { os?: string; architecture?: string; variant?: string } }>(
  manifests: readonly T[],
): T | undefined {
  const want = hostPlatform();
  return manifests.find(
    (m) =>
      m.platform?.os === 'linux' &&
      m.platform.architecture === want.architecture &&
      (want.variant === undefined || m.platform.variant === undefined || m.platform.variant === want.variant),
  );
}

const sha256 = (bytes: Buffer) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

async function readCapped(res: Response, limit: number, what: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    size += chunk.length;
    if (size > limit) {
      await res.body?.cancel().catch(() => undefined);
      throw new RegistryError(`${what}: larger than ${limit} bytes`);
    }
    chunks.push(Buffer.from(chunk));
  }
  return Buffer.concat(chunks);
}

async function getManifest(
  client: RegistryClient,
  ref: ImageReference,
  selector: string,
): Promise<{ digest: string; manifest: Manifest; mediaType: string }> {
  const res = await client.request(ref.domain, ref.path, `/manifests/${selector}`, { accept: manifestTypes });
  const bytes = await readCapped(res, maxJsonBytes, `manifest ${selector}`);
  const digest = sha256(bytes);
  if (selector.startsWith('sha256:') && digest !== selector)
    throw new RegistryError(`manifest ${selector}: digest mismatch: got ${digest}`);
  const manifest = JSON.parse(bytes.toString('utf8')) as Manifest;
  const mediaType = manifest.mediaType ?? res.headers.get('content-type')?.split(';')[0] ?? '';
  if (manifest.schemaVersion === 1 || mediaType.startsWith('application/vnd.docker.distribution.manifest.v1'))
    throw new RegistryError(`manifest ${selector}: Docker schema 1 manifests are not supported`);
  return { digest, manifest, mediaType };
}

/**
 * The digest the reference resolves to at the registry now: a HEAD (GET when the registry sends no
 * `Docker-Content-Digest`), for `imagePullPolicy: Always` with the image present.
 *
 * @example
 * await remoteDigest(client, '127.0.0.1:5000/bb:1'); // 'sha256:…'
 */
export async function remoteDigest(client: RegistryClient, image: string): Promise<string> {
  const ref = parseReference(image);
  if (ref.digest) return ref.digest;
  const res = await client.request(ref.domain, ref.path, `/manifests/${ref.tag}`, {
    method: 'HEAD',
    accept: manifestTypes,
  });
  const header = res.headers.get('docker-content-digest');
  if (header && /^sha256:[a-f0-9]{64}$/.test(header)) return header;
  return (await getManifest(client, ref, ref.tag!)).digest;
}

/**
 * The image recorded for `image` with all its layers present, or undefined.
 *
 * @example
 * storedImage(store, 'nginx'); // looks up docker.io/library/nginx:latest
 */
export function storedImage(store: ImageStore, image: string): StoredImage | undefined {
  const reference = referenceString(parseReference(image));
  const record = store.image(reference);
  if (!record || !store.hasBlob(record.config)) return undefined;
  const layers = record.diffIds.map((d) => store.layerDir(d));
  if (layers.some((l) => l === undefined)) return undefined;
  const config = JSON.parse(store.readBlob(record.config).toString('utf8')) as ImageConfig;
  return { reference, record, config, layers: layers as string[] };
}

/**
 * Pulls `image` into the store (what is there already is not fetched again).
 *
 * @example
 * const image = await pullImage('127.0.0.1:5000/bb:1', { store, client, unpack });
 * image.layers; // ['/…/layers/<diff_id hex>/diff', …]
 */
export function pullImage(image: string, ctx: PullContext): Promise<StoredImage> {
  return ctx.store.whilePulling(() => pull(image, ctx));
}

async function pull(image: string, ctx: PullContext): Promise<StoredImage> {
  const ref = parseReference(image);
  const reference = referenceString(ref);
  const top = await getManifest(ctx.client, ref, ref.digest ?? ref.tag!);
  let { manifest, digest: manifestDigest } = top;
  if (manifest.manifests !== undefined) {
    const want = hostPlatform();
    const pick = hostManifest(manifest.manifests);
    if (!pick)
      throw new RegistryError(
        `no matching manifest for linux/${want.architecture}${want.variant ? `/${want.variant}` : ''} in the manifest list entries`,
      );
    ({ manifest, digest: manifestDigest } = await getManifest(ctx.client, ref, pick.digest));
  }
  if (!manifest.config || !manifest.layers) throw new RegistryError(`manifest ${manifestDigest}: no config or layers`);
  const configDesc = manifest.config;
  if (!ctx.store.hasBlob(configDesc.digest)) {
    const res = await ctx.client.request(ref.domain, ref.path, `/blobs/${configDesc.digest}`);
    const bytes = await readCapped(res, maxJsonBytes, `config ${configDesc.digest}`);
    try {
      ctx.store.writeBlob(configDesc.digest, bytes);
    } catch (error) {
      throw new RegistryError(`config ${configDesc.digest}: ${(error as Error).message}`);
    }
  }
  const config = JSON.parse(ctx.store.readBlob(configDesc.digest).toString('utf8')) as ImageConfig;
  const diffIds = config.rootfs?.diff_ids ?? [];
  const layers = manifest.layers;
  if (diffIds.length !== layers.length)
    throw new RegistryError(`image config has ${diffIds.length} diff_ids for ${layers.length} layers`);
  const dirs: string[] = new Array<string>(layers.length);
  const progress: PullProgress = {
    image,
    layers: layers.map((l, i) => ({
      digest: l.digest,
      size: l.size,
      received: 0,
      state: ctx.store.layerDir(diffIds[i]!) !== undefined ? ('present' as const) : ('waiting' as const),
    })),
  };
  const report = () => ctx.onProgress?.(progress);
  report();
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (next < layers.length && !failed) {
      const i = next++;
      try {
        const entry = progress.layers[i]!;
        dirs[i] = await ensureLayer(ctx, ref, layers[i]!, diffIds[i]!, (n) => {
          entry.state = 'fetching';
          entry.received += n;
          report();
        });
        if (entry.state !== 'present') entry.state = 'done';
        report();
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  // Every fetch in flight ends (and cleans up) before a failure is reported.
  const results = await Promise.allSettled(Array.from({ length: Math.min(ctx.parallel ?? 3, layers.length) }, worker));
  const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failure) throw failure.reason;
  const record: ImageRecord = {
    digest: top.digest,
    manifest: manifestDigest,
    config: configDesc.digest,
    diffIds,
    size: configDesc.size + layers.reduce((sum, l) => sum + l.size, 0),
    pulledAt: new Date().toISOString(),
  };
  await ctx.store.recordImage(reference, record);
  return { reference, record, config, layers: dirs };
}

async function ensureLayer(
  ctx: PullContext,
  ref: ImageReference,
  desc: Descriptor,
  diffId: string,
  onBytes: (n: number) => void,
): Promise<string> {
  const present = ctx.store.layerDir(diffId);
  if (present) return present;
  return ctx.store.withLock(`layer-${diffId.slice(7)}`, async () => {
    const now = ctx.store.layerDir(diffId); // another pull made it while this one waited
    if (now) return now;
    return fetchLayer(ctx, ref, desc, diffId, onBytes);
  });
}

/**
 * The layer's blob through the unpacker, resumed from what an earlier pull kept of it (blob-fetch.ts),
 * holding the blob's ingest lock (one writer per ingest file). The ingest file goes once the layer is
 * in, or when its bytes were wrong; it stays when the transfer broke (the next pull resumes it). When a
 * resumed blob fails its digest, the kept bytes may be what was wrong: fetched once more from the start.
 */
async function fetchLayer(
  ctx: PullContext,
  ref: ImageReference,
  desc: Descriptor,
  diffId: string,
  onBytes: (n: number) => void,
): Promise<string> {
  const file = ctx.store.ingestPath(desc.digest);
  return ctx.store.withLock(`ingest-${desc.digest.slice(7)}`, async () => {
    for (let attempt = 0; ; attempt++) {
      let blob: BlobBody | undefined;
      let counted = 0;
      try {
        const dir = await unpackLayerStream(
          ctx.store,
          ctx.unpack,
          desc,
          diffId,
          async () => (blob = await fetchBlob(ctx, ref, desc, file, keptBytes(file, desc))),
          (n) => {
            counted += n;
            onBytes(n);
          },
        );
        fs.rmSync(file, { force: true });
        return dir;
      } catch (error) {
        // No answer yet (registry down, refused) or a broken transfer: the kept bytes stay for the next try.
        if (blob === undefined || blob.cut) throw error;
        fs.rmSync(file, { force: true });
        if (attempt > 0 || blob.resumedFrom === 0) throw error;
        onBytes(-counted); // fetched again from the first byte
      }
    }
  });
}
