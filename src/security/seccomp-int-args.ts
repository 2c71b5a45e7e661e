/**
 * Syscall arguments that the kernel reads as 32 bits although a 64-bit ABI passes them in 64-bit registers
 * (`int`/`unsigned int` in the kernel's SYSCALL_DEFINE, or cut with `lower_32_bits`). A rule comparing such an
 * argument as a 64-bit value, as libseccomp does on x86-64 and arm64, can be passed with the high word set:
 * `socket(AF_VSOCK | 1 << 32, …)` is not 40 in 64 bits, and the kernel makes a vsock socket. seccomp-ranges.ts
 * compares only their low words (what the kernel acts on), and the check against libseccomp's program gives that
 * program the arguments as the kernel reads them ({@link kernelView}): the only difference allowed.
 * @module
 */
import type { SeccompData } from './bpf-interpreter';

/** Per syscall name, the indexes of its arguments the kernel reads as 32 bits. */
export type IntArguments = Readonly<Record<string, readonly number[]>>;

/**
 * The arguments of the syscalls containerd's (and Docker's) default profile puts conditions on, from the kernel's
 * prototypes (6.18): socket's family, type and protocol are `int` (net/socket.c), personality's is `unsigned int`
 * (kernel/exec_domain.c), clone's flags are an `unsigned long` of which kernel/fork.c keeps
 * `lower_32_bits(clone_flags)`. Other syscalls' arguments are compared in 64 bits, as libseccomp does.
 */
export const kernelIntArguments: IntArguments = {
  socket: [0, 1, 2],
  personality: [0],
  clone: [0],
};

/** An audit architecture of a 64-bit ABI (`__AUDIT_ARCH_64BIT`): where arguments are 64-bit registers. */
export function is64BitArch(token: number): boolean {
  return (token & 0x80000000) !== 0;
}

/** The ABIs and syscall numbers as native `seccompResolve` gives them (seccomp-ranges.ts `ResolvedSyscalls`). */
interface Resolved {
  arches: ReadonlyArray<{ token: number; audit: number }>;
  numbers: ReadonlyArray<readonly number[]>;
}

/**
 * A syscall as the kernel reads it: the high words of the 32-bit arguments (`table`) of the syscalls named in
 * `names` cleared on the 64-bit ABIs of `resolved`; any other syscall unchanged.
 * @example
 * const view = kernelView(native.seccompResolve(profile.architectures, names), names);
 * view({ nr: 41, arch: 0xc000003e, args: [(1n << 32n) | 40n, 1n, 0n, 0n, 0n, 0n] }).args[0]; // 40n
 */
export function kernelView(
  resolved: Resolved,
  names: readonly string[],
  table: IntArguments = kernelIntArguments,
): (data: SeccompData) => SeccompData {
  const byArch = new Map<number, Map<number, readonly number[]>>();
  resolved.arches.forEach((arch, a) => {
    if (!is64BitArch(arch.token)) return;
    const numbers = byArch.get(arch.audit) ?? new Map<number, readonly number[]>();
    byArch.set(arch.audit, numbers);
    names.forEach((name, i) => {
      const indexes = table[name];
      const nr = resolved.numbers[a]![i]!;
      if (indexes !== undefined && nr >= 0) numbers.set(nr, indexes);
    });
  });
  return (data) => {
    const indexes = byArch.get(data.arch)?.get(data.nr);
    if (indexes === undefined) return data;
    const args = [...data.args];
    for (const i of indexes) args[i] = (args[i] ?? 0n) & 0xffffffffn;
    return { ...data, args };
  };
}
