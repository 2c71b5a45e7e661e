/**
 * A pod's events kept on disk for `pod-init describe`: `<pod state dir>/events.jsonl`, one JSON object
 * a line (`type`, `reason`, `message`, `container`, `time`), appended as the runner emits them. The file
 * is capped: past `maxBytes` it is rewritten (atomically) with the newest `keep` events, so a crash loop
 * that runs for days does not fill the state directory (a tmpfs as root). Writing is best effort: an
 * event that cannot be written (the state directory not made yet, or gone) is only missing from describe.
 * @module
 */
import fs from 'node:fs';
import { writeFileAtomically } from '../atomic-file';

/** One event as written. */
export interface LoggedEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
  container?: string;
  /** RFC 3339 with milliseconds. */
  time: string;
}

/**
 * The events file of one pod, written by its pod-init only.
 *
 * @example
 * const log = new EventLog('/run/pod-init/default_web_1234/events.jsonl');
 * log.append({ type: 'Normal', reason: 'Started', message: 'Started container app', time: new Date().toISOString() });
 */
export class EventLog {
  readonly #file: string;
  readonly #maxBytes: number;
  readonly #keep: number;
  readonly #recent: string[] = [];
  #bytes = 0;

  constructor(file: string, options: { maxBytes?: number; keep?: number } = {}) {
    this.#file = file;
    this.#maxBytes = options.maxBytes ?? 256 * 1024;
    this.#keep = options.keep ?? 500;
  }

  /** Appends one event; past the cap, keeps only the newest. */
  append(event: LoggedEvent): void {
    const line = `${JSON.stringify(event)}\n`;
    this.#recent.push(line);
    if (this.#recent.length > this.#keep) this.#recent.shift();
    try {
      if (this.#bytes + line.length > this.#maxBytes) {
        const text = this.#recent.join('');
        writeFileAtomically(this.#file, text);
        this.#bytes = Buffer.byteLength(text);
      } else {
        const { O_WRONLY, O_APPEND, O_CREAT, O_NOFOLLOW } = fs.constants;
        const fd = fs.openSync(this.#file, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW, 0o644);
        try {
          fs.writeSync(fd, line);
        } finally {
          fs.closeSync(fd);
        }
        this.#bytes += Buffer.byteLength(line);
      }
    } catch {
      // Best effort (module doc): the event still goes to the 'event' listeners.
    }
  }
}

/**
 * The events of a pod state directory's file, oldest first; lines that do not parse are skipped.
 *
 * @example
 * readEvents('/run/pod-init/default_web_1234/events.jsonl').map((e) => e.reason); // ['Scheduled', 'Pulled', ...]
 */
export function readEvents(file: string): LoggedEvent[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  const events: LoggedEvent[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    try {
      const e = JSON.parse(line) as LoggedEvent;
      if (typeof e === 'object' && e !== null && typeof e.reason === 'string' && typeof e.time === 'string')
        events.push(e);
    } catch {
      // a torn last line (the writer killed mid-write)
    }
  }
  return events;
}
