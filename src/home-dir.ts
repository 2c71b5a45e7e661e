/**
 * The user's home and data directories, without throwing for a user that has none: a uid with no
 * passwd entry and no $HOME (a container's arbitrary uid, `setpriv --reuid`) makes `os.homedir()` throw.
 * Pure functions of what they are given.
 * @module
 */
import os from 'node:os';
import path from 'node:path';

/**
 * $HOME, else the passwd entry's home, else undefined.
 *
 * @example
 * homeDirectory({ HOME: '/home/u' }); // '/home/u'
 */
export function homeDirectory(env: NodeJS.ProcessEnv): string | undefined {
  if (env.HOME) return env.HOME;
  try {
    return os.homedir();
  } catch {
    return undefined; // no passwd entry for this uid
  }
}

/**
 * $XDG_DATA_HOME, else ~/.local/share, else (no home at all) a directory of this user's in the temp dir.
 *
 * @example
 * dataHome({ HOME: '/home/u' }, 1000); // '/home/u/.local/share'
 * dataHome({}, 4242); // '/tmp/pod-init-data-4242' when uid 4242 has no passwd entry
 */
export function dataHome(env: NodeJS.ProcessEnv, euid: number): string {
  if (env.XDG_DATA_HOME) return env.XDG_DATA_HOME;
  const home = homeDirectory(env);
  return home !== undefined ? path.join(home, '.local', 'share') : path.join(os.tmpdir(), `pod-init-data-${euid}`);
}
