/**
 * kubectl's ages (apimachinery `pkg/util/duration` HumanDuration, printers' translateTimestampSince):
 * `45s`, `3m20s`, `15m`, `4h5m`, `20h`, `3d4h`, `30d`, `2y10d`, `9y`.
 * @module
 */

/**
 * A duration as kubectl prints an AGE.
 *
 * @example
 * humanDuration(200_000); // '3m20s'
 * humanDuration(5 * 3_600_000); // '5h'
 */
export function humanDuration(ms: number): string {
  const seconds = Math.trunc(ms / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.trunc(seconds / 60);
  if (minutes < 10) return seconds % 60 === 0 ? `${minutes}m` : `${minutes}m${seconds % 60}s`;
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.trunc(minutes / 60);
  if (hours < 8) return minutes % 60 === 0 ? `${hours}h` : `${hours}h${minutes % 60}m`;
  if (hours < 48) return `${hours}h`;
  const days = Math.trunc(hours / 24);
  if (hours < 24 * 8) return hours % 24 === 0 ? `${days}d` : `${days}d${hours % 24}h`;
  if (hours < 24 * 365 * 2) return `${days}d`;
  const years = Math.trunc(days / 365);
  if (hours < 24 * 365 * 8) return days % 365 === 0 ? `${years}y` : `${years}y${days % 365}d`;
  return `${years}y`;
}

/**
 * The age of an RFC 3339 timestamp at `now`; `<unknown>` without one.
 *
 * @example
 * age('2026-12-06T10:00:00Z', new Date('2026-12-06T10:00:30Z')); // '30s'
 */
export function age(timestamp: string | undefined, now: Date): string {
  const time = timestamp === undefined ? NaN : Date.parse(timestamp);
  return Number.isNaN(time) ? '<unknown>' : humanDuration(now.getTime() - time);
}
