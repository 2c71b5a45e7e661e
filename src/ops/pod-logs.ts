/**
 * `pod-init logs`: a container instance's CRI log read from the state directory, rotated files
 * included (oldest first, gzipped or not), partial records joined into whole lines; `--tail`,
 * `--since`, `--previous`; and following the current file across rotations until the instance ends
 * (OPERATIONS.md §7). Errors are worded as the API server and kubectl word them.
 * @module
 */
import fs from 'node:fs';
import path from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import zlib from 'node:zlib';
import { rotatedStamp } from '../pod/log-rotation';
import { type LogRecord, CriRecordJoiner } from './cri-records';
import { KubectlError } from './errors';
import type { ListedPod } from './pod-list';
import type { ContainerStatusView } from './pod-status-text';

/** One container instance's log. */
export interface LogTarget {
  container: string;
  /** `<dir>/<container>/<restartCount>.log`: the current file of the instance. */
  file: string;
  /** Its restart count (the instance's number). */
  instance: number;
}

/** Which instance: the current one, or one before it (`--previous`, `--previous=N`). */
export interface TargetOptions {
  /** The container; without it, the pod's only container (else an error naming the choices). */
  container?: string;
  /** `true` or 1: the instance before the current one; N: the one N instances back (0: the current). */
  previous?: boolean | number;
}

const defaultContainerAnnotation = 'kubectl.kubernetes.io/default-container';

function containerNames(listed: ListedPod): { init: string[]; regular: string[] } {
  const spec = listed.pod.spec ?? {};
  return { init: (spec.initContainers ?? []).map((c) => c.name), regular: (spec.containers ?? []).map((c) => c.name) };
}

/**
 * The container kubectl picks when none is named: the `kubectl.kubernetes.io/default-container`
 * annotation, else the first; `note` is what kubectl prints on stderr then (undefined for a pod with
 * one container).
 *
 * @example
 * defaultContainer(listed); // { name: 'app', note: 'Defaulted container "app" out of: app, side' }
 */
export function defaultContainer(listed: ListedPod): { name: string; note?: string } {
  const { init, regular } = containerNames(listed);
  const annotated = listed.pod.metadata.annotations?.[defaultContainerAnnotation];
  if (annotated && [...init, ...regular].includes(annotated)) return { name: annotated };
  const name = regular[0] ?? init[0] ?? '';
  if (regular.length + init.length <= 1) return { name };
  return { name, note: `Defaulted container "${name}" out of: ${[...regular, ...init].join(', ')}` };
}

function statusOf(listed: ListedPod, container: string): ContainerStatusView | undefined {
  const s = listed.pod.status ?? {};
  return [...(s.initContainerStatuses ?? []), ...(s.containerStatuses ?? [])].find((c) => c.name === container);
}

/**
 * The log file of one container instance, or the API server's error: no container named for a pod
 * with several (`a container name must be specified for pod web, choose one of: [app side]`), one
 * that is not in the pod, no previous instance, or one still waiting to start.
 *
 * @example
 * logTarget(listed, { container: 'app', previous: true }).file; // '/run/pod-init/default_web_uid/app/2.log'
 * logTarget(listed, { container: 'app', previous: 3 }).file; // '/run/pod-init/default_web_uid/app/0.log'
 */
