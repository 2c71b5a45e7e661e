/**
 * The kubelet's AtomicWriter layout (pkg/volume/util/atomic_writer.go) for configMap, secret, downwardAPI and
 * projected volumes: the files are written into a fresh hidden directory `..<UTC timestamp>.<random>` (0755), a
 * symlink `..data` is pointed at it by rename (so a reader sees the old set or the new, never half of each), and
 * each top-level name of the payload is a symlink `name → ..data/name`. Paths and names are checked as the kubelet
 * checks them; nothing is followed through a symlink while writing (O_NOFOLLOW, O_EXCL in a directory just made).
 * @module
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/** One file of a volume: its content and exact mode. */
export interface FileProjection {
  data: string | Buffer;
  mode: number;
}

const dataDirName = '..data';
const newDataDirName = '..data_tmp';
const maxPathLength = 4096;
const maxFileNameLength = 255;

/**
 * `validatePath`: relative, at most 4096 bytes, elements at most 255, no `..` element, not starting with `..`.
 * Returns the reason it is refused, or undefined.
 *
 * @example
 * payloadPathError('..data/x'); // 'must not start with \'..\''
 */
export function payloadPathError(target: string): string | undefined {
  if (target === '') return undefined;
  if (Buffer.byteLength(target) > maxPathLength) return `target path is too long (max ${maxPathLength})`;
  if (path.isAbsolute(target)) return 'must be a relative path';
  const items = target.split('/');
  for (const item of items) {
    if (item === '..') return "must not contain '..'";
    if (Buffer.byteLength(item) > maxFileNameLength) return `element ${item} is too long (max ${maxFileNameLength})`;
  }
  if (items[0]!.startsWith('..')) return "must not start with '..'";
  return undefined;
}

/** `..2006_01_02_15_04_05.`: the prefix of a data directory, from the current UTC time. */
function timestampPrefix(now: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `..${now.getUTCFullYear()}_${p(now.getUTCMonth() + 1)}_${p(now.getUTCDate())}_${p(now.getUTCHours())}_${p(now.getUTCMinutes())}_${p(now.getUTCSeconds())}.`;
}

/** `os.MkdirTemp(target, "..2006_01_02_15_04_05.")`: the prefix and a random uint32 in decimal, then 0755. */
function makeTimestampDir(targetDir: string, now: Date): string {
  for (;;) {
    const dir = path.join(targetDir, `${timestampPrefix(now)}${crypto.randomBytes(4).readUInt32LE()}`);
    try {
      fs.mkdirSync(dir, { mode: 0o700 });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') continue;
      throw error;
    }
    fs.chmodSync(dir, 0o755);
    return dir;
  }
}

function writeFileExact(file: string, projection: FileProjection): void {
  const { O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW } = fs.constants;
  const fd = fs.openSync(file, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, projection.mode);
  try {
    fs.writeFileSync(fd, projection.data);
    fs.fchmodSync(fd, projection.mode); // past the umask, as the kubelet's Chmod after WriteFile
  } finally {
    fs.closeSync(fd);
  }
}

/** The top-level names a payload shows in the volume. */
function visibleNames(paths: Iterable<string>): Set<string> {
  return new Set([...paths].map((p) => p.split('/')[0]!));
}

function readLinkOrUndefined(p: string): string | undefined {
  try {
    return fs.readlinkSync(p);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'EINVAL') return undefined;
    throw error;
  }
}

function readDirOrEmpty(dir: string): string[] {
  try {
    return fs.readdirSync(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

/**
 * Writes `payload` (volume-relative path → content and mode) into `targetDir` with the `..data` layout; what a
 * previous write left there and is not in the new payload is removed.
 *
 * @example
 * writeAtomic('/run/pod-init/…/volumes/kubernetes.io~configmap/cfg', new Map([['app.conf', { data: 'x=1\n', mode: 0o644 }]]));
 * // cfg/app.conf → ..data/app.conf, cfg/..data → ..2026_12_06_18_40_00.3141592653
 */
export function writeAtomic(targetDir: string, payload: ReadonlyMap<string, FileProjection>, now = new Date()): void {
  const cleaned = new Map<string, FileProjection>();
  for (const [p, projection] of payload) {
    const why = payloadPathError(p);
    if (why !== undefined) throw new Error(`invalid path ${JSON.stringify(p)}: ${why}`);
    const clean = path.posix.normalize(p).replace(/\/+$/, '');
    if (clean === '.' || clean === '') throw new Error(`invalid path ${JSON.stringify(p)}: must not be empty`);
    cleaned.set(clean, projection);
  }
  fs.mkdirSync(targetDir, { recursive: true, mode: 0o755 });
  const oldTsName = readLinkOrUndefined(path.join(targetDir, dataDirName));
  const oldNames = new Set<string>();
  if (oldTsName !== undefined && !oldTsName.includes('/'))
    for (const name of readDirOrEmpty(path.join(targetDir, oldTsName))) oldNames.add(name);

  const tsDir = makeTimestampDir(targetDir, now);
  for (const [p, projection] of cleaned) {
    const file = path.join(tsDir, p);
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o755 });
    writeFileExact(file, projection);
  }

  const tmpLink = path.join(targetDir, newDataDirName);
  fs.rmSync(tmpLink, { force: true });
  fs.symlinkSync(path.basename(tsDir), tmpLink);
  fs.renameSync(tmpLink, path.join(targetDir, dataDirName));

  const names = visibleNames(cleaned.keys());
  for (const name of names) {
    const visible = path.join(targetDir, name);
    if (fs.lstatSync(visible, { throwIfNoEntry: false }) === undefined)
      fs.symlinkSync(path.join(dataDirName, name), visible);
  }
  for (const name of oldNames) {
    if (names.has(name)) continue;
    const visible = path.join(targetDir, name);
    if (readLinkOrUndefined(visible) === path.join(dataDirName, name)) fs.unlinkSync(visible);
  }
  if (oldTsName !== undefined && oldTsName !== path.basename(tsDir) && oldTsName.startsWith('..'))
    fs.rmSync(path.join(targetDir, oldTsName), { recursive: true, force: true });
}
