// Rootless pod networking as uid 65534: published ports reached from the host on 127.0.0.1 through pasta and
// slirp4netns, the pod reaching the host's loopback with --host-loopback, the helper gone after the pod's end
// and after kill -9 of pod-init, and the notices when a helper is missing or /dev/net/tun cannot be opened.
// Traffic stays on loopback (NETWORKING.md §0): the pod's gateway is mapped to the host's 127.0.0.1.
import { type ChildProcess, spawn as cpSpawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { privilegeSkipReason, titled } from '../helpers/privileges';
import { childrenOf, procStatus } from '../helpers/procfs';
import { stagePackage } from '../helpers/stage';
import { asNobodyWithTun } from '../helpers/tun';
import { pollUntil, readAll, waitForLine } from '../helpers/wait';

const reason = privilegeSkipReason(); // switching to uid 65534 and making a tun node need root

/** A TCP port free on 127.0.0.1 right now. */
async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** The reply of a server at 127.0.0.1:port, or the error code. */
function fetchFrom(port: number): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    const socket = net.connect(port, '127.0.0.1');
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (text += chunk));
    socket.on('end', () => resolve(text));
    socket.on('error', (error: NodeJS.ErrnoException) => resolve(`error ${error.code ?? error.message}`));
    socket.end('GET / HTTP/1.0\r\n\r\n');
  });
}

/** A process that runs (not gone, not a zombie). */
const running = (pid: number): boolean => {
  const state = procStatus(pid)?.State;
  return state !== undefined && !state.startsWith('Z');
};

/** pod-init's helper child (pasta runs as passt.avx2 or passt, slirp4netns as itself). */
function helperOf(pid: number): number | undefined {
  return childrenOf(pid).find((child) => /^(passt|pasta|slirp4netns)/.test(procStatus(child)?.Name ?? ''));
}

const exitOf = (child: ChildProcess): Promise<number | null> =>
  child.exitCode !== null ? Promise.resolve(child.exitCode) : new Promise((resolve) => child.once('exit', resolve));

