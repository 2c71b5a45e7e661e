/**
 * A layer blob's bytes from a registry, kept as they arrive in the store's ingest file
 * (`ingest/<hex>.data`, containerd's content store `ingest/` in spirit) so that a pull that dies mid-blob
 * (kill -9, a crash) is resumed by the next one: the kept bytes are read back and re-hashed with the rest,
 * which is asked for with `Range: bytes=<kept>-`. A registry that answers that with 200 (the range
 * ignored) gives the whole blob: the kept bytes are dropped and it starts over from the first byte. Within
 * one transfer, a cut or a stall is resumed the same way (the answer must then be a 206 from that offset:
 * what was unpacked cannot be unread). The caller holds the blob's ingest lock (one writer) and verifies
 * the digest of everything that was read; the ingest file is never used for anything else.
 * @module
 */
import fs from 'node:fs';
import type { ImageReference } from './reference';
import { RegistryError, type RegistryClient } from './registry';

/** A blob as a manifest describes it. */
export interface BlobDescriptor {
  digest: string;
  size: number;
}

/** What a blob fetch needs. */
export interface BlobFetchContext {
  client: RegistryClient;
  /** A read that yields no byte for this long is aborted and resumed with `Range` (default 60 s). */
  stallTimeoutMs?: number;
}

/** A blob's bytes (the kept ones first), and how the fetch went. */
export interface BlobBody {
  body: AsyncIterable<Uint8Array>;
  cancel(): Promise<void>;
  /** Bytes read back from the ingest file instead of fetched (0: fetched from the first byte). */
  readonly resumedFrom: number;
  /** The transfer broke for good (not the bytes' fault): the ingest file is worth keeping. */
  readonly cut: boolean;
}

/** Resumes after this many failed tries in a row (a try that moved 1 MiB or more starts the count again). */
const maxResumes = 3;

/** The ingest file is read back in steps of this size. */
const readBackBytes = 256 << 10;

class Stalled extends Error {}

type ReadResult = { done: true; value?: undefined } | { done: false; value: Uint8Array };

function readWithin(reader: ReadableStreamDefaultReader<Uint8Array>, ms: number): Promise<ReadResult> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Stalled(`no data for ${ms} ms`)), ms);
  });
  return Promise.race([reader.read() as Promise<ReadResult>, deadline]).finally(() => clearTimeout(timer));
}

/**
 * How many bytes of `desc` the ingest file `file` holds (0 when none). A file longer than the blob is
 * not a prefix of it: removed.
 *
 * @example
 * keptBytes('/var/lib/pod-init/images/ingest/ab12….data', { digest, size: 15_566_036 }); // 7_783_018
 */
export function keptBytes(file: string, desc: BlobDescriptor): number {
  const size = fs.statSync(file, { throwIfNoEntry: false })?.size ?? 0;
  if (size <= desc.size) return size;
  fs.rmSync(file, { force: true });
  return 0;
}

/**
 * The blob `desc` of `ref`, resumed from the `kept` bytes of the ingest file `file` (which it extends
 * as bytes arrive). The caller hashes every byte and removes the file once the blob is verified, or when
 * its bytes were wrong; it keeps the file when `cut` (the next pull resumes from it).
 *
 * @example
 * const blob = await fetchBlob(ctx, ref, desc, store.ingestPath(desc.digest), kept);
 * for await (const chunk of blob.body) hash.update(chunk);
 */
export async function fetchBlob(
  ctx: BlobFetchContext,
  ref: ImageReference,
  desc: BlobDescriptor,
  file: string,
  kept: number,
): Promise<BlobBody> {
  const stallMs = ctx.stallTimeoutMs ?? 60_000;
  const request = (from: number) =>
    ctx.client.request(
      ref.domain,
      ref.path,
      `/blobs/${desc.digest}`,
      from > 0 ? { headers: { range: `bytes=${from}-` } } : {},
    );
  const isRangeFrom = (res: Response, from: number) =>
    res.status === 206 && res.headers.get('content-range')?.startsWith(`bytes ${from}-`) === true;

  // The first answer decides what the kept bytes are worth. All of the blob kept: nothing to ask.
  let first: Response | undefined;
  if (kept < desc.size) {
    first = await request(kept);
    if (kept > 0 && !isRangeFrom(first, kept)) {
      if (first.status !== 200) {
        await first.body?.cancel().catch(() => undefined);
        fs.rmSync(file, { force: true }); // not a prefix the registry knows: the next try starts over
        throw new RegistryError(`Range: bytes=${kept}- answered ${first.status}: cannot resume`);
      }
      kept = 0; // the registry ignored the range: this is the whole blob, start over with it
    }
  }
  const resumedFrom = kept;
  let received = kept;
  let reader = first?.body?.getReader();
  let cut = false;
  const open = async (from: number): Promise<ReadableStreamDefaultReader<Uint8Array>> => {
    const res = await request(from);
    if (!isRangeFrom(res, from)) {
      await res.body?.cancel().catch(() => undefined);
      throw new RegistryError(`the registry ignored Range: bytes=${from}- (status ${res.status}): cannot resume`);
    }
    if (!res.body) throw new RegistryError('empty body');
    return res.body.getReader();
  };
  async function* chunks(): AsyncGenerator<Uint8Array> {
    const fd = fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_NOFOLLOW, 0o600);
    try {
      fs.ftruncateSync(fd, kept);
      if (kept > 0) {
        const back = fs.createReadStream(file, { start: 0, end: kept - 1, highWaterMark: readBackBytes });
        for await (const chunk of back as AsyncIterable<Buffer>) yield chunk;
      }
      if (first === undefined) return;
      if (!reader) throw new RegistryError('empty body');
      let failures = 0;
      let since = received;
      for (;;) {
        let result: ReadResult;
        try {
          result = await readWithin(reader, stallMs);
        } catch (error) {
          const why = error instanceof Stalled ? error.message : ((error as Error).cause as Error | undefined)?.message;
          if (received - since >= 1 << 20) failures = 0;
          if (++failures > maxResumes) {
            cut = true;
            throw new RegistryError(`transfer failed at ${received} of ${desc.size} bytes (${why ?? String(error)})`);
          }
          since = received;
          await reader.cancel().catch(() => undefined);
          try {
            reader = await open(received);
          } catch (reopen) {
            cut = true; // what arrived is right as far as anyone knows: the next pull resumes from it
            throw reopen;
          }
          continue;
        }
        if (result.done) return;
        fs.writeSync(fd, result.value); // kept before it is used: the file is always a prefix of what was read
        received += result.value.length;
        yield result.value;
      }
    } finally {
      fs.closeSync(fd);
    }
  }
  return {
    body: chunks(),
    cancel: async () => {
      await reader?.cancel().catch(() => undefined);
    },
    resumedFrom,
    get cut() {
      return cut;
    },
  };
}
