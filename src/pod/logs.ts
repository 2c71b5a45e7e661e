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
 * Appends CRI log lines to one file.
 *
 * @example
 * const log = new CriLogWriter('/run/pod-init/default_web_uid/web/0.log');
 * log.write(new Date(), 'stdout', 'listening on :8080');
 * await log.close();
 */
export class CriLogWriter {
  readonly #stream: fs.WriteStream;
  #closed = false;

  constructor(file: string) {
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    this.#stream = fs.createWriteStream(file, { flags: 'a', mode: 0o600 });
    // A full disk must not take the pod down with it: say so once, keep running.
    this.#stream.once('error', (error) => process.stderr.write(`pod-init: log file ${file}: ${error.message}\n`));
  }

  /** One full line ("F"); the text must not contain a newline. Ignored once closed. */
  write(time: Date, stream: 'stdout' | 'stderr', text: string): void {
    if (!this.#closed) this.#stream.write(`${rfc3339Nano(time)} ${stream} F ${text}\n`);
  }

  /** Flushes and closes the file. */
  close(): Promise<void> {
    this.#closed = true;
    return new Promise((resolve) => this.#stream.end(resolve));
  }
}
