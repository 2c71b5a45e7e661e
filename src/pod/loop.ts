/**
 * The loop as the executor's parts see it (runner.ts hands one to each): the state now, the way to
 * feed an observation back, to ask for the next `decide`, to set a timer, and to carry out an async
 * action whose failure comes back as an observation. The parts never hold the state themselves.
 * @module
 */
import type { Say } from './events';
import type { Observation } from './reduce';
import type { PodState } from './state';

/** What an executor part may do with the loop. */
export interface Loop {
  /** The pod's state now (replaced by every observation: read it again after one). */
  state(): PodState;
  /** Folds a fact into the state (reduce.ts); its events are said, a termination it asks for begun. */
  observe(o: Observation): void;
  /** The status changed: listeners and status.json are told. */
  changed(): void;
  /** `decide` and its actions now. */
  sync(): void;
  /** `decide` once, after the current synchronous work (many facts, one decision). */
  queueSync(): void;
  /** Calls `run` in `ms` unless the pod's termination clears the loop's timers first. */
  later(ms: number, run: () => void): void;
  /** An async action whose failure is observed as a `failed` (with `fatal`, also a rejection of the pod). */
  run(action: Promise<unknown>, reason: string, fatal?: boolean): void;
  /** Records and emits an event. */
  say: Say;
}

/**
 * The loop's timers: each runs once, and all are cleared when the pod terminates.
 *
 * @example
 * const timers = new Timers();
 * timers.later(10_000, () => loop.sync());
 * timers.clear(); // at the termination
 */
export class Timers {
  readonly #pending = new Set<NodeJS.Timeout>();

  /** Calls `run` in `ms` (unless cleared before). */
  later(ms: number, run: () => void): void {
    const timer = setTimeout(() => {
      this.#pending.delete(timer);
      run();
    }, ms);
    this.#pending.add(timer);
  }

  /** Cancels every pending timer. */
  clear(): void {
    for (const timer of this.#pending) clearTimeout(timer);
    this.#pending.clear();
  }

  /** How many are pending. */
  get size(): number {
    return this.#pending.size;
  }
}
