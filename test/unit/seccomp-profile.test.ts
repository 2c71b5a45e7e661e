// The seccomp profiles as data: containerd's RuntimeDefault for a capability set (gating, argument rules),
// Docker/OCI profile files (archMap, includes/excludes, 64-bit values) and their error messages, and the
// kubelet's Localhost path rule.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runtimeDefaultProfile } from '../../src/security/seccomp-default';
import { loadLocalhostProfile, parseSeccompProfile, SeccompProfileError } from '../../src/security/seccomp-parse';
import type { SeccompProfile, SeccompSyscall } from '../../src/security/seccomp-types';
import { defaultCapabilities } from '../../src/pod/security/capabilities';

/** containerd's oci.DefaultCapabilities (src/pod/security/capabilities.ts). */
const defaultCaps = [...defaultCapabilities];

/** Rules naming this syscall. */
const rulesFor = (profile: SeccompProfile, name: string): SeccompSyscall[] =>
  profile.syscalls.filter((r) => r.names.includes(name));
/** Allowed whatever its arguments. */
const allowedOutright = (profile: SeccompProfile, name: string): boolean =>
  rulesFor(profile, name).some((r) => r.action === 'SCMP_ACT_ALLOW' && (r.args ?? []).length === 0);

describe('runtimeDefaultProfile', () => {
  const profile = runtimeDefaultProfile(defaultCaps, 'x64');

  it('denies by default with EPERM, on x86_64 with its x86 and x32 ABIs', () => {
    expect(profile.defaultAction).toBe('SCMP_ACT_ERRNO');
    expect(profile.defaultErrnoRet).toBeUndefined(); // EPERM
    expect(profile.architectures).toEqual(['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32']);
    expect(runtimeDefaultProfile(defaultCaps, 'arm64').architectures).toEqual(['SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM']);
    expect(() => runtimeDefaultProfile(defaultCaps, 'riscv64')).toThrow(/architecture riscv64 is not supported/);
  });

  it('allows the ordinary syscalls and the architecture extras', () => {
    for (const name of ['read', 'openat', 'execve', 'futex', 'rseq', 'pidfd_open', 'landlock_create_ruleset', 'mseal'])
      expect(allowedOutright(profile, name), name).toBe(true);
    expect(allowedOutright(profile, 'arch_prctl')).toBe(true);
    expect(allowedOutright(runtimeDefaultProfile(defaultCaps, 'arm64'), 'arch_prctl')).toBe(false);
    expect(allowedOutright(runtimeDefaultProfile(defaultCaps, 'arm64'), 'set_tls')).toBe(true);
    expect(allowedOutright(profile, 'ptrace')).toBe(true); // kernel >= 4.8
  });

  it('has no rule at all for the dangerous ones without their capability', () => {
    for (const name of [
      'mount',
      'umount2',
      'unshare',
      'setns',
      'bpf',
      'perf_event_open',
      'keyctl',
      'add_key',
      'userfaultfd',
      'io_uring_setup',
      'kexec_load',
      'init_module',
      'reboot',
      'open_by_handle_at',
      'clock_settime',
      'acct',
      'pidfd_getfd',
      'syslog',
    ])
      expect(rulesFor(profile, name), name).toEqual([]);
  });

  it('allows socket for every family but AF_ALG (38) and AF_VSOCK (40), as three ORed rules', () => {
    const socket = rulesFor(profile, 'socket');
    expect(socket.map((r) => r.args)).toEqual([
      [{ index: 0, value: 38, op: 'SCMP_CMP_LT' }],
      [{ index: 0, value: 39, op: 'SCMP_CMP_EQ' }],
      [{ index: 0, value: 40, op: 'SCMP_CMP_GT' }],
    ]);
    expect(socket.every((r) => r.action === 'SCMP_ACT_ALLOW' && r.names.length === 1)).toBe(true);
    expect(allowedOutright(profile, 'socketcall')).toBe(true); // 32-bit x86 cannot be inspected
  });

  it('allows only the five personality values', () => {
    const values = rulesFor(profile, 'personality').map((r) => {
      expect(r.args).toHaveLength(1);
      expect(r.args?.[0]?.op).toBe('SCMP_CMP_EQ');
      return r.args?.[0]?.value;
    });
    expect(values).toEqual([0x0, 0x8, 0x20000, 0x20008, 0xffffffff]);
  });

  it('without CAP_SYS_ADMIN: clone only without namespace flags, clone3 answers ENOSYS', () => {
    expect(rulesFor(profile, 'clone')).toEqual([
      {
        names: ['clone'],
        action: 'SCMP_ACT_ALLOW',
        args: [{ index: 0, value: 0x7e020000, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }],
      },
    ]);
    expect(rulesFor(profile, 'clone3')).toEqual([{ names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: 38 }]);
  });

  it('with CAP_SYS_ADMIN: mount, unshare, setns, clone and clone3 outright, no clone flag rule', () => {
    const admin = runtimeDefaultProfile([...defaultCaps, 'CAP_SYS_ADMIN'], 'x64');
    for (const name of ['mount', 'umount2', 'unshare', 'setns', 'clone', 'clone3', 'fsopen', 'move_mount', 'bpf'])
      expect(allowedOutright(admin, name), name).toBe(true);
    expect(rulesFor(admin, 'clone').some((r) => r.args !== undefined)).toBe(false);
    expect(rulesFor(admin, 'clone3').some((r) => r.action === 'SCMP_ACT_ERRNO')).toBe(false);
  });

  it('gates each syscall group on its capability in the bounding set', () => {
    const cases: Array<[string, string[]]> = [
      ['CAP_SYS_PTRACE', ['kcmp', 'pidfd_getfd', 'process_madvise']],
      ['CAP_SYS_MODULE', ['init_module', 'finit_module', 'delete_module']],
      ['CAP_SYS_TIME', ['settimeofday', 'clock_settime']],
      ['CAP_SYS_BOOT', ['reboot']],
      ['CAP_DAC_READ_SEARCH', ['open_by_handle_at']],
      ['CAP_SYS_NICE', ['mbind', 'set_mempolicy']],
      ['CAP_BPF', ['bpf']],
      ['CAP_PERFMON', ['perf_event_open']],
      ['CAP_SYSLOG', ['syslog']],
    ];
    for (const [cap, names] of cases) {
      const withCap = runtimeDefaultProfile([cap], 'x64');
      for (const name of names) {
        expect(allowedOutright(withCap, name), `${cap} ${name}`).toBe(true);
        expect(allowedOutright(profile, name), `default ${name}`).toBe(false);
      }
    }
    // chroot is in containerd's default set; without CAP_SYS_CHROOT it is gone.
    expect(allowedOutright(profile, 'chroot')).toBe(true);
    expect(allowedOutright(runtimeDefaultProfile(['CAP_CHOWN'], 'x64'), 'chroot')).toBe(false);
  });
});

