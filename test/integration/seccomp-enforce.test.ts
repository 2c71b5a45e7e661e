// The RuntimeDefault filter loaded by spawn({ seccomp }) in real processes: the kernel reports the filter,
// unshare and mount are refused with EPERM, a syscall newer than the filter gets ENOSYS, clone3 gets ENOSYS
// while threads (glibc falls back to clone) and background jobs still start. Every check runs once more
// without the filter as the negative control. Programs: busybox-static, perl (perl-base, in every Debian) and
// python3 for threads.
import { describe, expect, it } from 'vitest';
import { spawn, type SpawnOptions } from '../../src/process/spawn';
import { compileSeccomp, runtimeDefaultProfile, type SeccompFilter } from '../../src/security/seccomp';
import { privilegeSkipReason, titled } from '../helpers/privileges';
import { readAll } from '../helpers/wait';
import { defaultCapabilities } from '../../src/pod/security/capabilities';

const reason = privilegeSkipReason();

/** containerd's oci.DefaultCapabilities (src/pod/security/capabilities.ts). */
const defaultCaps = [...defaultCapabilities];

/** errno of raw syscalls: 462 mseal (kernel 6.10, above the highest number libseccomp 2.5.4 knows), 435 clone3. */
const probe = 'for my $nr (462, 435) { $! = 0; syscall($nr, 0, 0, 0, 0); print "$nr=", 0 + $!, "\\n" }';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a program to its end, with the filter or (null) without it. */
async function run(
  filter: SeccompFilter | null,
  file: string,
  args: string[],
  extra: Partial<SpawnOptions> = {},
): Promise<Run> {
  const options: SpawnOptions = { file, args, stdio: ['ignore', 'pipe', 'pipe'], ...extra };
  const proc = spawn(filter === null ? options : { ...options, seccomp: filter });
  const [stdout, stderr, status] = await Promise.all([readAll(proc.stdout), readAll(proc.stderr), proc.exited]);
  return { code: status.exitCode, stdout, stderr };
}

describe.skipIf(reason)(titled('seccomp enforced by spawn', reason), () => {
  const filter = compileSeccomp(runtimeDefaultProfile(defaultCaps));

  it('the kernel reports a filter (Seccomp: 2); none without it', async () => {
    const status = ['-c', 'grep -E "^Seccomp(_filters)?:" /proc/self/status'];
    const filtered = await run(filter, '/bin/busybox', ['sh', ...status]);
    expect(filtered.stdout).toMatch(/^Seccomp:\s+2$/m);
    expect(filtered.stdout).toMatch(/^Seccomp_filters:\s+1$/m);
    expect((await run(null, '/bin/busybox', ['sh', ...status])).stdout).toMatch(/^Seccomp:\s+0$/m);
  });

  it('the setup after the filter still works: with no_new_privs, and without it across a uid change', async () => {
    const caps = {
      bounding: defaultCaps,
      permitted: defaultCaps,
      effective: defaultCaps,
      inheritable: [],
      ambient: [],
    };
    const status = ['sh', '-c', 'grep -E "^(Seccomp|NoNewPrivs|Uid):" /proc/self/status'];
    // no_new_privs: the filter is loaded last, just before execve.
    const nnp = await run(filter, '/bin/busybox', status, { noNewPrivileges: true, capabilities: caps });
    expect(nnp.code).toBe(0);
    expect(nnp.stdout).toMatch(/^NoNewPrivs:\s+1$/m);
    expect(nnp.stdout).toMatch(/^Seccomp:\s+2$/m);
    // Without it the filter goes in before setgroups/setresuid/capset, which it must then allow.
    const user = await run(filter, '/bin/busybox', status, { uid: 1000, gid: 1000, capabilities: caps });
    expect(user.code).toBe(0);
    expect(user.stdout).toMatch(/^Uid:\s+1000\s+1000\s+1000\s+1000$/m);
    expect(user.stdout).toMatch(/^NoNewPrivs:\s+0$/m);
    expect(user.stdout).toMatch(/^Seccomp:\s+2$/m);
  });

  it('unshare of a user namespace is refused with EPERM', async () => {
    const filtered = await run(filter, '/bin/busybox', ['unshare', '-U', 'true']);
    expect(filtered.code).not.toBe(0);
    expect(filtered.stderr).toMatch(/Operation not permitted/);
    const control = await run(null, '/bin/busybox', ['unshare', '-U', 'true']);
    expect(control).toEqual({ code: 0, stdout: '', stderr: '' });
  });

  it('mount is refused with EPERM, even as root in its own mount namespace', async () => {
    // mount(2) itself (165 on x86_64), to see its errno rather than a tool's wording.
    const mount =
      'my ($s, $t, $f) = ("none", "/mnt", "tmpfs"); $! = 0; syscall(165, $s, $t, $f, 0, 0); print 0 + $!, "\\n"';
    const filtered = await run(filter, '/usr/bin/perl', ['-e', mount], { newNamespaces: ['mnt'] });
    expect(filtered).toEqual({ code: 0, stdout: '1\n', stderr: '' }); // EPERM
    const control = await run(null, '/usr/bin/perl', ['-e', mount], { newNamespaces: ['mnt'] });
    expect(control).toEqual({ code: 0, stdout: '0\n', stderr: '' });
  });

  it('a syscall above the filter’s highest and clone3 get ENOSYS', async () => {
    const filtered = await run(filter, '/usr/bin/perl', ['-e', probe]);
    expect(filtered).toEqual({ code: 0, stdout: '462=38\n435=38\n', stderr: '' });
    // Without the filter the kernel has both: neither answer is ENOSYS (38).
    const control = await run(null, '/usr/bin/perl', ['-e', probe]);
    expect(control.code).toBe(0);
    expect(control.stdout).not.toMatch(/=38$/m);
  });

  it('threads and background jobs still start (glibc falls back from clone3 to clone)', async () => {
    const threads = [
      '-c',
      'import threading; t = threading.Thread(target=lambda: print("thread ran")); t.start(); t.join()',
    ];
    expect(await run(filter, '/usr/bin/python3', threads)).toEqual({ code: 0, stdout: 'thread ran\n', stderr: '' });
    expect(await run(filter, '/bin/busybox', ['sh', '-c', 'sleep 0 & wait $!; echo waited=$?'])).toEqual({
      code: 0,
      stdout: 'waited=0\n',
      stderr: '',
    });
  });
});
