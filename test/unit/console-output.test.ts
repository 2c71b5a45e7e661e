import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { consoleLines } from '../../src/console-output';

describe('consoleLines', () => {
  it('writes while the reader keeps up; beyond the limit counts lines and says so once caught up', async () => {
    const out = new PassThrough({ highWaterMark: 4 }); // nobody reads: writes queue
    const lines = consoleLines(out, (n) => `(${n} left out)\n`, 10);
    lines.write('aaaaaa\n'); // queued: 7
    lines.write('bbbbbb\n'); // 7 <= 10: written, queued 14
    lines.write('cccccc\n'); // 14 > 10: left out
    lines.write('dddddd\n'); // left out
    expect(out.writableLength).toBe(14);
    const read: string[] = [];
    out.on('data', (chunk: Buffer) => read.push(chunk.toString()));
    await new Promise((resolve) => setImmediate(resolve));
    lines.write('eeeeee\n');
    lines.flush();
    await new Promise((resolve) => setImmediate(resolve));
    expect(read.join('')).toBe('aaaaaa\nbbbbbb\n(2 left out)\neeeeee\n');
  });

  it('flush says how many were left out at the end, and nothing when none were', () => {
    const out = new PassThrough();
    let text = '';
    out.on('data', (chunk: Buffer) => (text += chunk.toString()));
    const lines = consoleLines(out, (n) => `(${n})\n`, 0);
    lines.flush();
    lines.write('a\n');
    expect(text).toBe('a\n');
  });
});
