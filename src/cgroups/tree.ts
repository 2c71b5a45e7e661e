/**
 * Small file operations on cgroup directories: descendants, member pids, waiting until empty, removal leaf-first.
 * Waiting polls the kernel's files with a deadline (the kernel offers no portable wake-up on v1).
 * @module
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** `dir` and every cgroup below it, deepest first (the order rmdir needs). Missing → []. */
export function cgroupTree(dir: string): string[] {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const below = entries.filter((e) => e.isDirectory()).flatMap((e) => cgroupTree(path.join(dir, e.name)));
  return [...below, dir];
}

/** The pids in `cgroup.procs` of `dir` and of every cgroup below it. */
export function pidsIn(dir: string): number[] {
  const pids: number[] = [];
  for (const d of cgroupTree(dir)) {
    let text = '';
    try {
      text = fs.readFileSync(path.join(d, 'cgroup.procs'), 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    for (const line of text.split('\n')) if (line !== '') pids.push(Number(line));
  }
  return pids;
}

/** Polls `check` until true or `timeoutMs` passes; the delay grows from 1 ms to 20 ms. */
export async function pollFor(check: () => boolean, what: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let delay = 1;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, delay));
    delay = Math.min(delay * 2, 20);
  }
}

/** Removes `dir` and its sub-cgroups leaf-first, retrying EBUSY (a v1 cgroup whose last task is still exiting). */
export async function removeCgroupTree(dir: string, timeoutMs: number): Promise<void> {
  for (const d of cgroupTree(dir)) {
    await pollFor(
      () => {
        try {
          fs.rmdirSync(d);
          return true;
        } catch (error) {
          const code = (error as NodeJS.ErrnoException).code;
          if (code === 'ENOENT') return true;
          if (code === 'EBUSY' || code === 'ENOTEMPTY') return false;
          throw error;
        }
      },
      `rmdir ${d}`,
      timeoutMs,
    );
  }
}

/** Writes a cgroup file (no O_CREAT: a missing file is an error, never a new regular file). */
export function writeCgroupFile(dir: string, file: string, value: string): void {
  const fd = fs.openSync(path.join(dir, file), fs.constants.O_WRONLY);
  try {
    fs.writeSync(fd, value);
  } finally {
    fs.closeSync(fd);
  }
}

/** Reads a cgroup file, trimmed; undefined when it does not exist. */
export function readCgroupFile(dir: string, file: string): string | undefined {
  try {
    return fs.readFileSync(path.join(dir, file), 'utf8').trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** A `key value` line of a flat-keyed file (`memory.events`, `memory.oom_control`, `cpu.stat`) as a number. */
export function keyedValue(text: string | undefined, key: string): number | undefined {
  for (const line of (text ?? '').split('\n')) {
    const [k, v] = line.trim().split(/\s+/);
    if (k === key && v !== undefined) return Number(v);
  }
  return undefined;
}
