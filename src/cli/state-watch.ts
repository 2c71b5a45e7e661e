/**
 * Change notification over a state root, for `get -w` and `events -w`: inotify (`fs.watch`) on the root
 * (pods come and go) and on each pod's directory (status.json is renamed into place at every change,
 * events.jsonl appended to), plus a poll every second. The poll is the fallback, not the mechanism:
 * a directory watched only after its pod wrote its first status, a root made after the watch began, or
 * a file system where inotify says nothing (NFS, some overlays) would otherwise miss a change.
 * Notifications are coalesced: a burst of writes is one re-read.
 * @module
 */
import fs from 'node:fs';
import path from 'node:path';

const stateDirName = /^[a-z0-9-]+_[a-z0-9.-]+_[A-Za-z0-9-]+$/;

/** A running watch; `close()` stops it. */
export interface StateWatch {
  close(): void;
}

/**
 * Calls `onChange` soon after anything under `stateRoot` changes (and at least every `pollMs`).
 *
 * @example
 * const watch = watchStateRoot('/run/pod-init', () => printChangedRows());
 * process.once('SIGINT', () => watch.close());
 */
export function watchStateRoot(stateRoot: string, onChange: () => void, pollMs = 1000): StateWatch {
  const watchers = new Map<string, fs.FSWatcher>();
  let pending: NodeJS.Timeout | undefined;
  let closed = false;
  const watch = (dir: string): void => {
    if (watchers.has(dir)) return;
    try {
      const watcher = fs.watch(dir, { persistent: true }, () => schedule());
      watcher.on('error', () => {
        watcher.close();
        watchers.delete(dir); // the directory went: the poll re-watches what comes back
      });
      watchers.set(dir, watcher);
    } catch {
      // not there (yet): the poll tries again
    }
  };
  const refresh = (): void => {
    watch(stateRoot);
    let entries: string[] = [];
    try {
      entries = fs.readdirSync(stateRoot).filter((e) => stateDirName.test(e));
    } catch {
      // no root yet
    }
    const dirs = new Set(entries.map((e) => path.join(stateRoot, e)));
    for (const dir of dirs) watch(dir);
    for (const [dir, watcher] of watchers)
      if (dir !== stateRoot && !dirs.has(dir)) {
        watcher.close();
        watchers.delete(dir);
      }
  };
  const fire = (): void => {
    pending = undefined;
    if (closed) return;
    refresh();
    onChange();
  };
  function schedule(): void {
    pending ??= setTimeout(fire, 20);
  }
  refresh();
  const poll = setInterval(schedule, pollMs);
  return {
    close() {
      closed = true;
      clearInterval(poll);
      if (pending) clearTimeout(pending);
      for (const watcher of watchers.values()) watcher.close();
      watchers.clear();
    },
  };
}

/**
 * Resolves when `out` can no longer be written (the reader went away: `| head`, a closed terminal), the
 * end of a watch that has no end of its own.
 *
 * @example
 * await outputClosed(process.stdout);
 */
export function outputClosed(out: NodeJS.WritableStream): Promise<void> {
  return new Promise((resolve) => {
    out.once('close', resolve);
    out.once('error', () => resolve());
  });
}

/**
 * Calls `show` at every change under `stateRoot` until `out` closes: `get -w` and `events -w`, which end only
 * when their reader goes.
 *
 * @example
 * await watchUntilClosed('/run/pod-init', process.stdout, () => printChangedRows());
 */
export async function watchUntilClosed(stateRoot: string, out: NodeJS.WritableStream, show: () => void): Promise<void> {
  const watch = watchStateRoot(stateRoot, show);
  try {
    await outputClosed(out);
  } finally {
    watch.close();
  }
}