export function logTarget(listed: ListedPod, options: TargetOptions): LogTarget {
  const pod = listed.pod.metadata.name;
  const { init, regular } = containerNames(listed);
  let container = options.container;
  if (container === undefined) {
    if (regular.length !== 1 || init.length > 0) {
      const initPart = init.length > 0 ? ` or one of the init containers: [${init.join(' ')}]` : '';
      throw new KubectlError(
        `Error from server (BadRequest): a container name must be specified for pod ${pod}, choose one of: [${regular.join(' ')}]${initPart}`,
      );
    }
    container = regular[0]!;
  }
  if (![...init, ...regular].includes(container))
    throw new KubectlError(`Error from server (BadRequest): container ${container} is not valid for pod ${pod}`);
  const status = statusOf(listed, container);
  const count = status?.restartCount ?? 0;
  const back = options.previous === true ? 1 : options.previous === false ? 0 : (options.previous ?? 0);
  if (back > 0) {
    const instance = count - back;
    const file = path.join(listed.dir, container, `${instance}.log`);
    if (instance < 0 || !fs.existsSync(file)) {
      const which = back === 1 ? 'previous' : `${back} instances back`;
      throw new KubectlError(
        back === 1
          ? `Error from server (BadRequest): previous terminated container "${container}" in pod "${pod}" not found`
          : `Error from server (BadRequest): terminated container "${container}" ${which} in pod "${pod}" not found (it has restarted ${count} times)`,
      );
    }
    return { container, file, instance };
  }
  const file = path.join(listed.dir, container, `${count}.log`);
  const waiting = status?.state?.waiting?.reason ?? (status === undefined ? 'ContainerCreating' : undefined);
  if (waiting !== undefined && !fs.existsSync(file))
    throw new KubectlError(
      `Error from server (BadRequest): container "${container}" in pod "${pod}" is waiting to start: ${waiting}`,
    );
  return { container, file, instance: count };
}

/** The rotated files of `file` by stamp, oldest first (`<file>.<stamp>` or its `.gz`). */
function rotatedFiles(file: string): Array<{ stamp: string; file: string }> {
  let names: string[];
  try {
    names = fs.readdirSync(path.dirname(file));
  } catch {
    return [];
  }
  const base = path.basename(file);
  const stamps = [...new Set(names.map((n) => rotatedStamp(base, n)).filter((s) => s !== undefined))].sort();
  return stamps.map((stamp) => ({
    stamp,
    file: names.includes(`${base}.${stamp}`) ? `${file}.${stamp}` : `${file}.${stamp}.gz`,
  }));
}

function readRotated(file: string): string {
  try {
    const bytes = fs.readFileSync(file);
    return (file.endsWith('.gz') ? zlib.gunzipSync(bytes) : bytes).toString('utf8');
  } catch (error) {
    // Compressed meanwhile (the plain file goes once its .gz is there), or removed beyond maxFiles.
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    if (!file.endsWith('.gz')) return readRotated(`${file}.gz`);
    return '';
  }
}

function inode(file: string): number | undefined {
  try {
    return fs.statSync(file).ino;
  } catch {
    return undefined;
  }
}

/** Filters of what is shown. */
export interface LogFilter {
  /** `--tail N`: the last N lines of the history (negative: all). */
  tail?: number;
  /** `--since`: only lines written at or after this time. */
  since?: Date;
}

/** An open log: its history read, the current file open at the point where the history ends. */
export interface OpenLog {
  lines: LogRecord[];
  /** Reads on from there (for {@link followLog}); close it with {@link closeLog}. */
  cursor: LogCursor;
}

/** Where a reader is in the current file of an instance. */
export interface LogCursor {
  file: string;
  fd: number | undefined;
  ino: number;
  decoder: StringDecoder;
  joiner: CriRecordJoiner;
  /** The rotated files already read (or open): a rotation adds newer ones. */
  stamps: Set<string>;
}

function drain(cursor: LogCursor): LogRecord[] {
  if (cursor.fd === undefined) return [];
  const out: LogRecord[] = [];
  const buffer = Buffer.allocUnsafe(64 * 1024);
  for (;;) {
    const n = fs.readSync(cursor.fd, buffer, 0, buffer.length, null);
    if (n === 0) return out;
    out.push(...cursor.joiner.push(cursor.decoder.write(buffer.subarray(0, n))));
  }
}

