import { describe, expect, it } from 'vitest';
import { dataHome, homeDirectory } from '../../src/home-dir';

describe('homeDirectory and dataHome', () => {
  it('prefer the environment, then the home directory', () => {
    expect(homeDirectory({ HOME: '/home/u' })).toBe('/home/u');
    expect(dataHome({ XDG_DATA_HOME: '/data', HOME: '/home/u' }, 1000)).toBe('/data');
    expect(dataHome({ HOME: '/home/u' }, 1000)).toBe('/home/u/.local/share');
  });
});
