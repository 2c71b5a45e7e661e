// The spawn layer's confinement primitives on the real kernel: capability sets, cgroups entered at
// birth, sysctl writes through the child's own procfs, optional steps, the working-directory check,
// and what they must not do to Node (its dumpability).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PodSystemError, Sandbox, spawn } from '../../src';
import { native } from '../../src/native';
import type { CapabilitySets } from '../../src/security/capabilities';
import { childrenOf, procStatus } from '../helpers/procfs';
import { privilegeSkipReason, titled } from '../helpers/privileges';
import { readAll } from '../helpers/wait';

const reason = privilegeSkipReason();

const twoCaps: CapabilitySets = {
  bounding: ['CAP_CHOWN', 'CAP_KILL'],
  permitted: ['CAP_CHOWN', 'CAP_KILL'],
  effective: ['CAP_CHOWN', 'CAP_KILL'],
  inheritable: [],
  ambient: [],
};

async function statusOf(pod: Sandbox, options: Parameters<Sandbox['spawn']>[0]): Promise<Record<string, string>> {
  const child = pod.spawn({ ...options, stdio: ['ignore', 'pipe', 'inherit'] });
  const text = await readAll(child.stdout);
  await child.exited;
  return Object.fromEntries(
    text
      .split('\n')
      .filter((l) => l.includes(':'))
      .map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1).trim()]),
  );
}

