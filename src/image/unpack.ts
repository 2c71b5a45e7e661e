/**
 * Writes a layer's tar entries into its own directory as an overlayfs lower layer (containerd's
 * `OverlayConvertWhiteout`): `.wh.NAME` becomes a 0/0 character device NAME, `.wh..wh..opq` the
 * opaque xattr on its directory (`trusted.overlay.opaque`, `user.overlay.opaque` rootless). Owners
 * (as root), modes, setuid, mtimes, symlinks, hardlinks within the layer, FIFOs, device nodes (as
 * root outside a user namespace; skipped otherwise) and `SCHILY.xattr.*` are kept.
 *
 * Nothing is written outside the directory: a member whose path leaves it (`../`), a hardlink to
 * outside, or a path through a symlink the archive made (`link -> /etc`, then `link/passwd`) is
 * refused with {@link LayerError}, and the whole layer with it.
 * @module
 */
import fs from 'node:fs';
import path from 'node:path';
import { native } from '../native';
import type { TarEntry, TarSink } from './tar';

/** A layer that cannot be unpacked safely or correctly. */
export class LayerError extends Error {
  override name = 'LayerError';
}

/** How a layer is unpacked. */
export interface UnpackOptions {
  /** Owners are set (lchown) only as root: otherwise every file is the caller's. */
  chown: boolean;
  /** Device nodes are made (as root outside a user namespace); else skipped, with `warn`. */
  devices: boolean;
  /** Where the opaque marker goes: `trusted` (rootful overlay) or `user` (`userxattr`). */
  xattrNamespace: 'trusted' | 'user';
  warn?: (message: string) => void;
}

const S_IFCHR = 0o020000;
const S_IFBLK = 0o060000;
const S_IFIFO = 0o010000;

/**
 * Cleans a member path into one relative to the layer root, refusing any that leaves it.
 *
 * @example
 * memberPath('./etc/passwd'); // 'etc/passwd'
 * memberPath('../x'); // throws LayerError
 */
export function memberPath(name: string): string {
  const cleaned = path.posix.normalize(`/${name}`).replace(/^\/+/, '').replace(/\/+$/, '');
  if (name.split('/').includes('..')) {
    // normalize('/../x') is '/x': a member naming .. is refused, not clamped (containerd errors too)
    const relative = path.posix.normalize(name.replace(/^\/+/, ''));
    if (relative === '..' || relative.startsWith('../'))
      throw new LayerError(`${JSON.stringify(name)}: path escapes the layer`);
  }
  return cleaned;
}

/**
 * A {@link TarSink} unpacking into `root` (an empty directory of the store).
 *
 * @example
 * const reader = new TarReader(new LayerWriter(temp.diff, { chown: true, devices: true, xattrNamespace: 'trusted' }));
 */
export class LayerWriter implements TarSink {
  readonly #root: string;
  readonly #options: UnpackOptions;
  #fd: number | undefined;
  #current: TarEntry | undefined;
  #currentPath = '';
  /** Directory mtimes, set last (entries made in them change them). */
  readonly #dirTimes: Array<[string, number]> = [];

  constructor(root: string, options: UnpackOptions) {
    this.#root = root;
    this.#options = options;
  }

