/**
 * The tree copy of `pod-init cp`, by fd on both sides (native/at.cc): an entry held by an O_PATH fd is
 * copied to `name` under a directory fd. Every entry of a walk is opened beneath its directory's fd
 * with openat2 RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS|RESOLVE_NO_MAGICLINKS (a symlink is never gone
 * through, a `..` never leaves), created with mkdirat/symlinkat/openat(O_NOFOLLOW) under the fd of its
 * directory and changed through its own fd. Symlinks are copied as symlinks (their text), never
 * followed; devices, FIFOs and sockets are skipped with a warning; hard links become separate files.
 * Modes keep their permission bits (and a directory's sticky bit), never setuid/setgid; times are not
 * kept (kubectl's `tar -xm`). Nothing here prints or reads the environment.
 * @module
 */
import fs from 'node:fs';
import { PodSystemError } from '../errors';
import { native } from '../native';

const f = native.atFlags;
/** Lookups of one entry of a directory: never a symlink, never outside. */
export const beneath = f.RESOLVE_BENEATH | f.RESOLVE_NO_SYMLINKS | f.RESOLVE_NO_MAGICLINKS;

/** What a copy does with the entries it makes. */
export interface TreeCopyOptions {
  /** Give each new entry this owner (host ids); default: the caller's. */
  owner?: { uid: number; gid: number };
  /** Told about each skipped entry (a device, a FIFO, a socket) by its path in the source. */
  warn?: (message: string) => void;
}

/** What a copy did. */
export interface TreeCopyCount {
  files: number;
  directories: number;
  symlinks: number;
  bytes: number;
  skipped: number;
}

/** A zeroed count. */
export function emptyCount(): TreeCopyCount {
  return { files: 0, directories: 0, symlinks: 0, bytes: 0, skipped: 0 };
}

function errno(error: unknown): string | undefined {
  return error instanceof PodSystemError ? error.code : (error as NodeJS.ErrnoException | undefined)?.code;
}

/** The entry `name` under `dir` as an O_PATH|O_NOFOLLOW fd, or undefined when it is not there. */
function peek(dir: number, name: string): number | undefined {
  try {
    return native.openAt(dir, name, f.O_PATH | f.O_NOFOLLOW, 0, beneath);
  } catch (error) {
    if (errno(error) === 'ENOENT') return undefined;
    throw error;
  }
}

/** Removes `name` under `dir` if it is a symlink or a regular file (what a copy may replace). */
function replaceable(dir: number, name: string, at: string): void {
  const fd = peek(dir, name);
  if (fd === undefined) return;
  let stat: fs.Stats;
  try {
    stat = fs.fstatSync(fd);
  } finally {
    native.close(fd);
  }
  if (!stat.isSymbolicLink() && !stat.isFile())
    throw new PodSystemError({ code: 'EEXIST', errno: -17, syscall: 'symlinkat', path: at, description: 'File exists' }); // prettier-ignore
  native.unlinkAt(dir, name, false);
}

/** Opens `name` under `dir` for writing, a regular file only: a symlink there is replaced, never followed. */
function createFile(dir: number, name: string, at: string): number {
  const flags = f.O_WRONLY | f.O_CREAT | f.O_NOFOLLOW | f.O_NONBLOCK | f.O_NOCTTY;
  let fd: number;
  try {
    fd = native.openAt(dir, name, flags | f.O_TRUNC, 0o600, beneath);
  } catch (error) {
    if (errno(error) !== 'ELOOP') throw error;
    replaceable(dir, name, at); // a symlink of that name: removed, then made anew
    fd = native.openAt(dir, name, flags | f.O_EXCL, 0o600, beneath);
  }
  if (!fs.fstatSync(fd).isFile()) {
    native.close(fd);
    throw new PodSystemError({ code: 'EEXIST', errno: -17, syscall: 'openat2', path: at, description: 'File exists and is not a regular file' }); // prettier-ignore
  }
  return fd;
}

