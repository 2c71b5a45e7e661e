/**
 * Sweeping the pod cgroups a dead pod-init left: every `pod<uid>` under `kubepods`, `kubepods/burstable` and
 * `kubepods/besteffort` whose pod is not alive is emptied (its processes killed) and removed.
 * @module
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { killCgroup, type CgroupDirs } from './kill';
import type { CgroupLayout } from './layout';
import { podUidOf, qosSegments, relativeRoot } from './paths';
import { removeCgroupTree } from './tree';

export interface SweptPod {
  podUid: string;
  /** The directories removed (one per hierarchy). */
  dirs: string[];
}

/**
 * Removes the cgroups of pods for which `isAlive(uid)` is false, killing what is inside first. Returns what it
 * removed, so `pod-init run` can say so.
 *
 * @example
 * const swept = await sweepLeftovers(readCgroupLayout(), '/', (uid) => livePods.has(uid));
 * for (const s of swept) console.error(`removed the cgroups of dead pod ${s.podUid}`);
 */
export async function sweepLeftovers(
  layout: CgroupLayout,
  cgroupRoot: string,
  isAlive: (podUid: string) => boolean,
  timeoutMs = 10_000,
): Promise<SweptPod[]> {
  const found = new Map<string, CgroupDirs & { all: string[] }>();
  for (const h of layout.hierarchies) {
    for (const segment of qosSegments) {
      const parent = path.join(h.mountPoint, relativeRoot(cgroupRoot), 'kubepods', segment);
      let names: string[];
      try {
        names = fs
          .readdirSync(parent, { withFileTypes: true })
          .filter((e) => e.isDirectory())
          .map((e) => e.name);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw error;
      }
      for (const name of names) {
        const uid = podUidOf(name);
        if (uid === undefined || isAlive(uid)) continue;
        const dir = path.join(parent, name);
        const entry = found.get(uid) ?? { v1: [], all: [] };
        entry.all.push(dir);
        if (h.version === 2) entry.v2 = dir;
        else {
          entry.v1.push(dir);
          if (h.controllers.includes('freezer')) entry.freezer = dir;
        }
        found.set(uid, entry);
      }
    }
  }
  const swept: SweptPod[] = [];
  for (const [podUid, dirs] of found) {
    await killCgroup(dirs, timeoutMs);
    for (const dir of dirs.all) await removeCgroupTree(dir, timeoutMs);
    swept.push({ podUid, dirs: dirs.all });
  }
  return swept;
}