  entry(entry: TarEntry): void {
    const rel = memberPath(entry.path);
    this.#current = entry;
    if (rel === '') {
      if (entry.type === '5') this.#meta(this.#root, entry, true);
      return;
    }
    const base = path.posix.basename(rel);
    const parentRel = path.posix.dirname(rel);
    const parent = this.#dir(parentRel === '.' ? '' : parentRel);
    const target = path.join(parent, base);
    this.#currentPath = target;
    if (base === '.wh..wh..opq') {
      native.lsetxattr(parent, `${this.#options.xattrNamespace}.overlay.opaque`, Buffer.from('y'));
      return;
    }
    if (base.startsWith('.wh.')) {
      const hidden = base.slice(4);
      if (hidden === '' || hidden === '.' || hidden === '..')
        throw new LayerError(`${JSON.stringify(entry.path)}: invalid whiteout`);
      const at = path.join(parent, hidden);
      this.#remove(at);
      native.mknod(at, S_IFCHR, 0, 0);
      if (this.#options.chown) fs.lchownSync(at, entry.uid, entry.gid);
      return;
    }
    switch (entry.type) {
      case '0':
      case '7': {
        this.#remove(target);
        const { O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW } = fs.constants;
        this.#fd = fs.openSync(target, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600);
        return;
      }
      case '5': {
        const stat = fs.lstatSync(target, { throwIfNoEntry: false });
        if (!stat?.isDirectory()) {
          this.#remove(target);
          fs.mkdirSync(target, { mode: 0o700 });
        }
        this.#meta(target, entry, true);
        return;
      }
      case '2':
        this.#remove(target);
        fs.symlinkSync(entry.linkname, target);
        if (this.#options.chown) fs.lchownSync(target, entry.uid, entry.gid);
        this.#xattrs(target, entry);
        fs.lutimesSync(target, entry.mtime, entry.mtime);
        return;
      case '1': {
        const linkRel = memberPath(entry.linkname);
        const linkParent = path.posix.dirname(linkRel);
        const source = path.join(this.#dir(linkParent === '.' ? '' : linkParent, false), path.posix.basename(linkRel));
        if (fs.lstatSync(source, { throwIfNoEntry: false }) === undefined)
          throw new LayerError(
            `${JSON.stringify(entry.path)}: hardlink to ${JSON.stringify(entry.linkname)}, which is not in this layer ` +
              '(a link into a lower layer is not supported yet)',
          );
        this.#remove(target);
        fs.linkSync(source, target);
        return;
      }
      case '3':
      case '4':
        if (!this.#options.devices) {
          this.#options.warn?.(`${entry.path}: device node skipped (no mknod here)`);
          return;
        }
        this.#remove(target);
        native.mknod(
          target,
          (entry.type === '3' ? S_IFCHR : S_IFBLK) | (entry.mode & 0o777),
          entry.devmajor,
          entry.devminor,
        );
        this.#meta(target, entry);
        return;
      case '6':
        this.#remove(target);
        native.mknod(target, S_IFIFO | 0o600, 0, 0);
        this.#meta(target, entry);
        return;
      default:
        this.#options.warn?.(`${entry.path}: tar member type ${JSON.stringify(entry.type)} skipped`);
    }
  }

  data(chunk: Buffer): void {
    if (this.#fd !== undefined) fs.writeSync(this.#fd, chunk);
  }

  end(): void {
    if (this.#fd === undefined) return;
    const fd = this.#fd;
    this.#fd = undefined;
    try {
      const entry = this.#current!;
      if (this.#options.chown) fs.fchownSync(fd, entry.uid, entry.gid);
      fs.fchmodSync(fd, entry.mode); // after chown, which clears setuid
      this.#xattrs(this.#currentPath, entry);
      fs.futimesSync(fd, entry.mtime, entry.mtime);
    } finally {
      fs.closeSync(fd);
    }
  }

  /** Sets directory mtimes (last, as entries made in them changed them) and closes what is open. */
  finish(): void {
    if (this.#fd !== undefined) fs.closeSync(this.#fd);
    this.#fd = undefined;
    for (const [dir, mtime] of this.#dirTimes.reverse()) fs.lutimesSync(dir, mtime, mtime);
  }

  /** Closes what is open after a failure (the caller discards the directory). */
  abort(): void {
    if (this.#fd !== undefined) fs.closeSync(this.#fd);
    this.#fd = undefined;
  }

  /**
   * The host path of directory `rel` of the layer, each component checked to be a real directory
   * (never a symlink: the archive's links are never followed); missing ones made (0755) when `make`.
   */
  #dir(rel: string, make = true): string {
    let at = this.#root;
    for (const part of rel === '' ? [] : rel.split('/')) {
      at = path.join(at, part);
      const stat = fs.lstatSync(at, { throwIfNoEntry: false });
      if (stat?.isDirectory()) continue;
      if (stat?.isSymbolicLink())
        throw new LayerError(
          `${JSON.stringify(rel)}: a parent is a symlink in the layer (refused: it could lead outside)`,
        );
      if (!make) throw new LayerError(`${JSON.stringify(rel)}: not a directory in this layer`);
      if (stat !== undefined) fs.rmSync(at, { force: true });
      fs.mkdirSync(at, { mode: 0o755 });
    }
    return at;
  }

  /** Removes what is at `at` (a directory with its contents): a member replaces it. */
  #remove(at: string): void {
    fs.rmSync(at, { recursive: true, force: true });
  }

  #meta(at: string, entry: TarEntry, dir = false): void {
    if (this.#options.chown) fs.lchownSync(at, entry.uid, entry.gid);
    fs.chmodSync(at, entry.mode);
    this.#xattrs(at, entry);
    if (dir) this.#dirTimes.push([at, entry.mtime]);
    else fs.lutimesSync(at, entry.mtime, entry.mtime);
  }

  #xattrs(at: string, entry: TarEntry): void {
    for (const [name, value] of entry.xattrs) {
      if (name.startsWith('trusted.')) continue; // as containerd: never from an archive
      try {
        native.lsetxattr(at, name, value);
      } catch (error) {
        const code = (error as { code?: string }).code;
        if (code !== 'ENOTSUP' && code !== 'EPERM' && code !== 'EOPNOTSUPP') throw error;
        this.#options.warn?.(`${entry.path}: xattr ${name} not kept (${code})`);
      }
    }
  }
}
