/**
 * Container logs in the kubelet's CRI format: one file per container instance
 * (`<container>/<restartCount>.log`), records `<RFC 3339 nano time> <stream> <F|P> <text>`: `F` ends a
 * line, `P` is a piece of a longer one (at most 16 KiB each, as containerd writes them), continued by
 * the next record of the same stream. Rotated by size as the kubelet rotates them (log-rotation.ts).
 * @module
 */
import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import { type LogRotation, rotatedName, rotatedStamp, rotationPlan } from './log-rotation';

/** RFC 3339 with nanoseconds, as the CRI writes it (milliseconds padded: JS has no finer clock here). */
export function rfc3339Nano(time: Date): string {
  return time.toISOString().replace(/\.(\d{3})Z$/, '.$1000000Z');
}

/**
 * Appends CRI log records to one file, synchronously: what {@link readCriLog} reads is up to date.
 * With `rotation`, the file is rotated as it is written, the kubelet's way (log-rotation.ts): before a
 * record would take it past `maxBytes` it is renamed `<file>.<YYYYMMDD-HHMMSS>` and a new one opened in
 * the same tick; older rotated files are gzipped in the background (`close()` waits for them) and the
 * oldest removed beyond `maxFiles`.
 *
 * @example
 * const log = new CriLogWriter('/run/pod-init/default_web_uid/web/0.log', { maxBytes: 10485760, maxFiles: 5 });
 * log.write(new Date(), 'stdout', 'listening on :8080');
 * await log.close();
 */
export class CriLogWriter {
  readonly #file: string;
  readonly #rotation: LogRotation | undefined;
  #fd: number | undefined;
  #size = 0;
  /** Stamps of this file's rotated files (`<file>.<stamp>[.gz]`). */
  #stamps: string[] = [];
  readonly #compressing = new Map<string, Promise<void>>();
  /** Rotated files removed while being compressed: their .gz must not appear. */
  readonly #dropped = new Set<string>();

  constructor(file: string, rotation?: LogRotation) {
    this.#file = file;
    this.#rotation = rotation;
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    try {
      this.#open();
      if (rotation) {
        const base = path.basename(file);
        const stamps = fs.readdirSync(path.dirname(file)).map((name) => rotatedStamp(base, name));
        this.#stamps = [...new Set(stamps.filter((x): x is string => x !== undefined))].sort();
      }
    } catch (error) {
      this.#fail(error as Error);
    }
  }

