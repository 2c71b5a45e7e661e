/**
 * A streaming tar reader (ustar, GNU long names and links, PAX headers): fed chunks with
 * {@link TarReader.write}, it calls back per entry header and per piece of entry data, never holding a
 * whole entry in memory. Tolerant as Go's archive/tar: a stream that ends without its zero blocks
 * (umoci writes such layers) ends cleanly at an entry boundary.
 * @module
 */

/** One archive member, with PAX and GNU long names already applied. */
export interface TarEntry {
  path: string;
  /** '0' file, '1' hardlink, '2' symlink, '3' char device, '4' block device, '5' directory, '6' FIFO. */
  type: string;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: number;
  linkname: string;
  devmajor: number;
  devminor: number;
  /** PAX `SCHILY.xattr.*` attributes. */
  xattrs: Map<string, Buffer>;
}

/** What the reader calls. */
export interface TarSink {
  entry(entry: TarEntry): void;
  data(chunk: Buffer): void;
  /** The current entry's data is complete. */
  end(): void;
}

/** An archive the reader cannot make sense of. */
export class TarFormatError extends Error {
  override name = 'TarFormatError';
}

const block = 512;

function octal(buf: Buffer, start: number, length: number): number {
  const field = buf.subarray(start, start + length);
  if (field[0]! & 0x80) {
    // base-256 (GNU): big-endian, the top bit set
    let value = field[0]! & 0x7f;
    for (let i = 1; i < field.length; i++) value = value * 256 + field[i]!;
    return value;
  }
  const text = field.toString('latin1').replace(/\0.*$/s, '').trim();
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text)) throw new TarFormatError(`bad number field ${JSON.stringify(text)}`);
  return parseInt(text, 8);
}

function str(buf: Buffer, start: number, length: number): string {
  const field = buf.subarray(start, start + length);
  const nul = field.indexOf(0);
  return field.subarray(0, nul < 0 ? field.length : nul).toString('utf8');
}

function parsePax(data: Buffer): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  let at = 0;
  while (at < data.length) {
    const space = data.indexOf(0x20, at);
    if (space < 0) break;
    const length = parseInt(data.subarray(at, space).toString('latin1'), 10);
    if (!(length > 0)) throw new TarFormatError('bad PAX record');
    const record = data.subarray(space + 1, at + length - 1); // without the trailing newline
    const eq = record.indexOf(0x3d);
    if (eq > 0) out.set(record.subarray(0, eq).toString('utf8'), Buffer.from(record.subarray(eq + 1)));
    at += length;
  }
  return out;
}

/**
 * Reads a tar stream.
 *
 * @example
 * const reader = new TarReader({ entry: (e) => console.log(e.path), data: () => {}, end: () => {} });
 * for await (const chunk of stream) reader.write(chunk);
 * reader.finish();
 */
export class TarReader {
  readonly #sink: TarSink;
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  /** Bytes of entry data still to pass on, then padding to skip. */
  #dataLeft = 0;
  #padLeft = 0;
  /** A metadata entry being collected (PAX, GNU long name/link) instead of passed on. */
  #meta: { type: string; chunks: Buffer[] } | undefined;
  #longName: string | undefined;
  #longLink: string | undefined;
  #pax: Map<string, Buffer> | undefined;
  #ended = false;
  #inEntry = false;

  constructor(sink: TarSink) {
    this.#sink = sink;
  }

