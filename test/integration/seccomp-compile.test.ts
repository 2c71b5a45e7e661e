// compileSeccomp on the real libseccomp (Debian 2.5.4): containerd's default profile for its 14 default
// capabilities becomes a BPF program with the ENOSYS stub in front (then the shorter range search shown to
// give the same verdicts, seccomp-ranges.test.ts), the names this libseccomp does not know
// are reported, a second compile of the same profile is the cached filter, and bad input names the rule.
// The program is then loaded for real (seccomp(2) from python3's ctypes in a child, before it execs perl)
// to check what the stub and the rules answer, with the same probe unfiltered as the negative control.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import {
  compileSeccomp,
  libseccompProgram,
  runtimeDefaultProfile,
  type SeccompProfile,
} from '../../src/security/seccomp';

/** containerd's oci.DefaultCapabilities (src/pod/security/capabilities.ts). */
const defaultCaps = [...defaultCapabilities];

const BPF_RET_K = 0x06;
const BPF_LD_W_ABS = 0x20;
const RET_ERRNO_ENOSYS = 0x00050000 | 38;

interface Insn {
  code: number;
  jt: number;
  jf: number;
  k: number;
}
function instructions(bpf: Buffer): Insn[] {
  const out: Insn[] = [];
  for (let at = 0; at < bpf.length; at += 8)
    out.push({ code: bpf.readUInt16LE(at), jt: bpf[at + 2]!, jf: bpf[at + 3]!, k: bpf.readUInt32LE(at + 4) });
  return out;
}

/** Loads the program from stdin with no_new_privs + seccomp(SET_MODE_FILTER), then execs argv. */
const loader = `
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
data = sys.stdin.buffer.read()
class Prog(ctypes.Structure):
    _fields_ = [('len', ctypes.c_ushort), ('filter', ctypes.c_void_p)]
buf = ctypes.create_string_buffer(data, len(data))
prog = Prog(len(data) // 8, ctypes.cast(buf, ctypes.c_void_p))
if libc.prctl(38, 1, 0, 0, 0) != 0 or libc.syscall(317, 1, 0, ctypes.byref(prog)) != 0:
    sys.exit('seccomp: errno %d' % ctypes.get_errno())
os.execv(sys.argv[1], sys.argv[1:])
`;
import { defaultCapabilities } from '../../src/pod/security/capabilities';

/** errno of raw syscalls: 462 mseal (kernel 6.10, unknown to libseccomp 2.5.4), 250 keyctl, 435 clone3, 39 getpid. */
const probe =
  'my $p = "/x"; for my $nr (462, 250, 435, 39) { $! = 0; syscall($nr, 0, 0, 0, 0); print "$nr=", 0 + $!, "\\n" }';

/**
 * errno of argument-checked and x32 calls: socket(AF_VSOCK), socket(AF_INET), socket(AF_ALG), personality(query),
 * personality(ADDR_NO_RANDOMIZE), clone(CLONE_NEWUSER) (a child exits at once when it is allowed), x32 getpid
 * and x32 keyctl (bit 30 set: the filter's x32 branch; the kernel itself may not run x32 calls).
 */
const argumentProbe = [
  'my @calls = (["vsock", 41, 40, 1, 0], ["inet", 41, 2, 2, 0], ["alg", 41, 38, 5, 0], ["query", 135, 0xffffffff],',
  ' ["norandom", 135, 0x0040000], ["newuser", 56, 0x10000000 | 17, 0, 0, 0, 0], ["x32getpid", 0x40000027],',
  ' ["x32keyctl", 0x400000fa, 0, 0, 0]);',
  'for my $c (@calls) { my ($name, $nr, @a) = @$c; $! = 0; my $r = syscall($nr, @a);',
  ' exit 0 if $r == 0 && $name eq "newuser";',
  ' print "$name=", ($r < 0 ? 0 + $! : 0), "\n" }',
].join('\n');

