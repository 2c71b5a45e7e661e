/**
 * One layer from a byte stream into the store: the blob through sha256 (its digest), the
 * decompressor (gzip, zstd — libzstd in the addon, zstd.ts — or none), sha256 again (its diff_id) and the native tar unpacker
 * (unpack.ts, on the thread pool) into a temp dir of the
 * store, renamed to its diff_id only once both digests and the size match. Whatever the bytes come
 * from — a registry (pull.ts) or a local archive (local-image.ts) — they are verified the same way.
 * @module
 */
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { PassThrough, type Transform } from 'node:stream';
import zlib from 'node:zlib';
import { RegistryError } from './registry';
import type { ImageStore } from './store';
import { LayerWriter, type UnpackOptions } from './unpack';
import { ZstdDecompress } from './zstd';

/** Decompressed bytes handed to the native unpacker per step (fewer thread-pool hops than zlib's chunks). */
const unpackBatchBytes = 256 << 10;

/** A layer as a manifest describes it. */
export interface LayerDescriptor {
  mediaType?: string;
  digest: string;
  size: number;
}

/** A layer's bytes: the body, and how to stop reading it early. */
export interface LayerBody {
  body: AsyncIterable<Uint8Array>;
  cancel(): Promise<void>;
}

/**
 * Unpacks the layer `desc` (whose uncompressed tar hashes to `diffId`) from `open()`'s bytes into the
 * store; returns its directory. Any mismatch, or bytes the tar reader refuses, throws a RegistryError
 * naming the layer, with nothing kept.
 *
 * @example
 * await unpackLayerStream(store, unpack, desc, diffId, async () => ({ body: res.body, cancel }));
 */
export async function unpackLayerStream(
  store: ImageStore,
  unpack: UnpackOptions,
  desc: LayerDescriptor,
  diffId: string,
  open: () => Promise<LayerBody>,
  onBytes?: (bytes: number) => void,
): Promise<string> {
  const type = desc.mediaType ?? '';
  const gzip = type.endsWith('+gzip') || type.endsWith('.tar.gzip');
  const zstd = type.endsWith('+zstd');
  const temp = store.newLayer();
  const writer = new LayerWriter(temp.diff, unpack);
  const compressed = createHash('sha256');
  const uncompressed = createHash('sha256');
  let size = 0;
  try {
    const { body, cancel } = await open();
    // Every byte is hashed, even after the unpack failed: bad bytes are reported as a digest
    // mismatch (what they are) rather than as the gzip or tar error they cause.
    const decompress: Transform = gzip
      ? zlib.createGunzip({ chunkSize: 128 << 10 })
      : zstd
        ? new ZstdDecompress()
        : new PassThrough();
    let failure: unknown;
    const consumed = (async () => {
      // The tar goes to the native unpacker in batches, one step in flight while the next batch is
      // decompressed: the files of a layer are made on the thread pool, never on the event loop.
      let batch: Buffer[] = [];
      let batchBytes = 0;
      let inFlight: Promise<void> | undefined;
      const flush = async () => {
        if (batchBytes === 0) return;
        const chunk = batch.length === 1 ? batch[0]! : Buffer.concat(batch, batchBytes);
        batch = [];
        batchBytes = 0;
        await inFlight;
        inFlight = writer.write(chunk);
        inFlight.catch(() => undefined); // awaited by the next flush or below
      };
      for await (const chunk of decompress as AsyncIterable<Buffer>) {
        uncompressed.update(chunk);
        batch.push(chunk);
        batchBytes += chunk.length;
        if (batchBytes >= unpackBatchBytes) await flush();
      }
      await flush();
      await inFlight;
    })().catch((error: unknown) => {
      failure ??= error;
    });
    for await (const chunk of body) {
      size += chunk.length;
      if (size > desc.size) {
        await cancel().catch(() => undefined);
        throw new RegistryError(`more than the ${desc.size} bytes the manifest gives`);
      }
      compressed.update(chunk);
      onBytes?.(chunk.length);
      if (failure === undefined && !decompress.write(chunk)) await Promise.race([once(decompress, 'drain'), consumed]);
    }
    decompress.end();
    await consumed;
    if (size !== desc.size) throw new RegistryError(`${size} bytes, the manifest gives ${desc.size}`);
    const got = `sha256:${compressed.digest('hex')}`;
    if (got !== desc.digest) throw new RegistryError(`digest mismatch: got ${got}`);
    if (failure !== undefined) throw failure;
    const gotDiff = `sha256:${uncompressed.digest('hex')}`;
    if (gotDiff !== diffId) throw new RegistryError(`diff_id mismatch: the config gives ${diffId}, got ${gotDiff}`);
    await writer.finish();
    await writer.close();
  } catch (error) {
    await writer.close();
    store.discardLayer(temp);
    const why = error instanceof Error ? error.message : String(error);
    const status = error instanceof RegistryError ? error.status : undefined;
    const code = error instanceof RegistryError ? error.code : undefined;
    throw new RegistryError(`layer ${desc.digest}: ${why}`, status, code);
  }
  return store.commitLayer(temp, diffId, { digest: desc.digest, size: desc.size });
}
