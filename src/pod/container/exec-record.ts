/**
 * What `pod-init exec` needs to enter a started instance as its own process runs (exec-spec.ts),
 * written at its start and forgotten at its end.
 * @module
 */
import { processStartTime } from '../exec-spec';
import { writeExecSpec } from '../exec-spec-writer';
import type { Say } from '../events';
import type { ProbeTarget } from '../probe-handlers';

/**
 * Writes the exec spec of container `name`'s instance; a failure is a warning (exec then says the
 * container is not running; the pod itself goes on).
 *
 * @example
 * recordExecSpec(stateDir, 'web', target, cgroups, say);
 */
export function recordExecSpec(
  stateDir: string,
  name: string,
  target: ProbeTarget,
  cgroups: string[] | undefined,
  say: Say,
): void {
  const startTime = processStartTime(target.process.pid);
  if (startTime === undefined) return; // gone already
  try {
    writeExecSpec(stateDir, name, {
      pid: target.process.pid,
      startTime,
      env: target.env,
      cwd: target.cwd ?? '/',
      ...(target.uid !== undefined ? { uid: target.uid } : {}),
      ...(target.gid !== undefined ? { gid: target.gid } : {}),
      ...(target.groups !== undefined ? { groups: target.groups } : {}),
      ...(target.capabilities !== undefined ? { capabilities: target.capabilities } : {}),
      ...(target.noNewPrivileges ? { noNewPrivileges: true } : {}),
      ...(target.seccomp !== undefined ? { seccomp: target.seccomp.bpf.toString('base64') } : {}),
      ...(cgroups !== undefined ? { cgroups } : {}),
    });
  } catch (error) {
    say('Warning', 'ExecSpecNotWritten', `pod-init exec cannot enter it: ${String(error)}`, name);
  }
}
