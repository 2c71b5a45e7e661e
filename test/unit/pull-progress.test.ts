import { describe, expect, it } from 'vitest';
import { formatProgress, progressLine } from '../../src/cli/pull-progress';
import type { PullProgress } from '../../src/image/pull';

const d = (c: string) => `sha256:${c.repeat(64)}`;
const progress = (): PullProgress => ({
  image: 'busybox:1',
  layers: [
    { digest: d('a'), size: 2_000_000, received: 1_000_000, state: 'fetching' },
    { digest: d('b'), size: 5_000_000, received: 0, state: 'present' },
    { digest: d('c'), size: 3_000_000, received: 3_000_000, state: 'done' },
  ],
});

describe('the pull progress line', () => {
  it('shows layers done, the bytes of what is fetched, and each layer in flight', () => {
    expect(formatProgress(progress(), 200)).toBe('busybox:1: 2/3 layers, 4.0/5.0 MB | aaaaaaaaaaaa 1.0/2.0');
    expect(formatProgress(progress(), 20)).toBe('busybox:1: 2/3 laye…');
  });

  it('draws in place, then clears the line once every layer is in', () => {
    const written: string[] = [];
    const stream = { columns: 100, write: (s: string) => written.push(s) } as unknown as NodeJS.WriteStream;
    const draw = progressLine(stream, 0);
    const p = progress();
    draw(p);
    p.layers[0]!.state = 'done';
    draw(p);
    expect(written).toEqual(['\rbusybox:1: 2/3 layers, 4.0/5.0 MB | aaaaaaaaaaaa 1.0/2.0\x1b[K', '\r\x1b[K']);
  });
});
