/**
 * A state directory only we can write, checked as ssh-agent, tmux and systemd check their runtime
 * directories: pod-init's default state root may sit in a directory others can write (`/tmp` when
 * rootless without $XDG_RUNTIME_DIR), where another user could plant a symlink or a directory of their
 * own ahead of us and so read or redirect what pod-init writes there. Made 0700 when missing; refused
 * when it is a symlink, not a directory, not ours, or writable by its group or others.
 * @module
 */
import fs from 'node:fs';
import path from 'node:path';

/** A directory pod-init will not use as its state root; the CLI exits 2 on it. */
export class UnsafeDirectoryError extends Error {}
Object.defineProperty(UnsafeDirectoryError.prototype, 'name', { value: 'UnsafeDirectoryError', enumerable: false });

/**
 * What is wrong with a directory of `stat` (an lstat) for user `uid`, or undefined when it is private.
 *
 * @example
 * privateDirProblem(fs.lstatSync('/tmp'), 1000); // 'is owned by uid 0, not 1000'
 */
export function privateDirProblem(stat: fs.Stats, uid: number): string | undefined {
  if (stat.isSymbolicLink()) return 'is a symbolic link';
  if (!stat.isDirectory()) return 'is not a directory';
  if (stat.uid !== uid) return `is owned by uid ${stat.uid}, not ${uid}`;
  if ((stat.mode & 0o022) !== 0)
    return `is writable by its group or others (mode ${(stat.mode & 0o7777).toString(8).padStart(4, '0')})`;
  return undefined;
}

/**
 * Makes `dir` (mode 0700, its parents too when missing) or checks the one that is there; throws
 * UnsafeDirectoryError when it is not private to `uid`.
 *
 * @example
 * ensurePrivateDir('/tmp/pod-init', process.geteuid!());
 */
export function ensurePrivateDir(dir: string, uid: number): void {
  fs.mkdirSync(path.dirname(dir), { recursive: true, mode: 0o700 });
  try {
    fs.mkdirSync(dir, { mode: 0o700 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  // In a sticky directory such as /tmp, nobody else can rename or remove what is ours once checked.
  const problem = privateDirProblem(fs.lstatSync(dir), uid);
  if (problem !== undefined)
    throw new UnsafeDirectoryError(
      `state directory ${dir} ${problem}: refusing to use it, as another user could read or redirect ` +
        `pod-init's writes (remove it, or set XDG_RUNTIME_DIR or POD_INIT_STATE_DIR to a directory of your own)`,
    );
}
