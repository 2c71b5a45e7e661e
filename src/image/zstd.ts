/**
 * A zstd decompressor as a Node Transform stream, for zstd image layers (Node 20's zlib has none):
 * libzstd in the addon (native/zstd.cc), each step on the libuv thread pool as zlib's are, handing back
 * at most ~1 MiB per step so memory stays flat whatever the compression ratio. A stream that ends
 * inside a frame is an error ("truncated"), as `zstd -d` says.
 * @module
 */
import { Transform, type TransformCallback } from 'node:stream';
import { native, type NativeZstdDecoder } from '../native';

interface Step {
  output: Buffer;
  consumed: number;
  more: boolean;
  frameEnd: boolean;
}

/**
 * A Transform from zstd frames (one or more, concatenated) to their content.
 *
 * @example
 * fs.createReadStream('layer.tar.zst').pipe(new ZstdDecompress()).pipe(fs.createWriteStream('layer.tar'));
 */
export class ZstdDecompress extends Transform {
  readonly #decoder: NativeZstdDecoder = new native.ZstdDecoder();
  /** Whether the last step ended a frame (nothing of the stream is pending). */
  #frameEnd = true;
  #seen = false;

  #step(input: Buffer): Promise<Step> {
    return new Promise((resolve, reject) => {
      this.#decoder.decode(input, (error, output, consumed, more, frameEnd) => {
        if (error) reject(error);
        else resolve({ output: output!, consumed: consumed!, more: more!, frameEnd: frameEnd! });
      });
    });
  }

  async #decode(input: Buffer): Promise<void> {
    let offset = 0;
    for (;;) {
      const step = await this.#step(input.subarray(offset));
      offset += step.consumed;
      if (step.consumed > 0 || step.output.length > 0) this.#frameEnd = step.frameEnd;
      if (step.output.length > 0) this.push(step.output);
      if (offset >= input.length && !step.more) return;
    }
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (chunk.length > 0) this.#seen = true;
    this.#decode(chunk).then(() => callback(), callback);
  }

  override _flush(callback: TransformCallback): void {
    this.#decode(Buffer.alloc(0)).then(() => {
      if (!this.#seen) callback(new Error('zstd: empty input'));
      else if (!this.#frameEnd) callback(new Error('zstd: truncated input (the stream ends inside a frame)'));
      else callback();
    }, callback);
  }
}
