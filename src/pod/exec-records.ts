/**
 * The exec spec as NUL-separated records (`<state dir>/<container>/exec.records`), the form the native
 * `pod-init exec` client (native/client/) reads without a JSON parser: exec-spec-writer.ts writes it
 * beside exec.json from the same spec, and removes both. Each record is `KEY VALUE` ended by a NUL byte
 * (no value can hold one: environment strings, paths and hex cannot):
 *
 *     pod-init-exec 1          the format's version, always first
 *     pid PID                  the container's process, host pid namespace
 *     start TICKS              its start time (field 22 of /proc/PID/stat)
 *     cwd PATH
 *     env NAME=VALUE           one per variable, in exec.json's order
 *     uid N / gid N            when the spec has them
 *     groups N,N,...           when the spec has them (empty: no supplementary groups)
 *     caps B P E I A           the capability sets as hex masks (bounding, permitted, effective,
 *                              inheritable, ambient), when the spec has them
 *     nnp 1                    no_new_privs
 *     seccomp HEX              the compiled filter (struct sock_filter[]), as hex
 *     cgroup DIR               one per cgroup directory
 * @module
 */
import { capabilityMask } from '../security/capabilities';
import type { ExecSpec } from './exec-spec';

/** The file name of the records beside exec.json. */
export const execRecordsName = 'exec.records';

/**
 * A spec as exec.records content.
 *
 * @example
 * execRecords({ pid: 42, startTime: '7', env: { PATH: '/bin' }, cwd: '/' });
 * // 'pod-init-exec 1\0pid 42\0start 7\0cwd /\0env PATH=/bin\0'
 */
export function execRecords(spec: ExecSpec): string {
  const records = ['pod-init-exec 1', `pid ${spec.pid}`, `start ${spec.startTime}`, `cwd ${spec.cwd}`];
  for (const [name, value] of Object.entries(spec.env)) records.push(`env ${name}=${value}`);
  if (spec.uid !== undefined) records.push(`uid ${spec.uid}`);
  if (spec.gid !== undefined) records.push(`gid ${spec.gid}`);
  if (spec.groups !== undefined) records.push(`groups ${spec.groups.join(',')}`);
  if (spec.capabilities !== undefined) {
    const c = spec.capabilities;
    const sets = [c.bounding, c.permitted, c.effective, c.inheritable, c.ambient];
    records.push(`caps ${sets.map((set) => capabilityMask(set).toString(16)).join(' ')}`);
  }
  if (spec.noNewPrivileges) records.push('nnp 1');
  if (spec.seccomp !== undefined) records.push(`seccomp ${Buffer.from(spec.seccomp, 'base64').toString('hex')}`);
  for (const dir of spec.cgroups ?? []) records.push(`cgroup ${dir}`);
  if (records.some((r) => r.includes('\0'))) throw new Error('exec spec: a value holds a NUL byte');
  return records.map((r) => `${r}\0`).join('');
}
