/**
 * A running container's process spec, kept in its state directory (`<state dir>/<container>/exec.json`,
 * 0600) for `pod-init exec`: which process holds its namespaces (pid plus start time, so a recycled pid
 * is never joined), and what its own process got — environment, working directory, user and groups,
 * capabilities, no_new_privs, the seccomp filter as loaded, cgroups — as containerd's exec reuses the
 * container's process spec with only argv replaced. Written by the pod's pod-init when an instance
 * starts, removed when it ends (exec-spec-writer.ts: the reader here loads no crypto, `pod-init exec`
 * starts faster).
 * @module
 */
import fs from 'node:fs';
import path from 'node:path';
import type { CapabilitySets } from '../security/capabilities';

/** What `exec` gives the command: the container's own process spec. */
export interface ExecSpec {
  /** The container's process, in the host's pid namespace. */
  pid: number;
  /** Its start time (field 22 of /proc/PID/stat, clock ticks since boot): with `pid`, its identity. */
  startTime: string;
  env: Record<string, string>;
  cwd: string;
  uid?: number;
  gid?: number;
  groups?: number[];
  capabilities?: CapabilitySets;
  noNewPrivileges?: boolean;
  /** The compiled filter (`struct sock_filter[]`), base64. */
  seccomp?: string;
  /** Its cgroup directories (one per v1 hierarchy, or the v2 one). */
  cgroups?: string[];
}

/** The file of `container`'s spec in a pod's state directory. */
export function execSpecFile(stateDir: string, container: string): string {
  return path.join(stateDir, container, 'exec.json');
}

/**
 * A process's start time from /proc (undefined when it is gone): compared with the recorded one, it
 * tells a recycled pid apart.
 *
 * @example
 * processStartTime(process.pid); // '123456'
 */
export function processStartTime(pid: number): string | undefined {
  let stat: string;
  try {
    stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) may hold spaces and parentheses: count from the last ')'.
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
}

/**
 * The recorded spec of a container, or undefined when it has none (not running, or never started).
 *
 * @example
 * readExecSpec(stateDir, 'app')?.pid;
 */
export function readExecSpec(stateDir: string, container: string): ExecSpec | undefined {
  let text: string;
  try {
    text = fs.readFileSync(execSpecFile(stateDir, container), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const spec = JSON.parse(text) as ExecSpec;
  if (!Number.isInteger(spec.pid) || typeof spec.startTime !== 'string' || typeof spec.env !== 'object')
    return undefined;
  return spec;
}
