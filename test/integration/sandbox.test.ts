// The pod sandbox and its members, on the real kernel: namespaces shared by identity (with a
// negative control each time), hostname, loopback, pid numbering, private pid namespaces, and the
// clean slate a member starts with (fds 0-2 only, no ignored or blocked signals).
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type NamespaceKind, namespaceId, Sandbox } from '../../src';
import { innermostPid, procStatus } from '../helpers/procfs';
import { privilegeSkipReason, titled } from '../helpers/privileges';
import { readAll, waitForLine } from '../helpers/wait';

const reason = privilegeSkipReason();
const podKinds: NamespaceKind[] = ['pid', 'net', 'ipc', 'uts', 'mnt'];

describe.skipIf(reason)(titled('sandbox', reason), () => {
  let pod: Sandbox;
  beforeAll(async () => {
    pod = await Sandbox.create({ hostname: 'pod-test' });
  });
  afterAll(async () => {
    await pod?.destroy();
  });

  it('creates each pod namespace anew: different from the host', () => {
    for (const kind of podKinds) expect(pod.namespaceId(kind), kind).not.toBe(namespaceId('self', kind));
    // Negative control: kinds the pod did not ask for are the host's.
    expect(pod.namespaceId('cgroup')).toBe(namespaceId('self', 'cgroup'));
    expect(pod.namespaceId('user')).toBe(namespaceId('self', 'user'));
  });

  it('members share every pod namespace by identity', async () => {
    const member = pod.spawn({ file: 'sleep', args: ['30'], stdio: 'ignore' });
    try {
      for (const kind of podKinds) expect(namespaceId(member.pid, kind), kind).toBe(pod.namespaceId(kind));
    } finally {
      member.kill('SIGKILL');
      await member.exited;
    }
  });

  it('a member with its own pid namespace is PID 1 there and shares the rest', async () => {
    const member = pod.spawn({
      file: 'sh',
      args: ['-c', 'echo "pid=$$"; ls /proc | grep -c "^[0-9]"; exec sleep 30'],
      newNamespaces: ['pid'],
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      expect(await waitForLine(member.stdout, /^pid=/)).toBe('pid=1');
      expect(namespaceId(member.pid, 'pid')).not.toBe(pod.namespaceId('pid'));
      expect(namespaceId(member.pid, 'mnt')).not.toBe(pod.namespaceId('mnt')); // its own copy
      for (const kind of ['net', 'ipc', 'uts'] as const)
        expect(namespaceId(member.pid, kind), kind).toBe(pod.namespaceId(kind));
      expect(innermostPid(member.pid)).toBe(1);
    } finally {
      member.kill('SIGKILL');
      await member.exited;
    }
  });

  it('the pause is PID 1 of the pod and members are 2..n, all children of Node', async () => {
    expect(innermostPid(pod.pid)).toBe(1);
    const members = [0, 1, 2].map(() => pod.spawn({ file: 'sleep', args: ['30'], stdio: 'ignore' }));
    try {
      const inner = members.map((m) => innermostPid(m.pid)!);
      for (const pid of inner) expect(pid).toBeGreaterThanOrEqual(2);
      expect(new Set(inner).size).toBe(3);
      for (const m of members) expect(Number(procStatus(m.pid)!.PPid)).toBe(process.pid);
    } finally {
      for (const m of members) m.kill('SIGKILL');
      await Promise.all(members.map((m) => m.exited));
    }
  });

  it('members see the pod hostname, the host keeps its own', async () => {
    const member = pod.spawn({
      file: 'cat',
      args: ['/proc/sys/kernel/hostname'],
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    expect((await readAll(member.stdout)).trim()).toBe('pod-test');
    expect(await member.exited).toEqual({ exitCode: 0, signal: null });
    const { hostname } = await import('node:os');
    expect(hostname()).not.toBe('pod-test');
  });

  it('two members talk over 127.0.0.1; the host cannot reach that port', async () => {
    const serverCode = `
      const s = require('net').createServer((c) => c.on('data', (d) => { c.end('pong:' + d); s.close(); }));
      s.listen(0, '127.0.0.1', () => console.log('port=' + s.address().port));`;
    const server = pod.spawn({
      file: process.execPath,
      args: ['-e', serverCode],
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const port = Number((await waitForLine(server.stdout, /^port=/)).slice(5));

    // Negative control first: the host's loopback is another network namespace.
    const hostError = await new Promise<NodeJS.ErrnoException | undefined>((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.on('connect', () => {
        socket.destroy();
        resolve(undefined);
      });
      socket.on('error', resolve);
    });
    expect(hostError?.code).toBe('ECONNREFUSED');

    const clientCode = `const c = require('net').connect(${port}, '127.0.0.1', () => c.write('ping'));
      c.on('data', (d) => process.stdout.write(String(d)));`;
    const client = pod.spawn({
      file: process.execPath,
      args: ['-e', clientCode],
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    expect(await readAll(client.stdout)).toBe('pong:ping');
    expect((await client.exited).exitCode).toBe(0);
    expect((await server.exited).exitCode).toBe(0);
  });

  it('a member sees exactly fds 0, 1 and 2', async () => {
    // ls lists /proc/self/fd through one fd of its own (the directory): that one is not inherited.
    const member = pod.spawn({ file: 'ls', args: ['-l', '/proc/self/fd'], stdio: ['ignore', 'pipe', 'inherit'] });
    const lines = (await readAll(member.stdout)).split('\n').filter((l) => l.includes('->'));
    const fds = lines.filter((l) => !/-> \/proc\/\d+\/fd$/.test(l)).map((l) => Number(/ (\d+) ->/.exec(l)![1]));
    expect(fds).toEqual([0, 1, 2]);
    // Negative control: Node (this test worker) has more open than that, so a leak would show.
    const { openFds } = await import('../helpers/procfs');
    expect(openFds().length).toBeGreaterThan(4);
  });

  it('a member starts with no signal ignored or blocked, although Node ignores some', async () => {
    const member = pod.spawn({ file: 'cat', args: ['/proc/self/status'], stdio: ['ignore', 'pipe', 'inherit'] });
    const status = await readAll(member.stdout);
    expect(/SigIgn:\s*(\w+)/.exec(status)![1]).toBe('0000000000000000');
    expect(/SigBlk:\s*(\w+)/.exec(status)![1]).toBe('0000000000000000');
    expect(procStatus(process.pid)!.SigIgn).not.toBe('0000000000000000'); // SIGPIPE, SIGXFSZ
  });

  it('the pod has its own /proc: members list pod pids only', async () => {
    const member = pod.spawn({
      file: 'sh',
      args: ['-c', 'ls /proc | grep "^[0-9]*$" | sort -n | head -1'],
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    expect((await readAll(member.stdout)).trim()).toBe('1');
    await member.exited;
  });
});

describe.skipIf(reason)(titled('sandbox options', reason), () => {
  it('creates only the namespaces asked for', async () => {
    await using pod = await Sandbox.create({ namespaces: ['net', 'uts'], hostname: 'small' });
    expect(pod.namespaceId('net')).not.toBe(namespaceId('self', 'net'));
    expect(pod.namespaceId('uts')).not.toBe(namespaceId('self', 'uts'));
    expect(pod.namespaceId('pid')).toBe(namespaceId('self', 'pid'));
    expect(pod.namespaceId('ipc')).toBe(namespaceId('self', 'ipc'));
    const member = pod.spawn({ file: 'hostname', stdio: ['ignore', 'pipe', 'inherit'] });
    expect((await readAll(member.stdout)).trim()).toBe('small');
  });

  it('as root, a user namespace on request maps root inside to the caller', async () => {
    await using pod = await Sandbox.create({ userNamespace: true });
    expect(pod.namespaceId('user')).not.toBe(namespaceId('self', 'user'));
    const member = pod.spawn({ file: 'cat', args: ['/proc/self/uid_map'], stdio: ['ignore', 'pipe', 'inherit'] });
    expect((await readAll(member.stdout)).trim().split(/\s+/)).toEqual(['0', String(process.geteuid!()), '1']);
    expect(namespaceId(member.pid, 'user')).toBe(pod.namespaceId('user'));
  });

  it('a SIGTERM right after creation is never lost (the pause starts with signals blocked)', async () => {
    for (let i = 0; i < 50; i++) {
      const pod = await Sandbox.create();
      await pod.destroy(); // would hang if the pause dropped the SIGTERM
      expect(pod.pause.exitStatus).toEqual({ exitCode: 0, signal: null });
    }
  });

  it('destroy() ends members in private pid namespaces too', async () => {
    const pod = await Sandbox.create();
    const own = pod.spawn({ file: 'sleep', args: ['60'], newNamespaces: ['pid'], stdio: 'ignore' });
    const shared = pod.spawn({ file: 'sleep', args: ['60'], stdio: 'ignore' });
    await pod.destroy();
    expect(own.exitStatus).toEqual({ exitCode: null, signal: 'SIGKILL' });
    expect(shared.exitStatus?.signal).toBe('SIGKILL');
    expect(pod.pause.exitStatus).toEqual({ exitCode: 0, signal: null });
  });
});