function copyData(from: number, to: number): number {
  const buffer = Buffer.allocUnsafe(1 << 20);
  let total = 0;
  for (;;) {
    const n = fs.readSync(from, buffer, 0, buffer.length, null);
    if (n === 0) return total;
    let done = 0;
    while (done < n) done += fs.writeSync(to, buffer, done, n - done);
    total += n;
  }
}

/**
 * Copies the entry `source` holds (an O_PATH fd, not followed if it is a symlink) to `name` under the
 * directory fd `dir`. `at` and `from` name both sides in messages. An existing directory is merged into;
 * an existing file or symlink is replaced; anything else of that name is an error.
 *
 * @example
 * const count = emptyCount();
 * copyEntry(srcFd, destDirFd, 'conf', { from: '/etc/conf', at: './conf' }, {}, count);
 */
export function copyEntry(
  source: number,
  dir: number,
  name: string,
  where: { from: string; at: string },
  options: TreeCopyOptions,
  count: TreeCopyCount,
): void {
  const stat = fs.fstatSync(source);
  if (stat.isDirectory()) {
    const made = native.mkdirAt(dir, name, 0o700);
    // RESOLVE_NO_SYMLINKS: a symlink of that name is ELOOP (O_NOFOLLOW would make it a vaguer ENOTDIR).
    const target = native.openAt(dir, name, f.O_RDONLY | f.O_DIRECTORY, 0, beneath);
    try {
      if (made && options.owner) native.chownFd(target, options.owner.uid, options.owner.gid);
      copyChildren(source, target, where, options, count);
      // After the entries: a read-only directory is still written into.
      if (made) fs.fchmodSync(target, stat.mode & 0o1777);
    } finally {
      native.close(target);
    }
    count.directories++;
  } else if (stat.isFile()) {
    // The O_PATH fd reopened for reading: that very inode, a regular file (no FIFO blocks, no device opens).
    const input = native.openAt(undefined, `/proc/self/fd/${source}`, f.O_RDONLY | f.O_NOCTTY | f.O_NONBLOCK, 0, 0);
    try {
      const output = createFile(dir, name, where.at);
      try {
        if (options.owner) native.chownFd(output, options.owner.uid, options.owner.gid);
        count.bytes += copyData(input, output);
        fs.fchmodSync(output, stat.mode & 0o777);
      } finally {
        native.close(output);
      }
    } finally {
      native.close(input);
    }
    count.files++;
  } else if (stat.isSymbolicLink()) {
    const text = native.readlinkAt(source);
    try {
      native.symlinkAt(text, dir, name);
    } catch (error) {
      if (errno(error) !== 'EEXIST') throw error;
      replaceable(dir, name, where.at);
      native.symlinkAt(text, dir, name);
    }
    if (options.owner) {
      const link = native.openAt(dir, name, f.O_PATH | f.O_NOFOLLOW, 0, beneath);
      try {
        native.chownFd(link, options.owner.uid, options.owner.gid);
      } finally {
        native.close(link);
      }
    }
    count.symlinks++;
  } else {
    options.warn?.(`skipping ${kind(stat)} ${JSON.stringify(where.from)}`);
    count.skipped++;
  }
}

function kind(stat: fs.Stats): string {
  if (stat.isFIFO()) return 'FIFO';
  if (stat.isSocket()) return 'socket';
  return 'device';
}

/**
 * Copies every entry of the directory `source` (an fd) into the directory fd `target`.
 *
 * @example
 * copyChildren(srcDirFd, destDirFd, { from: '/data', at: './data' }, {}, emptyCount());
 */
export function copyChildren(
  source: number,
  target: number,
  where: { from: string; at: string },
  options: TreeCopyOptions,
  count: TreeCopyCount,
): void {
  for (const name of native.listDir(source).sort()) {
    const entry = peek(source, name);
    if (entry === undefined) continue; // removed meanwhile
    try {
      const from = `${where.from.replace(/\/$/, '')}/${name}`;
      copyEntry(entry, target, name, { from, at: `${where.at.replace(/\/$/, '')}/${name}` }, options, count);
    } finally {
      native.close(entry);
    }
  }
}
