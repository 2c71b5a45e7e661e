// The classic-BPF interpreter that checks range-search seccomp filters against libseccomp's: loads, jumps and
// returns as the kernel runs them, the argument words a path read, and firstDifference finding the syscall on
// which two hand-made programs disagree (and none when they agree).
import { describe, expect, it } from 'vitest';
import { decodeBpf, firstDifference, runSeccompBpf } from '../../src/security/bpf-interpreter';

const X86_64 = 0xc000003e;
const ALLOW = 0x7fff0000;
const EPERM = 0x00050001;
const zero = [0n, 0n, 0n, 0n, 0n, 0n];

/** Assembles [code, jt, jf, k] tuples into a struct sock_filter[] buffer. */
function program(insns: Array<[number, number, number, number]>): Buffer {
  const out = Buffer.alloc(insns.length * 8);
  insns.forEach(([code, jt, jf, k], i) => {
    out.writeUInt16LE(code, i * 8);
    out[i * 8 + 2] = jt;
    out[i * 8 + 3] = jf;
    out.writeUInt32LE(k >>> 0, i * 8 + 4);
  });
  return out;
}

// Allow syscall 1 outright, syscall 2 when arg0 (64-bit) == 0x1_0000_0005, deny the rest; any other arch: kill.
const reference = program([
  [0x20, 0, 0, 4], // ld [arch]
  [0x15, 1, 0, X86_64], // jeq x86_64
  [0x06, 0, 0, 0], // ret KILL_THREAD
  [0x20, 0, 0, 0], // ld [nr]
  [0x15, 5, 0, 1], // jeq 1 → allow
  [0x15, 0, 5, 2], // jeq 2 → args, else deny
  [0x20, 0, 0, 20], // ld arg0 high
  [0x15, 0, 3, 1], // jeq 1
  [0x20, 0, 0, 16], // ld arg0 low
  [0x15, 0, 1, 5], // jeq 5
  [0x06, 0, 0, ALLOW],
  [0x06, 0, 0, EPERM],
]);

describe('runSeccompBpf', () => {
  const run = (nr: number, arg0 = 0n, arch = X86_64) =>
    runSeccompBpf(decodeBpf(reference), { nr, arch, args: [arg0, ...zero.slice(1)] });

  it('follows loads, jumps and returns as the kernel does', () => {
    expect(run(1).action).toBe(ALLOW);
    expect(run(3).action).toBe(EPERM);
    expect(run(1, 0n, 0x40000003).action).toBe(0); // another architecture
    expect(run(2, 0x100000005n).action).toBe(ALLOW);
    expect(run(2, 5n).action).toBe(EPERM); // the high word differs
    expect(run(2, 0x200000005n).action).toBe(EPERM);
  });

  it('says which arguments a path read and which constants they met', () => {
    expect(run(1).argsRead).toEqual([]);
    const verdict = run(2, 0x100000005n);
    expect(verdict.argsRead).toEqual([0]);
    expect(verdict.argConstants).toEqual({ low: [5], high: [1] });
  });

  it('refuses what it does not interpret instead of guessing', () => {
    expect(() => runSeccompBpf(decodeBpf(program([[0x94, 0, 0, 0]])), { nr: 0, arch: X86_64, args: zero })).toThrow(
      /opcode 0x94/,
    );
    expect(() => runSeccompBpf(decodeBpf(program([[0x20, 0, 0, 0]])), { nr: 0, arch: X86_64, args: zero })).toThrow(
      /past its end/,
    );
    expect(() => decodeBpf(Buffer.alloc(12))).toThrow(/whole 8-byte instructions/);
  });
});

describe('firstDifference', () => {
  it('finds none between a program and itself, nor a reordered equal one', () => {
    expect(firstDifference(decodeBpf(reference), decodeBpf(reference), [X86_64])).toBeUndefined();
    // The same verdicts with the number checks the other way round (jge instead of jeq chains).
    const reordered = program([
      [0x20, 0, 0, 4], // ld [arch]
      [0x15, 1, 0, X86_64],
      [0x06, 0, 0, 0],
      [0x20, 0, 0, 0], // ld [nr]
      [0x35, 7, 0, 3], // nr >= 3 → deny
      [0x35, 1, 0, 2], // nr >= 2 → args
      [0x35, 4, 5, 1], // nr >= 1 → allow, else deny
      [0x20, 0, 0, 16], // the low word first this time
      [0x15, 0, 3, 5],
      [0x20, 0, 0, 20],
      [0x15, 0, 1, 1],
      [0x06, 0, 0, ALLOW],
      [0x06, 0, 0, EPERM],
    ]);
    expect(firstDifference(decodeBpf(reordered), decodeBpf(reference), [X86_64])).toBeUndefined();
  });

  it('finds a syscall number that differs, a high argument word that differs, and another architecture', () => {
    const allowsFour = Buffer.from(reference);
    allowsFour.writeUInt32LE(4, 4 * 8 + 4); // jeq 4 instead of jeq 1
    expect(firstDifference(decodeBpf(allowsFour), decodeBpf(reference), [X86_64])?.data.nr).toBe(1);
    const lowOnly = Buffer.from(reference);
    lowOnly.writeUInt32LE(0, 7 * 8 + 4); // arg0's high word must be 0 instead of 1
    const diff = firstDifference(decodeBpf(lowOnly), decodeBpf(reference), [X86_64]);
    expect(diff?.data.nr).toBe(2);
    const arg0 = diff?.data.args[0] ?? 0n;
    expect(arg0 >> 32n === 0n || arg0 >> 32n === 1n).toBe(true); // found on the high word it checks
    const allowsOthers = Buffer.from(reference);
    allowsOthers.writeUInt32LE(ALLOW, 2 * 8 + 4); // an unknown architecture allowed
    expect(firstDifference(decodeBpf(allowsOthers), decodeBpf(reference), [X86_64])?.data.arch).not.toBe(X86_64);
  });
});
