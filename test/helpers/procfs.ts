import fs from 'node:fs';

/** Fields of /proc/PID/status, or undefined when the process is gone. */
export function procStatus(pid: number): Record<string, string> | undefined {
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return undefined;
  }
  const fields: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const i = line.indexOf(':');
    if (i > 0) fields[line.slice(0, i)] = line.slice(i + 1).trim();
  }
  return fields;
}

/** The pid as seen in the innermost pid namespace of the process (last NSpid entry). */
export function innermostPid(pid: number): number | undefined {
  const nspid = procStatus(pid)?.NSpid;
  return nspid === undefined ? undefined : Number(nspid.split(/\s+/).at(-1));
}

/** Direct children of a process (all its threads), as pids. */
export function childrenOf(pid: number): number[] {
  const out: number[] = [];
  let tasks: string[];
  try {
    tasks = fs.readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const task of tasks) {
    try {
      const text = fs.readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim();
      if (text) out.push(...text.split(/\s+/).map(Number));
    } catch {
      // thread exited meanwhile
    }
  }
  return out;
}

/** Process state letter (R, S, Z, ...) or undefined when gone. */
export function procState(pid: number): string | undefined {
  return procStatus(pid)?.State?.[0];
}

/** Every pid on the host whose command name is `comm`. */
export function pidsByName(comm: string): number[] {
  const out: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (fs.readFileSync(`/proc/${entry}/comm`, 'utf8').trim() === comm) out.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** Whether a process exists (and is not a zombie). */
export function alive(pid: number): boolean {
  const state = procState(pid);
  return state !== undefined && state !== 'Z';
}

/** The fds open in this process. */
export function openFds(): string[] {
  return fs.readdirSync('/proc/self/fd');
}

/** The pod-pause children of `pid` (a pod-init process, or this one). */
export function pausesOf(pid: number): number[] {
  return childrenOf(pid).filter((child) => {
    try {
      return fs.readFileSync(`/proc/${child}/comm`, 'utf8').trim() === 'pod-pause';
    } catch {
      return false; // gone meanwhile
    }
  });
}

/** The keepers among `parent`'s children (comm pod-keeper, native/keeper.cc; not zombies). */
export function keepersOf(parent: number): number[] {
  return childrenOf(parent).filter((pid) => {
    const status = procStatus(pid);
    return status?.Name === 'pod-keeper' && !status.State?.startsWith('Z');
  });
}
