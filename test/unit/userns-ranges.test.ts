// The user-namespace range registry (src/pod/userns-ranges.ts): the choice of a block is pure; the
// registry is real files in a temporary directory.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  allocateRange,
  chooseBlock,
  RangesExhaustedError,
  rangeMappings,
  rangeOfBlock,
  releaseRange,
  userNamespaceBlocks,
} from '../../src/pod/userns-ranges';

let dir: string;
beforeEach(() => {
  dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'pod-init-userns-')), 'userns');
});
afterEach(() => fs.rmSync(path.dirname(dir), { recursive: true, force: true }));

const alive = () => true;

describe('chooseBlock', () => {
  it('starts at block 1 (block 0 is the host’s ids) and skips blocks held by live pods', () => {
    expect(chooseBlock(new Map(), 'a', alive)).toBe(1);
    expect(chooseBlock(new Map([[1, 'x'], [2, 'y'], [4, 'z']]), 'a', alive)).toBe(3); // prettier-ignore
  });

  it('takes over a block whose pod has no live pod-init, or that is its own', () => {
    expect(chooseBlock(new Map([[1, 'dead'], [2, 'x']]), 'a', (uid) => uid !== 'dead')).toBe(1); // prettier-ignore
    expect(chooseBlock(new Map([[1, 'x'], [2, 'a']]), 'a', alive)).toBe(2); // prettier-ignore
  });

  it('finds nothing when all 1024 are held', () => {
    const full = new Map(Array.from({ length: userNamespaceBlocks }, (_, i) => [i + 1, `p${i}`] as const));
    expect(chooseBlock(full, 'a', alive)).toBeUndefined();
    full.delete(userNamespaceBlocks);
    expect(chooseBlock(full, 'a', alive)).toBe(userNamespaceBlocks);
  });
});

describe('rangeOfBlock, rangeMappings', () => {
  it('block N is host ids N·65536.. N·65536+65535, identical for uids and gids', () => {
    expect(rangeOfBlock(3)).toEqual({ block: 3, hostId: 196608, size: 65536 });
    const maps = rangeMappings(rangeOfBlock(1));
    expect(maps.uidMappings).toEqual([{ containerId: 0, hostId: 65536, size: 65536 }]);
    expect(maps.gidMappings).toEqual(maps.uidMappings);
  });
});

describe('allocateRange, releaseRange', () => {
  it('gives disjoint blocks, one file each holding the pod uid, and frees them', () => {
    const a = allocateRange(dir, 'pod-a', alive);
    const b = allocateRange(dir, 'pod-b', alive);
    expect([a.block, b.block]).toEqual([1, 2]);
    expect(fs.readFileSync(path.join(dir, '1'), 'utf8')).toBe('pod-a\n');
    expect(fs.readFileSync(path.join(dir, '2'), 'utf8')).toBe('pod-b\n');
    expect(fs.statSync(path.join(dir, '1')).mode & 0o777).toBe(0o600);
    releaseRange(dir, a, 'pod-a');
    expect(fs.existsSync(path.join(dir, '1'))).toBe(false);
    expect(allocateRange(dir, 'pod-c', alive).block).toBe(1); // freed, so given again
  });

  it('takes over the block of a pod whose pod-init died, and never frees another pod’s block', () => {
    allocateRange(dir, 'dead', alive);
    const b = allocateRange(dir, 'pod-b', (uid) => uid !== 'dead');
    expect(b.block).toBe(1);
    expect(fs.readFileSync(path.join(dir, '1'), 'utf8')).toBe('pod-b\n');
    releaseRange(dir, rangeOfBlock(1), 'dead'); // the dead one's late release leaves pod-b's claim
    expect(fs.readFileSync(path.join(dir, '1'), 'utf8')).toBe('pod-b\n');
  });

  it('says so when every block is held by a live pod', () => {
    fs.mkdirSync(dir, { recursive: true });
    for (let block = 1; block <= userNamespaceBlocks; block++)
      fs.writeFileSync(path.join(dir, String(block)), `p${block}\n`);
    expect(() => allocateRange(dir, 'late', alive)).toThrow(RangesExhaustedError);
    expect(() => allocateRange(dir, 'late', alive)).toThrow(/no free user namespace range: all 1024 ranges/);
  });
});
