/**
 * Go-style durations (`30s`, `2m`, `1m30s`, `1.5h`, `500ms`), as kubectl's flags take them.
 * @module
 */

const units: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * Milliseconds of a Go duration; undefined when it is not one. A bare `0` is allowed, as in Go.
 *
 * @example
 * parseDuration('1m30s'); // 90000
 * parseDuration('soon');  // undefined
 */
export function parseDuration(text: string): number | undefined {
  if (text === '0') return 0;
  const part = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/y;
  let total = 0;
  let index = 0;
  while (index < text.length) {
    part.lastIndex = index;
    const m = part.exec(text);
    if (!m) return undefined;
    total += Number(m[1]) * units[m[2]!]!;
    index = part.lastIndex;
  }
  return text.length > 0 ? total : undefined;
}
