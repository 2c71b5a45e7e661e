import { describe, expect, it } from 'vitest';
import { exitStatusCode, PodSystemError, setupSteps } from '../../src';
import { hintFor } from '../../src/errors';
import { native } from '../../src/native';

describe('PodSystemError', () => {
  it('has the shape of Node SystemError plus step and pid', () => {
    const error = new PodSystemError({
      code: 'EPERM',
      errno: -1,
      syscall: 'setns',
      description: 'Operation not permitted',
      path: '/proc/4242/ns/net',
      step: 'join-namespaces',
      pid: 4242,
    });
    expect(error.message).toBe(
      "EPERM: operation not permitted, setns '/proc/4242/ns/net' (setup step join-namespaces)",
    );
    expect(error).toMatchObject({ code: 'EPERM', errno: -1, syscall: 'setns', step: 'join-namespaces', pid: 4242 });
    expect(error.name).toBe('PodSystemError');
    expect(Object.keys(error)).not.toContain('name');
    expect(error.hint).toMatch(/CAP_SYS_ADMIN/);
  });

  it('gives hints only where the errno misleads', () => {
    const base = { errno: 0, description: '' };
    expect(hintFor({ ...base, code: 'ENOSPC', syscall: 'clone3', step: 'clone' })).toMatch(/max_\*_namespaces/);
    expect(hintFor({ ...base, code: 'ENOSPC', syscall: 'mount', step: 'mount' })).toMatch(/mount-max/);
    expect(hintFor({ ...base, code: 'ENOMEM', syscall: 'clone3', step: 'clone-child' })).toMatch(/pod-pause exited/);
    expect(hintFor({ ...base, code: 'EPERM', syscall: 'write', step: 'id-map' })).toMatch(/AppArmor/);
    expect(hintFor({ ...base, code: 'EBADF', syscall: 'dup2', step: 'stdio' })).toBeUndefined();
  });

  it('uses the same step table as the addon', () => {
    expect([...native.steps]).toEqual([...setupSteps]);
  });
});

describe('exitStatusCode', () => {
  it('is the code, or 128 + the signal number', () => {
    expect(exitStatusCode({ exitCode: 3, signal: null })).toBe(3);
    expect(exitStatusCode({ exitCode: null, signal: 'SIGKILL' })).toBe(137);
    expect(exitStatusCode({ exitCode: null, signal: 'SIGTERM' })).toBe(143);
  });
});
