/**
 * The image store: content-addressed and shared by every pod-init of one user.
 *
 * ```
 * <dir>/blobs/sha256/<hex>          manifests, indexes and configs (verified, written by rename)
 * <dir>/layers/<hex>/diff/          one unpacked layer, keyed by its diff_id (an overlayfs lower)
 * <dir>/layers/<hex>/layer.json     {diffId, digest, size}: written last, inside the temp dir
 * <dir>/layers/.tmp-<rand>/         a layer being unpacked (renamed to its final name when complete)
 * <dir>/ingest/<hex>.data          the bytes of a blob fetched so far (kept across a crash, resumed)
 * <dir>/images.json                 reference → ImageRecord
 * <dir>/locks/<name>.lock           flock: one writer per layer and for images.json
 * ```
 * Nothing under a final name is ever partial: a crash mid-unpack leaves a `.tmp-*`, removed by the
 * next open once no live process holds its lock.
 * @module
 */
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { writeFileAtomically } from '../atomic-file';
import { native } from '../native';
import { removeTree } from '../subordinate-ids';
import { withFileLock, withSharedFileLock } from './lock';

/** What the store knows of a pulled image. */
export interface ImageRecord {
  /** The digest of what the reference resolved to (an index or a manifest): a HEAD compares it. */
  digest: string;
  /** The platform's manifest. */
  manifest: string;
  /** The image config blob. */
  config: string;
  /** The layers' diff_ids, bottom first. */
  diffIds: string[];
  /** Config plus compressed layer sizes, as the kubelet reports them. */
  size: number;
  pulledAt: string;
}

/** A layer being unpacked: `diff` is where its files go. */
export interface LayerTemp {
  dir: string;
  diff: string;
  /** Held while unpacking: the next open leaves a temp dir alone while it is held. */
  lockFd: number;
}

/** A partial download nobody resumed for this long is removed (../shared/docs/IMAGES.md §11.3). */
const ingestMaxAgeMs = 24 * 3600_000;

const digestHex = (digest: string): string => {
  const match = /^sha256:([a-f0-9]{64})$/.exec(digest);
  if (!match) throw new Error(`unsupported digest ${JSON.stringify(digest)}`);
  return match[1]!;
};

/**
 * The store at `dir` (made if missing).
 *
 * @example
 * const store = new ImageStore('/run/pod-init/images');
 * store.image('127.0.0.1:5000/bb:1')?.diffIds;
 */
export class ImageStore {
  readonly dir: string;

  constructor(dir: string) {
    this.dir = path.resolve(dir);
    for (const sub of ['blobs/sha256', 'layers', 'locks', 'ingest'])
      fs.mkdirSync(path.join(this.dir, sub), { recursive: true, mode: 0o700 });
    // Each layer is a tree of its own: ext4 places it as a top-level directory (chattr +T), in a block
    // group of its own rather than next to layers/ — where the files of layers removed in the last
    // minutes are. Without a journal ext4 skips a recently deleted inode at every allocation (a
    // scan per file: most of a pull's system time after an rmi here). Other filesystems: nothing.
    native.markTopDir(path.join(this.dir, 'layers'));
    this.#removeAbandoned();
  }

  /** Where a verified blob is. */
  blobPath(digest: string): string {
    return path.join(this.dir, 'blobs', 'sha256', digestHex(digest));
  }

  hasBlob(digest: string): boolean {
    return fs.existsSync(this.blobPath(digest));
  }

  readBlob(digest: string): Buffer {
    return fs.readFileSync(this.blobPath(digest));
  }

  /** Stores `bytes` under `digest`, refusing them unless they hash to it. */
  writeBlob(digest: string, bytes: Buffer): void {
    const actual = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
    if (actual !== digest) throw new Error(`digest mismatch: expected ${digest}, got ${actual}`);
    const file = this.blobPath(digest);
    if (fs.existsSync(file)) return;
    const tmp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
    // Synced before the rename, as containerd's content store commits a blob: a verified blob is read
    // back later without being hashed again, so it must never be torn by a power cut.
    const fd = fs.openSync(tmp, 'wx', 0o444);
    try {
      fs.writeSync(fd, bytes);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
  }

  /**
   * Where the bytes of the blob `digest` fetched so far are kept (written only by the holder of the
   * `ingest-<hex>` lock; never read as the blob before its digest is verified).
   */
  ingestPath(digest: string): string {
    return path.join(this.dir, 'ingest', `${digestHex(digest)}.data`);
  }

  /** The overlayfs lower directory of a layer, once it is complete; undefined before. */
  layerDir(diffId: string): string | undefined {
    const dir = path.join(this.dir, 'layers', digestHex(diffId));
    return fs.existsSync(path.join(dir, 'layer.json')) ? path.join(dir, 'diff') : undefined;
  }

  /** A fresh temp dir to unpack a layer into ({@link commitLayer} or {@link discardLayer} it). */
  newLayer(): LayerTemp {
    const dir = path.join(this.dir, 'layers', `.tmp-${randomBytes(8).toString('hex')}`);
    fs.mkdirSync(dir, { mode: 0o700 });
    const lockFd = fs.openSync(`${dir}.lock`, 'w', 0o600);
    native.flock(lockFd, true);
    const diff = path.join(dir, 'diff');
    fs.mkdirSync(diff, { mode: 0o755 });
    return { dir, diff, lockFd };
  }

  /** Makes a completely unpacked layer visible under its diff_id. */
  commitLayer(temp: LayerTemp, diffId: string, info: { digest: string; size: number }): string {
    fs.writeFileSync(path.join(temp.dir, 'layer.json'), JSON.stringify({ diffId, ...info }));
    const final = path.join(this.dir, 'layers', digestHex(diffId));
    try {
      fs.renameSync(temp.dir, final);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'EEXIST' && code !== 'ENOTEMPTY') throw error;
      this.discardLayer(temp); // another process unpacked it first
      return path.join(final, 'diff');
    }
    fs.closeSync(temp.lockFd);
    fs.rmSync(`${temp.dir}.lock`, { force: true });
    return path.join(final, 'diff');
  }