function openCurrent(cursor: LogCursor): void {
  try {
    cursor.fd = fs.openSync(cursor.file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
    cursor.ino = fs.fstatSync(cursor.fd).ino;
    cursor.decoder = new StringDecoder('utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}

function filtered(lines: LogRecord[], filter: LogFilter): LogRecord[] {
  let out = filter.since ? lines.filter((l) => Date.parse(l.time) >= filter.since!.getTime()) : lines;
  if (filter.tail !== undefined && filter.tail >= 0) out = filter.tail === 0 ? [] : out.slice(-filter.tail);
  return out;
}

/**
 * Reads an instance's history — rotated files, then the current one — filtered; the cursor stays open
 * at its end.
 *
 * @example
 * const log = openLog(target.file, { tail: 10 });
 * for (const l of log.lines) console.log(l.line);
 * closeLog(log.cursor);
 */
export function openLog(file: string, filter: LogFilter = {}): OpenLog {
  const cursor: LogCursor = {
    file,
    fd: undefined,
    ino: 0,
    decoder: new StringDecoder('utf8'),
    joiner: new CriRecordJoiner(),
    stamps: new Set(),
  };
  // The current file first: a rotation while the rotated ones are read then shows up as a new inode.
  openCurrent(cursor);
  const lines: LogRecord[] = [];
  for (const rotated of rotatedFiles(file)) {
    cursor.stamps.add(rotated.stamp);
    // Rotated since it was opened: it is the open file, read below.
    if (cursor.fd !== undefined && inode(rotated.file) === cursor.ino) continue;
    lines.push(...cursor.joiner.push(readRotated(rotated.file)));
  }
  lines.push(...drain(cursor));
  return { lines: filtered(lines, filter), cursor };
}

/** Closes a cursor's file. */
export function closeLog(cursor: LogCursor): void {
  if (cursor.fd !== undefined) fs.closeSync(cursor.fd);
  cursor.fd = undefined;
}

/**
 * What is new in the current file since the last read; across a rotation (the path names another
 * inode), the rest of the old file, then the new one from its start.
 *
 * @example
 * readOn(log.cursor).forEach((l) => console.log(l.line));
 */
export function readOn(cursor: LogCursor): LogRecord[] {
  const out = drain(cursor);
  let ino: number | undefined;
  try {
    ino = fs.statSync(cursor.file).ino;
  } catch {
    ino = undefined;
  }
  if (ino !== undefined && ino !== cursor.ino) {
    // The open file was rotated: it is the oldest new rotated file, read on through the open fd to its
    // end (what was written between the drain above and the rotation too); the ones after it, when it
    // rotated more than once since the last read, are read whole, then the new current file.
    const fresh = rotatedFiles(cursor.file).filter((r) => !cursor.stamps.has(r.stamp));
    for (const [i, rotated] of fresh.entries()) {
      cursor.stamps.add(rotated.stamp);
      if (i === 0 && cursor.fd !== undefined) out.push(...drain(cursor));
      else out.push(...cursor.joiner.push(readRotated(rotated.file)));
    }
    closeLog(cursor);
    openCurrent(cursor);
    out.push(...drain(cursor));
  }
  return out;
}

/** How {@link followLog} learns that the instance ended. */
export interface FollowOptions {
  /** Whether the instance still runs (read from status.json); checked at every wake-up. */
  running: () => boolean;
  /** Called with each new line. */
  onLines: (lines: LogRecord[]) => void;
  /** The safety net when no inotify event comes (kubectl re-checks every second too). */
  recheckMs?: number;
  signal?: AbortSignal;
}

/**
 * `logs -f`: prints what the instance writes, across rotations, until it ends (its last lines are in
 * the file before its status says so: the runner drains its pipes first) or `signal` aborts.
 *
 * @example
 * await followLog(log.cursor, path.dirname(statusFile), { running: () => stillRunning(), onLines: print });
 */
export async function followLog(cursor: LogCursor, podDir: string, options: FollowOptions): Promise<void> {
  const dir = path.dirname(cursor.file);
  let wake: (() => void) | undefined;
  const poke = () => wake?.();
  const watchers: fs.FSWatcher[] = [];
  for (const watched of [dir, podDir]) {
    try {
      watchers.push(fs.watch(watched, poke));
    } catch {
      // gone: the recheck below notices
    }
  }
  options.signal?.addEventListener('abort', poke);
  try {
    for (;;) {
      // Whether it ran before reading: lines written before it ended are all read below.
      const running = options.running();
      const lines = readOn(cursor);
      if (lines.length > 0) options.onLines(lines);
      if (!running || options.signal?.aborted) return;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, options.recheckMs ?? 1000);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = undefined;
    }
  } finally {
    for (const w of watchers) w.close();
    options.signal?.removeEventListener('abort', poke);
    closeLog(cursor);
  }
}
