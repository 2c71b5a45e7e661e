/**
 * The id ranges of pods with a user namespace of their own (`hostUsers: false`), allocated as the
 * kubelet's userns manager does: 65536 ids per pod, block N maps container id 0 to host id N·65536
 * (block 0, the host's own ids, is never given out; at most 1024 such pods). The registry is a
 * directory with one file per block, `<dir>/<N>`, holding the pod's uid: made with O_EXCL under an
 * flock of `<dir>/.lock`, so two pod-inits never take one block, removed at the pod's end, and taken
 * over when the pod that holds it has no live pod-init any more (owners.ts `isPodAlive`).
 * @module
 */
import fs from 'node:fs';
import path from 'node:path';
import type { IdMapping } from '../process/spawn';
import { withDirLock } from './dir-lock';

/** Ids per pod: the kubelet's `userNsLength`. */
export const userNamespaceSize = 65536;

/** Blocks 1..1024: the kubelet's default `maxPods` worth of ranges. */
export const userNamespaceBlocks = 1024;

/** One pod's range: container ids 0..size-1 are host ids hostId..hostId+size-1, for uids and gids. */
export interface UserNamespaceRange {
  block: number;
  hostId: number;
  size: number;
}

/** No block is free: every one belongs to a pod whose pod-init runs. */
export class RangesExhaustedError extends Error {}
Object.defineProperty(RangesExhaustedError.prototype, 'name', { value: 'RangesExhaustedError', enumerable: false });

/**
 * The registry of this user's pod-inits: /run/pod-init/userns as root (user namespaces with ranges
 * of their own need root).
 *
 * @example
 * defaultRangesDir(); // '/run/pod-init/userns'
 */
export function defaultRangesDir(): string {
  return '/run/pod-init/userns';
}

/**
 * The range of block `block`.
 *
 * @example
 * rangeOfBlock(2); // { block: 2, hostId: 131072, size: 65536 }
 */
export function rangeOfBlock(block: number): UserNamespaceRange {
  return { block, hostId: block * userNamespaceSize, size: userNamespaceSize };
}

/**
 * The first block a pod may take, given who holds which (`claims`: block → pod uid): a free one, or
 * one whose pod has no live pod-init (or is this pod's own, from a pod-init of it that died);
 * undefined when all are taken.
 *
 * @example
 * chooseBlock(new Map([[1, 'a']]), 'b', () => true); // 2
 */
export function chooseBlock(
  claims: ReadonlyMap<number, string>,
  podUid: string,
  isAlive: (podUid: string) => boolean,
): number | undefined {
  for (let block = 1; block <= userNamespaceBlocks; block++) {
    const holder = claims.get(block);
    if (holder === undefined || holder === podUid || !isAlive(holder)) return block;
  }
  return undefined;
}

/**
 * The uid and gid maps of a range (identical, as the kubelet's).
 *
 * @example
 * rangeMappings(rangeOfBlock(1)).uidMappings; // [{ containerId: 0, hostId: 65536, size: 65536 }]
 */
export function rangeMappings(range: UserNamespaceRange): { uidMappings: IdMapping[]; gidMappings: IdMapping[] } {
  const map = (): IdMapping[] => [{ containerId: 0, hostId: range.hostId, size: range.size }];
  return { uidMappings: map(), gidMappings: map() };
}

function readClaims(dir: string): Map<number, string> {
  const claims = new Map<number, string>();
  for (const name of fs.readdirSync(dir)) {
    if (!/^[1-9][0-9]*$/.test(name)) continue;
    try {
      claims.set(Number(name), fs.readFileSync(path.join(dir, name), 'utf8').trim());
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
  return claims;
}

/**
 * Takes a block for pod `podUid` in registry `dir` (see the module's description); throws
 * {@link RangesExhaustedError} when all 1024 are held by live pods.
 *
 * @example
 * const range = allocateRange('/run/pod-init/userns', pod.metadata.uid, (uid) => isPodAlive(ownersDir, uid));
 * // { block: 1, hostId: 65536, size: 65536 }
 */
export function allocateRange(dir: string, podUid: string, isAlive: (podUid: string) => boolean): UserNamespaceRange {
  return withDirLock(dir, () => {
    const claims = readClaims(dir);
    const block = chooseBlock(claims, podUid, isAlive);
    if (block === undefined)
      throw new RangesExhaustedError(
        `no free user namespace range: all ${userNamespaceBlocks} ranges of ${userNamespaceSize} ids are held by running pods with hostUsers: false (${dir})`,
      );
    const file = path.join(dir, String(block));
    if (claims.has(block)) fs.rmSync(file, { force: true }); // its pod-init is gone (or it was ours)
    const { O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW } = fs.constants;
    const fd = fs.openSync(file, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600);
    try {
      fs.writeSync(fd, `${podUid}\n`);
    } finally {
      fs.closeSync(fd);
    }
    return rangeOfBlock(block);
  });
}

/**
 * Gives a pod's block back at its end (only while it is still this pod's).
 *
 * @example
 * releaseRange('/run/pod-init/userns', range, pod.metadata.uid);
 */
export function releaseRange(dir: string, range: UserNamespaceRange, podUid: string): void {
  withDirLock(dir, () => {
    const file = path.join(dir, String(range.block));
    if (readClaims(dir).get(range.block) === podUid) fs.rmSync(file, { force: true });
  });
}
