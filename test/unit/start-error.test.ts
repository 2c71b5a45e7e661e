import { describe, expect, it } from 'vitest';
import { PodSystemError, type SystemErrorFields } from '../../src/errors';
import { startErrorMessage } from '../../src/pod/start-error';

const failed = (fields: Partial<SystemErrorFields>): PodSystemError =>
  new PodSystemError({ code: 'EACCES', errno: -13, syscall: 'execve', description: 'Permission denied', ...fields });

describe("startErrorMessage: a StartError in the manifest's words", () => {
  it('the command, as runc says it, without the setup step', () => {
    expect(startErrorMessage(failed({ step: 'exec', path: '/etc/hostname' }), '/etc/hostname', '/')).toBe(
      'exec: "/etc/hostname": permission denied',
    );
    expect(
      startErrorMessage(
        failed({ step: 'exec', code: 'ENOENT', errno: -2, description: 'No such file or directory' }),
        'app',
        '/',
      ),
    ).toBe('exec: "app": executable file not found in $PATH');
  });

  it('the working directory', () => {
    const error = failed({ step: 'chdir', code: 'ENOENT', errno: -2, syscall: 'chdir', path: '/srv' });
    expect(startErrorMessage(error, 'app', '/srv')).toBe(
      'chdir to cwd ("/srv") set in workingDir failed: no such file or directory',
    );
  });

  it('any other step: the step, the reason, the syscall, and the hint when there is one', () => {
    const error = failed({ step: 'mount', code: 'EPERM', errno: -1, syscall: 'mount', path: '/data' });
    error.hint = 'check the hostPath';
    const message = startErrorMessage(error, 'app', '/');
    expect(message).toBe("mount: EPERM: operation not permitted (mount '/data'); check the hostPath");
    expect(message).not.toMatch(/setup step/);
  });
});
