import { describe, expect, it } from 'vitest';
import { humanDuration, humanSize, parseImagesArgs } from '../../../src/cli/images-command';

describe('pod-init images, rmi, rmi --prune', () => {
  it.each([
    [0, 'Less than a second'],
    [1000, '1 second'],
    [59_000, '59 seconds'],
    [60_000, 'About a minute'],
    [30 * 60_000, '30 minutes'],
    [3600_000, 'About an hour'],
    [47 * 3600_000, '47 hours'],
    [3 * 86400_000, '3 days'],
    [20 * 86400_000, '2 weeks'],
    [100 * 86400_000, '3 months'],
    [800 * 86400_000, '2 years'],
  ])('CREATED of %d ms is %s (go-units)', (ms, text) => {
    expect(humanDuration(ms)).toBe(text);
  });

  it.each([
    [0, '0 B'],
    [999, '999 B'],
    [4_493_000, '4.49 MB'],
    [817_000, '817 kB'],
    [1_240_000_000, '1.24 GB'],
  ])('SIZE of %d is %s', (bytes, text) => {
    expect(humanSize(bytes)).toBe(text);
  });

  it('reads the flags', () => {
    expect(parseImagesArgs('images', ['-q', '--image-store', '/s'])).toEqual({
      verb: 'images',
      storeDir: '/s',
      quiet: true,
      json: false,
    });
    expect(parseImagesArgs('rmi', ['a', 'b', '--image-store', '/s'])).toEqual({
      verb: 'rmi',
      storeDir: '/s',
      names: ['a', 'b'],
    });
    expect(parseImagesArgs('rmi', ['--prune', '--min-age', '0s', '--image-store', '/s'])).toEqual({
      verb: 'rmi --prune',
      storeDir: '/s',
      minAgeMs: 0,
    });
    expect(parseImagesArgs('rmi', ['--prune', '--image-store', '/s'])).toMatchObject({ minAgeMs: 120_000 });
    expect(() => parseImagesArgs('rmi', ['--prune', '--min-age', 'soon'])).toThrow('--min-age');
    expect(() => parseImagesArgs('rmi', ['--prune', 'x'])).toThrow('--prune');
    expect(() => parseImagesArgs('rmi', [])).toThrow('NAME');
  });
});
