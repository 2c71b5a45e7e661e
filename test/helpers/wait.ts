import type { Readable } from 'node:stream';

/** Polls `check` until it returns a truthy value or the deadline passes (then throws `what`). */
export async function pollUntil<T>(
  check: () => T | Promise<T>,
  what: string,
  timeoutMs = 10_000,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let delay = 1;
  for (;;) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, delay));
    delay = Math.min(delay * 2, 50);
  }
}

/**
 * Whether `promise` settles within `ms` (a deadline for something that must end on its own, not a
 * synchronisation: a pass never waits for the deadline).
 */
export async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([
      promise.then(
        () => true,
        () => true,
      ),
      deadline,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** A window of `ms` to measure over (CPU use, wake-ups): a measurement, never used to order events. */
export function measurementWindow(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Everything a stream yields until it ends, as text. */
export async function readAll(stream: Readable | null): Promise<string> {
  if (stream === null) throw new Error('no stream (stdio was not "pipe")');
  let text = '';
  stream.setEncoding('utf8');
  for await (const chunk of stream) text += chunk as string;
  return text;
}

/** Resolves with the first line of a stream that matches. */
export function waitForLine(stream: Readable | null, pattern: RegExp): Promise<string> {
  if (stream === null) throw new Error('no stream (stdio was not "pipe")');
  return new Promise((resolve, reject) => {
    let buffer = '';
    const onData = (chunk: Buffer) => {
      buffer += chunk.toString('utf8');
      for (const line of buffer.split('\n')) {
        if (pattern.test(line)) {
          stream.off('data', onData);
          resolve(line);
          return;
        }
      }
    };
    stream.on('data', onData);
    stream.once('end', () => reject(new Error(`stream ended without a line matching ${pattern}:\n${buffer}`)));
  });
}

/** Collects a stream's lines; `waitFor` resolves with the first line (seen before or later) that matches. */
export function lineReader(stream: Readable | null): {
  lines: string[];
  waitFor(pattern: RegExp, what?: string): Promise<string>;
  ended: Promise<void>;
} {
  if (stream === null) throw new Error('no stream (stdio was not "pipe")');
  const lines: string[] = [];
  const waiters: Array<{ pattern: RegExp; resolve: (line: string) => void; from: number }> = [];
  let partial = '';
  let done = false;
  let endWaiters: Array<(error: Error) => void> = [];
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    const parts = (partial + chunk).split('\n');
    partial = parts.pop()!;
    for (const line of parts) {
      lines.push(line);
      for (const w of [...waiters])
        if (w.pattern.test(line)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(line);
        }
    }
  });
  const ended = new Promise<void>((resolve) =>
    stream.once('end', () => {
      done = true;
      for (const reject of endWaiters) reject(new Error(`stream ended; lines: ${JSON.stringify(lines)}`));
      endWaiters = [];
      resolve();
    }),
  );
  return {
    lines,
    ended,
    waitFor(pattern: RegExp) {
      const seen = lines.find((line) => pattern.test(line));
      if (seen !== undefined) return Promise.resolve(seen);
      if (done) return Promise.reject(new Error(`stream ended without ${pattern}; lines: ${JSON.stringify(lines)}`));
      return new Promise((resolve, reject) => {
        waiters.push({ pattern, resolve, from: lines.length });
        endWaiters.push(reject);
      });
    },
  };
}
