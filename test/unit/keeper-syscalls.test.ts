// keeperDenied: a container's keeper runs under the container's seccomp filter, so a profile must allow what
// the keeper and its children do before their execve. Real filters compiled by the real compiler: containerd's
// RuntimeDefault allows all of it; a Localhost-style profile without `clone`, or one refusing the vfork flags
// the keeper uses, does not (those containers keep the joined spawn); other architectures never get a keeper.
import { describe, expect, it } from 'vitest';
import { defaultCapabilities } from '../../src/pod/security/capabilities';
import { keeperDenied, keeperSyscalls } from '../../src/security/keeper-syscalls';
import { compileSeccomp, runtimeDefaultProfile, type SeccompProfile } from '../../src/security/seccomp';

const runtimeDefault = () => runtimeDefaultProfile([...defaultCapabilities], 'x64');

/** The RuntimeDefault profile without some calls (their rules dropped where nothing else is left). */
function without(names: string[]): SeccompProfile {
  const profile = runtimeDefault();
  return {
    ...profile,
    syscalls: profile.syscalls
      .map((s) => ({ ...s, names: s.names.filter((n) => !names.includes(n)) }))
      .filter((s) => s.names.length > 0),
  };
}

describe('keeperDenied', () => {
  it("containerd's RuntimeDefault profile allows every call of the keeper", () => {
    expect(keeperDenied(compileSeccomp(runtimeDefault()).bpf, 'x64')).toEqual([]);
  });

  it('a profile without clone, or without recvmsg and execve, is named with the calls it refuses', () => {
    expect(keeperDenied(compileSeccomp(without(['clone'])).bpf, 'x64')).toEqual(['clone']);
    expect(keeperDenied(compileSeccomp(without(['recvmsg', 'execve'])).bpf, 'x64')).toEqual(['recvmsg', 'execve']);
  });

  it('a rule on clone that refuses CLONE_VFORK denies the keeper (the arguments it passes are checked)', () => {
    const noVfork: SeccompProfile = {
      ...runtimeDefault(),
      syscalls: [
        ...without(['clone']).syscalls,
        {
          names: ['clone'],
          action: 'SCMP_ACT_ALLOW',
          args: [{ index: 0, value: 0x4000, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }],
        },
      ],
    };
    // The rule allows clone only when CLONE_VFORK (0x4000) is clear: fork() passes, the keeper's clone does not.
    expect(keeperDenied(compileSeccomp(noVfork).bpf, 'x64')).toEqual(['clone']);
  });

  it('off x86-64 there is no keeper (the calls are checked by x86-64 numbers)', () => {
    expect(keeperDenied(compileSeccomp(runtimeDefault()).bpf, 'arm64')).toEqual(['arch']);
    expect(keeperSyscalls.map((s) => s.name)).toContain('execve');
  });
});
