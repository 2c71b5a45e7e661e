// kernelView: what the check against libseccomp's program gives that program — the high words of the arguments
// the kernel reads as 32 bits cleared, on 64-bit ABIs only, for the syscalls of the table only.
import { describe, expect, it } from 'vitest';
import { kernelIntArguments, kernelView } from '../../src/security/seccomp-int-args';

const X86_64 = { token: 0xc000003e, audit: 0xc000003e };
const X32 = { token: 0x4000003e, audit: 0xc000003e };
const I386 = { token: 0x40000003, audit: 0x40000003 };
const high = 0x500000000n;

describe('kernelView', () => {
  // socket, personality, ioctl: x86-64, x32 (bit 30) and i386 numbers.
  const names = ['socket', 'personality', 'ioctl'];
  const resolved = {
    arches: [X86_64, X32, I386],
    numbers: [
      [41, 135, 16],
      [0x40000000 + 41, 0x40000000 + 135, 0x40000000 + 514],
      [-101, 136, 54],
    ],
  };
  const view = kernelView(resolved, names);
  const args = [high | 40n, high | 1n, high | 2n, high | 3n, 0n, 0n];

  it("clears the high words of socket's three arguments and personality's one on x86-64", () => {
    expect(view({ nr: 41, arch: X86_64.audit, args }).args).toEqual([40n, 1n, 2n, high | 3n, 0n, 0n]);
    expect(view({ nr: 135, arch: X86_64.audit, args }).args).toEqual([40n, ...args.slice(1)]);
  });

  it('leaves 64-bit arguments, 32-bit ABIs (whose filters read low words only) and other syscalls alone', () => {
    for (const data of [
      { nr: 16, arch: X86_64.audit, args }, // ioctl: not in the table
      { nr: 0x40000000 + 41, arch: X86_64.audit, args }, // x32 socket
      { nr: 136, arch: I386.audit, args }, // i386 personality
    ])
      expect(view(data)).toEqual(data);
  });

  it('names what the kernel reads as 32 bits in the default profile: socket, personality, clone', () => {
    expect(kernelIntArguments).toEqual({ socket: [0, 1, 2], personality: [0], clone: [0] });
  });
});
