/**
 * State directories left by a pod-init that is gone (kill -9, a crash, a reboot of /run aside): the
 * next pod-init to start sweeps them, as it sweeps their cgroups (pod-cgroups.ts). A directory is
 * stale when its pod's owner record (owners.ts) names a process that is no longer running and its
 * status.json (rewritten at every change while the pod runs) is not a final one (a pod that ended wrote
 * one, then released its record). What a user wants
 * of such a pod is what `kubectl` shows for a pod whose node was lost: its logs, and a final status
 * saying it failed and why. So the logs stay (`<container>/<n>.log`), everything else goes (the
 * writable layers of its containers, emptyDirs, /dev/shm, etc-hosts, hostname, and any mount left
 * under it, detached first), and a status.json is written: phase Failed, reason NodeLost — the
 * reason Kubernetes gives pods of an unreachable node, which kubectl shows as the pod's STATUS.
 * @module
 */
import fs from 'node:fs';
import path from 'node:path';
import { mountFlags, umount } from '../process/syscalls';
import { removeInstanceRoot } from './container-root';
import { execRecordsName } from './exec-records';
import { isFinalStatus } from './final-status';
import { isPodGone } from './owners';
import { removeTree } from '../subordinate-ids';

/** One swept state directory. */
export interface SweptState {
  /** The state directory (kept, with the logs and the status.json written). */
  dir: string;
  podUid: string;
  /** What was removed, relative to `dir` (mount points detached are listed as `mount <path>`). */
  removed: string[];
}

/** `<namespace>_<name>_<uid>`: namespaces and names are DNS labels/subdomains, never with `_`. */
const stateDirName = /^([a-z0-9-]+)_([a-z0-9.-]+)_([A-Za-z0-9-]+)$/;

/**
 * Mount points at or under `dir` in this mount namespace, deepest first.
 *
 * @example
 * mountsUnder('/run/pod-init/default_web_c0ffee'); // [] once nothing is mounted there
 */
export function mountsUnder(dir: string): string[] {
  const unescape = (field: string) =>
    field.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
  return fs
    .readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[4])
    .filter((p): p is string => p !== undefined)
    .map(unescape)
    .filter((p) => p === dir || p.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length);
}

/** Removes everything in one stale state directory but the logs; returns what went. */
function sweepOne(dir: string): string[] {
  const removed: string[] = [];
  for (const mount of mountsUnder(dir)) {
    try {
      umount(mount, mountFlags.MNT_DETACH);
      removed.push(`mount ${path.relative(dir, mount) || '.'}`);
    } catch {
      // already gone, or not ours to detach: the removal below then fails on it and says so
    }
  }
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const at = path.join(dir, entry.name);
    if (entry.name === 'roots') {
      removeInstanceRoot(at);
      removed.push(entry.name);
      continue;
    }
    // Kept with the logs: `pod-init describe` shows the events; a detached supervisor's log says how it ended.
    if (entry.name === 'events.jsonl' || entry.name === 'supervisor.log') continue;
    // A container's exec spec (exec-spec.ts, and its records for the native client) names a process that is
    // gone: it goes, its logs stay.
    for (const spec of ['exec.json', execRecordsName]) {
      if (!entry.isDirectory() || !fs.existsSync(path.join(at, spec))) continue;
      fs.rmSync(path.join(at, spec), { force: true });
      removed.push(`${entry.name}/${spec}`);
    }
    const isLogDir =
      entry.isDirectory() && !['volumes', 'containers', 'shm'].includes(entry.name) && isLogDirectory(at);
    if (isLogDir) continue;
    removeTree(at); // rootless: what the pod wrote as another of its ids is a subordinate id's
    removed.push(entry.name);
  }
  return removed;
}

/** A container's log directory: nothing in it but `<n>.log` files. */
function isLogDirectory(dir: string): boolean {
  return fs.readdirSync(dir).every((name) => /^\d+\.log$/.test(name));
}

/**
 * Sweeps the state directories under `stateRoot` whose pod-init is gone (see the module comment),
 * forgets their owner records, and calls `report` once per directory with a sentence saying what it
 * removed (the runner turns it into a `SweptLeftovers` event). Directories with no owner record at
 * all are left alone: a pod-init that is starting may not have written its record yet.
 *
 * @example
 * sweepStaleState('/run/pod-init', '/run/pod-init/owners', (message) => console.error(message));
 * // "Removed the state of pod default/web (…), left behind by a pod-init that is gone: roots, shm; kept its logs"
 */
export function sweepStaleState(
  stateRoot: string,
  ownersDir: string,
  report: (message: string, swept: SweptState) => void,
): SweptState[] {
  let names: string[];
  try {
    names = fs.readdirSync(stateRoot);
  } catch {
    return [];
  }
  const swept: SweptState[] = [];
  for (const name of names) {
    const m = stateDirName.exec(name);
    if (!m) continue;
    const [, namespace, podName, podUid] = m as unknown as [string, string, string, string];
    const dir = path.join(stateRoot, name);
    if (!isPodGone(ownersDir, podUid)) continue;
    if (!fs.statSync(dir).isDirectory()) continue;
    const last = readStatus(path.join(dir, 'status.json'));
    if (last !== undefined && isFinalStatus(last)) continue;
    const removed = sweepOne(dir);
    fs.writeFileSync(
      path.join(dir, 'status.json'),
      JSON.stringify(lostPod(namespace, podName, podUid, last), null, 2) + '\n',
    );
    // The record stays: it still says the pod is gone, for the cgroup sweep and the user namespace
    // blocks (a pod without a record counts as someone else's, never swept).
    const entry = { dir, podUid, removed };
    swept.push(entry);
    report(
      `Removed the state of pod ${namespace}/${podName} (${podUid}), left behind by a pod-init that is gone: ` +
        `${removed.length > 0 ? removed.join(', ') : 'nothing'}; kept its logs, status Failed (NodeLost)`,
      entry,
    );
  }
  return swept;
}

/** The Pod object of a status.json; undefined when there is none (or half of one, from an older pod-init). */
function readStatus(file: string): Record<string, unknown> | undefined {
  try {
    const object: unknown = JSON.parse(fs.readFileSync(file, 'utf8'));
    return typeof object === 'object' && object !== null ? (object as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The final status of a pod whose pod-init died: what the API server shows for a lost node's pod
 * (its metadata and spec kept from the last status.json, when there was one).
 */
function lostPod(
  namespace: string,
  name: string,
  uid: string,
  last?: Record<string, unknown>,
): Record<string, unknown> {
  const lastStatus = (last?.status ?? {}) as { startTime?: string };
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    ...last,
    metadata: { ...(last?.metadata as object | undefined), name, namespace, uid },
    status: {
      ...(lastStatus.startTime !== undefined ? { startTime: lastStatus.startTime } : {}),
      phase: 'Failed',
      reason: 'NodeLost',
      message:
        'The pod-init that ran this pod is gone (killed or crashed); its processes were killed, its state removed.',
    },
  };
}
