// Seccomp filters as a search over merged syscall-number ranges (src/security/seccomp-ranges.ts) against the
// real libseccomp 2.5.4 build of the same profile: containerd's RuntimeDefault for several capability sets and a
// profile with every comparison operator, 64-bit values and ORed/ANDed conditions give the same action on every
// architecture (x86_64, x32, i386 and one neither knows), every syscall number region and every argument value
// their conditions tell apart (src/security/bpf-interpreter.ts); compileSeccomp uses the shorter program only
// then. Negative controls: a range program with one action, one argument constant or the x32 check changed is
// caught; profiles outside what the ranges model stay libseccomp's. The one difference allowed: arguments the
// kernel reads as 32 bits (socket's, personality's, clone's flags) are compared by their low words, so libseccomp's
// program is given them as the kernel reads them (src/security/seccomp-int-args.ts); without that view the check
// finds `socket(AF_ALG | 1 << 32)`, which libseccomp lets through, and a range program that compares them in 64
// bits (libseccomp's gap) or a 64-bit argument by its low word is caught. The programs are loaded for real in
// seccomp-compile.test.ts, seccomp-enforce.test.ts and test/escapes/socket-high-bits.test.ts (in a container).
import { describe, expect, it } from 'vitest';
import { native } from '../../src/native';
import { defaultCapabilities } from '../../src/pod/security/capabilities';
import { decodeBpf, firstDifference, runSeccompBpf } from '../../src/security/bpf-interpreter';
import {
  compileSeccomp,
  libseccompProgram,
  runtimeDefaultProfile,
  type SeccompProfile,
} from '../../src/security/seccomp';
import { kernelIntArguments, kernelView, type IntArguments } from '../../src/security/seccomp-int-args';
import { rangeFilter } from '../../src/security/seccomp-ranges';

const X86_64 = 0xc000003e;
const I386 = 0x40000003;

/** libseccomp's program (with the ENOSYS stub), straight from the addon: no cache, no ranges. */
const libseccomp = libseccompProgram;

function namesOf(profile: SeccompProfile): string[] {
  return [...new Set(profile.syscalls.flatMap((r) => r.names))];
}

function ranges(profile: SeccompProfile, intArguments: IntArguments = kernelIntArguments): Buffer | undefined {
  const names = namesOf(profile);
  return rangeFilter(profile, native.seccompResolve(profile.architectures, names), names, intArguments);
}

/** libseccomp's program is given the 32-bit arguments as the kernel reads them (high words cleared). */
function viewOf(profile: SeccompProfile) {
  const names = namesOf(profile);
  return kernelView(native.seccompResolve(profile.architectures, names), names);
}

const ALLOW = 0x7fff0000;
const EPERM = 0x00050001;

const capabilitySets: Array<[string, string[]]> = [
  ["containerd's 14", [...defaultCapabilities]],
  ['14 + CAP_SYS_ADMIN', [...defaultCapabilities, 'CAP_SYS_ADMIN']],
  ['none', []],
  ['ptrace, nice, bpf, time, module', ['CAP_SYS_PTRACE', 'CAP_SYS_NICE', 'CAP_BPF', 'CAP_SYS_TIME', 'CAP_SYS_MODULE']],
];

