/**
 * Locks of the image store: one holder at a time per name, in this process (a queue) and across
 * processes (flock(2) on a file, polled without blocking the event loop). Released when `fn` settles;
 * a process that dies releases its flocks with it.
 * @module
 */
import fs from 'node:fs';
import { native } from '../native';

const queues = new Map<string, Promise<unknown>>();

/** How long to wait between attempts on a lock another process holds (ms, growing to the cap). */
const firstWaitMs = 10;
const maxWaitMs = 200;

async function acquire(file: string, exclusive = true): Promise<number> {
  const fd = fs.openSync(file, fs.constants.O_RDWR | fs.constants.O_CREAT | fs.constants.O_NOFOLLOW, 0o600);
  let wait = firstWaitMs;
  try {
    while (!native.tryFlock(fd, exclusive)) {
      await new Promise((resolve) => setTimeout(resolve, wait));
      wait = Math.min(wait * 2, maxWaitMs);
    }
  } catch (error) {
    fs.closeSync(fd);
    throw error;
  }
  return fd;
}

/**
 * Runs `fn` holding the exclusive lock `file` (created if missing).
 *
 * @example
 * await withFileLock('/var/lib/pod-init/images/locks/layer-ab12….lock', () => unpackLayer());
 */
export function withFileLock<T>(file: string, fn: () => Promise<T>): Promise<T> {
  const before = queues.get(file) ?? Promise.resolve();
  const run = before
    .catch(() => undefined)
    .then(async () => {
      const fd = await acquire(file);
      try {
        return await fn();
      } finally {
        fs.closeSync(fd);
      }
    });
  const tail = run.catch(() => undefined);
  queues.set(file, tail);
  void tail.then(() => {
    if (queues.get(file) === tail) queues.delete(file);
  });
  return run;
}

/**
 * Runs `fn` holding the lock `file` shared: any number of shared holders (in this process or others)
 * at once, none while someone holds it exclusively ({@link withFileLock}). Pulls hold the store's
 * `gc` lock shared; image GC takes it exclusively, so it never sweeps what a pull is making.
 *
 * @example
 * await withSharedFileLock('/var/lib/pod-init/images/locks/gc.lock', () => pull());
 */
export async function withSharedFileLock<T>(file: string, fn: () => Promise<T>): Promise<T> {
  const fd = await acquire(file, false);
  try {
    return await fn();
  } finally {
    fs.closeSync(fd);
  }
}
