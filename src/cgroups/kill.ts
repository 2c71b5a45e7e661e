/**
 * Killing every process of a cgroup, including those that changed their uid or left their parent: v2
 * `cgroup.kill` (Linux ≥ 5.14) where the process is in a v2 cgroup that has it; else v1 freezer: FROZEN, SIGKILL
 * every pid of `cgroup.procs`, THAWED (frozen tasks cannot fork away between the read and the kill); without a
 * freezer, kill and re-read until empty. Then wait until every directory is empty.
 * @module
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pidsIn, pollFor, readCgroupFile, writeCgroupFile } from './tree';

/** The directories of one cgroup (a pod or a container) in each hierarchy. */
export interface CgroupDirs {
  /** v1 directories, one per hierarchy (freezer's among them when there is one). */
  v1: string[];
  /** The v1 freezer directory, if the freezer hierarchy is used. */
  freezer?: string;
  /** The v2 directory, if a cgroup2 hierarchy is used. */
  v2?: string;
}

function killPids(pids: readonly number[]): void {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
    }
  }
}

function allDirs(dirs: CgroupDirs): string[] {
  return [...dirs.v1, ...(dirs.v2 === undefined ? [] : [dirs.v2])].filter((d) => fs.existsSync(d));
}

/**
 * Kills everything in `dirs` (and below) and resolves when they are all empty; throws after `timeoutMs`.
 *
 * @example
 * await killCgroup({ v1: ['/sys/fs/cgroup/memory/kubepods/pod1/c'], freezer: '/sys/fs/cgroup/freezer/kubepods/pod1/c' }, 5000);
 */
export async function killCgroup(dirs: CgroupDirs, timeoutMs: number): Promise<void> {
  const existing = allDirs(dirs);
  const empty = () => existing.every((d) => !fs.existsSync(d) || pidsIn(d).length === 0);
  if (empty()) return;
  if (dirs.v2 !== undefined && fs.existsSync(path.join(dirs.v2, 'cgroup.kill'))) {
    writeCgroupFile(dirs.v2, 'cgroup.kill', '1');
  } else if (dirs.freezer !== undefined && fs.existsSync(dirs.freezer)) {
    await freezeAndKill(dirs.freezer, existing, timeoutMs);
  }
  // Without cgroup.kill or a freezer (and as a sweep after either), kill what is left until nothing is.
  await pollFor(
    () => {
      killPids(existing.flatMap(pidsIn));
      return empty();
    },
    `the processes of ${existing.join(', ')} to exit`,
    timeoutMs,
  );
}

async function freezeAndKill(freezer: string, existing: readonly string[], timeoutMs: number): Promise<void> {
  writeCgroupFile(freezer, 'freezer.state', 'FROZEN');
  try {
    // FREEZING until every task stopped; a new write nudges tasks that were forking.
    await pollFor(
      () =>
        readCgroupFile(freezer, 'freezer.state') === 'FROZEN' ||
        (writeCgroupFile(freezer, 'freezer.state', 'FROZEN'), false),
      `${freezer} to freeze`,
      timeoutMs,
    );
    killPids([...new Set(existing.flatMap(pidsIn))]);
  } finally {
    writeCgroupFile(freezer, 'freezer.state', 'THAWED');
  }
}
