/**
 * Which pods have a live pod-init: `<dir>/<pod uid>` holds the owning process's pid and start time
 * (field 22 of /proc/PID/stat, so a reused pid is not mistaken for the owner). What a dead pod-init
 * left (cgroups, say) belongs to a pod that is not alive by this test, whatever state root it used.
 * @module
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { ensurePrivateDir } from './private-dir';

/** The registry of this user: /run/pod-init/owners as root. */
export function defaultOwnersDir(tmp: string, euid: number): string {
  return euid === 0 ? '/run/pod-init/owners' : path.join(tmp, `pod-init-owners-${euid}`);
}

export function startTime(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: count from the last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

/**
 * Whether process `pid`, started at `started` (field 22 of /proc/PID/stat, as in an owner record), still
 * runs: false once it has exited (a zombie included) or its pid was reused.
 *
 * @example
 * const owner = ownerProcess(ownersDir, uid);
 * if (owner && !isProcessRunning(owner.pid, owner.started)) console.log('its pod-init has exited');
 */
export function isProcessRunning(pid: number, started: string): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[0] !== 'Z' && fields[0] !== 'X' && fields[19] === started;
  } catch {
    return false;
  }
}

/**
 * Records this process as the owner of a pod.
 *
 * @example
 * claimPod('/run/pod-init/owners', pod.metadata.uid);
 */
export function claimPod(dir: string, podUid: string): void {
  // Rootless, the registry is in the shared temp directory: it must be ours alone (private-dir.ts), and
  // the record is a new file renamed into place, never written through a symlink someone planted.
  ensurePrivateDir(dir, process.geteuid!());
  const tmp = path.join(dir, `.${podUid}.${randomBytes(6).toString('hex')}`);
  const fd = fs.openSync(tmp, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL, 0o600);
  try {
    fs.writeFileSync(fd, `${process.pid} ${startTime(process.pid)}\n`);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, path.join(dir, podUid));
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
  return ownerPid(dir, podUid) !== undefined;
}

/**
 * The pid of a pod's live pod-init (the process to signal), undefined when it is gone.
 *
 * @example
 * const pid = ownerPid('/run/pod-init/owners', uid);
 * if (pid !== undefined) process.kill(pid, 'SIGTERM');
 */
export function ownerPid(dir: string, podUid: string): number | undefined {
  return ownerProcess(dir, podUid)?.pid;
}

/**
 * A pod's live pod-init with its start time, to tell later whether that very process has exited.
 *
 * @example
 * const owner = ownerProcess('/run/pod-init/owners', uid); // { pid: 4242, started: '1234567' }
 */
export function ownerProcess(dir: string, podUid: string): { pid: number; started: string } | undefined {
  let text: string;
  try {
    const fd = fs.openSync(path.join(dir, podUid), fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
    try {
      text = fs.readFileSync(fd, 'utf8');
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return undefined;
  }
  const [pid, started] = text.trim().split(' ');
  const n = Number(pid);
  // A zombie runs nothing: a pod-init killed but not yet reaped (a detached one's new parent may be slow) is gone.
  return Number.isInteger(n) && n > 0 && started !== undefined && isProcessRunning(n, started)
    ? { pid: n, started }
    : undefined;
}

/**
 * Whether a pod's pod-init is known to be gone: its record is here and its process is not. A pod with
 * no record here is not gone — it may belong to another registry (a kubelet's pods under the same
 * `kubepods`, a pod-init with another owners directory), or be just starting — so nothing of it is swept.
 *
 * @example
 * if (isPodGone(ownersDir, uid)) removeItsCgroups();
 */
export function isPodGone(dir: string, podUid: string): boolean {
  return fs.existsSync(path.join(dir, podUid)) && !isPodAlive(dir, podUid);
}

/**
 * This process as a record's owner: its pid and start time, `"4242 1234567"`, what a lease or a port claim
 * names so that it can be judged without the owners registry ({@link isRecordGone}).
 *
 * @example
 * fs.writeFileSync(file, JSON.stringify({ podUid, owner: ownerOfThisProcess() }));
 */
export function ownerOfThisProcess(): string {
  // Read once: a process's start time never changes (a lease and a claim each needed a /proc read).
  if (thisOwner?.pid !== process.pid)
    thisOwner = { pid: process.pid, owner: `${process.pid} ${startTime(process.pid)}` };
  return thisOwner.owner;
}

let thisOwner: { pid: number; owner: string } | undefined;

/**
 * Whether the pod-init behind a record of pod `podUid` (an address lease, a port claim) is gone: by the owners
 * registry `dir` where it has the pod's record, else by the owner the record names (`owner`, as
 * {@link ownerOfThisProcess} wrote it). A record with neither (an older pod-init's, whose pod is in another
 * registry) is not gone: nothing of it is swept.
 *
 * @example
 * isRecordGone(ownersDir, claim.podUid, claim.owner); // true once the pod-init that wrote it has exited
 */
export function isRecordGone(dir: string, podUid: string, owner: unknown): boolean {
  if (fs.existsSync(path.join(dir, podUid))) return isPodGone(dir, podUid);
  if (typeof owner !== 'string') return false;
  const [pid, started] = owner.split(' ');
  return started === undefined || !isProcessRunning(Number(pid), started);
}

/**
 * The pods a live process owns (their uids): a `pod-init run` of several Pods owns one record each.
 *
 * @example
 * ownedPods('/run/pod-init/owners', 4242); // ['0b6f…', '9c1e…']
 */
export function ownedPods(dir: string, pid: number): string[] {
  let entries: string[];
  try {
    entries = fs.readdirSync(dir);
  } catch {
    return [];
  }
  return entries.filter((uid) => !uid.startsWith('.') && ownerProcess(dir, uid)?.pid === pid);
}
