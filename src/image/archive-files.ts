/**
 * The files of a local image source, by name: an OCI image layout directory, or a tar (an
 * `oci-archive` or a `docker save` archive) indexed in one pass over its headers and read by offset,
 * never extracted. Names are as the archive gives them, `./` stripped; symlinks (docker save's legacy
 * `<id>/layer.tar`) are followed within the archive.
 * @module
 */
import fs from 'node:fs';
import path from 'node:path';
import type { LayerBody } from './layer-stream';

/** A file of an archive could not be read. */
export class ArchiveError extends Error {
  override name = 'ArchiveError';
}

/** Files by name, readable whole (small ones) or as a stream. */
export interface ArchiveFiles {
  /** Where they are (for messages). */
  readonly where: string;
  has(name: string): boolean;
  size(name: string): number;
  /** The whole file, refused above `limit` bytes. */
  read(name: string, limit: number): Buffer;
  open(name: string): LayerBody;
}

const clean = (name: string): string => path.posix.normalize(name.replace(/^(\.\/)+/, '')).replace(/\/$/, '');

function stream(file: string, start: number, size: number): LayerBody {
  if (size === 0) return { body: (async function* () {})(), cancel: async () => undefined };
  const s = fs.createReadStream(file, { start, end: start + size - 1 });
  return { body: s as AsyncIterable<Uint8Array>, cancel: async () => void s.destroy() };
}

/**
 * The files of an OCI layout directory. Only names inside it (no `..`, not absolute) are reachable.
 *
 * @example
 * directoryFiles('/tmp/layout').read('index.json', 1 << 20);
 */
export function directoryFiles(dir: string): ArchiveFiles {
  const resolve = (name: string): string => {
    const c = clean(name);
    if (c === '..' || c.startsWith('../') || path.isAbsolute(c)) throw new ArchiveError(`${name}: outside ${dir}`);
    return path.join(dir, c);
  };
  const stat = (name: string) => fs.statSync(resolve(name), { throwIfNoEntry: false });
  return {
    where: dir,
    has: (name) => {
      try {
        return stat(name)?.isFile() === true;
      } catch {
        return false;
      }
    },
    size: (name) => stat(name)?.size ?? 0,
    read(name, limit) {
      const size = this.size(name);
      if (size > limit) throw new ArchiveError(`${name}: larger than ${limit} bytes`);
      return fs.readFileSync(resolve(name));
    },
    open: (name) => stream(resolve(name), 0, fs.statSync(resolve(name)).size),
  };
}

interface Member {
  offset: number;
  size: number;
  link?: string;
}

function field(header: Buffer, start: number, length: number): string {
  const f = header.subarray(start, start + length);
  const nul = f.indexOf(0);
  return f.subarray(0, nul < 0 ? f.length : nul).toString('utf8');
}

function number(header: Buffer, start: number, length: number): number {
  const f = header.subarray(start, start + length);
  if (f[0]! & 0x80) {
    let value = f[0]! & 0x7f;
    for (let i = 1; i < f.length; i++) value = value * 256 + f[i]!;
    return value;
  }
  const text = f.toString('latin1').replace(/\0.*$/s, '').trim();
  if (text !== '' && !/^[0-7]+$/.test(text)) throw new ArchiveError(`bad tar header number ${JSON.stringify(text)}`);
  return text === '' ? 0 : parseInt(text, 8);
}

/** PAX records' `path`, if any. */
function paxPath(data: Buffer): string | undefined {
  let found: string | undefined;
  let at = 0;
  while (at < data.length) {
    const space = data.indexOf(0x20, at);
    if (space < 0) break;
    const length = parseInt(data.subarray(at, space).toString('latin1'), 10);
    if (!(length > 0)) break;
    const record = data.subarray(space + 1, at + length - 1).toString('utf8');
    const eq = record.indexOf('=');
    if (record.slice(0, eq) === 'path') found = record.slice(eq + 1);
    at += length;
  }
  return found;
}

/**
 * The regular files (and symlinks) of the tar `file`, from one pass over its headers.
 *
 * @example
 * const files = tarFiles('/tmp/bb.tar');
 * files.has('manifest.json'); // a docker save archive
 */
export function tarFiles(file: string): ArchiveFiles {
  const members = new Map<string, Member>();
  const fd = fs.openSync(file, 'r');
  try {
    const total = fs.fstatSync(fd).size;
    const header = Buffer.alloc(512);
    let pos = 0;
    let longName: string | undefined;
    while (pos + 512 <= total) {
      if (fs.readSync(fd, header, 0, 512, pos) < 512) break;
      if (header.every((b) => b === 0)) break;
      const size = number(header, 124, 12);
      const type = String.fromCharCode(header[156]!);
      const data = pos + 512;
      const readData = (limit: number): Buffer => {
        if (size > limit) throw new ArchiveError(`${file}: a tar extended header larger than ${limit} bytes`);
        const b = Buffer.alloc(size);
        fs.readSync(fd, b, 0, size, data);
        return b;
      };
      const ustar = field(header, 257, 6) === 'ustar';
      const prefix = ustar ? field(header, 345, 155) : '';
      const name = longName ?? (prefix ? `${prefix}/${field(header, 0, 100)}` : field(header, 0, 100));
      if (type === 'x') longName = paxPath(readData(1 << 20)) ?? longName;
      else if (type === 'L')
        longName = readData(1 << 20)
          .toString('utf8')
          .replace(/\0+$/, '');
      else if (type === 'g') longName = undefined;
      else {
        longName = undefined;
        if (type === '0' || type === '\0' || type === '7') members.set(clean(name), { offset: data, size });
        else if (type === '2') {
          const target = field(header, 157, 100);
          members.set(clean(name), {
            offset: 0,
            size: 0,
            link: clean(path.posix.join(path.posix.dirname(clean(name)), target)),
          });
        }
      }
      pos = data + Math.ceil(size / 512) * 512;
    }
  } finally {
    fs.closeSync(fd);
  }
  const member = (name: string): Member => {
    let m = members.get(clean(name));
    for (let hops = 0; m?.link !== undefined && hops < 8; hops++) m = members.get(m.link);
    if (m === undefined || m.link !== undefined) throw new ArchiveError(`${name}: not in ${file}`);
    return m;
  };
  return {
    where: file,
    has: (name) => {
      try {
        member(name);
        return true;
      } catch {
        return false;
      }
    },
    size: (name) => member(name).size,
    read(name, limit) {
      const m = member(name);
      if (m.size > limit) throw new ArchiveError(`${name}: larger than ${limit} bytes`);
      const b = Buffer.alloc(m.size);
      const fd2 = fs.openSync(file, 'r');
      try {
        fs.readSync(fd2, b, 0, m.size, m.offset);
      } finally {
        fs.closeSync(fd2);
      }
      return b;
    },
    open: (name) => {
      const m = member(name);
      return stream(file, m.offset, m.size);
    },
  };
}
