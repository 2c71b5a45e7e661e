import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { claimPod, isPodAlive, isPodGone, releasePod } from '../../src/pod/owners';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pod-init-owners-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('the registry of live pod-inits', () => {
  it('a claimed pod is alive; a released one has no record, which is not "gone"', () => {
    const dir = path.join(tmp, 'a');
    claimPod(dir, 'p1');
    expect([isPodAlive(dir, 'p1'), isPodGone(dir, 'p1')]).toEqual([true, false]);
    releasePod(dir, 'p1');
    // No record: someone else's pod (a kubelet's under the same kubepods), never swept.
    expect([isPodAlive(dir, 'p1'), isPodGone(dir, 'p1')]).toEqual([false, false]);
  });

  it('a record whose process is gone (or another process now has the pid) is gone', () => {
    const dir = path.join(tmp, 'b');
    claimPod(dir, 'p2');
    fs.writeFileSync(path.join(dir, 'p2'), `${process.pid} 1\n`); // the same pid, another start time
    expect(isPodGone(dir, 'p2')).toBe(true);
  });

  it('never writes through a symlink planted in the registry, and refuses a registry others can write', () => {
    const dir = path.join(tmp, 'c');
    const victim = path.join(tmp, 'victim');
    fs.writeFileSync(victim, 'keep\n');
    fs.mkdirSync(dir, { mode: 0o700 });
    fs.symlinkSync(victim, path.join(dir, 'p3'));
    claimPod(dir, 'p3');
    expect(fs.readFileSync(victim, 'utf8')).toBe('keep\n');
    expect(fs.lstatSync(path.join(dir, 'p3')).isSymbolicLink()).toBe(false);
    const open = path.join(tmp, 'd');
    fs.mkdirSync(open);
    fs.chmodSync(open, 0o777);
    expect(() => claimPod(open, 'p4')).toThrow(/writable by its group or others/);
  });
});
