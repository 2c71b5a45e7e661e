/**
 * What a container that could not start says, in the words of its manifest rather than of pod-init's
 * setup steps: runc's wording for the command and the working directory (`exec: "app": permission
 * denied`), and for anything else the failed step, the errno and its reason, the syscall and, when there
 * is one, the hint.
 * @module
 */
import util from 'node:util';
import type { PodSystemError } from '../errors';

/** The kernel's words for an errno (`permission denied`), or its code. */
function reason(error: PodSystemError): string {
  return util.getSystemErrorMap().get(error.errno)?.[1] ?? error.code;
}

/**
 * The StartError message of a container whose start failed with `error`.
 *
 * @example
 * startErrorMessage(error, ['/etc/hostname'], '/'); // 'exec: "/etc/hostname": permission denied'
 * startErrorMessage(error, ['app'], '/srv'); // 'chdir to cwd ("/srv") set in workingDir failed: no such file or directory'
 */
export function startErrorMessage(error: PodSystemError, command: string, workingDir: string): string {
  if (error.step === 'exec')
    return error.code === 'ENOENT'
      ? `exec: "${command}": executable file not found in $PATH`
      : `exec: "${command}": ${reason(error)}`;
  if (error.step === 'chdir' || error.step === 'verify-cwd')
    return `chdir to cwd ("${workingDir}") set in workingDir failed: ${reason(error)}`;
  const what = `${error.step ?? error.syscall}: ${error.code}: ${reason(error)} (${error.syscall}${error.path ? ` '${error.path}'` : ''})`;
  return error.hint ? `${what}; ${error.hint}` : what;
}
