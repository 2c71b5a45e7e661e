/**
 * The seccomp profile as pod-init holds it: the OCI runtime-spec `LinuxSeccomp` shape (what containerd
 * hands runc), already resolved for one container (no Docker `includes`/`excludes` left in it).
 * @module
 */

/** The actions pod-init compiles (OCI names; `SCMP_ACT_KILL` is the old name of `SCMP_ACT_KILL_THREAD`). */
export const seccompActions = [
  'SCMP_ACT_ALLOW',
  'SCMP_ACT_ERRNO',
  'SCMP_ACT_KILL_PROCESS',
  'SCMP_ACT_KILL_THREAD',
  'SCMP_ACT_KILL',
  'SCMP_ACT_TRAP',
  'SCMP_ACT_LOG',
  'SCMP_ACT_TRACE',
] as const;

/** One of {@link seccompActions}. */
export type SeccompAction = (typeof seccompActions)[number];

/** Argument comparisons (OCI `LinuxSeccompOperator`). */
export const seccompOperators = [
  'SCMP_CMP_NE',
  'SCMP_CMP_LT',
  'SCMP_CMP_LE',
  'SCMP_CMP_EQ',
  'SCMP_CMP_GE',
  'SCMP_CMP_GT',
  'SCMP_CMP_MASKED_EQ',
] as const;

/** One of {@link seccompOperators}. */
export type SeccompOperator = (typeof seccompOperators)[number];

/** The architectures libseccomp 2.5 knows (OCI `Arch`). */
export const seccompArchitectures = [
  'SCMP_ARCH_X86',
  'SCMP_ARCH_X86_64',
  'SCMP_ARCH_X32',
  'SCMP_ARCH_ARM',
  'SCMP_ARCH_AARCH64',
  'SCMP_ARCH_MIPS',
  'SCMP_ARCH_MIPS64',
  'SCMP_ARCH_MIPS64N32',
  'SCMP_ARCH_MIPSEL',
  'SCMP_ARCH_MIPSEL64',
  'SCMP_ARCH_MIPSEL64N32',
  'SCMP_ARCH_PPC',
  'SCMP_ARCH_PPC64',
  'SCMP_ARCH_PPC64LE',
  'SCMP_ARCH_S390',
  'SCMP_ARCH_S390X',
  'SCMP_ARCH_PARISC',
  'SCMP_ARCH_PARISC64',
  'SCMP_ARCH_RISCV64',
] as const;

/** One of {@link seccompArchitectures}. */
export type SeccompArchitecture = (typeof seccompArchitectures)[number];

/**
 * A 64-bit syscall argument value. A `number` must be a safe integer; values above 2^53 (masks such as
 * 0xffffffffffffffff) are `bigint`s.
 */
export type SeccompValue = number | bigint;

/** One argument condition (OCI `LinuxSeccompArg`); `SCMP_CMP_MASKED_EQ` is `(arg & value) == valueTwo`. */
export interface SeccompArg {
  index: number;
  value: SeccompValue;
  valueTwo?: SeccompValue;
  op: SeccompOperator;
}

/**
 * One rule (OCI `LinuxSyscall`): the action for these syscalls when all `args` hold (conditions on the
 * same argument index are ORed instead, as runc does).
 */
export interface SeccompSyscall {
  names: string[];
  action: SeccompAction;
  /** The errno of `SCMP_ACT_ERRNO` (default EPERM), or the message of `SCMP_ACT_TRACE`. */
  errnoRet?: number;
  args?: SeccompArg[];
}

/**
 * A seccomp profile for one container (OCI `LinuxSeccomp`).
 * @example
 * const profile: SeccompProfile = {
 *   defaultAction: 'SCMP_ACT_ERRNO',
 *   architectures: ['SCMP_ARCH_X86_64'],
 *   syscalls: [{ names: ['read', 'write', 'exit_group'], action: 'SCMP_ACT_ALLOW' }],
 * };
 */
export interface SeccompProfile {
  defaultAction: SeccompAction;
  /** The errno of a `SCMP_ACT_ERRNO` default action (default EPERM). */
  defaultErrnoRet?: number;
  architectures: SeccompArchitecture[];
  syscalls: SeccompSyscall[];
}

/** A compiled profile: a `struct sock_filter[]` ready for seccomp(SECCOMP_SET_MODE_FILTER). */
export interface SeccompFilter {
  /** The BPF program (8 bytes an instruction, host byte order). Shared by every user: never modify it. */
  readonly bpf: Buffer;
  /** Names in the profile this libseccomp does not know: skipped (they get ENOSYS when newer than the filter). */
  readonly unknownSyscalls: readonly string[];
  /**
   * Which program `bpf` is: libseccomp's, or the range search shown to give the same verdicts, but on the
   * arguments the kernel reads as 32 bits, compared by their low words (src/security/seccomp-ranges.ts,
   * seccomp-int-args.ts). Absent in filters made by hand.
   */
  readonly compiledBy?: 'ranges' | 'libseccomp';
}
