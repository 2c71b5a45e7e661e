/**
 * One holder at a time of a small registry directory (pod names, user namespace ranges): an exclusive
 * flock(2) on `<dir>/.lock`, taken synchronously and released when `run` returns or throws (or when the
 * process dies: the kernel drops its flocks).
 * @module
 */
import fs from 'node:fs';
import path from 'node:path';
import { native } from '../native';

/**
 * Runs `run` holding the lock of `dir` (made 0700 when missing; the lock file is never followed through
 * a symlink).
 *
 * @example
 * withDirLock('/run/pod-init/userns', () => claimRange());
 */
export function withDirLock<T>(dir: string, run: () => T): T {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const { O_RDWR, O_CREAT, O_NOFOLLOW } = fs.constants;
  const fd = fs.openSync(path.join(dir, '.lock'), O_RDWR | O_CREAT | O_NOFOLLOW, 0o600);
  try {
    native.flock(fd, true);
    return run();
  } finally {
    fs.closeSync(fd); // releases the lock
  }
}
