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
 * Appends CRI log lines to one file, in order, off the main thread (fs.write on the thread pool, one
 * at a time, partial writes resumed). Not an fs.WriteStream: the first one costs ~3 ms to load.
 *
 * @example
 * const log = new CriLogWriter('/run/pod-init/default_web_uid/web/0.log');
 * log.write(new Date(), 'stdout', 'listening on :8080');
 * await log.close();
 */
export class CriLogWriter {
  readonly #file: string;
  #fd: number | undefined;
  /** Text not handed to fs.write yet. */
  #pending = '';
  #busy = true; // until the file is open
  #closed = false;
  #failed = false;
  #onIdle: Array<() => void> = [];

  constructor(file: string) {
    this.#file = file;
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    fs.open(file, 'a', 0o600, (error, fd) => {
      if (error) return this.#fail(error);
      this.#fd = fd;
      this.#flush();
    });
  }

  /** One full line ("F"); the text must not contain a newline. Ignored once closed. */
  write(time: Date, stream: 'stdout' | 'stderr', text: string): void {
    if (this.#closed || this.#failed) return;
    this.#pending += `${rfc3339Nano(time)} ${stream} F ${text}\n`;
    if (!this.#busy) this.#flush();
  }

  /** Flushes and closes the file. */
  close(): Promise<void> {
    this.#closed = true;
    return new Promise((resolve) => {
      const closeFile = () => {
        const fd = this.#fd;
        this.#fd = undefined;
        if (fd === undefined) resolve();
        else fs.close(fd, () => resolve());
      };
      if (this.#busy) this.#onIdle.push(closeFile);
      else closeFile();
    });
  }

  /** Writes what is pending, then what came meanwhile; idle when nothing is left. */
  #flush(): void {
    if (this.#failed || this.#fd === undefined || this.#pending === '') return this.#idle();
    this.#busy = true;
    const data = Buffer.from(this.#pending);
    this.#pending = '';
    const writeFrom = (offset: number) =>
      fs.write(this.#fd!, data, offset, data.length - offset, null, (error, written) => {
        if (error) return this.#fail(error);
        if (offset + written < data.length) writeFrom(offset + written);
        else this.#flush();
      });
    writeFrom(0);
  }

  #idle(): void {
    this.#busy = false;
    for (const run of this.#onIdle.splice(0)) run();
  }

  /** A full disk must not take the pod down with it: say so once, keep running, drop the rest. */
  #fail(error: Error): void {
    if (!this.#failed) process.stderr.write(`pod-init: log file ${this.#file}: ${error.message}\n`);
    this.#failed = true;
    this.#pending = '';
    this.#idle();
  }
}