describe.skipIf(reason)(titled('spawn confinement', reason), () => {
  let pod: Sandbox;
  beforeAll(async () => {
    pod = await Sandbox.create();
  });
  afterAll(async () => {
    await pod?.destroy();
  });

  it('applies capability sets to root, and a non-root user ends with none effective', async () => {
    const cat = { file: 'cat', args: ['/proc/self/status'] };
    const root = await statusOf(pod, { ...cat, capabilities: twoCaps });
    expect(root).toMatchObject({ CapEff: '0000000000000021', CapBnd: '0000000000000021', CapInh: '0000000000000000' });
    const user = await statusOf(pod, { ...cat, capabilities: twoCaps, uid: 1000, gid: 1000 });
    expect(user).toMatchObject({ CapEff: '0000000000000000', CapPrm: '0000000000000000', CapBnd: '0000000000000021' });
    // Negative control: without the option a root member keeps Node's capabilities.
    const unchanged = await statusOf(pod, cat);
    expect(unchanged.CapEff).toBe(procStatus(process.pid)!.CapEff);
    expect(unchanged.CapEff).not.toBe('0000000000000021');
  });

  it('an ambient capability survives execve for a non-root user', async () => {
    const caps: CapabilitySets = { ...twoCaps, inheritable: ['CAP_KILL'], ambient: ['CAP_KILL'] };
    const user = await statusOf(pod, { file: 'cat', args: ['/proc/self/status'], capabilities: caps, uid: 1000 });
    expect(user).toMatchObject({ CapEff: '0000000000000020', CapAmb: '0000000000000020' });
  });

  it('a spawn that changes its uid leaves Node dumpable (it runs in memory of its own)', async () => {
    const dumpable = native.prctlOptions.PR_GET_DUMPABLE!;
    expect(native.prctl(dumpable, 0)).toBe(1);
    const child = spawn({ file: 'true', uid: 1000, gid: 1000 });
    await child.exited;
    const member = pod.spawn({ file: 'true', uid: 1000, gid: 1000 });
    await member.exited;
    expect(native.prctl(dumpable, 0)).toBe(1);
  });

  it('enters cgroups before it runs', async () => {
    const dir = fs.mkdtempSync('/sys/fs/cgroup/pids/pod-init-test-');
    try {
      const child = pod.spawn({
        file: 'cat',
        args: ['/proc/self/cgroup'],
        cgroups: [dir],
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      const text = await readAll(child.stdout);
      await child.exited;
      expect(text).toMatch(new RegExp(`:pids:/${path.basename(dir)}$`, 'm'));
      // Negative control: without the option, the member stays where Node is.
      const plain = pod.spawn({ file: 'cat', args: ['/proc/self/cgroup'], stdio: ['ignore', 'pipe', 'inherit'] });
      expect(await readAll(plain.stdout)).not.toContain(path.basename(dir));
      await plain.exited;
    } finally {
      fs.rmdirSync(dir);
    }
  });

  it('moves the whole process on v1 (through `tasks`, as its only thread): its later threads and children too', async () => {
    const dir = fs.mkdtempSync('/sys/fs/cgroup/pids/pod-init-test-');
    const script = [
      'import os, threading, subprocess',
      'out = []',
      "t = threading.Thread(target=lambda: out.append(open('/proc/thread-self/cgroup').read()))",
      't.start(); t.join()',
      "print(out[0] + subprocess.run(['cat', '/proc/self/cgroup'], capture_output=True, text=True).stdout)",
      "procs = open('/sys/fs/cgroup/pids' + [l for l in open('/proc/self/cgroup') if ':pids:' in l][0].split(':')[2].strip() + '/cgroup.procs').read().split()",
      "print('listed' if str(os.getpid()) in procs else 'missing')",
    ].join('\n');
    try {
      const child = pod.spawn({
        file: 'python3',
        args: ['-c', script],
        cgroups: [dir],
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      const text = await readAll(child.stdout);
      expect(await child.exited).toEqual({ exitCode: 0, signal: null });
      const lines = text.split('\n').filter((l) => l.includes(':pids:'));
      expect(lines).toHaveLength(2); // the thread's and the subprocess's
      for (const line of lines) expect(line).toBe(`${line.split(':')[0]}:pids:/${path.basename(dir)}`);
      expect(text).toContain('listed'); // the process (its thread group) is in cgroup.procs
    } finally {
      fs.rmdirSync(dir);
    }
  });

  it('is born in its cgroup v2 directory (clone3 CLONE_INTO_CGROUP), beside its v1 ones: joined, direct, copied', async () => {
    const unified = '/sys/fs/cgroup/unified';
    const v2Root = fs.statfsSync('/sys/fs/cgroup').type === 0x63677270 ? '/sys/fs/cgroup' : unified;
    if (!fs.existsSync(path.join(v2Root, 'cgroup.procs'))) throw new Error('no cgroup2 hierarchy mounted here');
    const v2 = fs.mkdtempSync(path.join(v2Root, 'pod-init-test-'));
    const v1 = fs.mkdtempSync('/sys/fs/cgroup/pids/pod-init-test-');
    const cgroupLines = async (proc: ReturnType<typeof spawn>) => {
      const text = await readAll(proc.stdout);
      expect(await proc.exited).toEqual({ exitCode: 0, signal: null });
      return text;
    };
    try {
      const options = {
        file: 'cat',
        args: ['/proc/self/cgroup'],
        stdio: ['ignore', 'pipe', 'inherit'] as ['ignore', 'pipe', 'inherit'],
      };
      const joined = await cgroupLines(pod.spawn({ ...options, cgroups: [v1, v2] }));
      const direct = await cgroupLines(spawn({ ...options, newNamespaces: ['uts'], cgroups: [v2, v1] }));
      // A child that changes its uid is a copy (clone3 without CLONE_VM), born there too.
      const copied = await cgroupLines(spawn({ ...options, uid: 65534, cgroups: [v2, v1] }));
      for (const text of [joined, direct, copied]) {
        expect(text).toMatch(new RegExp(`^0::/${path.basename(v2)}$`, 'm')); // the v2 line: hierarchy 0
        expect(text).toMatch(new RegExp(`:pids:/${path.basename(v1)}$`, 'm'));
      }
      // Negative control: without the option, neither.
      const plain = await cgroupLines(pod.spawn(options));
      expect(plain).not.toContain(path.basename(v2));
      expect(plain).not.toContain(path.basename(v1));
    } finally {
      fs.rmdirSync(v2);
      fs.rmdirSync(v1);
    }
  });

  it('writes a sysctl through its own procfs, in its own namespace; a non-procfs target is EXDEV', async () => {
    const file = '/proc/sys/net/ipv4/ip_unprivileged_port_start';
    const host = fs.readFileSync(file, 'utf8');
    const child = spawn({
      file: 'cat',
      args: [file],
      newNamespaces: ['net', 'mnt', 'pid'],
      mounts: [{ type: 'write', target: file, data: '80', procfs: true }],
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    expect((await readAll(child.stdout)).trim()).toBe('80');
    await child.exited;
    expect(fs.readFileSync(file, 'utf8')).toBe(host);
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pod-init-write-'));
    try {
      fs.writeFileSync(path.join(tmp, 'x'), '');
      expect(() =>
        spawn({
          file: 'true',
          newNamespaces: ['mnt'],
          mounts: [{ type: 'write', target: path.join(tmp, 'x'), data: '1', procfs: true }],
        }),
      ).toThrow(expect.objectContaining({ code: 'EXDEV', step: 'write-file' }));
      expect(fs.readFileSync(path.join(tmp, 'x'), 'utf8')).toBe('');
    } finally {
      fs.rmSync(tmp, { recursive: true });
    }
  });

  it('a joined setup past its deadline is killed and reaped, not left running untracked', async () => {
    // Slow on purpose: thousands of bind mounts in the member's own mount namespace.
    const f = native.mountFlags;
    const mounts = Array.from({ length: 4000 }, () => ({
      type: 'mount' as const,
      source: '/dev/null',
      target: '/dev/null',
      flags: f.MS_BIND!,
    }));
    // Children of ours from earlier tests may still be ending on a loaded host: only new ones count.
    const before = new Set(childrenOf(process.pid));
    let error: unknown;
    try {
      // 60 ms: on an idle host past pod-pause enter's join (a few ms), within the child's mounts (~170 ms); on a
      // loaded one it may fall in the join or between the child's clone and its report: nothing is left either
      // way (that window held deterministically: spawn-join-window.test.ts).
      pod.spawn({ file: 'true', newNamespaces: ['mnt'], mounts, setupTimeoutMs: 60 });
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ step: 'setup-timeout', code: 'ETIMEDOUT' });
    // Nothing of it is left: no child of ours but the pause (the killed one was reaped).
    expect(childrenOf(process.pid).filter((pid) => pid !== pod.pid && !before.has(pid))).toEqual([]);
    // Control: the same setup with the default deadline finishes.
    const slow = pod.spawn({ file: 'true', newNamespaces: ['mnt'], mounts });
    expect(await slow.exited).toEqual({ exitCode: 0, signal: null });
  });

  it('skips an optional step whose target does not exist; a required one fails', async () => {
    const missing = '/proc/no-such-file-pod-init';
    const ok = pod.spawn({
      file: 'true',
      newNamespaces: ['mnt'],
      mounts: [
        { type: 'mount', source: '/dev/null', target: missing, flags: native.mountFlags.MS_BIND!, optional: true },
      ],
    });
    expect(await ok.exited).toEqual({ exitCode: 0, signal: null });
    expect(() =>
      pod.spawn({
        file: 'true',
        newNamespaces: ['mnt'],
        mounts: [{ type: 'mount', source: '/dev/null', target: missing, flags: native.mountFlags.MS_BIND! }],
      }),
    ).toThrow(expect.objectContaining({ step: 'mount', code: 'ENOENT' }));
  });

  it('refuses a working directory outside the root it pivoted into (CVE-2024-21626)', async () => {
    const busybox = '/bin/busybox'; // static: it runs in a root holding nothing else (busybox-static)
    expect(fs.existsSync(busybox), 'apt-get install busybox-static').toBe(true);
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'pod-init-root-'));
    const hostDir = fs.openSync(os.tmpdir(), 'r');
    try {
      fs.mkdirSync(path.join(root, 'proc'));
      const f = native.mountFlags;
      const mounts = [
        { type: 'mount' as const, source: root, target: root, flags: f.MS_BIND! | f.MS_REC! },
        { type: 'file' as const, target: `${root}/true` },
        { type: 'mount' as const, source: busybox, target: `${root}/true`, flags: f.MS_BIND! },
        { type: 'pivot-root' as const, target: root },
        { type: 'mount' as const, source: 'proc', target: '/proc', fstype: 'proc' },
      ];
      // The attack: a directory fd of the host is open in the child before its execve (a spawn that
      // does not join a pod is a copy of Node, with Node's fds until execve closes them), and its
      // working directory names it through /proc/self/fd. The chdir works; the check after it does not.
      let error: unknown;
      try {
        spawn({
          file: '/true',
          argv0: 'true',
          newNamespaces: ['mnt', 'pid'],
          mounts,
          cwd: `/proc/self/fd/${hostDir}`,
        });
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(PodSystemError);
      expect(error).toMatchObject({ step: 'verify-cwd', code: 'EXDEV' });
      // Control: the same layout with a working directory inside the root starts.
      const fine = spawn({ file: '/true', argv0: 'true', newNamespaces: ['mnt', 'pid'], mounts, cwd: '/proc' });
      expect(await fine.exited).toEqual({ exitCode: 0, signal: null });
      // No fd of Node's beyond 0-2 reaches a member at all.
      for (let fd = 3; fd < 24; fd++)
        expect(() => pod.spawn({ file: 'true', cwd: `/proc/self/fd/${fd}` }), `fd ${fd}`).toThrow(/chdir/);
    } finally {
      fs.closeSync(hostDir);
      fs.rmSync(root, { recursive: true });
    }
  });
});
