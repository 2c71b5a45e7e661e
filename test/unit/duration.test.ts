import { describe, expect, it } from 'vitest';
import { parseDuration } from '../../src/duration';

describe('parseDuration', () => {
  it.each([
    ['30s', 30_000],
    ['2m', 120_000],
    ['1m30s', 90_000],
    ['1.5h', 5_400_000],
    ['500ms', 500],
    ['0', 0],
    ['1h2m3s', 3_723_000],
  ])('%s = %d ms', (text, ms) => expect(parseDuration(text)).toBe(ms));

  it.each(['', 'soon', '10', '5x', 's', '-1s', '1m 30s'])('rejects %j', (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });
});