describe.skipIf(reason)(titled('rootless pod networking (uid 65534)', reason), () => {
  let staged: string;
  let work: string;
  beforeAll(() => {
    staged = stagePackage();
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'pod-init-rootless-net-'));
    fs.chmodSync(work, 0o755);
  });
  afterAll(() => {
    fs.rmSync(staged, { recursive: true, force: true });
    fs.rmSync(work, { recursive: true, force: true });
  });

  /** A state directory of uid 65534's. */
  const stateDir = (): string => {
    const dir = fs.mkdtempSync(path.join(work, 'state-'));
    fs.chownSync(dir, 65534, 65534);
    return dir;
  };

  /** `pod-init run ARGS -` of the staged copy as uid 65534 with an openable /dev/net/tun (mode `tunMode`). */
  const runAsNobody = (args: string[], manifest: string, state: string, tunMode = 0o666): ChildProcess => {
    const child = asNobodyWithTun([process.execPath, path.join(staged, 'pod-init.js'), 'run', ...args, '-'], {
      tunMode,
      cwd: staged,
      env: { PATH: process.env.PATH, POD_INIT_STATE_DIR: state },
    });
    child.stdin!.end(manifest);
    return child;
  };

  const webPod = (hostPort: number) => `apiVersion: v1
kind: Pod
metadata: { name: web }
spec:
  terminationGracePeriodSeconds: 1
  containers:
    - name: web
      image: x
      command: [node, -e, 'require("http").createServer((q, s) => s.end("hello from the pod")).listen(8080)']
      ports: [{ containerPort: 8080, hostPort: ${hostPort}, hostIP: 127.0.0.1 }]
`;

  for (const helper of ['pasta', 'slirp4netns'] as const) {
    it(`${helper}: the host reaches the pod's server on 127.0.0.1 through hostPort and --publish; the helper goes with the pod`, async () => {
      const state = stateDir();
      const [hostPort, published] = [await freePort(), await freePort()];
      const statusFile = path.join(state, 'status.json');
      const child = runAsNobody(
        ['--pod-network', helper, '--publish', `127.0.0.1:${published}:8080`, '--status-file', statusFile],
        webPod(hostPort),
        state,
      );
      const out = readAll(child.stdout);
      const err = readAll(child.stderr);
      let helperPid: number | undefined;
      let reached = false;
      let publishedReply = '';
      let podIP = '';
      try {
        reached = await pollUntil(
          async () => (await fetchFrom(hostPort)).includes('hello from the pod'),
          `the pod's server on 127.0.0.1:${hostPort}`,
          20_000,
        ).catch(() => false);
        publishedReply = await fetchFrom(published);
        helperPid = helperOf(child.pid!);
        podIP = (JSON.parse(fs.readFileSync(statusFile, 'utf8')) as { status: { podIP: string } }).status.podIP;
      } finally {
        child.kill('SIGINT');
      }
      const code = await exitOf(child);
      expect(reached, `${await out}\n${await err}`).toBe(true);
      expect(publishedReply).toContain('hello from the pod');
      expect(helperPid, 'the helper was a child of pod-init').toBeDefined();
      expect(podIP).toBe('10.0.2.100'); // the pod's own address, behind the helper
      expect(code).toBe(1); // deleted: Failed, as a deleted pod is
      // At pod-init's end its helper is gone (not left to die later), the ports are free and no socket is left.
      expect(running(helperPid!)).toBe(false);
      expect(await fetchFrom(hostPort)).toBe('error ECONNREFUSED');
      expect(await fetchFrom(published)).toBe('error ECONNREFUSED');
      const files = fs.readdirSync(state, { recursive: true }).map(String);
      expect(files.filter((f) => f.endsWith('.sock'))).toEqual([]);
      expect(await err).not.toMatch(/Warning +PodNetwork/);
    });

    it(`${helper}: with --host-loopback the pod reaches a server on the host's 127.0.0.1 at the gateway 10.0.2.2`, async () => {
      const server = net.createServer((socket) => socket.end('hello from the host'));
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const port = (server.address() as net.AddressInfo).port;
      const manifest = `apiVersion: v1
kind: Pod
metadata: { name: client }
spec:
  restartPolicy: Never
  containers:
    - name: c
      image: x
      command: [node, -e, 'const s = require("net").connect(${port}, "10.0.2.2"); s.on("data", (d) => console.log("got " + d)); s.on("error", (e) => { console.log("error " + e.code); process.exitCode = 1; })']
`;
      try {
        const results: Record<string, { code: number | null; lines: string[] }> = {};
        // The negative control: the same pod with loopback only has no route to the gateway.
        for (const mode of [helper, 'loopback']) {
          const child = runAsNobody(['--pod-network', mode, '--host-loopback'], manifest, stateDir());
          const [out, , code] = await Promise.all([readAll(child.stdout), readAll(child.stderr), exitOf(child)]);
          results[mode] = { code, lines: out.split('\n').filter((l) => l.startsWith('c | ')) };
        }
        expect(results[helper]).toEqual({ code: 0, lines: ['c | got hello from the host'] });
        expect(results.loopback).toEqual({ code: 1, lines: ['c | error ENETUNREACH'] });
      } finally {
        server.close();
      }
    });

    it(`${helper}: kill -9 of pod-init leaves no ${helper} behind and frees the published port`, async () => {
      const hostPort = await freePort();
      const child = runAsNobody(['--pod-network', helper], webPod(hostPort), stateDir());
      const out = readAll(child.stdout);
      let helperPid: number | undefined;
      try {
        await pollUntil(
          async () => (await fetchFrom(hostPort)).includes('hello from the pod'),
          `the pod's server on 127.0.0.1:${hostPort}`,
          20_000,
        );
        helperPid = helperOf(child.pid!);
        expect(helperPid).toBeDefined();
        expect(running(helperPid!)).toBe(true); // the check below can fail: the helper runs now
      } finally {
        child.kill('SIGKILL');
      }
      await exitOf(child);
      await out;
      await pollUntil(() => !running(helperPid!), `${helper} (pid ${helperPid}) to be gone after kill -9 of pod-init`);
      await pollUntil(
        async () => (await fetchFrom(hostPort)) === 'error ECONNREFUSED',
        `127.0.0.1:${hostPort} to be closed`,
      );
    });
  }

  it('a host port in use fails the pod before any container starts, naming the port; the host listener keeps it', async () => {
    // The listener is this test's (root's): uid 65534 cannot read root's /proc/PID/fd, so no PID is named.
    const holder = net.createServer((socket) => socket.end('the host listener'));
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const port = (holder.address() as net.AddressInfo).port;
    try {
      const child = runAsNobody(['--pod-network', 'pasta'], webPod(port), stateDir());
      const [out, err, code] = await Promise.all([readAll(child.stdout), readAll(child.stderr), exitOf(child)]);
      expect(code, err).toBe(1);
      expect(out).toContain(
        `Warning FailedCreatePodSandBox pod/web: Failed to set up the pod network (pasta): host port 127.0.0.1:${port}/tcp is in use by a process of another user (its PID is not visible to this user): free it or publish another port`,
      );
      expect(out).not.toContain(`PID ${process.pid}`);
      expect(out).not.toContain('Started container');
      expect(await fetchFrom(port)).toBe('the host listener'); // untouched
    } finally {
      holder.close();
    }
  });

  it("a host port held by the user's own process names its PID", async () => {
    const script =
      "const s = require('net').createServer((c) => c.end('the user listener'));" +
      "s.listen(0, '127.0.0.1', () => console.log(`port ${s.address().port} ready`));";
    const holder = cpSpawn(process.execPath, ['-e', script], {
      uid: 65534,
      gid: 65534,
      cwd: '/',
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      const port = Number((await waitForLine(holder.stdout, /^port \d+ ready$/)).split(' ')[1]);
      const child = runAsNobody(['--pod-network', 'pasta'], webPod(port), stateDir());
      const [out, err, code] = await Promise.all([readAll(child.stdout), readAll(child.stderr), exitOf(child)]);
      expect(code, err).toBe(1);
      expect(out).toContain(
        `Failed to set up the pod network (pasta): host port 127.0.0.1:${port}/tcp is in use by PID ${holder.pid} (node): free it or publish another port`,
      );
      expect(out).not.toContain('Started container');
      expect(await fetchFrom(port)).toBe('the user listener');
    } finally {
      holder.kill('SIGKILL');
      await exitOf(holder);
    }
  });

  it('pasta: a helper killed while the pod runs is a warning; a new sandbox gets a new helper and the port works again', async () => {
    const hostPort = await freePort();
    const manifest = webPod(hostPort).replace(
      'terminationGracePeriodSeconds: 1',
      'terminationGracePeriodSeconds: 1\n  restartPolicy: Always',
    );
    const child = runAsNobody(['--pod-network', 'pasta'], manifest, stateDir());
    const out = readAll(child.stdout);
    const reach = (what: string) =>
      pollUntil(async () => (await fetchFrom(hostPort)).includes('hello from the pod'), what, 20_000);
    let first: number | undefined;
    let second: number | undefined;
    try {
      await reach(`the pod's server on 127.0.0.1:${hostPort}`);
      first = helperOf(child.pid!)!;
      expect(first).toBeDefined();
      // The pause dies: the pod gets a new sandbox, whose namespace the old helper cannot serve.
      const pause = childrenOf(child.pid!).find(
        (pid) =>
          procStatus(pid)?.Name === 'pod-pause' && !fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('guard'),
      );
      expect(pause).toBeDefined();
      process.kill(pause!, 'SIGKILL');
      second = await pollUntil(() => {
        const pid = helperOf(child.pid!);
        return pid !== undefined && pid !== first ? pid : undefined;
      }, 'a new helper for the new sandbox');
      await reach(`the new sandbox's server on 127.0.0.1:${hostPort}`);
      expect(running(first)).toBe(false);
      // Killed from outside: said, not hidden.
      process.kill(second, 'SIGKILL');
      await pollUntil(() => !running(second!), 'the second helper to be gone');
    } finally {
      child.kill('SIGINT');
    }
    await exitOf(child);
    const text = await out;
    expect(text).toContain('SandboxChanged');
    expect(text.split('\n').filter((l) => l.includes('PodNetworkHelperExited'))).toEqual([
      `event: Warning PodNetworkHelperExited pod/web: pasta (pid ${second}) exited: the pod has no outbound traffic or published ports any more`,
    ]);
  });

  it('as root, --pod-network rootless serves through slirp4netns (pasta cannot join a root pod)', async () => {
    const hostPort = await freePort();
    const child = cpSpawn(
      process.execPath,
      [path.join(staged, 'pod-init.js'), 'run', '--pod-network', 'rootless', '-'],
      {
        cwd: staged,
        env: { PATH: process.env.PATH, POD_INIT_STATE_DIR: stateDir() },
        stdio: ['pipe', 'pipe', 'pipe'],
      },
    );
    child.stdin!.end(webPod(hostPort));
    const out = readAll(child.stdout);
    let reached = false;
    let helper: string | undefined;
    try {
      reached = await pollUntil(
        async () => (await fetchFrom(hostPort)).includes('hello from the pod'),
        `the pod's server on 127.0.0.1:${hostPort}`,
        20_000,
      ).catch(() => false);
      const pid = helperOf(child.pid!);
      helper = pid === undefined ? undefined : procStatus(pid)?.Name;
    } finally {
      child.kill('SIGINT');
    }
    await exitOf(child);
    expect(reached, await out).toBe(true);
    expect(helper).toBe('slirp4netns');
  });

  it('a helper that fails to start fails the pod with its message (no syslog noise), before any container starts', async () => {
    const bin = fs.mkdtempSync(path.join(work, 'fake-'));
    fs.chmodSync(bin, 0o755);
    fs.writeFileSync(
      path.join(bin, 'pasta'),
      '#!/bin/sh\necho "Failed to send 42 bytes to syslog" >&2\necho "Failed to bind any port for \'-t 1:2\', exiting" >&2\nexit 1\n',
      { mode: 0o755 },
    );
    const child = asNobodyWithTun(
      [process.execPath, path.join(staged, 'pod-init.js'), 'run', '--pod-network', 'pasta', '-'],
      {
        tunMode: 0o666,
        cwd: staged,
        env: { PATH: `${bin}:${process.env.PATH}`, POD_INIT_STATE_DIR: stateDir() },
      },
    );
    child.stdin!.end(webPod(await freePort()));
    const [out, err, code] = await Promise.all([readAll(child.stdout), readAll(child.stderr), exitOf(child)]);
    expect(code, err).toBe(1);
    expect(out).toContain(
      "Warning FailedCreatePodSandBox pod/web: Failed to set up the pod network (pasta): pasta exited: Failed to bind any port for '-t 1:2', exiting\n",
    );
    expect(out).not.toContain('Started container');
  });

  it('without pasta and slirp4netns on PATH: one notice saying what to install, and the pod runs with loopback only', async () => {
    const empty = fs.mkdtempSync(path.join(work, 'bin-'));
    fs.chmodSync(empty, 0o755);
    const manifest = `apiVersion: v1
kind: Pod
metadata: { name: lonely }
spec:
  restartPolicy: Never
  containers:
    - { name: c, image: x, command: [/bin/sh, -c, 'echo running'], ports: [{ containerPort: 80, hostPort: 18080 }] }
`;
    const child = cpSpawn(process.execPath, [path.join(staged, 'pod-init.js'), 'run', '-'], {
      uid: 65534,
      gid: 65534,
      cwd: staged,
      env: { PATH: empty, POD_INIT_STATE_DIR: stateDir() },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    child.stdin!.end(manifest);
    const [out, err, code] = await Promise.all([readAll(child.stdout), readAll(child.stderr), exitOf(child)]);
    expect(code, `${out}\n${err}`).toBe(0);
    expect(out).toContain('c | running');
    const notices = out.split('\n').filter((l) => l.includes('PodNetworkUnavailable'));
    expect(notices).toEqual([
      'event: Warning PodNetworkUnavailable pod/lonely: Rootless pod networking needs a user-space helper: neither ' +
        'pasta nor slirp4netns was found on PATH (Debian: apt-get install passt, or slirp4netns). The pod has only loopback',
    ]);
  });

  it('a /dev/net/tun this user cannot open: one notice naming the fix, and the pod runs with loopback only', async () => {
    const manifest = `apiVersion: v1
kind: Pod
metadata: { name: notun }
spec:
  restartPolicy: Never
  containers:
    - { name: c, image: x, command: [/bin/sh, -c, 'echo running'] }
`;
    const results: Record<string, string[]> = {};
    // The control: the same run with an openable node gets no notice.
    for (const mode of [0o600, 0o666]) {
      const child = runAsNobody(['--pod-network', 'pasta'], manifest, stateDir(), mode);
      const [out, err, code] = await Promise.all([readAll(child.stdout), readAll(child.stderr), exitOf(child)]);
      expect(code, `${out}\n${err}`).toBe(0);
      expect(out).toContain('c | running');
      results[mode.toString(8)] = out.split('\n').filter((l) => l.includes('PodNetwork'));
    }
    expect(results['600']).toEqual([
      'event: Warning PodNetworkUnavailable pod/notun: Rootless pod networking (pasta) needs the tun device: ' +
        '/dev/net/tun is mode 0600 (owner uid 0) and cannot be opened by this user (open: EACCES): as root, chmod ' +
        "0666 /dev/net/tun (Debian's udev rule sets 0666; without udev, a tmpfiles.d line or boot script keeps it). " +
        'The pod has only loopback',
    ]);
    expect(results['666']).toEqual([]);
  });
});
