/**
 * Container logs in the kubelet's CRI format: one file per container instance
 * (`<container>/<restartCount>.log`), lines `<RFC 3339 nano time> <stream> F <text>`.
 * @module
 */
import fs from 'node:fs';
import path from 'node:path';

/** RFC 3339 with nanoseconds, as the CRI writes it (milliseconds padded: JS has no finer clock here). */
export function rfc3339Nano(time: Date): string {
  return time.toISOString().replace(/\.(\d{3})Z$/, '.$1000000Z');
}

/**
 * Appends CRI log lines to one file, synchronously: what {@link readCriLog} reads is up to date.
 *
 * @example
 * const log = new CriLogWriter('/run/pod-init/default_web_uid/web/0.log');
 * log.write(new Date(), 'stdout', 'listening on :8080');
 * await log.close();
 */
export class CriLogWriter {
  readonly #file: string;
  #fd: number | undefined;

  constructor(file: string) {
    this.#file = file;
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    try {
      this.#fd = fs.openSync(file, 'a', 0o600);
    } catch (error) {
      this.#fail(error as Error);
    }
  }

  /** A full disk must not take the pod down with it: say so once, keep running without the file. */
  #fail(error: Error): void {
    process.stderr.write(`pod-init: log file ${this.#file}: ${error.message}\n`);
    this.#close();
  }

  /** One full line ("F"); the text must not contain a newline. Ignored once closed. */
  write(time: Date, stream: 'stdout' | 'stderr', text: string): void {
    if (this.#fd === undefined) return;
    try {
      fs.writeSync(this.#fd, `${rfc3339Nano(time)} ${stream} F ${text}\n`);
    } catch (error) {
      this.#fail(error as Error);
    }
  }

  #close(): void {
    if (this.#fd !== undefined) fs.closeSync(this.#fd);
    this.#fd = undefined;
  }

  /** Closes the file. */
  close(): Promise<void> {
    this.#close();
    return Promise.resolve();
  }
}

/** One line of a CRI log file. */
export interface CriLogLine {
  time: string;
  stream: 'stdout' | 'stderr';
  line: string;
}

/**
 * Reads a CRI log file (partial "P" lines joined to the next), as `kubectl logs` reads it; empty when
 * the file does not exist.
 *
 * @example
 * readCriLog('/run/pod-init/default_web_uid/web/0.log')[0];
 * // { time: '2026-12-01T12:00:00.123000000Z', stream: 'stdout', line: 'listening on :8080' }
 */
export function readCriLog(file: string): CriLogLine[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const out: CriLogLine[] = [];
  let partial = '';
  for (const raw of text.split('\n')) {
    const match = /^(\S+) (stdout|stderr) ([PF]) (.*)$/.exec(raw);
    if (!match) continue;
    const [, time, stream, tag, content] = match;
    if (tag === 'P') {
      partial += content;
      continue;
    }
    out.push({ time: time!, stream: stream as CriLogLine['stream'], line: partial + content });
    partial = '';
  }
  return out;
}
