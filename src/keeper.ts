/**
 * A container's keeper: a process that has entered a running container once — its namespaces (the pid
 * namespace for its children only, so it is not in the container's /proc), its cgroups, ids, capabilities,
 * no_new_privs and seccomp filter — and forks what is asked of it, so that each new process inherits that
 * confinement instead of attaching it (native/keeper.cc). What it forks is a child of Node, as spawn()'s.
 * @module
 */
import { PodSystemError } from './errors';
import { native } from './native';
import type { PodProcess } from './process/process';
import { type KeeperSpawnOptions, type SpawnOptions, spawnKeeper, spawnThroughKeeper } from './process/spawn';

// Steps the new process itself fails at, after the keeper answered: the exchange is whole, the keeper serves on.
const processSteps = new Set(['death-signal', 'stdio', 'close-fds', 'chdir', 'verify-cwd', 'exec']);

/**
 * Whether an error of {@link Keeper.spawn} is the new process's own (a missing command, a working directory
 * it cannot enter): the same as spawn() would throw, and no fault of the keeper's.
 *
 * @example
 * try { keeper.spawn({ file: 'nope' }); } catch (e) { processFailed(e); } // true: step exec, ENOENT
 */
export function processFailed(error: unknown): boolean {
  return error instanceof PodSystemError && processSteps.has(error.step ?? '');
}

/** How a keeper enters: a joined spawn's options, without what each process it forks gets of its own. */
export type KeeperOptions = Omit<
  SpawnOptions,
  | 'file'
  | 'args'
  | 'argv0'
  | 'env'
  | 'cwd'
  | 'stdio'
  | 'newSession'
  | 'newProcessGroup'
  | 'foreground'
  | 'controllingTerminal'
  | 'newNamespaces'
  | 'mounts'
  | 'execFd'
> &
  Required<Pick<SpawnOptions, 'join'>>;

/**
 * A running keeper. Dies with Node (a parent-death signal), when its socket is closed ({@link Keeper.close}),
 * and with its container's cgroup.
 *
 * @example
 * const keeper = Keeper.start({ join: { process: container }, seccomp: filter, capabilities, cgroups });
 * const probe = keeper.spawn({ file: 'cat', args: ['/tmp/healthy'], stdio: ['ignore', 'pipe', 'pipe'] });
 * await probe.exited; // { exitCode: 0, signal: null }
 * keeper.close();
 */
export class Keeper {
  /** The keeper itself (a child of Node; unref'd: it never keeps Node alive). */
  readonly process: PodProcess;
  #socket: number;

  private constructor(process: PodProcess, socket: number) {
    this.process = process;
    this.#socket = socket;
    process.unref();
  }

  /** Starts a keeper in `options.join.process`'s container, confined by the rest of `options`. */
  static start(options: KeeperOptions): Keeper {
    const { process, socket } = spawnKeeper({ ...options, file: 'pod-pause' });
    return new Keeper(process, socket);
  }

  /** Whether it can still take requests. */
  get alive(): boolean {
    return this.#socket >= 0 && this.process.running;
  }

  /**
   * A process forked by the keeper: synchronous until its execve, as spawn(); a failure before it throws a
   * PodSystemError naming the step (`exec`, `chdir`, … for the process; `setup-timeout`, `clone-child` or
   * a socket error when the keeper itself is gone or stuck).
   */
  spawn(options: KeeperSpawnOptions): PodProcess {
    if (this.#socket < 0) throw new Error('the keeper is closed');
    try {
      return spawnThroughKeeper(this.#socket, options);
    } catch (error) {
      // Anything but the new process's own failure leaves the exchange in an unknown state (an answer that
      // never came may still come): this keeper takes no more requests.
      if (!processFailed(error)) this.close();
      throw error;
    }
  }

  /** Ends it: its socket closed (it exits on EOF) and SIGKILL, for a keeper stuck anywhere. Idempotent. */
  close(): void {
    if (this.#socket >= 0) native.close(this.#socket);
    this.#socket = -1;
    this.process.kill('SIGKILL');
  }
}
