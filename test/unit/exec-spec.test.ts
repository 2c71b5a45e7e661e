// The exec spec a pod's pod-init keeps per running container: written whole and private (0600),
// read back, forgotten only by the instance that wrote it; a process's start time tells a recycled pid.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { execSpecFile, processStartTime, readExecSpec } from '../../src/pod/exec-spec';
import { forgetExecSpec, writeExecSpec } from '../../src/pod/exec-spec-writer';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pod-init-exec-spec-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('exec spec', () => {
  it('is written 0600, read back, and forgotten only for the pid that wrote it', () => {
    const spec = { pid: 4242, startTime: '99', env: { A: 'b' }, cwd: '/srv', uid: 1000, gid: 3000, groups: [] };
    writeExecSpec(dir, 'app', spec);
    expect(fs.statSync(execSpecFile(dir, 'app')).mode & 0o777).toBe(0o600);
    expect(readExecSpec(dir, 'app')).toEqual(spec);
    forgetExecSpec(dir, 'app', 4243); // another instance's end: kept
    expect(readExecSpec(dir, 'app')?.pid).toBe(4242);
    forgetExecSpec(dir, 'app', 4242);
    expect(readExecSpec(dir, 'app')).toBeUndefined();
    expect(readExecSpec(dir, 'never-started')).toBeUndefined();
  });

  it('a start time for a live process (stable), none for a pid that is not there', () => {
    const mine = processStartTime(process.pid);
    expect(mine).toMatch(/^\d+$/);
    expect(processStartTime(process.pid)).toBe(mine);
    expect(processStartTime(0x3fffffff)).toBeUndefined();
  });
});
