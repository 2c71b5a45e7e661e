/**
 * `exec` into a running container of a pod on this host, found through the state directory. The
 * command runs as the container's own process does (exec-spec.ts: its namespaces — its mount namespace
 * and root included — its cgroups, user and groups, capabilities, no_new_privs, seccomp filter,
 * environment and working directory) with argv replaced, as containerd's exec does. It enters through
 * spawn()'s joined path: `pod-pause enter`, exec'd first and non-dumpable, never a copy of Node
 * (issue 10, escape 1). It is a child of the caller, whose death kills it with every descendant: a
 * `pod-pause guard` of its own (a uid change clears a parent-death signal; kubernetes#89031).
 * @module
 */
import { PodSystemError } from '../errors';
import { type NamespaceKind, namespaceId } from '../process/namespaces';
import { native } from '../native';
import { exitStatusCode, type PodProcess } from '../process/process';
import { type ExecSpec, processStartTime, readExecSpec } from '../pod/exec-spec';
import { PodGuard } from '../pod/pod-guard';
import { startErrorMessage } from '../pod/start-error';
import { type JoinableProcess, spawn, type SpawnOptions, type StdioOption } from '../process/spawn';
import type { StateLocation } from './pod-list';
import { containerNotFound, runningContainer } from './running-container';

/** What to run where, for {@link execInPod}. */
export interface ExecOptions {
  /** The pod's namespace; default `default`. */
  namespace?: string;
  /** The pod's name. */
  name: string;
  /** The container; default the pod's default container (kubectl's annotation, else the first). */
  container?: string;
  /** The command and its arguments (looked up in the container's PATH, in its root). */
  command: string[];
  /** stdin, stdout, stderr of the command, without `tty`; default `['ignore', 'inherit', 'inherit']`. */
  stdio?: [StdioOption, StdioOption, StdioOption];
  /**
   * A pty from the container's own devpts, `rows` × `cols` before the command starts: its slave is the
   * command's stdin, stdout, stderr and controlling terminal (`stdio` is ignored); the master is
   * {@link ExecSession.ptyMaster}. `TERM=xterm` unless the container's environment sets TERM.
   */
  tty?: { rows: number; cols: number };
  /** Kill the command (with its descendants) if this process dies, even by SIGKILL. Default true. */
  dieWithCaller?: boolean;
  /** Called before the command starts with kubectl's `Defaulted container ...` note, when one applies. */
  onNote?: (note: string) => void;
}

/** A command running in a container. */
export interface ExecSession {
  /** The container it runs in (the default one when none was named). */
  container: string;
  /** What kubectl prints on stderr when it picked the container (`Defaulted container ...`). */
  note?: string;
  /** The command's process, a child of this one (its streams when stdio was `'pipe'`). */
  process: PodProcess;
  /** With `tty`: the pty master, yours to read, write, resize (`native.setWinsize`) and close. */
  ptyMaster?: number;
  /** Resolves with the command's exit code (128 + n for signal n) once it has ended. */
  exitCode: Promise<number>;
}

/**
 * The command could not start: `exitCode` is what a shell or kubectl reports (127 not found, 126 not
 * executable, 125 anything else pod-init could not do), the message is runc's wording.
 *
 * @example
 * try {
 *   await execInPod(location, { name: 'web', command: ['nosuch'] });
 * } catch (error) {
 *   if (error instanceof ExecStartError) process.exitCode = error.exitCode; // 127
 * }
 */
export class ExecStartError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode: number) {
    super(message);
    this.exitCode = exitCode;
  }
}
Object.defineProperty(ExecStartError.prototype, 'name', { value: 'ExecStartError', enumerable: false });

/** The running container's spec and a pidfd that holds its process (checked against its start time). */
function openContainer(dir: string, container: string): { spec: ExecSpec; target: JoinableProcess } {
  const spec = readExecSpec(dir, container);
  if (spec === undefined) throw containerNotFound(container);
  let pidfd: number;
  try {
    pidfd = native.pidfdOpen(spec.pid);
  } catch {
    throw containerNotFound(container); // ended meanwhile
  }
  // Checked after the pidfd exists: from then on that pid cannot be recycled under us.
  if (processStartTime(spec.pid) !== spec.startTime) {
    native.close(pidfd);
    throw containerNotFound(container);
  }
  const ids: Partial<Record<NamespaceKind, number>> = {};
  const target: JoinableProcess = {
    pidfd,
    running: true,
    exitStatus: undefined,
    cachedNamespaceId: (kind) => (ids[kind] ??= namespaceId(spec.pid, kind)),
  };
  return { spec, target };
}

