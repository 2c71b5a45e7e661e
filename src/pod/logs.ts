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

  constructor(file: string) {
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    this.#stream = fs.createWriteStream(file, { flags: 'a', mode: 0o600 });
  }

  /** One full line ("F"); the text must not contain a newline. */
  write(time: Date, stream: 'stdout' | 'stderr', text: string): void {
    this.#stream.write(`${rfc3339Nano(time)} ${stream} F ${text}\n`);
  }

  /** Flushes and closes the file. */
  close(): Promise<void> {
    return new Promise((resolve) => this.#stream.end(resolve));
  }
}
