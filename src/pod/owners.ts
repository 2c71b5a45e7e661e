/**
 * Which pods have a live pod-init: `<dir>/<pod uid>` holds the owning process's pid and start time
 * (field 22 of /proc/PID/stat, so a reused pid is not mistaken for the owner). What a dead pod-init
 * left (cgroups, say) belongs to a pod that is not alive by this test, whatever state root it used.
 * @module
 */
import fs from 'node:fs';
import path from 'node:path';

/** The registry of this user: /run/pod-init/owners as root. */
export function defaultOwnersDir(tmp: string, euid: number): string {
  return euid === 0 ? '/run/pod-init/owners' : path.join(tmp, `pod-init-owners-${euid}`);
}

function startTime(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: count from the last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

/**
 * Records this process as the owner of a pod.
 *
 * @example
 * claimPod('/run/pod-init/owners', pod.metadata.uid);
 */
export function claimPod(dir: string, podUid: string): void {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  fs.writeFileSync(path.join(dir, podUid), `${process.pid} ${startTime(process.pid)}\n`, { mode: 0o600 });
}

/** Forgets the owner of a pod (at its end). */
export function releasePod(dir: string, podUid: string): void {
  fs.rmSync(path.join(dir, podUid), { force: true });
}

/**
 * Whether the process that claimed a pod still runs.
 *
 * @example
 * isPodAlive('/run/pod-init/owners', uid); // false once its pod-init is gone, even after kill -9
 */
export function isPodAlive(dir: string, podUid: string): boolean {
  let text: string;
  try {
    text = fs.readFileSync(path.join(dir, podUid), 'utf8');
  } catch {
    return false;
  }
  const [pid, started] = text.trim().split(' ');
  const n = Number(pid);
  return Number.isInteger(n) && n > 0 && started !== undefined && startTime(n) === started;
}