  write(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length && !this.#ended) {
      if (this.#dataLeft > 0) {
        const n = Math.min(this.#dataLeft, chunk.length - at);
        const piece = chunk.subarray(at, at + n);
        if (this.#meta) this.#meta.chunks.push(Buffer.from(piece));
        else this.#sink.data(piece);
        this.#dataLeft -= n;
        at += n;
        if (this.#dataLeft === 0) this.#endData();
        continue;
      }
      if (this.#padLeft > 0) {
        const n = Math.min(this.#padLeft, chunk.length - at);
        this.#padLeft -= n;
        at += n;
        continue;
      }
      const n = Math.min(block - this.#pendingBytes, chunk.length - at);
      this.#pending.push(chunk.subarray(at, at + n));
      this.#pendingBytes += n;
      at += n;
      if (this.#pendingBytes === block) {
        const header = Buffer.concat(this.#pending);
        this.#pending = [];
        this.#pendingBytes = 0;
        this.#header(header);
      }
    }
  }

  /** The stream ended: fine at an entry boundary (with or without end blocks), an error inside one. */
  finish(): void {
    if (this.#dataLeft > 0 || this.#inEntry) throw new TarFormatError('unexpected end of the archive inside an entry');
    if (this.#pendingBytes > 0 && !this.#ended) throw new TarFormatError('unexpected end of the archive in a header');
  }

  #endData(): void {
    this.#padLeft = (block - (this.#size % block)) % block;
    if (this.#meta) {
      const data = Buffer.concat(this.#meta.chunks);
      if (this.#meta.type === 'L') this.#longName = str(data, 0, data.length);
      else if (this.#meta.type === 'K') this.#longLink = str(data, 0, data.length);
      else if (this.#meta.type === 'x') this.#pax = parsePax(data);
      this.#meta = undefined;
    } else {
      this.#inEntry = false;
      this.#sink.end();
    }
  }

  #size = 0;

  #header(header: Buffer): void {
    if (header.every((b) => b === 0)) {
      this.#ended = true; // the first end block: nothing after it is read
      return;
    }
    let sum = 0;
    for (let i = 0; i < block; i++) sum += i >= 148 && i < 156 ? 0x20 : header[i]!;
    if (sum !== octal(header, 148, 8)) throw new TarFormatError('bad header checksum');
    const type = String.fromCharCode(header[156]!) === '\0' ? '0' : String.fromCharCode(header[156]!);
    const size = octal(header, 124, 12);
    this.#size = size;
    if (type === 'L' || type === 'K' || type === 'x' || type === 'g') {
      if (size > 1 << 20) throw new TarFormatError('metadata entry larger than 1 MiB');
      this.#meta = { type, chunks: [] };
      this.#dataLeft = size;
      if (size === 0) this.#endData();
      return;
    }
    const magic = header.subarray(257, 263).toString('latin1');
    const prefix = magic.startsWith('ustar') ? str(header, 345, 155) : '';
    let name = str(header, 0, 100);
    if (prefix) name = `${prefix}/${name}`;
    let linkname = str(header, 157, 100);
    const pax = this.#pax ?? new Map<string, Buffer>();
    if (this.#longName !== undefined) name = this.#longName;
    if (this.#longLink !== undefined) linkname = this.#longLink;
    if (pax.has('path')) name = pax.get('path')!.toString('utf8');
    if (pax.has('linkpath')) linkname = pax.get('linkpath')!.toString('utf8');
    const num = (key: string, fallback: number) => (pax.has(key) ? Number(pax.get(key)!.toString()) : fallback);
    const entrySize = num('size', size);
    const xattrs = new Map<string, Buffer>();
    for (const [key, value] of pax) if (key.startsWith('SCHILY.xattr.')) xattrs.set(key.slice(13), value);
    this.#longName = this.#longLink = this.#pax = undefined;
    const entry: TarEntry = {
      path: name,
      type,
      mode: octal(header, 100, 8) & 0o7777,
      uid: num('uid', octal(header, 108, 8)),
      gid: num('gid', octal(header, 116, 8)),
      size: type === '0' || type === '7' ? entrySize : 0,
      mtime: num('mtime', octal(header, 136, 12)),
      linkname,
      devmajor: octal(header, 329, 8),
      devminor: octal(header, 337, 8),
      xattrs,
    };
    this.#inEntry = true;
    this.#sink.entry(entry);
    this.#size = entry.size;
    this.#dataLeft = entry.size;
    if (entry.size === 0) this.#endData();
  }
}
