// The exec spec a pod's pod-init keeps per running container: written whole and private (0600),
// read back, forgotten only by the instance that wrote it; a process's start time tells a recycled pid.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { execSpecFile, processStartTime, readExecSpec } from '../../src/pod/exec-spec';
import { forgetExecSpec, writeExecSpec } from '../../src/pod/exec-spec-writer';
import { execRecords } from '../../src/pod/exec-records';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pod-init-exec-spec-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('exec spec', () => {
  it('is written 0600, read back, and forgotten only for the pid that wrote it', () => {
    const spec = { pid: 4242, startTime: '99', env: { A: 'b' }, cwd: '/srv', uid: 1000, gid: 3000, groups: [] };
    writeExecSpec(dir, 'app', spec);
    expect(fs.statSync(execSpecFile(dir, 'app')).mode & 0o777).toBe(0o600);
    const records = path.join(dir, 'app', 'exec.records');
    expect(fs.statSync(records).mode & 0o777).toBe(0o600);
    expect(fs.readFileSync(records, 'utf8')).toBe(execRecords(spec));
    expect(readExecSpec(dir, 'app')).toEqual(spec);
    forgetExecSpec(dir, 'app', 4243); // another instance's end: kept
    expect(readExecSpec(dir, 'app')?.pid).toBe(4242);
    forgetExecSpec(dir, 'app', 4242);
    expect(readExecSpec(dir, 'app')).toBeUndefined();
    expect(fs.existsSync(records)).toBe(false);
    expect(readExecSpec(dir, 'never-started')).toBeUndefined();
  });

  it('has a NUL-separated form for the native client: every field, the env in order, masks and the filter as hex', () => {
    const text = execRecords({
      pid: 7,
      startTime: '99',
      env: { PATH: '/bin', MULTI: 'a\nb c' },
      cwd: '/srv dir',
      uid: 1000,
      gid: 3000,
      groups: [1, 2],
      capabilities: {
        bounding: ['CAP_KILL', 'CAP_CHOWN'],
        permitted: ['CAP_KILL'],
        effective: [],
        inheritable: [],
        ambient: [],
      },
      noNewPrivileges: true,
      seccomp: Buffer.from([1, 2, 3, 4, 5, 6, 7, 255]).toString('base64'),
      cgroups: ['/sys/fs/cgroup/a', '/sys/fs/cgroup/b'],
    });
    expect(text.endsWith('\0')).toBe(true);
    expect(text.slice(0, -1).split('\0')).toEqual([
      'pod-init-exec 1',
      'pid 7',
      'start 99',
      'cwd /srv dir',
      'env PATH=/bin',
      'env MULTI=a\nb c',
      'uid 1000',
      'gid 3000',
      'groups 1,2',
      'caps 21 20 0 0 0',
      'nnp 1',
      'seccomp 01020304050607ff',
      'cgroup /sys/fs/cgroup/a',
      'cgroup /sys/fs/cgroup/b',
    ]);
    // Without the optional fields, no records for them (groups: [] is a record: no supplementary groups).
    expect(execRecords({ pid: 1, startTime: '2', env: {}, cwd: '/', groups: [] })).toBe(
      'pod-init-exec 1\0pid 1\0start 2\0cwd /\0groups \0',
    );
    expect(() => execRecords({ pid: 1, startTime: '2', env: { A: 'x\0y' }, cwd: '/' })).toThrow(/NUL/);
  });

  it('a start time for a live process (stable), none for a pid that is not there', () => {
    const mine = processStartTime(process.pid);
    expect(mine).toMatch(/^\d+$/);
    expect(processStartTime(process.pid)).toBe(mine);
    expect(processStartTime(0x3fffffff)).toBeUndefined();
  });
});
