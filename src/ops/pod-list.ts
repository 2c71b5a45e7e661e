/**
 * The pods of a state root, read from their status.json files without any daemon (OPERATIONS.md §3):
 * `<root>/<namespace>_<name>_<uid>/status.json`, rewritten by the pod's pod-init at every change. A pod
 * whose pod-init is gone before it wrote a final status (kill -9, a crash: its owner record names a
 * dead process, or there is none) is shown as such — phase Unknown, reason SupervisorLost — never as
 * Running forever. When one name was run several times (a state directory per run), the live one
 * wins, else the newest.
 * @module
 */
import fs from 'node:fs';
import path from 'node:path';
import { isPodAlive, isPodGone } from '../pod/owners';
import { isFinalStatus } from '../pod/final-status';
import type { PodObject } from './pod-status-text';

/** Where pods are kept. */
export interface StateLocation {
  /** The state root (`pod-init run`'s: $POD_INIT_STATE_DIR, /run/pod-init as root). */
  stateRoot: string;
  /** The registry of live pod-inits (owners.ts; /run/pod-init/owners as root). */
  ownersDir: string;
}

/** One pod found in the state root. */
export interface ListedPod {
  /** The Pod object, its status as last written (or as pod-init's loss makes it). */
  pod: PodObject;
  /** Its state directory (CRI logs under `<container>/<restartCount>.log`). */
  dir: string;
  /** Whether a live pod-init runs it. */
  live: boolean;
}

const stateDirName = /^([a-z0-9-]+)_([a-z0-9.-]+)_([A-Za-z0-9-]+)$/;

function readPod(file: string): PodObject | undefined {
  try {
    const object = JSON.parse(fs.readFileSync(file, 'utf8')) as PodObject;
    return typeof object === 'object' && object !== null && typeof object.metadata === 'object' ? object : undefined;
  } catch {
    return undefined;
  }
}

function readOne(location: StateLocation, entry: string): ListedPod | undefined {
  const m = stateDirName.exec(entry);
  if (!m) return undefined;
  const [, namespace, name, uid] = m as unknown as [string, string, string, string];
  const dir = path.join(location.stateRoot, entry);
  let stat: fs.Stats;
  try {
    stat = fs.statSync(dir);
  } catch {
    return undefined; // removed meanwhile
  }
  if (!stat.isDirectory()) return undefined;
  const live = isPodAlive(location.ownersDir, uid);
  const written = readPod(path.join(dir, 'status.json'));
  // No status.json yet: a pod-init is starting it, unless its owner record says that pod-init is dead.
  const lost = written === undefined ? isPodGone(location.ownersDir, uid) : !live && !isFinalStatus(written as never);
  const pod = written ?? {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace, uid, creationTimestamp: stat.birthtime.toISOString().replace(/\.\d{3}Z$/, 'Z') },
    status: { phase: 'Pending' },
  };
  if (lost) {
    pod.status = {
      ...pod.status,
      phase: 'Unknown',
      reason: 'SupervisorLost',
      message: 'The pod-init that ran this pod is gone (killed or crashed): this is its last known status.',
    };
  }
  return { pod: { apiVersion: 'v1', kind: 'Pod', ...pod }, dir, live };
}

/**
 * The pods under the state root, in `namespace` (every namespace when undefined), sorted by namespace
 * and name as the API server lists them.
 *
 * @example
 * listPods({ stateRoot: '/run/pod-init', ownersDir: '/run/pod-init/owners' }, 'default')
 *   .map((p) => p.pod.metadata.name); // ['db', 'web']
 */
export function listPods(location: StateLocation, namespace?: string): ListedPod[] {
  const byName = new Map<string, ListedPod>();
  for (const found of listPodRuns(location, namespace)) {
    const key = `${found.pod.metadata.namespace ?? 'default'}/${found.pod.metadata.name}`;
    const other = byName.get(key);
    if (other === undefined || newer(found, other)) byName.set(key, found);
  }
  const key = (p: ListedPod) => [p.pod.metadata.namespace ?? 'default', p.pod.metadata.name] as const;
  return [...byName.values()].sort((a, b) => {
    const [na, a1] = key(a);
    const [nb, b1] = key(b);
    return na === nb ? (a1 < b1 ? -1 : a1 > b1 ? 1 : 0) : na < nb ? -1 : 1;
  });
}

/**
 * Every run kept under the state root (a name run several times has a state directory per run), in
 * `namespace` (every namespace when undefined), unsorted.
 *
 * @example
 * listPodRuns(location).filter((p) => !p.live).map((p) => p.dir); // what `pod-init prune` removes
 */
export function listPodRuns(location: StateLocation, namespace?: string): ListedPod[] {
  let entries: string[];
  try {
    entries = fs.readdirSync(location.stateRoot);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const runs: ListedPod[] = [];
  for (const entry of entries) {
    const m = stateDirName.exec(entry);
    if (!m || (namespace !== undefined && m[1] !== namespace)) continue;
    const found = readOne(location, entry);
    if (found) runs.push(found);
  }
  return runs;
}

/** Whether `a` should be shown rather than `b` (same namespace and name): the live one, else the newest. */
function newer(a: ListedPod, b: ListedPod): boolean {
  if (a.live !== b.live) return a.live;
  const time = (p: ListedPod) => Date.parse(p.pod.metadata.creationTimestamp ?? '') || 0;
  return time(a) !== time(b) ? time(a) > time(b) : fs.statSync(a.dir).mtimeMs > fs.statSync(b.dir).mtimeMs;
}

/**
 * One pod by namespace and name; undefined when there is none.
 *
 * @example
 * findPod({ stateRoot, ownersDir }, 'default', 'web')?.pod.status?.phase; // 'Running'
 */
export function findPod(location: StateLocation, namespace: string, name: string): ListedPod | undefined {
  return listPods(location, namespace).find((p) => p.pod.metadata.name === name);
}