function runProbe(bpf: Buffer | null, script = probe): Record<string, number> {
  const result =
    bpf === null
      ? spawnSync('/usr/bin/perl', ['-e', script], { encoding: 'utf8' })
      : spawnSync('/usr/bin/python3', ['-c', loader, '/usr/bin/perl', '-e', script], { input: bpf, encoding: 'utf8' });
  expect(result.stderr).toBe('');
  expect(result.status).toBe(0);
  return Object.fromEntries(
    result.stdout
      .trim()
      .split('\n')
      .map((l) => l.split('=').map(String) as [string, string])
      .map(([nr, err]) => [nr, Number(err)]),
  );
}

describe('compileSeccomp', () => {
  it("compiles containerd's default profile (14 caps): libseccomp's program with the ENOSYS stub in front", () => {
    const profile = runtimeDefaultProfile(defaultCaps, 'x64');
    // libseccomp's build, straight from the addon (compileSeccomp then uses the range search, see below).
    const bpf = libseccompProgram(profile);
    expect(bpf.length % 8).toBe(0);
    const program = instructions(bpf);
    expect(program.length).toBeGreaterThan(300);
    expect(program.length).toBeLessThanOrEqual(4096); // BPF_MAXINSNS
    expect(program[0]).toEqual({ code: BPF_LD_W_ABS, jt: 0, jf: 0, k: 4 }); // ld [arch]
    const enosys = program.findIndex((i) => i.code === BPF_RET_K && i.k === RET_ERRNO_ENOSYS);
    expect(enosys).toBeGreaterThan(0);
    expect(enosys).toBeLessThan(16);
    // After the stub, libseccomp's own program starts again with ld [arch].
    expect(program[enosys + 1]).toEqual({ code: BPF_LD_W_ABS, jt: 0, jf: 0, k: 4 });
  });

  it('uses the range search of the same profile: a third of the instructions, the same verdicts', () => {
    const filter = compileSeccomp(runtimeDefaultProfile(defaultCaps, 'x64'));
    expect(filter.compiledBy).toBe('ranges');
    const program = instructions(filter.bpf);
    expect(program.length).toBeLessThan(420);
    expect(program[0]).toEqual({ code: BPF_LD_W_ABS, jt: 0, jf: 0, k: 4 }); // ld [arch]
    expect(program.some((i) => i.code === BPF_RET_K && i.k === RET_ERRNO_ENOSYS)).toBe(true);
    // Equivalence with libseccomp's program: test/integration/seccomp-ranges.test.ts; loaded for real below.
  });

  it('reports the names libseccomp 2.5.4 does not know, and only those', () => {
    const filter = compileSeccomp(runtimeDefaultProfile(defaultCaps, 'x64'));
    expect([...filter.unknownSyscalls].sort()).toEqual([
      'getxattrat',
      'listmount',
      'listxattrat',
      'lsm_get_self_attr',
      'lsm_list_modules',
      'lsm_set_self_attr',
      'mseal',
      'removexattrat',
      'setxattrat',
      'statmount',
      'uretprobe',
    ]);
  });

  it('returns the cached filter for the same profile content, a new one for another', () => {
    const first = compileSeccomp(runtimeDefaultProfile(defaultCaps, 'x64'));
    const again = compileSeccomp(runtimeDefaultProfile([...defaultCaps], 'x64')); // equal, not the same object
    expect(again).toBe(first);
    const admin = compileSeccomp(runtimeDefaultProfile([...defaultCaps, 'CAP_SYS_ADMIN'], 'x64'));
    expect(admin).not.toBe(first);
    expect(admin.bpf.equals(first.bpf)).toBe(false);
    expect(Object.isFrozen(first)).toBe(true);
  });

  it('keeps 64-bit argument values (bigint) exact', () => {
    const profile = (value: bigint | number): SeccompProfile => ({
      defaultAction: 'SCMP_ACT_ALLOW',
      architectures: ['SCMP_ARCH_X86_64'],
      syscalls: [{ names: ['ioctl'], action: 'SCMP_ACT_ERRNO', args: [{ index: 1, value, op: 'SCMP_CMP_EQ' }] }],
    });
    const big = instructions(compileSeccomp(profile(0x1234567800000001n)).bpf);
    const small = instructions(compileSeccomp(profile(1)).bpf);
    // The high word is compared separately: 0x12345678 appears only in the 64-bit one (a number would have
    // lost its low bits above 2^53; a bigint is passed to the addon as is).
    expect(big.some((i) => i.k === 0x12345678)).toBe(true);
    expect(small.some((i) => i.k === 0x12345678)).toBe(false);
    expect(big.some((i) => i.k === 1)).toBe(true);
  });

  it('puts no ENOSYS stub in front of a deny-list profile (new syscalls stay allowed)', () => {
    const filter = compileSeccomp({
      defaultAction: 'SCMP_ACT_ALLOW',
      architectures: ['SCMP_ARCH_X86_64'],
      syscalls: [{ names: ['keyctl'], action: 'SCMP_ACT_ERRNO' }],
    });
    expect(instructions(filter.bpf).some((i) => i.code === BPF_RET_K && i.k === RET_ERRNO_ENOSYS)).toBe(false);
  });

  it('refuses bad input with a message naming the rule', () => {
    const base: SeccompProfile = { defaultAction: 'SCMP_ACT_ERRNO', architectures: [], syscalls: [] };
    const bad = (patch: object) => () => compileSeccomp({ ...base, ...patch } as SeccompProfile);
    expect(
      bad({
        syscalls: [
          { names: ['read'], action: 'SCMP_ACT_ALLOW' },
          { names: ['kill'], action: 'SCMP_ACT_BOGUS' },
        ],
      }),
    ).toThrow('seccomp profile: syscalls[1].action: unknown action "SCMP_ACT_BOGUS"; expected one of SCMP_ACT_ALLOW,');
    expect(bad({ defaultAction: 'ALLOW' })).toThrow('seccomp profile: defaultAction: unknown action "ALLOW"');
    expect(
      bad({ syscalls: [{ names: ['kill'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 1, op: 'EQ' }] }] }),
    ).toThrow('seccomp profile: syscalls[0].args[0].op: unknown operator "EQ"');
    expect(bad({ architectures: ['SCMP_ARCH_VAX'] })).toThrow(
      'seccomp profile: architectures[0]: unknown architecture "SCMP_ARCH_VAX"',
    );
  });

  it('skips names libseccomp does not know instead of failing', () => {
    const filter = compileSeccomp({
      defaultAction: 'SCMP_ACT_ERRNO',
      architectures: [],
      syscalls: [{ names: ['read', 'no_such_syscall', 'exit_group'], action: 'SCMP_ACT_ALLOW' }],
    });
    expect(filter.unknownSyscalls).toEqual(['no_such_syscall']);
  });

  it('loaded in a real process: ENOSYS above the highest syscall and for clone3, EPERM for the denied', () => {
    const filtered = runProbe(compileSeccomp(runtimeDefaultProfile(defaultCaps, 'x64')).bpf);
    expect(filtered).toEqual({ '462': 38, '250': 1, '435': 38, '39': 0 });
    // Negative control, no filter: mseal exists (not ENOSYS), keyctl(0) is EOPNOTSUPP, clone3 with a null
    // argument EFAULT-or-EINVAL: none of the answers above comes from the kernel itself.
    const plain = runProbe(null);
    expect(plain['462']).not.toBe(38);
    expect(plain['250']).not.toBe(1);
    expect(plain['435']).not.toBe(38);
  });

  it("loaded in a real process: the argument rules and the x32 branch answer as libseccomp's program does", () => {
    const profile = runtimeDefaultProfile(defaultCaps, 'x64');
    const ranges = compileSeccomp(profile);
    expect(ranges.compiledBy).toBe('ranges');
    const reference = libseccompProgram(profile);
    const ours = runProbe(ranges.bpf, argumentProbe);
    expect(ours).toEqual(runProbe(reference, argumentProbe));
    expect(ours).toMatchObject({ vsock: 1, inet: 0, alg: 1, query: 0, norandom: 1, newuser: 1, x32keyctl: 1 });
    // Negative control, no filter: the same calls get other answers from the kernel.
    const plain = runProbe(null, argumentProbe);
    expect(plain.norandom).toBe(0);
    expect(plain.x32keyctl).not.toBe(1);
    expect(plain.alg).not.toBe(1);
  });
});
