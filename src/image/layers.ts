/**
 * Reading an image as overlayfs will show it, from its layer directories (top first) without
 * mounting anything: a whiteout (char 0/0) hides the layers below, an opaque directory
 * (`trusted.overlay.opaque` or `user.overlay.opaque` = y) hides what is below it, a non-directory
 * hides everything below.
 * @module
 */
import fs from 'node:fs';
import path from 'node:path';
import { native } from '../native';

/** What a name is in a merged view: the topmost `at`, and for a directory the ones below it that merge. */
export interface MergedEntry {
  at: string;
  stat: fs.Stats;
  /** Directories of lower layers merged under `at` (top first); empty for a non-directory. */
  below: string[];
}

const isOpaque = (p: string): boolean =>
  ['trusted.overlay.opaque', 'user.overlay.opaque'].some((name) => native.lgetxattr(p, name)?.toString() === 'y');

/**
 * `name` in the merged view of directories `dirs` (top first), reading through `lstat` and `opaque`
 * (default: the paths as they are); undefined when nothing is there or a whiteout hides it.
 *
 * @example
 * mergedEntry(['/s/layers/b/diff/etc', '/s/layers/a/diff/etc'], 'passwd');
 */
export function mergedEntry(
  dirs: readonly string[],
  name: string,
  lstat: (p: string) => fs.Stats | undefined = (p) => fs.lstatSync(p, { throwIfNoEntry: false }),
  opaque: (p: string) => boolean = isOpaque,
): MergedEntry | undefined {
  for (let i = 0; i < dirs.length; i++) {
    const at = path.join(dirs[i]!, name);
    const stat = lstat(at);
    if (stat === undefined) continue;
    if (stat.isCharacterDevice() && stat.rdev === 0) return undefined;
    if (!stat.isDirectory()) return { at, stat, below: [] };
    const below: string[] = [];
    if (!opaque(at))
      for (const lower of dirs.slice(i + 1)) {
        const b = path.join(lower, name);
        const s = lstat(b);
        if (s === undefined) continue;
        if (!s.isDirectory()) break;
        below.push(b);
        if (opaque(b)) break;
      }
    return { at, stat, below };
  }
  return undefined;
}

/**
 * A file's host path in the merged view of `layers` (top first), never through a symlink (a link in
 * an image must not lead to the host's files); undefined when missing.
 *
 * @example
 * mergedFile(image.layers.slice().reverse(), 'etc/passwd');
 */
export function mergedFile(layers: readonly string[], rel: string): string | undefined {
  let dirs: readonly string[] = layers;
  const parts = rel.split('/').filter(Boolean);
  for (let i = 0; i < parts.length; i++) {
    const entry = mergedEntry(dirs, parts[i]!);
    if (entry === undefined || entry.stat.isSymbolicLink()) return undefined;
    if (i === parts.length - 1) return entry.stat.isFile() ? entry.at : undefined;
    if (!entry.stat.isDirectory()) return undefined;
    dirs = [entry.at, ...entry.below];
  }
  return undefined;
}

/**
 * The image's /etc/passwd and /etc/group as the container will see them (empty when missing).
 *
 * @example
 * layeredUserDatabase(layersTopFirst).passwd;
 */
export function layeredUserDatabase(layers: readonly string[]): { passwd: string; group: string } {
  const read = (name: string) => {
    const file = mergedFile(layers, `etc/${name}`);
    return file === undefined ? '' : fs.readFileSync(file, 'utf8');
  };
  return { passwd: read('passwd'), group: read('group') };
}

/**
 * Makes a container's working directory in its overlay's fresh upper layer when the image lacks it
 * (as containerd and runc do): each missing component 0755, owned by `owner` (the container's user)
 * when given (only then are owners set: as root). Nothing is made when the path reaches a symlink or a
 * non-directory of the image (the start then fails on it, as it would have). `upper` is empty and not
 * yet mounted.
 *
 * @example
 * makeWorkingDir(layersTopFirst, '/run/pod-init/…/upper', '/app/data', { uid: 1000, gid: 1000 });
 */
export function makeWorkingDir(
  layers: readonly string[],
  upper: string,
  dir: string,
  owner?: { uid: number; gid: number },
): void {
  const parts = dir.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) return;
  let dirs: readonly string[] = layers;
  let at = upper;
  let missing = false;
  const made: Array<[string, fs.Stats]> = [];
  for (const part of parts) {
    at = path.join(at, part);
    if (!missing) {
      const entry = mergedEntry(dirs, part);
      if (entry !== undefined) {
        if (!entry.stat.isDirectory()) return;
        dirs = [entry.at, ...entry.below];
        made.push([at, entry.stat]); // made in the upper only if something below it is
        continue;
      }
      missing = true;
      // The image's directories on the way, in the upper layer as overlayfs copies them up: same mode,
      // owner and times (the merged directory takes the upper's attributes).
      for (const [dir, stat] of made) {
        if (fs.existsSync(dir)) continue;
        fs.mkdirSync(dir, { mode: stat.mode & 0o7777 });
        fs.chmodSync(dir, stat.mode & 0o7777);
        if (owner) fs.chownSync(dir, stat.uid, stat.gid);
        fs.utimesSync(dir, stat.atime, stat.mtime);
      }
    }
    if (!fs.existsSync(at)) fs.mkdirSync(at, { mode: 0o755 });
    if (owner) fs.chownSync(at, owner.uid, owner.gid);
  }
}
