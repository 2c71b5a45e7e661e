/**
 * The kubelet's crash-loop backoff (flowcontrol.Backoff as kuberuntime uses it): the first restart is
 * immediate, then INITIAL, doubling up to MAX; an entry not advanced for 600 s starts over. Time is a
 * parameter (milliseconds), so every rule is testable without a clock.
 * @module
 */

/** Backoff settings, in milliseconds. */
export interface BackoffSettings {
  /** First delay; the kubelet's is 10 s. */
  initialMs: number;
  /** Cap; the kubelet's is 300 s. */
  maxMs: number;
  /** An entry older than this (since its last advance) is forgotten; the kubelet's is 600 s. */
  resetMs?: number;
}

/** The kubelet's values: 10 s, doubling, 300 s, reset after 600 s. */
export const kubeletBackoff: Readonly<BackoffSettings> = Object.freeze({
  initialMs: 10_000,
  maxMs: 300_000,
  resetMs: 600_000,
});

interface Entry {
  backoffMs: number;
  lastUpdate: number;
}

/**
 * Per-key backoff (the key is the container, and its spec hash: a changed spec starts over).
 *
 * @example
 * const b = new Backoff({ initialMs: 100, maxMs: 400 });
 * b.delayBeforeRestart('web', finishedAt, now); // 0: the first restart is immediate
 * b.recordRestart('web', now);                  // the next one waits 100 ms, then 200, 400, 400 ...
 */
export class Backoff {
  readonly #settings: Required<BackoffSettings>;
  readonly #entries = new Map<string, Entry>();

  constructor(settings: BackoffSettings = kubeletBackoff) {
    this.#settings = { resetMs: 600_000, ...settings };
  }

  /** How long a restart of `key` must still wait, given when its last instance finished (0: now). */
  delayBeforeRestart(key: string, finishedAt: number, now: number): number {
    const entry = this.#entries.get(key);
    if (entry === undefined || this.#expired(entry, finishedAt)) return 0;
    return Math.max(0, finishedAt + entry.backoffMs - now);
  }

  /** The backoff currently in force for `key` (what a CrashLoopBackOff message reports). */
  currentMs(key: string): number {
    return this.#entries.get(key)?.backoffMs ?? 0;
  }

  /** A restart of `key` proceeds now: advance its backoff (kubelet `Next`). */
  recordRestart(key: string, now: number, finishedAt = now): void {
    const entry = this.#entries.get(key);
    if (entry === undefined || this.#expired(entry, finishedAt)) {
      this.#entries.set(key, { backoffMs: Math.min(this.#settings.initialMs, this.#settings.maxMs), lastUpdate: now });
    } else {
      entry.backoffMs = Math.min(entry.backoffMs * 2, this.#settings.maxMs);
      entry.lastUpdate = now;
    }
  }

  #expired(entry: Entry, eventTime: number): boolean {
    return eventTime - entry.lastUpdate > this.#settings.resetMs;
  }
}
