/**
 * The pull's progress on a terminal: one line on stderr, rewritten in place (`\r`, erase to the end of
 * the line) at most every 100 ms, with each layer's bytes and the total; cleared when every layer is in,
 * so the events and logs after it print on a clean line. Callers draw it only when stderr is a TTY and
 * not `--quiet`.
 * @module
 */
import type { PullProgress } from '../image/pull';

const mb = (bytes: number) => (bytes / 1e6).toFixed(1);

/**
 * The progress line (without control characters), at most `width` characters.
 *
 * @example
 * formatProgress({ image: 'busybox:1', layers: [{ digest: 'sha256:ab…', size: 2e6, received: 1e6, state: 'fetching' }] }, 80);
 * // 'busybox:1: 0/1 layers, 1.0/2.0 MB | abababababab 1.0/2.0'
 */
export function formatProgress(progress: PullProgress, width: number): string {
  const done = progress.layers.filter((l) => l.state === 'done' || l.state === 'present').length;
  const fetched = progress.layers.filter((l) => l.state !== 'present');
  const received = fetched.reduce((n, l) => n + l.received, 0);
  const total = fetched.reduce((n, l) => n + l.size, 0);
  const active = progress.layers
    .filter((l) => l.state === 'fetching')
    .map((l) => `${l.digest.slice(7, 19)} ${mb(l.received)}/${mb(l.size)}`);
  const line = `${progress.image}: ${done}/${progress.layers.length} layers, ${mb(received)}/${mb(total)} MB${
    active.length > 0 ? ` | ${active.join(' | ')}` : ''
  }`;
  return line.length > width ? `${line.slice(0, Math.max(0, width - 1))}…` : line;
}

/**
 * A progress callback drawing on `stream` (a TTY), throttled to one draw per `intervalMs`.
 *
 * @example
 * const onProgress = progressLine(process.stderr);
 * await pullImage(image, { ...ctx, onProgress });
 */
export function progressLine(stream: NodeJS.WriteStream, intervalMs = 100): (progress: PullProgress) => void {
  let last = 0;
  let drawn = false;
  return (progress) => {
    const complete = progress.layers.every((l) => l.state === 'done' || l.state === 'present');
    if (complete) {
      if (drawn) stream.write('\r\x1b[K');
      drawn = false;
      return;
    }
    const now = Date.now();
    if (drawn && now - last < intervalMs) return;
    last = now;
    drawn = true;
    stream.write(`\r${formatProgress(progress, (stream.columns || 80) - 1)}\x1b[K`); // a pty may say 0 columns
  };
}