  discardLayer(temp: LayerTemp): void {
    removeTree(temp.dir); // rootless: its files may be the caller's subordinate ids'
    fs.closeSync(temp.lockFd);
    fs.rmSync(`${temp.dir}.lock`, { force: true });
  }

  /** The image recorded for a normalized reference (`docker.io/library/nginx:latest`). */
  image(reference: string): ImageRecord | undefined {
    return this.#images()[reference];
  }

  /** All recorded images by reference. */
  images(): Record<string, ImageRecord> {
    return this.#images();
  }

  /** Records (or replaces) an image, under the store's lock. */
  async recordImage(reference: string, record: ImageRecord): Promise<void> {
    await this.withLock('images', async () => {
      const all = this.#images();
      all[reference] = record;
      writeFileAtomically(path.join(this.dir, 'images.json'), JSON.stringify(all, null, 2));
    });
  }

  /** Runs `fn` holding the store's lock `name` (in-process and across processes). */
  withLock<T>(name: string, fn: () => Promise<T>): Promise<T> {
    return withFileLock(path.join(this.dir, 'locks', `${name}.lock`), fn);
  }

  /** Runs `fn` (a pull or a load) holding the `gc` lock shared: image GC waits until it is over. */
  whilePulling<T>(fn: () => Promise<T>): Promise<T> {
    return withSharedFileLock(path.join(this.dir, 'locks', 'gc.lock'), fn);
  }

  /** Removes images by reference (under the `images` lock); their layers stay until gc.ts sweeps them. */
  async forgetImages(references: readonly string[]): Promise<void> {
    await this.withLock('images', async () => {
      const gone = new Set(references);
      const kept = Object.fromEntries(Object.entries(this.#images()).filter(([r]) => !gone.has(r)));
      writeFileAtomically(path.join(this.dir, 'images.json'), JSON.stringify(kept, null, 2));
    });
  }

  #images(): Record<string, ImageRecord> {
    try {
      return JSON.parse(fs.readFileSync(path.join(this.dir, 'images.json'), 'utf8')) as Record<string, ImageRecord>;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
      throw error;
    }
  }

  /** Removes the temp dirs of unpacks that died (their lock is free), and ingest files untouched for a day. */
  #removeAbandoned(): void {
    const ingest = path.join(this.dir, 'ingest');
    for (const name of fs.readdirSync(ingest)) {
      const file = path.join(ingest, name);
      const stat = fs.lstatSync(file, { throwIfNoEntry: false });
      if (!stat || Date.now() - stat.mtimeMs < ingestMaxAgeMs) continue;
      const fd = fs.openSync(
        path.join(this.dir, 'locks', `ingest-${name.replace(/\.data$/, '')}.lock`),
        fs.constants.O_RDWR | fs.constants.O_CREAT | fs.constants.O_NOFOLLOW,
        0o600,
      );
      try {
        if (native.tryFlock(fd, true)) fs.rmSync(file, { force: true });
      } finally {
        fs.closeSync(fd);
      }
    }
    const layers = path.join(this.dir, 'layers');
    for (const name of fs.readdirSync(layers)) {
      if (!name.startsWith('.tmp-') || name.endsWith('.lock')) continue;
      const lock = path.join(layers, `${name}.lock`);
      let fd: number;
      try {
        fd = fs.openSync(lock, fs.constants.O_RDWR | fs.constants.O_CREAT | fs.constants.O_NOFOLLOW, 0o600);
      } catch {
        continue;
      }
      try {
        if (!native.tryFlock(fd, true)) continue;
        removeTree(path.join(layers, name));
        fs.rmSync(lock, { force: true });
      } finally {
        fs.closeSync(fd);
      }
    }
  }
}

/**
 * The default store: on disk, not under the state root (/run is a tmpfs: images would fill memory and go
 * with a reboot) — /var/lib/pod-init/images as root (containers/storage keeps /var/lib/containers), else
 * `<data>/pod-init/images`, `data` being the user's data directory ($XDG_DATA_HOME or ~/.local/share: the CLI
 * reads the environment, src/cli/state-location.ts; a library caller passes its own).
 *
 * @example
 * defaultImageStoreDir(0, '/root/.local/share'); // '/var/lib/pod-init/images'
 * defaultImageStoreDir(1000, '/home/u/.local/share'); // '/home/u/.local/share/pod-init/images'
 */
export function defaultImageStoreDir(euid: number, data: string): string {
  return euid === 0 ? '/var/lib/pod-init/images' : path.join(data, 'pod-init', 'images');
}
