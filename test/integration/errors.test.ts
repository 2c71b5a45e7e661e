// Failures before execve come back as PodSystemError with code, syscall, path and step — never as
// an exit code — and nothing is left running or open after them.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PodOptionError, PodSystemError, Sandbox, spawn, syscalls } from '../../src';
import { childrenOf, openFds } from '../helpers/procfs';
import { privilegeSkipReason, titled } from '../helpers/privileges';

const reason = privilegeSkipReason();

function caught(run: () => unknown): PodSystemError {
  try {
    run();
  } catch (error) {
    if (error instanceof PodSystemError) return error;
    throw error;
  }
  throw new Error('expected a PodSystemError, nothing was thrown');
}

describe('spawn errors (no privileges needed)', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pod-init-errors-'));
    fs.writeFileSync(path.join(dir, 'not-executable'), '#!/bin/sh\necho hi\n', { mode: 0o644 });
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('a missing binary is ENOENT at step exec', () => {
    const error = caught(() => spawn({ file: '/no/such/binary' }));
    expect(error).toMatchObject({
      code: 'ENOENT',
      errno: -2,
      syscall: 'execve',
      step: 'exec',
      path: '/no/such/binary',
    });
    expect(error.message).toBe("ENOENT: no such file or directory, execve '/no/such/binary' (setup step exec)");
    expect(error.name).toBe('PodSystemError');
    expect(error.hint).toMatch(/PATH/);
    expect(error.pid).toBeGreaterThan(0);
  });

  it('a name not found in PATH is ENOENT too', () => {
    const error = caught(() => spawn({ file: 'no-such-command-pod-init', env: { PATH: '/usr/bin:/bin' } }));
    expect(error).toMatchObject({ code: 'ENOENT', step: 'exec', path: '/usr/bin/no-such-command-pod-init' });
  });

  it('a file that is not executable is EACCES at step exec', () => {
    const file = path.join(dir, 'not-executable');
    const error = caught(() => spawn({ file }));
    expect(error).toMatchObject({ code: 'EACCES', syscall: 'execve', step: 'exec', path: file });
    expect(error.hint).toMatch(/chmod/);
  });

  it('a missing working directory is ENOENT at step chdir', () => {
    const error = caught(() => spawn({ file: '/bin/true', cwd: path.join(dir, 'nope') }));
    expect(error).toMatchObject({ code: 'ENOENT', syscall: 'chdir', step: 'chdir', path: path.join(dir, 'nope') });
  });

  it('the stack points at the caller', () => {
    const error = caught(() => spawn({ file: '/no/such/binary' }));
    expect(error.stack).toContain('errors.test.ts');
  });

  it('failed spawns leave no process and no fd behind', () => {
    const before = openFds().length;
    for (let i = 0; i < 20; i++) caught(() => spawn({ file: '/no/such/binary', stdio: ['ignore', 'pipe', 'pipe'] }));
    expect(openFds().length).toBe(before);
    expect(
      childrenOf(process.pid).filter((pid) => fs.readFileSync(`/proc/${pid}/comm`, 'utf8').includes('node')),
    ).toEqual([]);
  });

  it('bad options are PodOptionError naming the option', () => {
    expect(() => spawn({ file: 'true', cwd: 'relative' })).toThrow(PodOptionError);
    expect(() => spawn({ file: 'true', cwd: 'relative' })).toThrow(
      "options.cwd must be an absolute path, received 'relative'",
    );
    expect(() => spawn({ file: '' })).toThrow('options.file must be a non-empty string');
    expect(() => spawn({ file: 'true', stdio: ['pipe', 'bogus' as never, 'pipe'] })).toThrow(/options\.stdio\[1\]/);
    expect(() => spawn({ file: 'true', hostname: 'x' })).toThrow(/options\.hostname.*uts/);
    expect(() => spawn({ file: 'true', dieWithParent: 'SIGNOPE' as never })).toThrow(/options\.dieWithParent/);
    expect(() => spawn({ file: 'true', cwdd: '/' } as never)).toThrow(/options\.cwdd/);
  });

  it('unshare of a user namespace in multithreaded Node is EINVAL with a hint', () => {
    const error = caught(() => syscalls.unshare(['user']));
    expect(error).toMatchObject({ code: 'EINVAL', syscall: 'unshare' });
    expect(error.hint).toMatch(/multithreaded/);
  });
});

describe.skipIf(reason)(titled('pod member errors', reason), () => {
  let pod: Sandbox;
  beforeAll(async () => {
    pod = await Sandbox.create();
  });
  afterAll(async () => {
    await pod?.destroy();
  });

  it('a missing binary in the pod is ENOENT at step exec, and the pod keeps running', () => {
    const error = caught(() => pod.spawn({ file: '/no/such/binary' }));
    expect(error).toMatchObject({ code: 'ENOENT', syscall: 'execve', step: 'exec' });
    expect(pod.running).toBe(true);
    expect(pod.members).toEqual([]);
  });

  it('a bad working directory in the pod is ENOENT at step chdir', () => {
    const error = caught(() => pod.spawn({ file: '/bin/true', cwd: '/no/such/dir' }));
    expect(error).toMatchObject({ code: 'ENOENT', step: 'chdir', path: '/no/such/dir' });
  });

  it('a spawn into a destroyed pod is refused before anything starts', async () => {
    const gone = await Sandbox.create();
    await gone.destroy();
    expect(() => gone.spawn({ file: '/bin/true' })).toThrow(PodOptionError);
  });
});
