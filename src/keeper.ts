/**
 * A container's keeper: a process that has entered a running container once — its namespaces (the pid
 * namespace for its children only, so it is not in the container's /proc), its cgroups, ids, capabilities,
 * no_new_privs and seccomp filter — and forks what is asked of it, so that each new process inherits that
 * confinement instead of attaching it (native/keeper.cc). What it forks is a child of Node, as spawn()'s.
 * @module
 */
import { native } from './native';
import type { PodProcess } from './process/process';
import { type KeeperSpawnOptions, type SpawnOptions, spawnKeeper, spawnThroughKeeper } from './process/spawn';

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
    return spawnThroughKeeper(this.#socket, options);
  }

  /** Ends it: its socket closed (it exits on EOF) and SIGKILL, for a keeper stuck anywhere. Idempotent. */
  close(): void {
    if (this.#socket >= 0) native.close(this.#socket);
    this.#socket = -1;
    this.process.kill('SIGKILL');
  }
}