function startError(error: PodSystemError, command: string, cwd: string): ExecStartError {
  const message = startErrorMessage(error, command, cwd);
  if (error.step === 'exec') return new ExecStartError(message, error.code === 'ENOENT' ? 127 : 126);
  return new ExecStartError(message, 125);
}

/**
 * Runs a command in a running container of a pod on this host. Rejects with a `KubectlError` (kubectl's
 * words: no such pod, container, or a completed pod) or an {@link ExecStartError} (127, 126, 125).
 *
 * @example
 * const location = stateLocation(process.env, process.geteuid!());
 * const session = await execInPod(location, { name: 'web', command: ['ls', '/'], stdio: ['ignore', 'pipe', 'inherit'] });
 * session.process.stdout!.pipe(process.stdout);
 * process.exitCode = await session.exitCode; // the command's own code
 */
export async function execInPod(location: StateLocation, options: ExecOptions): Promise<ExecSession> {
  // Started first, while the state is read: once the command exists, it is told at once (a window of
  // one write, not of a start).
  const guardStarting =
    (options.dieWithCaller ?? true) ? PodGuard.start().catch(() => undefined) : Promise.resolve(undefined);
  const releaseGuard = () => void guardStarting.then((guard) => guard?.release());
  let found: ReturnType<typeof findContainer>;
  try {
    found = findContainer(location, options);
  } catch (error) {
    releaseGuard();
    throw error;
  }
  const { container, note, exec, target } = found;
  if (note !== undefined) options.onNote?.(note);
  let pty: { master: number; slave: number } | undefined;
  let child: PodProcess;
  let guard: PodGuard | undefined;
  try {
    const env = { ...exec.env };
    if (options.tty) {
      env.TERM ??= 'xterm';
      pty = native.openPty(`/proc/${exec.pid}/root`, options.tty.rows, options.tty.cols);
    }
    guard = await guardStarting;
    const spawnOptions: SpawnOptions = {
      file: options.command[0]!,
      args: options.command.slice(1),
      env,
      cwd: exec.cwd,
      join: { process: target },
      stdio: pty ? [pty.slave, pty.slave, pty.slave] : (options.stdio ?? ['ignore', 'inherit', 'inherit']),
      newSession: true,
      ...(pty ? { controllingTerminal: true } : {}),
      // Without a guard, a parent-death signal at least ends the command itself; with one, the guard
      // stops the whole tree first (a parent-death signal would orphan the descendants before that).
      dieWithParent: (options.dieWithCaller ?? true) && guard === undefined,
      ...(exec.uid !== undefined ? { uid: exec.uid } : {}),
      ...(exec.gid !== undefined ? { gid: exec.gid } : {}),
      ...(exec.groups !== undefined ? { groups: exec.groups } : {}),
      ...(exec.capabilities !== undefined ? { capabilities: exec.capabilities } : {}),
      ...(exec.noNewPrivileges ? { noNewPrivileges: true } : {}),
      ...(exec.seccomp !== undefined ? { seccomp: { bpf: Buffer.from(exec.seccomp, 'base64') } } : {}),
      ...(exec.cgroups !== undefined ? { cgroups: exec.cgroups } : {}),
    };
    child = spawn(spawnOptions);
    guard?.watch(child.pid);
  } catch (error) {
    if (pty) native.close(pty.master);
    releaseGuard();
    if (error instanceof PodSystemError) {
      if (error.step === 'join-namespaces' || error.step === 'cgroup') throw containerNotFound(container);
      throw startError(error, options.command[0]!, exec.cwd);
    }
    throw error;
  } finally {
    native.close(target.pidfd);
    if (pty) native.close(pty.slave);
  }
  const exitCode = child.exited.then(async (status) => {
    await guard?.release();
    return exitStatusCode(status);
  });
  return {
    container,
    ...(note !== undefined ? { note } : {}),
    process: child,
    ...(pty ? { ptyMaster: pty.master } : {}),
    exitCode,
  };
}

/** The pod, its container (kubectl's checks and words) and the running container's spec and pidfd. */
function findContainer(
  location: StateLocation,
  options: ExecOptions,
): { container: string; note: string | undefined; exec: ExecSpec; target: JoinableProcess } {
  const { listed, container, note } = runningContainer(location, options);
  if (options.command.length === 0) throw new ExecStartError('exec: no command given', 125);
  const { spec: exec, target } = openContainer(listed.dir, container);
  return { container, note, exec, target };
}