describe('parseSeccompProfile', () => {
  const conditions = { capabilities: ['CAP_CHOWN'], arch: 'x64', kernelRelease: '6.18.0-1-amd64' };
  const parse = (json: object | string, c: Parameters<typeof parseSeccompProfile>[2] = conditions) =>
    parseSeccompProfile(typeof json === 'string' ? json : JSON.stringify(json), '/p/profile.json', c);

  it('reads an OCI profile as is', () => {
    const profile = parse({
      defaultAction: 'SCMP_ACT_ERRNO',
      defaultErrnoRet: 38,
      architectures: ['SCMP_ARCH_X86_64'],
      syscalls: [
        { names: ['read', 'write'], action: 'SCMP_ACT_ALLOW' },
        { names: ['kill'], action: 'SCMP_ACT_ERRNO', errnoRet: 1, args: [{ index: 1, value: 9, op: 'SCMP_CMP_EQ' }] },
      ],
    });
    expect(profile).toEqual({
      defaultAction: 'SCMP_ACT_ERRNO',
      defaultErrnoRet: 38,
      architectures: ['SCMP_ARCH_X86_64'],
      syscalls: [
        { names: ['read', 'write'], action: 'SCMP_ACT_ALLOW' },
        { names: ['kill'], action: 'SCMP_ACT_ERRNO', errnoRet: 1, args: [{ index: 1, value: 9, op: 'SCMP_CMP_EQ' }] },
      ],
    });
  });

  it("takes Docker's archMap entry of this host and its old single 'name'", () => {
    const docker = {
      defaultAction: 'SCMP_ACT_ERRNO',
      archMap: [
        { architecture: 'SCMP_ARCH_AARCH64', subArchitectures: ['SCMP_ARCH_ARM'] },
        { architecture: 'SCMP_ARCH_X86_64', subArchitectures: ['SCMP_ARCH_X86', 'SCMP_ARCH_X32'] },
      ],
      syscalls: [{ name: 'read', action: 'SCMP_ACT_ALLOW', comment: 'old form' }],
    };
    expect(parse(docker).architectures).toEqual(['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32']);
    expect(parse(docker, { ...conditions, arch: 'arm64' }).architectures).toEqual([
      'SCMP_ARCH_AARCH64',
      'SCMP_ARCH_ARM',
    ]);
    expect(parse(docker).syscalls).toEqual([{ names: ['read'], action: 'SCMP_ACT_ALLOW' }]);
  });

  it('resolves includes (caps all held, arch, minKernel) and excludes (any cap held, arch)', () => {
    const rule = (name: string, extra: object) => ({ names: [name], action: 'SCMP_ACT_ALLOW', ...extra });
    const profile = parse({
      defaultAction: 'SCMP_ACT_ERRNO',
      syscalls: [
        rule('has-chown', { includes: { caps: ['CAP_CHOWN'] } }),
        rule('needs-admin-too', { includes: { caps: ['CAP_CHOWN', 'CAP_SYS_ADMIN'] } }),
        rule('amd64-only', { includes: { arches: ['amd64', 'x32'] } }),
        rule('arm64-only', { includes: { arches: ['arm64'] } }),
        rule('new-kernel', { includes: { minKernel: '6.18' } }),
        rule('newer-kernel', { includes: { minKernel: '6.19' } }),
        rule('not-with-chown', { excludes: { caps: ['CAP_CHOWN'] } }),
        rule('not-with-admin', { excludes: { caps: ['CAP_SYS_ADMIN'] } }),
        rule('not-on-amd64', { excludes: { arches: ['amd64'] } }),
      ],
    });
    expect(profile.syscalls.map((r) => r.names[0])).toEqual([
      'has-chown',
      'amd64-only',
      'new-kernel',
      'not-with-admin',
    ]);
  });

  it('keeps 64-bit values exact (above 2^53 as bigint)', () => {
    const text =
      '{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["ioctl"],"action":"SCMP_ACT_ERRNO",' +
      '"args":[{"index":1,"value":18446744073709551615,"valueTwo":9007199254740993,"op":"SCMP_CMP_MASKED_EQ"}]}]}';
    expect(parse(text).syscalls[0]?.args).toEqual([
      { index: 1, value: 0xffffffffffffffffn, valueTwo: 9007199254740993n, op: 'SCMP_CMP_MASKED_EQ' },
    ]);
  });

  it('says which file, which field and what was expected', () => {
    const cases: Array<[unknown, RegExp]> = [
      ['{not json', /^seccomp profile \/p\/profile\.json: not valid JSON/],
      [{ syscalls: [] }, /^seccomp profile \/p\/profile\.json: defaultAction: required/],
      [
        { defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ names: ['read'], action: 'SCMP_ACT_BOGUS' }] },
        /syscalls\[0\]\.action: unsupported value "SCMP_ACT_BOGUS"; expected one of SCMP_ACT_ALLOW, /,
      ],
      [
        { defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ names: ['read'], action: 'SCMP_ACT_NOTIFY' }] },
        /syscalls\[0\]\.action: SCMP_ACT_NOTIFY .* not supported/,
      ],
      [{ defaultAction: 'SCMP_ACT_ERRNO', sycalls: [] }, /: sycalls: unknown field; expected one of defaultAction, /],
      [
        {
          defaultAction: 'SCMP_ACT_ERRNO',
          syscalls: [{ names: ['kill'], action: 'SCMP_ACT_ALLOW', args: [{ index: 6, value: 1, op: 'SCMP_CMP_EQ' }] }],
        },
        /syscalls\[0\]\.args\[0\]\.index: expected an argument index from 0 to 5/,
      ],
      [
        {
          defaultAction: 'SCMP_ACT_ERRNO',
          syscalls: [{ names: ['kill'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: -1, op: 'SCMP_CMP_EQ' }] }],
        },
        /syscalls\[0\]\.args\[0\]\.value: expected an integer from 0 to 2\^64-1/,
      ],
      [
        { defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ name: 'a', names: ['b'], action: 'SCMP_ACT_ALLOW' }] },
        /syscalls\[0\]: 'name' and 'names' were both given/,
      ],
      [
        { defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ names: [], action: 'SCMP_ACT_ALLOW' }] },
        /syscalls\[0\]\.names: expected at least one syscall name/,
      ],
      [
        { defaultAction: 'SCMP_ACT_ERRNO', architectures: ['SCMP_ARCH_X86_64'], archMap: [] },
        /archMap: 'architectures' and 'archMap' were both given/,
      ],
      [
        { defaultAction: 'SCMP_ACT_ERRNO', architectures: ['x86_64'] },
        /architectures\[0\]: unsupported value "x86_64"; expected one of SCMP_ARCH_X86, /,
      ],
      [
        {
          defaultAction: 'SCMP_ACT_ERRNO',
          syscalls: [{ names: ['a'], action: 'SCMP_ACT_ALLOW', includes: { kernel: 1 } }],
        },
        /syscalls\[0\]\.includes\.kernel: unknown field/,
      ],
      [{ defaultAction: 'SCMP_ACT_ERRNO', flags: ['SECCOMP_FILTER_FLAG_LOG'] }, /flags: .* not supported/],
      [{ defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: 'EPERM' }, /defaultErrnoRet: expected an errno number/],
    ];
    for (const [input, message] of cases) {
      let error: unknown;
      try {
        parse(input as object | string);
      } catch (e) {
        error = e;
      }
      expect(error, String(message)).toBeInstanceOf(SeccompProfileError);
      expect((error as Error).message).toMatch(message);
    }
  });
});

