/**
 * Writes a layer's tar stream into its own directory as an overlayfs lower layer (containerd's
 * `OverlayConvertWhiteout`): `.wh.NAME` becomes a 0/0 character device NAME, `.wh..wh..opq` the
 * opaque xattr on its directory (`trusted.overlay.opaque` and `user.overlay.opaque` as root — the latter
 * for overlays mounted in a `hostUsers: false` pod's user namespace, with `userxattr` —, only
 * `user.overlay.opaque` rootless). Owners
 * (as root; rootless with subordinate ids, set inside a user namespace of them: layer-owners.ts), modes, setuid, mtimes, symlinks, hardlinks within the layer, FIFOs, device nodes (as
 * root outside a user namespace; skipped otherwise) and `SCHILY.xattr.*` are kept.
 *
 * The tar reader and the file operations are native (native/layer_unpack.cc) and run on the libuv
 * thread pool: a pull unpacks its layers in parallel, off the event loop. Nothing is written outside
 * the directory: a member whose path leaves it (`../`), a hardlink to outside, or a path through a
 * symlink the archive made (`link -> /etc`, then `link/passwd`) is refused with {@link LayerError},
 * and the whole layer with it; every directory is opened beneath its parent's fd, never through a link.
 * @module
 */
import { native, type NativeLayerUnpacker } from '../native';
import type { RootlessIds } from '../subordinate-ids';
import { applyLayerOwners } from './layer-owners';

/** A layer that cannot be unpacked safely or correctly. */
export class LayerError extends Error {
  override name = 'LayerError';
}

/** An archive the reader cannot make sense of. */
export class TarFormatError extends Error {
  override name = 'TarFormatError';
}

/** How a layer is unpacked. */
export interface UnpackOptions {
  /** Owners are set (lchown) only as root: otherwise every file is the caller's. */
  chown: boolean;
  /** Device nodes are made (as root outside a user namespace); else skipped, with `warn`. */
  devices: boolean;
  /** Where the opaque marker goes: `trusted` (rootful overlay) or `user` (`userxattr`). */
  xattrNamespace: 'trusted' | 'user';
  /**
   * One syncfs(2) of the store's filesystem when a layer's files are all written, before the layer is
   * renamed to its final name (containerd's `image_pull_with_sync_fs`): a power cut can then not leave a
   * committed layer with empty files. Off by default, as in containerd (it costs a flush of everything
   * dirty on that filesystem, other programs' writes included).
   */
  syncFs?: boolean;
  /**
   * Without `chown`: the caller's subordinate ids (src/subordinate-ids.ts). The archive's owners are
   * then set from inside a user namespace that maps them (layer-owners.ts) when the layer is finished.
   */
  ids?: RootlessIds;
  warn?: (message: string) => void;
}

type NativeError = Error & { kind?: string };

/**
 * Unpacks a tar stream into `root` (an empty directory of the store), one chunk at a time: at most
 * one step runs at once (await each `write`); `finish` checks that the archive ended at an entry
 * boundary (with or without its end blocks: umoci writes such layers) and sets directory mtimes.
 *
 * @example
 * const writer = new LayerWriter(temp.diff, { chown: true, devices: true, xattrNamespace: 'trusted' });
 * try { for await (const chunk of tar) await writer.write(chunk); await writer.finish(); } finally { writer.close(); }
 */
export class LayerWriter {
  readonly #native: NativeLayerUnpacker;
  readonly #warn: ((message: string) => void) | undefined;
  readonly #root: string;
  readonly #ids: RootlessIds | undefined;
  #running: Promise<void> | undefined;

  constructor(root: string, options: UnpackOptions) {
    const record = !options.chown && options.ids !== undefined;
    this.#native = new native.LayerUnpacker(
      root,
      options.chown,
      options.devices,
      options.xattrNamespace,
      options.syncFs === true,
      record,
    );
    this.#warn = options.warn;
    this.#root = root;
    this.#ids = record ? options.ids : undefined;
  }

  /** Unpacks `chunk` (not to be changed until this settles). */
  write(chunk: Buffer): Promise<void> {
    return this.#step((done) => this.#native.write(chunk, done));
  }

  /**
   * The stream ended: refuses an archive cut inside an entry; sets directory mtimes; with `ids`, sets
   * the archive's owners inside a user namespace of them (layer-owners.ts).
   */
  async finish(): Promise<void> {
    await this.#step((done) => this.#native.finish(done));
    if (this.#ids !== undefined) applyLayerOwners(this.#root, this.#native.owners(), this.#ids);
  }

  /** Closes the directory fds (after the last step settled; a failed layer is discarded by the caller). */
  async close(): Promise<void> {
    await this.#running?.catch(() => undefined);
    this.#native.close();
  }

  #step(start: (done: (error: NativeError | null, warnings: string[]) => void) => void): Promise<void> {
    const run = new Promise<void>((resolve, reject) => {
      start((error, warnings) => {
        for (const warning of warnings) this.#warn?.(warning);
        if (!error) resolve();
        else if (error.kind === 'layer') reject(new LayerError(error.message));
        else if (error.kind === 'tar') reject(new TarFormatError(error.message));
        else reject(error);
      });
    });
    this.#running = run;
    return run;
  }
}
