/**
 * The kubelet's container log rotation scheme (pkg/kubelet/logs/container_log_manager.go): the current
 * file `<n>.log` is renamed to `<n>.log.<YYYYMMDD-HHMMSS>` (local time) when it reaches
 * `containerLogMaxSize`; rotated files but the newest are gzipped to `<name>.gz`; at most
 * `containerLogMaxFiles` files in all (the current one included), the oldest removed first. Names,
 * parsing and the plan of what to remove and compress; the file work is logs.ts.
 * @module
 */
import { parseQuantity } from '../manifest/quantity';

/** How CRI logs rotate: the kubelet's flags and defaults. */
export interface LogRotation {
  /** `--container-log-max-size`: a file is rotated before it would grow past this many bytes. */
  maxBytes: number;
  /** `--container-log-max-files`: files kept per container instance, the current one included (>= 2). */
  maxFiles: number;
}

/** The kubelet's defaults: 10Mi, 5 files. */
export const kubeletLogRotation: Readonly<LogRotation> = Object.freeze({ maxBytes: 10 * 1024 * 1024, maxFiles: 5 });

/** Go's "20060102-150405" of `time` in local time, as the kubelet names a rotated file. */
export function rotationTimestamp(time: Date): string {
  const two = (n: number) => String(n).padStart(2, '0');
  return (
    `${time.getFullYear()}${two(time.getMonth() + 1)}${two(time.getDate())}-` +
    `${two(time.getHours())}${two(time.getMinutes())}${two(time.getSeconds())}`
  );
}

const stamp = /^(\d{4})(\d{2})(\d{2})-(\d{2})(\d{2})(\d{2})$/;

/** The rotated stamp of `name` for the log `base` (`0.log.20260102-030405[.gz]` → its stamp), or undefined. */
export function rotatedStamp(base: string, name: string): string | undefined {
  if (!name.startsWith(`${base}.`)) return undefined;
  const rest = name.slice(base.length + 1).replace(/\.gz$/, '');
  return stamp.test(rest) ? rest : undefined;
}

/**
 * The name for the next rotation of `base` at `time`: the kubelet's `<base>.<stamp>`. Where a file of
 * that name (or its .gz) exists already (two rotations within one second, which the kubelet, rotating
 * every 10 s, never meets: it would overwrite), the stamp is one second after the newest: names stay
 * unique and in order.
 *
 * @example
 * rotatedName('0.log', new Date(2026, 0, 2, 3, 4, 5), []); // '0.log.20260102-030405'
 * rotatedName('0.log', new Date(2026, 0, 2, 3, 4, 5), ['20260102-030405']); // '0.log.20260102-030406'
 */
export function rotatedName(base: string, time: Date, existingStamps: readonly string[]): string {
  let name = rotationTimestamp(time);
  const newest = [...existingStamps].sort().at(-1);
  if (newest !== undefined && newest >= name) {
    const [, y, mo, d, h, mi, s] = stamp.exec(newest)!.map(Number);
    name = rotationTimestamp(new Date(y!, mo! - 1, d!, h!, mi!, s! + 1));
  }
  return `${base}.${name}`;
}

/**
 * What to do with the rotated stamps of one log once a new one exists (`stamps` with it): remove the
 * oldest beyond `maxFiles - 1` (the current file is the last), compress all but the newest.
 *
 * @example
 * rotationPlan(['a', 'b', 'c'], 3); // { remove: ['a'], compress: ['b'] }
 */
export function rotationPlan(stamps: readonly string[], maxFiles: number): { remove: string[]; compress: string[] } {
  const sorted = [...stamps].sort();
  const keep = Math.max(1, maxFiles - 1);
  const remove = sorted.slice(0, Math.max(0, sorted.length - keep));
  const kept = sorted.slice(remove.length);
  return { remove, compress: kept.slice(0, -1) };
}

/**
 * Parses `--container-log-max-size` (a quantity: 10Mi, 512Ki, 1G) and `--container-log-max-files`
 * (an integer, at least 2 as the kubelet requires); undefined when one is invalid, with what was wrong.
 *
 * @example
 * parseLogRotation('10Mi', '5'); // { maxBytes: 10485760, maxFiles: 5 }
 */
export function parseLogRotation(
  maxSize: string,
  maxFiles: string,
): LogRotation | { flag: '--container-log-max-size' | '--container-log-max-files'; expected: string } {
  let bytes: number;
  try {
    bytes = parseQuantity(maxSize);
  } catch {
    bytes = NaN;
  }
  if (!Number.isFinite(bytes) || bytes < 1)
    return { flag: '--container-log-max-size', expected: 'a positive quantity such as 10Mi' };
  const files = /^\d+$/.test(maxFiles) ? Number(maxFiles) : NaN;
  if (!Number.isSafeInteger(files) || files < 2)
    return { flag: '--container-log-max-files', expected: 'an integer greater than 1' };
  return { maxBytes: Math.ceil(bytes), maxFiles: files };
}