describe('range-search seccomp filters', () => {
  it.each(capabilitySets)(
    'RuntimeDefault (%s capabilities): same verdicts as libseccomp, under a third of its size',
    (_, caps) => {
      const profile = runtimeDefaultProfile(caps, 'x64');
      const reference = libseccomp(profile);
      const ours = ranges(profile);
      expect(ours).toBeDefined();
      expect(firstDifference(decodeBpf(ours!), decodeBpf(reference), [X86_64, I386], viewOf(profile))).toBeUndefined();
      // Without the view, the difference is libseccomp's gap: socket(2) with AF_ALG (38) or AF_VSOCK (40) in the
      // low word and a high word set, refused here, let through by libseccomp's 64-bit comparison.
      const gap = firstDifference(decodeBpf(ours!), decodeBpf(reference), [X86_64, I386]);
      expect(gap).toMatchObject({ data: { nr: 41, arch: X86_64 }, first: EPERM, second: ALLOW });
      expect(gap!.data.args[0]! >> 32n).not.toBe(0n);
      expect([38n, 40n]).toContain(gap!.data.args[0]! & 0xffffffffn);
      expect(ours!.length * 3).toBeLessThan(reference.length);
      const compiled = compileSeccomp(profile);
      expect(compiled.compiledBy).toBe('ranges');
      expect(compiled.bpf.equals(ours!)).toBe(true);
    },
  );

  it('compiles every operator, 64-bit values, ORed and ANDed conditions as libseccomp does', () => {
    const profile: SeccompProfile = {
      defaultAction: 'SCMP_ACT_ERRNO',
      defaultErrnoRet: 13,
      architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
      syscalls: [
        { names: ['read', 'write', 'close', 'exit_group', 'socketcall'], action: 'SCMP_ACT_ALLOW' },
        {
          names: ['ioctl'],
          action: 'SCMP_ACT_ALLOW',
          args: [{ index: 1, value: 0x1234567800000001n, op: 'SCMP_CMP_EQ' }],
        },
        { names: ['fcntl'], action: 'SCMP_ACT_ALLOW', args: [{ index: 1, value: 0x100000000n, op: 'SCMP_CMP_GT' }] },
        { names: ['lseek'], action: 'SCMP_ACT_ALLOW', args: [{ index: 2, value: 2, op: 'SCMP_CMP_LE' }] },
        { names: ['dup'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 3, op: 'SCMP_CMP_GE' }] },
        { names: ['dup2'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 0x200000003n, op: 'SCMP_CMP_LT' }] },
        { names: ['kill'], action: 'SCMP_ACT_ERRNO', errnoRet: 1, args: [{ index: 1, value: 9, op: 'SCMP_CMP_NE' }] },
        {
          names: ['mmap'],
          action: 'SCMP_ACT_ALLOW',
          args: [{ index: 2, value: 0xff00000004n, valueTwo: 0x0100000004n, op: 'SCMP_CMP_MASKED_EQ' }],
        },
        {
          // two conditions on one argument: ORed (each its own rule)
          names: ['setsockopt'],
          action: 'SCMP_ACT_ALLOW',
          args: [
            { index: 1, value: 1, op: 'SCMP_CMP_EQ' },
            { index: 1, value: 6, op: 'SCMP_CMP_EQ' },
          ],
        },
        {
          // conditions on two arguments: ANDed
          names: ['openat'],
          action: 'SCMP_ACT_TRAP',
          args: [
            { index: 0, value: 5, op: 'SCMP_CMP_EQ' },
            { index: 2, value: 0x40, valueTwo: 0x40, op: 'SCMP_CMP_MASKED_EQ' },
          ],
        },
        { names: ['getpid'], action: 'SCMP_ACT_KILL_PROCESS' },
        { names: ['gettid'], action: 'SCMP_ACT_LOG' },
        { names: ['bind', 'semget'], action: 'SCMP_ACT_ALLOW' }, // multiplexed on i386 (socketcall, ipc)
      ],
    };
    const ours = ranges(profile);
    expect(ours).toBeDefined();
    expect(
      firstDifference(decodeBpf(ours!), decodeBpf(libseccomp(profile)), [X86_64, I386], viewOf(profile)),
    ).toBeUndefined();
  });

  it('compares 32-bit arguments by their low words; a constant with a high word decides such a condition alone', () => {
    const profile: SeccompProfile = {
      defaultAction: 'SCMP_ACT_ERRNO',
      architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
      syscalls: [
        // socketcall allowed outright: i386's socket rules are moot (not modelled otherwise).
        { names: ['read', 'exit_group', 'socketcall'], action: 'SCMP_ACT_ALLOW' },
        // ORed: a family above 2^32 (never, as the kernel reads it), or type 1 and protocol below 7 (ANDed).
        { names: ['socket'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 0x100000000n, op: 'SCMP_CMP_GT' }] },
        {
          names: ['socket'],
          action: 'SCMP_ACT_ALLOW',
          args: [
            { index: 1, value: 1, op: 'SCMP_CMP_EQ' },
            { index: 2, value: 7, op: 'SCMP_CMP_LT' },
          ],
        },
        {
          names: ['personality'],
          action: 'SCMP_ACT_ALLOW',
          args: [{ index: 0, value: 0x100000005n, op: 'SCMP_CMP_LE' }],
        },
        {
          names: ['clone'],
          action: 'SCMP_ACT_ALLOW',
          args: [{ index: 0, value: 0xffffffff00000100n, valueTwo: 0x100000100n, op: 'SCMP_CMP_MASKED_EQ' }],
        },
        // A 64-bit argument (ioctl's arg) stays compared in 64 bits.
        { names: ['ioctl'], action: 'SCMP_ACT_ALLOW', args: [{ index: 2, value: 0x100000001n, op: 'SCMP_CMP_EQ' }] },
      ],
    };
    const ours = decodeBpf(ranges(profile)!);
    const reference = decodeBpf(libseccomp(profile));
    expect(firstDifference(ours, reference, [X86_64, I386], viewOf(profile))).toBeUndefined();
    expect(firstDifference(ours, reference, [X86_64, I386])).toBeDefined();
    const run = (nr: number, args: bigint[]) =>
      runSeccompBpf(ours, { nr, arch: X86_64, args: [...args, 0n, 0n, 0n, 0n, 0n].slice(0, 6) }).action;
    const high = 1n << 32n;
    expect(run(41, [high | 2n, 2n, 0n])).toBe(EPERM); // family 2, type 2: neither rule, as the kernel reads it
    expect(run(41, [2n, high | 1n, high | 6n])).toBe(ALLOW); // type 1, protocol 6
    expect(run(41, [2n, 1n, 7n])).toBe(EPERM);
    expect(run(135, [0xffffffffn])).toBe(ALLOW); // every unsigned int is at most 0x100000005
    expect(run(56, [high | 0x100n])).toBe(EPERM); // the wanted high word is never there
    expect(run(16, [0n, 0n, high | 1n])).toBe(ALLOW);
    expect(run(16, [0n, 0n, 1n])).toBe(EPERM);
  });

  it('catches a changed action, a changed argument constant and a missing x32 check (negative controls)', () => {
    const profile = runtimeDefaultProfile([...defaultCapabilities], 'x64');
    const reference = decodeBpf(libseccomp(profile));
    const ours = ranges(profile)!;
    const changed = (edit: (program: Buffer) => void) => {
      const copy = Buffer.from(ours);
      edit(copy);
      return firstDifference(decodeBpf(copy), reference, [X86_64, I386], viewOf(profile));
    };
    const find = (code: number, k: number) => decodeBpf(ours).findIndex((i) => i.code === code && i.k === k);
    // The first shared "ret ALLOW" of an ABI answering EPERM instead.
    expect(changed((p) => p.writeUInt32LE(0x00050001, find(0x06, 0x7fff0000) * 8 + 4))).toBeDefined();
    // socket(2)'s AF_VSOCK bound (40) moved by one.
    expect(changed((p) => p.writeUInt32LE(41, find(0x25, 40) * 8 + 4))).toBeDefined();
    // x32 calls sent down the x86_64 search: jset's bit cleared.
    expect(changed((p) => p.writeUInt32LE(0, find(0x45, 0x40000000) * 8 + 4))).toBeDefined();
    // 32-bit arguments compared in 64 bits (libseccomp's gap, no table): socket(AF_ALG | 1 << 32) let through.
    const wide = firstDifference(decodeBpf(ranges(profile, {})!), reference, [X86_64, I386], viewOf(profile));
    expect(wide).toMatchObject({ data: { nr: 41 }, first: ALLOW, second: EPERM });
  });

  it('catches a 64-bit argument compared by its low word only (a wrong table; negative control)', () => {
    const profile: SeccompProfile = {
      defaultAction: 'SCMP_ACT_ERRNO',
      architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
      syscalls: [
        { names: ['read', 'exit_group'], action: 'SCMP_ACT_ALLOW' },
        {
          names: ['ioctl'],
          action: 'SCMP_ACT_ALLOW',
          args: [{ index: 1, value: 0x1234567800000001n, op: 'SCMP_CMP_EQ' }],
        },
      ],
    };
    const wrong = ranges(profile, { ...kernelIntArguments, ioctl: [1] })!;
    const difference = firstDifference(
      decodeBpf(wrong),
      decodeBpf(libseccomp(profile)),
      [X86_64, I386],
      viewOf(profile),
    );
    // The value the rule allows: libseccomp's program allows it, the wrong one refuses it.
    expect(difference).toMatchObject({ data: { nr: 16, arch: X86_64 }, first: EPERM, second: ALLOW });
    expect(difference!.data.args[1]).toBe(0x1234567800000001n);
  });

  it('leaves what it does not model to libseccomp', () => {
    const base = { architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'] } as const;
    const denyList: SeccompProfile = {
      ...base,
      architectures: [...base.architectures],
      defaultAction: 'SCMP_ACT_ALLOW',
      syscalls: [{ names: ['keyctl'], action: 'SCMP_ACT_ERRNO' }],
    };
    const twoActions: SeccompProfile = {
      ...base,
      architectures: [...base.architectures],
      defaultAction: 'SCMP_ACT_ERRNO',
      syscalls: [
        { names: ['read'], action: 'SCMP_ACT_ALLOW' },
        { names: ['kill'], action: 'SCMP_ACT_ALLOW', args: [{ index: 1, value: 0, op: 'SCMP_CMP_EQ' }] },
        { names: ['kill'], action: 'SCMP_ACT_LOG', args: [{ index: 1, value: 9, op: 'SCMP_CMP_EQ' }] },
      ],
    };
    const noX32: SeccompProfile = {
      architectures: ['SCMP_ARCH_X86_64'],
      defaultAction: 'SCMP_ACT_ERRNO',
      syscalls: [{ names: ['read'], action: 'SCMP_ACT_ALLOW' }],
    };
    for (const profile of [denyList, twoActions, noX32]) {
      expect(ranges(profile)).toBeUndefined();
      const compiled = compileSeccomp(profile);
      expect(compiled.compiledBy).toBe('libseccomp');
      expect(compiled.bpf.equals(libseccomp(profile))).toBe(true);
    }
  });
});
