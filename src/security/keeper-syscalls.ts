/**
 * Whether a seccomp filter lets a container's keeper work (native/keeper.cc): the keeper attaches the
 * container's filter to itself, then receives requests and makes processes under it, and each of those runs
 * its setup under it too. A profile that refuses one of those calls (a Localhost profile may) would break
 * every exec probe and hook; such containers keep the joined spawn, which attaches the filter last, just
 * before execve. Checked by running the filter (the classic-BPF interpreter) on each call with the arguments
 * the keeper passes; x86-64 only (the numbers are x86-64's).
 * @module
 */
import { decodeBpf, runSeccompBpf } from './bpf-interpreter';

const auditArchX8664 = 0xc000003e;
const allow = 0x7fff0000; // SECCOMP_RET_ALLOW
const log = 0x7ffc0000; // SECCOMP_RET_LOG: runs, and is logged

// CLONE_VM | CLONE_VFORK | CLONE_PARENT | CLONE_PARENT_SETTID: how the keeper makes a process.
const keeperCloneFlags = 0x100n | 0x4000n | 0x8000n | 0x100000n;

/** The calls (x86-64 numbers, musl's wrappers) the keeper and its children make once the filter is on. */
export const keeperSyscalls: ReadonlyArray<{ name: string; nr: number; args?: bigint[] }> = [
  { name: 'read', nr: 0 },
  { name: 'write', nr: 1 },
  { name: 'close', nr: 3 },
  { name: 'poll', nr: 7 },
  { name: 'rt_sigprocmask', nr: 14 },
  { name: 'dup2', nr: 33 },
  { name: 'getpid', nr: 39 },
  { name: 'sendto', nr: 44 },
  { name: 'recvmsg', nr: 47 },
  { name: 'clone', nr: 56, args: [keeperCloneFlags] },
  { name: 'execve', nr: 59 },
  { name: 'exit', nr: 60 },
  { name: 'fcntl', nr: 72 },
  { name: 'getcwd', nr: 79 },
  { name: 'chdir', nr: 80 },
  { name: 'prctl', nr: 157, args: [1n, 9n] }, // PR_SET_PDEATHSIG, SIGKILL
  { name: 'exit_group', nr: 231 },
  { name: 'close_range', nr: 436 },
];

const verdicts = new WeakMap<Buffer, string[]>();

/**
 * The keeper's calls a filter does not allow (empty: a keeper can serve a container confined by it), or
 * `['arch']` off x86-64. Cached per filter buffer.
 *
 * @example
 * keeperDenied(compiled.bpf); // [] for containerd's RuntimeDefault profile
 * keeperDenied(denyCloneProfile.bpf); // ['clone']
 */
export function keeperDenied(bpf: Buffer, arch: string = process.arch): string[] {
  if (arch !== 'x64') return ['arch'];
  const known = verdicts.get(bpf);
  if (known) return known;
  const program = decodeBpf(bpf);
  const denied = keeperSyscalls
    .filter(({ nr, args }) => {
      const full = [...(args ?? []), 0n, 0n, 0n, 0n, 0n, 0n].slice(0, 6);
      const action = runSeccompBpf(program, { nr, arch: auditArchX8664, args: full }).action >>> 0;
      return action !== allow && action !== log;
    })
    .map((s) => s.name);
  verdicts.set(bpf, denied);
  return denied;
}