  #open(): void {
    this.#fd = fs.openSync(
      this.#file,
      fs.constants.O_WRONLY | fs.constants.O_APPEND | fs.constants.O_CREAT | fs.constants.O_NOFOLLOW,
      0o600,
    );
    this.#size = fs.fstatSync(this.#fd).size;
  }

  /** A full disk must not take the pod down with it: say so once, keep running without the file. */
  #fail(error: Error): void {
    process.stderr.write(`pod-init: log file ${this.#file}: ${error.message}\n`);
    this.#close();
  }

  /**
   * One record: a full line ("F"), or with `partial` a piece of a longer one ("P", continued by the
   * next record); the text must not contain a newline. Ignored once closed.
   */
  write(time: Date, stream: 'stdout' | 'stderr', text: string, partial = false): void {
    if (this.#fd === undefined) return;
    const record = Buffer.from(`${rfc3339Nano(time)} ${stream} ${partial ? 'P' : 'F'} ${text}\n`);
    try {
      if (this.#rotation && this.#size > 0 && this.#size + record.length > this.#rotation.maxBytes) this.#rotate(time);
      if (this.#fd === undefined) return;
      fs.writeSync(this.#fd, record);
      this.#size += record.length;
    } catch (error) {
      this.#fail(error as Error);
    }
  }

  /** Renames the file to its rotated name and opens a new one; removes and compresses as the plan says. */
  #rotate(time: Date): void {
    const base = path.basename(this.#file);
    const rotated = path.join(path.dirname(this.#file), rotatedName(base, time, this.#stamps));
    this.#stamps.push(rotatedStamp(base, path.basename(rotated))!);
    this.#close();
    fs.renameSync(this.#file, rotated);
    this.#open();
    const plan = rotationPlan(this.#stamps, this.#rotation!.maxFiles);
    for (const stamp of plan.remove) {
      const name = `${this.#file}.${stamp}`;
      if (this.#compressing.has(name)) this.#dropped.add(name);
      fs.rmSync(name, { force: true });
      fs.rmSync(`${name}.gz`, { force: true });
    }
    this.#stamps = this.#stamps.filter((x) => !plan.remove.includes(x));
    for (const stamp of plan.compress) this.#compress(`${this.#file}.${stamp}`);
  }

  /** Gzips `name` to `name.gz` (through `name.tmp`, as the kubelet does) and removes it; once. */
  #compress(name: string): void {
    if (this.#compressing.has(name)) return;
    const tmp = `${name}.tmp`;
    // Both files are opened here, synchronously: a stream's own open is asynchronous, and a `.tmp` created after
    // the error path had removed it (the file dropped by a later rotation in the same tick) stayed behind.
    let input: number;
    try {
      input = fs.openSync(name, 'r');
    } catch {
      return;
    }
    const output = fs.openSync(tmp, 'w', 0o600);
    const done = pipeline(
      fs.createReadStream('', { fd: input }),
      zlib.createGzip(),
      fs.createWriteStream('', { fd: output }),
    ).then(
      () => {
        if (this.#dropped.delete(name)) fs.rmSync(tmp, { force: true });
        else fs.renameSync(tmp, `${name}.gz`);
        fs.rmSync(name, { force: true });
      },
      (error: Error) => {
        fs.rmSync(tmp, { force: true });
        if (!this.#dropped.delete(name)) process.stderr.write(`pod-init: compressing ${name}: ${error.message}\n`);
      },
    );
    this.#compressing.set(
      name,
      done.finally(() => this.#compressing.delete(name)),
    );
  }

  #close(): void {
    if (this.#fd !== undefined) fs.closeSync(this.#fd);
    this.#fd = undefined;
  }

  /** Closes the file; resolves once the compressions under way have ended. */
  async close(): Promise<void> {
    this.#close();
    await Promise.all([...this.#compressing.values()]);
  }
}

/** One line of a CRI log file. */
export interface CriLogLine {
  time: string;
  stream: 'stdout' | 'stderr';
  line: string;
}

/** A file's text, or undefined when it does not exist. */
function readIfExists(file: string, gzipped = false): string | undefined {
  try {
    const bytes = fs.readFileSync(file);
    return (gzipped ? zlib.gunzipSync(bytes) : bytes).toString('utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/**
 * Reads a CRI log file (partial "P" lines joined to the next), as `kubectl logs` reads it; empty when
 * the file does not exist. With `rotated`, its rotated files come first, oldest first (gzipped or
 * not), as one history.
 *
 * @example
 * readCriLog('/run/pod-init/default_web_uid/web/0.log')[0];
 * // { time: '2026-12-01T12:00:00.123000000Z', stream: 'stdout', line: 'listening on :8080' }
 */
export function readCriLog(file: string, options: { rotated?: boolean } = {}): CriLogLine[] {
  const texts: string[] = [];
  if (options.rotated) {
    const base = path.basename(file);
    let names: string[] = [];
    try {
      names = fs.readdirSync(path.dirname(file));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    const stamps = [...new Set(names.map((name) => rotatedStamp(base, name)).filter((x) => x !== undefined))].sort();
    for (const stamp of stamps) {
      // Compression writes the .gz before it removes the plain file: one of the two is there.
      const text = readIfExists(`${file}.${stamp}`) ?? readIfExists(`${file}.${stamp}.gz`, true);
      if (text !== undefined) texts.push(text);
    }
  }
  const current = readIfExists(file);
  if (current !== undefined) texts.push(current);
  const out: CriLogLine[] = [];
  const partial = { stdout: '', stderr: '' }; // per stream: the two interleave in one file
  for (const raw of texts.join('').split('\n')) {
    const match = /^(\S+) (stdout|stderr) ([PF]) (.*)$/.exec(raw);
    if (!match) continue;
    const [, time, stream, tag, content] = match;
    const from = stream as CriLogLine['stream'];
    if (tag === 'P') {
      partial[from] += content;
      continue;
    }
    out.push({ time: time!, stream: from, line: partial[from] + content });
    partial[from] = '';
  }
  return out;
}
