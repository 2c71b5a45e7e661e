/**
 * A process started by pod-init: its pid, its exit as a promise, signals through its pidfd.
 * @module
 */
import type { Readable, Writable } from 'node:stream';
import { type NamespaceKind, namespaceId } from './namespaces';
import { native, type NativeExitWatcher } from '../native';
import { type Signal, type SignalName, signalName, signalNumber } from './signals';

/** How a process ended: exactly one of the two is set. */
export interface ExitStatus {
  /** The exit code, when it exited. */
  exitCode: number | null;
  /** The signal that killed it, when one did. */
  signal: SignalName | null;
}

/**
 * The shell's (and Kubernetes') single number for an exit: the code, or 128 + the signal's number.
 *
 * @example
 * exitStatusCode({ exitCode: null, signal: 'SIGKILL' }); // 137
 */
export function exitStatusCode(status: ExitStatus): number {
  if (status.exitCode !== null) return status.exitCode;
  return status.signal === null ? 255 : 128 + signalNumber(status.signal);
}

/** @internal Pids of every running PodProcess: reapOrphans() must leave them to their watchers. */
export const livePodPids = new Set<number>();

/** Streams of a process whose stdio was `'pipe'`. */
export interface ProcessStreams {
  stdin: Writable | null;
  stdout: Readable | null;
  stderr: Readable | null;
}

/**
 * A running (or finished) process. Its exit is watched through a pidfd on the event loop, and
 * signals go through the same pidfd, so a recycled pid can never be hit.
 *
 * @example
 * const proc = spawn({ file: 'sleep', args: ['10'] });
 * proc.kill('SIGTERM');
 * const { exitCode, signal } = await proc.exited; // { exitCode: null, signal: 'SIGTERM' }
 */
export class PodProcess implements AsyncDisposable {
  /** The pid, as seen from Node's pid namespace. */
  readonly pid: number;
  /** Resolves when the process has exited (and been reaped). Never rejects. */
  readonly exited: Promise<ExitStatus>;
  /** Write end of stdin, when it was `'pipe'`. */
  readonly stdin: Writable | null;
  /** Read end of stdout, when it was `'pipe'`. */
  readonly stdout: Readable | null;
  /** Read end of stderr, when it was `'pipe'`. */
  readonly stderr: Readable | null;

  #pidfd: number;
  #status: ExitStatus | undefined;
  #namespaceIds: Partial<Record<NamespaceKind, number>> = {};
  readonly #watcher: NativeExitWatcher;

  /** @internal Created by {@link spawn}; not for direct use. */
  constructor(pid: number, pidfd: number, streams: ProcessStreams) {
    this.pid = pid;
    this.#pidfd = pidfd;
    this.stdin = streams.stdin;
    this.stdout = streams.stdout;
    this.stderr = streams.stderr;
    livePodPids.add(pid);
    let resolve!: (status: ExitStatus) => void;
    this.exited = new Promise((r) => (resolve = r));
    this.#watcher = new native.ExitWatcher(pidfd, (exitCode, signal) => {
      this.#status = { exitCode, signal: signal === null ? null : signalName(signal) };
      native.close(this.#pidfd);
      this.#pidfd = -1;
      livePodPids.delete(pid);
      // Nobody can read stdin any more (child_process does the same). stdout and stderr end by
      // themselves once their data has been read.
      this.stdin?.destroy();
      resolve(this.#status);
    });
  }

  /** The exit status once it has exited, otherwise `undefined`. */
  get exitStatus(): ExitStatus | undefined {
    return this.#status;
  }

  /** Whether the process is still running (not yet reaped). */
  get running(): boolean {
    return this.#status === undefined;
  }

  /** @internal The id of one of its namespaces, cached: a process cannot change another's namespaces. */
  cachedNamespaceId(kind: NamespaceKind): number {
    return (this.#namespaceIds[kind] ??= namespaceId(this.pid, kind));
  }

  /** @internal The pidfd, for joining the process's namespaces; -1 once it has exited. */
  get pidfd(): number {
    return this.#pidfd;
  }

  /**
   * Sends a signal through the pidfd. Returns false when the process has already exited.
   *
   * @example
   * proc.kill(); // SIGTERM
   * proc.kill('SIGRTMIN+2');
   */
  kill(signal: Signal = 'SIGTERM'): boolean {
    const number = signalNumber(signal);
    if (this.#pidfd < 0) return false;
    return native.pidfdSendSignal(this.#pidfd, number);
  }

  /** Keep Node's event loop alive while the process runs (the default). */
  ref(): this {
    this.#watcher.ref();
    return this;
  }

  /** Let Node exit while the process still runs. */
  unref(): this {
    this.#watcher.unref();
    return this;
  }

  /** `await using proc = spawn(...)`: SIGKILL on scope exit, then wait for the exit. */
  async [Symbol.asyncDispose](): Promise<void> {
    this.kill('SIGKILL');
    await this.exited;
  }
}