describe('loadLocalhostProfile', () => {
  let root: string;
  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'seccomp-root-'));
  });
  afterEach(() => {
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('reads <root>/<name>, nested names included', () => {
    fs.mkdirSync(path.join(root, 'profiles'));
    fs.writeFileSync(
      path.join(root, 'profiles', 'audit.json'),
      JSON.stringify({ defaultAction: 'SCMP_ACT_LOG', syscalls: [{ names: ['kill'], action: 'SCMP_ACT_ERRNO' }] }),
    );
    expect(loadLocalhostProfile(root, 'profiles/audit.json', [])).toEqual({
      defaultAction: 'SCMP_ACT_LOG',
      architectures: [],
      syscalls: [{ names: ['kill'], action: 'SCMP_ACT_ERRNO' }],
    });
  });

  it('refuses names that leave the root, an empty name, and says when the file is missing', () => {
    expect(() => loadLocalhostProfile(root, '../etc/passwd', [])).toThrow(/localhostProfile: must not contain '\.\.'/);
    expect(() => loadLocalhostProfile(root, 'a/../../b.json', [])).toThrow(/must not contain '\.\.'/);
    expect(() => loadLocalhostProfile(root, '/etc/profile.json', [])).toThrow(/must be a relative path/);
    expect(() => loadLocalhostProfile(root, '', [])).toThrow(
      'localhostProfile must be set if seccompProfile type is Localhost.',
    );
    expect(() => loadLocalhostProfile(root, 'missing.json', [])).toThrow(
      `seccomp profile ${path.join(root, 'missing.json')}: cannot load it: ENOENT`,
    );
  });
});
