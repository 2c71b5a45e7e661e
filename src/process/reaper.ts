/**
 * reapOrphans(): for a Node program that is itself PID 1 (or a subreaper), reap the orphans that are
 * reparented to it — without stealing the exit status of `child_process` children or of pod-init's.
 * @module
 */
import fs from 'node:fs';
import { native } from '../native';
import { livePodPids } from './process';
import { setChildSubreaper } from './syscalls';

/** Options of {@link reapOrphans}. */
export interface ReapOrphansOptions {
  /** Also become a child subreaper, so orphans come to this process when it is not PID 1. */
  subreaper?: boolean;
  /** Pids never to reap (children another addon waits for). */
  exclude?: (pid: number) => boolean;
  /** Called for each orphan reaped. */
  onReap?: (pid: number, exitCode: number | null, signal: number | null) => void;
}

/** A running orphan reaper. */
export interface OrphanReaper {
  /** How many orphans it has reaped. */
  readonly reaped: number;
  /** Stops listening for SIGCHLD. */
  stop(): void;
}

function zombieChildren(): number[] {
  const out: number[] = [];
  for (const task of fs.readdirSync('/proc/self/task')) {
    let text: string;
    try {
      text = fs.readFileSync(`/proc/self/task/${task}/children`, 'utf8');
    } catch {
      continue; // the thread exited meanwhile
    }
    for (const pid of text.split(' ').filter(Boolean).map(Number)) {
      try {
        const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
        if (stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z') out.push(pid);
      } catch {
        // reaped meanwhile
      }
    }
  }
  return out;
}

/**
 * Reaps orphaned zombies on every SIGCHLD (a `process.on('SIGCHLD')` listener, which runs next to
 * libuv's own). It waits only for zombie children that neither libuv (`child_process`) nor pod-init
 * is waiting for, one pid at a time — never `waitpid(-1)`.
 * Caveats: children of Worker-thread loops and of other native addons are invisible to it; exclude
 * them with `exclude`.
 *
 * @example
 * // A Node program as a container's PID 1:
 * const reaper = reapOrphans();
 * child_process.spawn('sh', ['-c', '(sleep 1 &)']); // its orphan is reaped; 'exit' still fires
 */
export function reapOrphans(options: ReapOrphansOptions = {}): OrphanReaper {
  if (options.subreaper) setChildSubreaper(true);
  let reaped = 0;
  const sweep = () => {
    const zombies = zombieChildren();
    if (zombies.length === 0) return;
    const libuv = new Set(native.libuvChildPids());
    for (const pid of zombies) {
      if (libuv.has(pid) || livePodPids.has(pid) || options.exclude?.(pid)) continue;
      const status = native.reapPid(pid);
      if (status === null) continue;
      reaped++;
      options.onReap?.(pid, status[0], status[1]);
    }
  };
  process.on('SIGCHLD', sweep);
  sweep();
  return {
    get reaped() {
      return reaped;
    },
    stop() {
      process.off('SIGCHLD', sweep);
    },
  };
}
