/**
 * A pod's status.json kept current while it runs, for the read-only verbs (`pod-init get`, `logs -f`):
 * every change schedules one write, changes within one turn of the event loop share it, and each
 * write replaces the file atomically (a reader sees the old object or the new one, never half).
 * @module
 */
import { writeFileAtomically } from '../atomic-file';

/**
 * The coalescing writer of one status file.
 *
 * @example
 * const status = new StatusFile('/run/pod-init/default_web_uid/status.json');
 * status.schedule(() => runner.object()); // written once, at the end of this turn
 * status.close(finalObject);              // written now; later schedules are ignored
 */
export class StatusFile {
  readonly #file: string;
  #pending: (() => unknown) | undefined;
  #closed = false;
  readonly #onError: (error: Error) => void;

  /** `onError`: a write failed (a full disk, say); the next change tries again. */
  constructor(file: string, onError: (error: Error) => void = () => undefined) {
    this.#file = file;
    this.#onError = onError;
  }

  /** Writes `object()` at the end of this turn of the event loop (once, however often it is called). */
  schedule(object: () => unknown): void {
    if (this.#closed) return;
    const first = this.#pending === undefined;
    this.#pending = object;
    if (first) setImmediate(() => this.#flush());
  }

  #flush(): void {
    const object = this.#pending;
    this.#pending = undefined;
    if (object === undefined || this.#closed) return;
    this.#write(object());
  }

  #write(object: unknown): void {
    try {
      writeFileAtomically(this.#file, JSON.stringify(object, null, 2) + '\n');
    } catch (error) {
      // A full disk must not take the pod down: the next change tries again.
      this.#onError(error as Error);
    }
  }

  /** Writes the final object now; nothing is written after it. */
  close(final: unknown): void {
    this.#pending = undefined;
    this.#closed = true;
    this.#write(final);
  }
}
