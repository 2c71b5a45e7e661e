// Published ports (hostPort, --publish) and probes to the pod IP on the real kernel, as root
// (src/net/pod-ports.ts, host-ports.ts, nft.ts): the host reaches a server in the pod on its pod IP, on
// 127.0.0.1:hostPort and on a --publish port, a UDP echo through a published UDP port; a host port is held
// while the pod runs (a host process cannot bind it). A port a host process holds makes `pod-init run` exit 2
// naming the port and the PID, with nothing made; a second pod asking for a hostPort another pod publishes is
// rejected (Failed, NodePorts) before any container starts. After kill -9 of pod-init its nft table is left
// (negative control) and the next run removes it and says so. The bridge's loopback guard stops a namespace
// on the bridge from reaching a host service on 127.0.0.1 (negative control: without it, it does). httpGet probes come from the host (the bridge's
// address), and from inside the pod without a pod IP (control). `ip link`, pod-init's tables in `nft list
// ruleset` (the bridge guard apart, which lives as long as the shared bridge; other tools' tables change on
// their own on a shared host), the lease files and the port claims are the same before and after each test. Traffic goes only to 127.0.0.1 and to the pods the tests made.
import { execFileSync, spawn } from 'node:child_process';
import dgram from 'node:dgram';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parsePublish, type PodRunnerOptions } from '../../src';
import { RouteSocket } from '../../src/net/netlink';
import {
  applyNft,
  deleteNftTable,
  guardTable,
  guardTableScript,
  podTableName,
  podTableScript,
} from '../../src/net/nft';
import { defaultLeaseDir } from '../../src/net/ipam';
import { hostHasIpv6, PodNetwork, vethName } from '../../src/net/pod-network';
import { claimPod, releasePod } from '../../src/pod/owners';
import { readCgroupLayout, sweepLeftovers } from '../../src/cgroups';
import { native } from '../../src/native';
import { useBridgeLock } from '../helpers/bridge-lock';
import { testNetns } from '../helpers/netns';
import { podCli } from '../helpers/pod-cli';
import { startPod } from '../helpers/pod-runner';
import { privilegeSkipReason, titled } from '../helpers/privileges';
import { lineReader, pollUntil } from '../helpers/wait';

const reason = privilegeSkipReason();
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pod-init-ports-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const fixture = path.resolve(__dirname, '../fixtures/run-ports-pod.js');
useBridgeLock(); // one file at a time on pod-init0 (bridge-lock.ts)

/** Host ports of this run: 20000–59999, apart from other runs by the PID. */
const base = 20000 + ((process.pid * 37) % 4000) * 10;
const port = (n: number): number => base + n;

/**
 * This file's bridge and range (pod-network.test.ts's too; the bridge lock keeps the two files apart): root
 * pods of other files run on pod-init0 by default with the shared lease directory, which a lease directory of
 * a test's own must not share a bridge with.
 */
const testBridge = 'pitest0';
const testCidr = '10.87.0.0/16';
const testCidr6 = 'fd70:6f64:696f::/64';

let roots = 0;
/** A state root, owners registry and lease directory of the test's own (claims go beside the leases). */
function ownRoots(): Required<
  Pick<PodRunnerOptions, 'ownersDir' | 'podLeaseDir' | 'podBridge' | 'podCidr' | 'podCidr6'>
> & {
  stateRoot: string;
} {
  const dir = path.join(tmp, `r${roots++}`);
  return {
    stateRoot: path.join(dir, 'state'),
    ownersDir: path.join(dir, 'owners'),
    podLeaseDir: path.join(dir, 'net', 'leases'),
    podBridge: testBridge,
    podCidr: testCidr,
    podCidr6: testCidr6,
  };
}

/** The veths of pods of the shared lease directory (other files' pods). */
function sharedVeths(): string[] {
  const dir = defaultLeaseDir;
  return (fs.existsSync(dir) ? fs.readdirSync(dir).filter((n) => net.isIP(n) !== 0) : []).flatMap((address) => {
    try {
      const { podUid } = JSON.parse(fs.readFileSync(path.join(dir, address), 'utf8')) as { podUid: string };
      return [vethName(podUid)];
    } catch {
      return []; // released meanwhile
    }
  });
}

/**
 * The links a test of this file could leave: this file's bridge and pod veths, but not the veths of the shared
 * lease directory's pods (read before and after the links: see pod-network.test.ts). Other tools' links (podman's)
 * come and go on a shared host.
 */
function linkNames(): string[] {
  const host = RouteSocket.open();
  try {
    const shared = new Set(sharedVeths());
    const names = host.links().map((link) => link.name);
    for (const veth of sharedVeths()) shared.add(veth);
    return names.filter((name) => (name === testBridge || /^pi[0-9a-f]{10}$/.test(name)) && !shared.has(name));
  } finally {
    host.close();
  }
}

/**
 * pod-init's part of `nft list ruleset`: its tables but the bridge guard, which lives as long as the (shared)
 * bridge does. Other tools' tables are left out: on a shared host they change on their own (podman's, say).
 */
function ruleset(): string {
  const text = execFileSync('nft', ['list', 'ruleset'], { encoding: 'utf8' });
  return text
    .split(/^(?=table )/m)
    .filter((block) => /^table (ip|inet) pod_init/.test(block) && !block.startsWith(`table ip ${guardTable} {`))
    .join('');
}

function tables(): string[] {
  return [...execFileSync('nft', ['list', 'tables'], { encoding: 'utf8' }).matchAll(/^table (\S+ \S+)$/gm)].map(
    (m) => m[1]!,
  );
}

/** What the host has that a test could leave behind: links, rules, leases, claims. */
function snapshot(r: ReturnType<typeof ownRoots>) {
  const files = (dir: string) => (fs.existsSync(dir) ? fs.readdirSync(dir).filter((n) => !n.startsWith('.')) : []);
  return {
    links: linkNames().filter((name) => name !== testBridge),
    ruleset: ruleset(),
    leases: files(r.podLeaseDir),
    claims: files(path.join(path.dirname(r.podLeaseDir), 'ports')),
  };
}

/** The guard goes with the bridge. */
function expectGuardWithBridge(): void {
  expect(tables().includes(`ip ${guardTable}`)).toBe(linkNames().includes(testBridge));
}

/** What a TCP server at address:port says before it closes. */
function fetchGreeting(address: string, p: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const socket = net.connect({ host: address, port: p, timeout: 10_000 });
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (text += chunk));
    socket.on('end', () => resolve(text));
    socket.on('timeout', () => socket.destroy(new Error(`no answer from ${address}:${p}`)));
    socket.on('error', reject);
  });
}

/** The answer of a UDP echo at 127.0.0.1:p to one datagram (sent again until one comes back). */
function udpEcho(p: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = dgram.createSocket('udp4');
    const send = () => socket.send(text, p, '127.0.0.1');
    const resend = setInterval(send, 200);
    const deadline = setTimeout(() => done(new Error(`no UDP answer from 127.0.0.1:${p}`)), 10_000);
    const done = (error: Error | undefined, answer?: string) => {
      clearInterval(resend);
      clearTimeout(deadline);
      socket.close();
      if (error) reject(error);
      else resolve(answer!);
    };
    socket.on('message', (message) => done(undefined, message.toString()));
    socket.on('error', (error) => done(error));
    send();
  });
}

/** Whether a host process can bind 0.0.0.0:p/tcp now. */
function hostCanBind(p: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen({ port: p, host: '0.0.0.0', exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** Whether a host process can bind [::]:p/tcp (IPv6 only) now. */
function hostCanBind6(p: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen({ port: p, host: '::', ipv6Only: true, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** How a connection to address:p ends when it is refused: its error code (a connection that succeeds fails the test). */
function refusal(address: string, p: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: address, port: p, timeout: 10_000 });
    socket.on('connect', () => {
      socket.destroy();
      reject(new Error(`${address}:${p} accepted a connection`));
    });
    socket.on('timeout', () => {
      socket.destroy();
      resolve('timeout');
    });
    socket.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}

type StartedPod = ReturnType<typeof startPod>;

/**
 * Waits for `check`, or throws at once with the reason when the pod could not be set up (a host route over
 * the range, say: podman's bridge on 10.88.0.0/16 while a podman container runs).
 */
async function whileUp(p: StartedPod, check: () => boolean, what: string): Promise<void> {
  const failure = () => p.events.find((e) => e.reason === 'FailedCreatePodSandBox');
  await pollUntil(() => check() || failure() !== undefined, what, 30_000);
  if (failure() !== undefined) throw new Error(`the pod could not start: ${failure()!.message}`);
}

/** The pod's cgroups hold no process any more (its guard killed them after pod-init died). */
function podProcessesGone(uid: string): boolean {
  const procs: string[] = [];
  const walk = (dir: string) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (e.name === 'cgroup.procs') procs.push(fs.readFileSync(path.join(dir, e.name), 'utf8').trim());
      else if (e.isDirectory()) walk(path.join(dir, e.name));
    }
  };
  for (const hierarchy of ['/sys/fs/cgroup', ...fs.readdirSync('/sys/fs/cgroup').map((h) => `/sys/fs/cgroup/${h}`)])
    walk(path.join(hierarchy, 'kubepods', 'besteffort', `pod${uid}`));
  return procs.every((text) => text === '');
}

const tcpServer = (name: string, containerPort: number, ports: string) => `
    - name: ${name}
      image: busybox
      ports: ${ports}
      command:
        - python3
        - -c
        - |
          import socket
          s = socket.socket()
          s.bind(("0.0.0.0", ${containerPort}))
          s.listen()
          print("listening", flush=True)
          while True:
              c, _ = s.accept()
              c.sendall(b"hello from the pod")
              c.close()`;

/** A TCP server on every address of both families (an IPv6 socket that takes IPv4 too). */
const dualStackServer = (name: string, containerPort: number, ports: string) => `
    - name: ${name}
      image: busybox
      ports: ${ports}
      command:
        - python3
        - -c
        - |
          import socket
          s = socket.socket(socket.AF_INET6)
          s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
          s.bind(("::", ${containerPort}))
          s.listen()
          print("listening", flush=True)
          while True:
              c, _ = s.accept()
              c.sendall(b"hello from the pod")
              c.close()`;

const udpServer = (containerPort: number, ports: string) => `
    - name: udp
      image: busybox
      ports: ${ports}
      command:
        - python3
        - -c
        - |
          import socket
          s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
          s.bind(("0.0.0.0", ${containerPort}))
          print("listening", flush=True)
          while True:
              data, peer = s.recvfrom(100)
              s.sendto(b"echo " + data, peer)`;

const sleeper = (ports: string) => `
    - name: c
      image: busybox
      ports: ${ports}
      command: ["sleep", "600"]`;

function manifest(name: string, containers: string): string {
  return `apiVersion: v1\nkind: Pod\nmetadata: { name: ${name} }\nspec:\n  restartPolicy: Never\n  terminationGracePeriodSeconds: 1\n  containers:${containers}\n`;
}

describe.skipIf(reason !== undefined)(titled('published ports (hostPort, --publish)', reason), () => {
  it('the host reaches the pod on its IP, on 127.0.0.1:hostPort and a --publish port, UDP too; the ports are held; nothing is left after', async () => {
    const r = ownRoots();
    const before = snapshot(r);
    const [tcpHost, udpHost, published] = [port(0), port(1), port(2)];
    const p = startPod(
      manifest(
        'portsweb',
        tcpServer('web', 8080, `[{ containerPort: 8080, hostPort: ${tcpHost} }]`) +
          udpServer(5353, `[{ containerPort: 5353, protocol: UDP, hostPort: ${udpHost}, hostIP: 127.0.0.1 }]`),
      ),
      r.stateRoot,
      { ...r, publish: [parsePublish(`127.0.0.1:${published}:8080`)] },
    );
    try {
      await p.started;
      await whileUp(
        p,
        () => p.timeline.includes('web: listening') && p.timeline.includes('udp: listening'),
        'the servers listen',
      );
      const podIP = (p.runner.object().status as { podIP: string }).podIP;
      const podIP6 = (p.runner.object().status as { podIPs: Array<{ ip: string }> }).podIPs[1]!.ip;
      expect(podIP).toMatch(/^10\.87\./);
      expect(tables()).toContain(`inet ${podTableName(p.runner.pod.metadata.uid!)}`);
      expect(await fetchGreeting(podIP, 8080)).toBe('hello from the pod');
      expect(await fetchGreeting('127.0.0.1', tcpHost)).toBe('hello from the pod');
      expect(await fetchGreeting('127.0.0.1', published)).toBe('hello from the pod');
      expect(await udpEcho(udpHost, 'ping')).toBe('echo ping');
      // Held: a host process cannot take the published port while the pod runs (control: a port not published).
      expect(await hostCanBind(tcpHost)).toBe(false);
      expect(await hostCanBind(port(3))).toBe(true);
      expect(p.events.filter((e) => e.reason === 'PortsPublished').map((e) => e.message)).toEqual([
        `Published 0.0.0.0:${tcpHost}/tcp -> 8080 (pod ${podIP} and ${podIP6})`,
        `Published 127.0.0.1:${udpHost}/udp -> 5353 (pod ${podIP})`,
        `Published 127.0.0.1:${published}/tcp -> 8080 (pod ${podIP})`,
      ]);
    } finally {
      p.runner.delete(0);
      await p.runner.closed;
    }
    expect(snapshot(r)).toEqual(before);
    expect(await hostCanBind(tcpHost)).toBe(true);
    expectGuardWithBridge();
  });

  it('IPv6: the host reaches the pod on its IPv6 address and through its published ports on IPv6 ([::1] is refused at once); rules and held sockets go with the pod', async () => {
    const r = ownRoots();
    const before = snapshot(r);
    // The host's own address on the bridge the tests make (its IPv6 gateway): the IPv6 stand-in for 127.0.0.1,
    // which IPv6 cannot DNAT (::1). Traffic to it stays in this host.
    const gateway6 = 'fd70:6f64:696f::1';
    const [wildcard, v6only] = [port(11), port(12)];
    // The gateway exists once the bridge does: a lease of the test's own keeps it up while the pod starts (its
    // host ports are held before the pod's own lease is taken).
    claimPod(r.ownersDir, 'v6anchor');
    const anchor = PodNetwork.reserve('v6anchor', {
      ownersDir: r.ownersDir,
      leaseDir: r.podLeaseDir,
      bridge: testBridge,
      cidr: testCidr,
      cidr6: testCidr6,
    });
    const p = startPod(
      manifest('portsv6', dualStackServer('web', 8080, `[{ containerPort: 8080, hostPort: ${wildcard} }]`)),
      r.stateRoot,
      { ...r, publish: [parsePublish(`[${gateway6}]:${v6only}:8080`)] },
    );
    try {
      await p.started;
      await whileUp(p, () => p.timeline.includes('web: listening'), 'the server listens');
      const status = p.runner.object().status as { podIP: string; podIPs: Array<{ ip: string }> };
      const podIP6 = status.podIPs[1]!.ip;
      expect(podIP6).toMatch(/^fd70:6f64:696f::/);
      expect(await fetchGreeting(podIP6, 8080)).toBe('hello from the pod');
      // The wildcard hostPort on both families; the IPv6 hostIP on IPv6 alone.
      expect(await fetchGreeting(gateway6, wildcard)).toBe('hello from the pod');
      expect(await fetchGreeting('127.0.0.1', wildcard)).toBe('hello from the pod');
      expect(await fetchGreeting(gateway6, v6only)).toBe('hello from the pod');
      expect(await refusal('127.0.0.1', v6only)).toBe('ECONNREFUSED'); // control: not published on IPv4
      // [::1] is not DNATed (the kernel would drop the packets from ::1 on the bridge): the held socket refuses it.
      expect(await refusal('::1', wildcard)).toBe('ECONNREFUSED');
      const table = execFileSync('nft', ['list', 'table', 'inet', podTableName(p.runner.pod.metadata.uid!)], {
        encoding: 'utf8',
      });
      expect(table).toContain(`dnat ip6 to [${podIP6}]:8080`);
      // Held on IPv6 too: a host process cannot take [::]:wildcard (control: a port not published).
      expect(await hostCanBind6(wildcard)).toBe(false);
      expect(await hostCanBind6(port(13))).toBe(true);
      expect(p.events.filter((e) => e.reason === 'PortsPublished').map((e) => e.message)).toEqual([
        `Published 0.0.0.0:${wildcard}/tcp -> 8080 (pod ${status.podIP} and ${podIP6})`,
        `Published [${gateway6}]:${v6only}/tcp -> 8080 (pod ${podIP6})`,
      ]);
    } finally {
      p.runner.delete(0);
      await p.runner.closed;
      anchor.release();
      releasePod(r.ownersDir, 'v6anchor');
    }
    expect(snapshot(r)).toEqual(before);
    expect(await hostCanBind6(wildcard)).toBe(true);
    expect(await hostCanBind(wildcard)).toBe(true);
    expectGuardWithBridge();
  });

  it('an IPv6 host port a host process holds (IPv4 free): pod-init run exits 2 naming [::]:port and the PID, with nothing made', async () => {
    expect(hostHasIpv6()).toBe(true); // the default bridge gives pods IPv6 here, so wildcard ports are held on [::]
    const held = port(14);
    const holder = spawn(
      process.execPath,
      [
        '-e',
        `require('net').createServer().listen({ port: ${held}, host: '::', ipv6Only: true }, () => console.log('ready'))`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const exited = new Promise<void>((resolve) => holder.once('exit', () => resolve()));
    const cli = podCli();
    try {
      await lineReader(holder.stdout).waitFor(/^ready$/, 'the host process listens');
      expect(await hostCanBind(held)).toBe(true); // its IPv4 port is free
      const links = linkNames();
      const rules = ruleset();
      const result = await cli.run(['--publish', `${held}:8080`, '-o', 'json'], manifest('portsbusy6', sleeper('[]')));
      expect(result.stderr).toContain(
        `pod-init: host port [::]:${held}/tcp is in use by PID ${holder.pid} (node): free it or publish another port`,
      );
      expect(result.code).toBe(2);
      expect(result.stdout).toBe('');
      expect(linkNames()).toEqual(links);
      expect(ruleset()).toEqual(rules);
      expect(await hostCanBind(held)).toBe(true); // the IPv4 socket held first was closed
      expect(fs.readdirSync(cli.stateRoot).filter((n) => !n.startsWith('.'))).toEqual([]);
    } finally {
      cli.cleanup();
      holder.kill('SIGKILL');
      await exited;
    }
  });

  it('a host port a host process holds: pod-init run exits 2 naming the port and the PID, with nothing made', async () => {
    const held = port(4);
    const holder = spawn(
      process.execPath,
      ['-e', `require('net').createServer().listen(${held}, '0.0.0.0', () => console.log('ready'))`],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const exited = new Promise<void>((resolve) => holder.once('exit', () => resolve()));
    const cli = podCli();
    try {
      await lineReader(holder.stdout).waitFor(/^ready$/, 'the host process listens');
      const links = linkNames();
      const rules = ruleset();
      const result = await cli.run(['--publish', `${held}:8080`, '-o', 'json'], manifest('portsbusy', sleeper('[]')));
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(
        `pod-init: host port 0.0.0.0:${held}/tcp is in use by PID ${holder.pid} (node): free it or publish another port`,
      );
      expect(result.stdout).toBe(''); // no pod object: nothing started
      expect(result.stderr).not.toContain('Started');
      expect(linkNames()).toEqual(links);
      expect(ruleset()).toEqual(rules);
      expect(fs.readdirSync(cli.stateRoot).filter((n) => !n.startsWith('.'))).toEqual([]); // no pod state either
    } finally {
      cli.cleanup();
      holder.kill('SIGKILL');
      await exited;
    }
  });

  it('a second pod asking for a hostPort another pod publishes is rejected: Failed, NodePorts, nothing started', async () => {
    const r = ownRoots();
    const before = snapshot(r);
    const hostPort = port(5);
    const a = startPod(
      manifest('portsfirst', sleeper(`[{ containerPort: 80, hostPort: ${hostPort} }]`)),
      r.stateRoot,
      r,
    );
    try {
      await a.started;
      await whileUp(a, () => a.timeline.includes('started c'), 'the first pod runs');
      // The same port on 127.0.0.1 collides with the first pod's wildcard (the scheduler's rule).
      const b = startPod(
        manifest('portssecond', sleeper(`[{ containerPort: 81, hostPort: ${hostPort}, hostIP: 127.0.0.1 }]`)),
        r.stateRoot,
        r,
      );
      await b.started;
      const final = (await b.runner.finished) as { status: { phase: string; reason?: string; message?: string } };
      await b.runner.closed;
      expect(final.status).toMatchObject({ phase: 'Failed', reason: 'NodePorts' });
      expect(final.status.message).toBe(
        "Pod was rejected: Predicate NodePorts failed: node(s) didn't have free ports for the requested pod ports " +
          `(127.0.0.1:${hostPort}/tcp -> 81: 0.0.0.0:${hostPort}/tcp -> 80 is published by pod default/portsfirst)`,
      );
      expect(b.timeline.some((line) => line.startsWith('Started'))).toBe(false);
      expect(tables()).not.toContain(`inet ${podTableName(b.runner.pod.metadata.uid!)}`);
      // Control: the first pod runs on, its port still held.
      expect(a.timeline).not.toContain('Killing c');
      expect(await hostCanBind(hostPort)).toBe(false);
    } finally {
      a.runner.delete(0);
      await a.runner.closed;
    }
    expect(snapshot(r)).toEqual(before);
    expectGuardWithBridge();
  });

  it('after kill -9 of pod-init its nft table is left, and the next run removes it and says so', async () => {
    const r = ownRoots();
    const before = snapshot(r);
    const hostPort = port(6);
    const file = path.join(tmp, 'killed.yaml');
    fs.writeFileSync(file, manifest('portskilled', sleeper('[]')));
    const child = spawn(process.execPath, [fixture, file, r.stateRoot, r.ownersDir, r.podLeaseDir, `${hostPort}:80`], {
      env: { ...process.env, TEST_POD_BRIDGE: r.podBridge, TEST_POD_CIDR: r.podCidr, TEST_POD_CIDR6: testCidr6 },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const out = lineReader(child.stdout);
    let uid: string;
    try {
      [, , uid] = (await out.waitFor(/^podIP /, 'the pod runs')).split(' ') as [string, string, string];
      await out.waitFor(/"reason":"Started"/, 'the container started');
    } finally {
      child.kill('SIGKILL');
      await exited;
    }
    // Negative control: nothing removed the table or the claim (the kernel closed the held socket).
    expect(tables()).toContain(`inet ${podTableName(uid)}`);
    expect(snapshot(r).claims).toEqual([`${uid}.json`]);
    // Its guard kills the pod's processes; the next run's cgroup sweep needs them gone.
    await pollUntil(() => podProcessesGone(uid), "the killed pod-init's pod is gone", 30_000);

    const next = startPod(manifest('portsnext', sleeper('[]')), r.stateRoot, { ...r, podNetwork: 'bridge' });
    await next.started;
    next.runner.delete(0);
    await next.runner.closed;
    const swept = next.events.filter((e) => e.reason === 'SweptLeftovers').map((e) => e.message);
    expect(swept).toContain(
      `Removed the nft table inet ${podTableName(uid)} and host ports 0.0.0.0:${hostPort}/tcp -> 80 of pod default/portskilled (${uid}), left behind by a pod-init that is gone`,
    );
    expect(swept.some((m) => m.startsWith(`Removed the network of pod ${uid}`))).toBe(true);
    expect(snapshot(r)).toEqual(before);
    expectGuardWithBridge();
  });

  it('after kill -9 of pod-init, a pod-init of another owners registry removes its table and claim (the claim names its owner)', async () => {
    const r = ownRoots();
    const before = snapshot(r);
    const hostPort = port(10);
    const file = path.join(tmp, 'killed-other.yaml');
    fs.writeFileSync(file, manifest('portsorphan', sleeper('[]')));
    const child = spawn(process.execPath, [fixture, file, r.stateRoot, r.ownersDir, r.podLeaseDir, `${hostPort}:80`], {
      env: { ...process.env, TEST_POD_BRIDGE: r.podBridge, TEST_POD_CIDR: r.podCidr, TEST_POD_CIDR6: testCidr6 },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const out = lineReader(child.stdout);
    let uid: string;
    try {
      [, , uid] = (await out.waitFor(/^podIP /, 'the pod runs')).split(' ') as [string, string, string];
      await out.waitFor(/"reason":"Started"/, 'the container started');
    } finally {
      child.kill('SIGKILL');
      await exited;
    }
    expect(tables()).toContain(`inet ${podTableName(uid)}`);
    const claimFile = path.join(path.dirname(r.podLeaseDir), 'ports', `${uid}.json`);
    const claim = JSON.parse(fs.readFileSync(claimFile, 'utf8')) as { owner?: string };
    expect(claim.owner).toMatch(new RegExp(`^${child.pid} \\d+$`));
    await pollUntil(() => podProcessesGone(uid), "the killed pod-init's pod is gone", 30_000);

    // The next pod-init keeps its pods in another registry (another state root's): the dead pod has no record there.
    const other = {
      ...r,
      stateRoot: path.join(tmp, `other-state-${roots}`),
      ownersDir: path.join(tmp, `other-owners-${roots}`),
    };
    const next = startPod(
      manifest('portsothernext', sleeper(`[{ containerPort: 80, hostPort: ${hostPort} }]`)),
      other.stateRoot,
      other,
    );
    try {
      await next.started;
      // The dead pod's claim no longer holds the port: the new pod publishes it (no NodePorts).
      await whileUp(next, () => next.timeline.includes('started c'), 'the next pod runs');
      expect(next.events.map((e) => e.reason)).not.toContain('NodePorts');
    } finally {
      next.runner.delete(0);
      await next.runner.closed;
    }
    const swept = next.events.filter((e) => e.reason === 'SweptLeftovers').map((e) => e.message);
    expect(swept).toContain(
      `Removed the nft table inet ${podTableName(uid)} and host ports 0.0.0.0:${hostPort}/tcp -> 80 of pod default/portsorphan (${uid}), left behind by a pod-init that is gone`,
    );
    expect(swept.some((m) => m.startsWith(`Removed the network of pod ${uid}`))).toBe(true);
    expect(snapshot(r)).toEqual(before);
    expectGuardWithBridge();
    // The dead pod's cgroups: its own registry's next pod-init would remove them; this test does.
    await sweepLeftovers(readCgroupLayout(), '/', (podUid) => podUid !== uid);
  });

  it("route_localnet's guard: a namespace on the bridge cannot reach the host's 127.0.0.1 (it can once the guard is gone)", async () => {
    const r = ownRoots();
    const before = snapshot(r);
    // A publishing pod: the bridge gets route_localnet=1 and the guard table.
    const p = startPod(manifest('portsguard', sleeper('[]')), r.stateRoot, {
      ...r,
      publish: [parsePublish(`127.0.0.1:${port(8)}:80`)],
    });
    // A host service on 127.0.0.1 only, and an attacker namespace on the bridge that routes 127.0.0.0/8 there.
    const accepted: string[] = [];
    const service = net.createServer((socket) => {
      accepted.push(socket.remoteAddress ?? '?');
      socket.destroy();
    });
    await new Promise<void>((resolve) => service.listen(port(9), '127.0.0.1', resolve));
    const attackerNs = await testNetns();
    claimPod(r.ownersDir, 'attacker');
    const attacker = PodNetwork.reserve('attacker', {
      ownersDir: r.ownersDir,
      leaseDir: r.podLeaseDir,
      bridge: testBridge,
      cidr: testCidr,
      cidr6: testCidr6,
    });
    const inAttacker = (script: string) =>
      execFileSync('nsenter', ['-t', String(attackerNs.child.pid), '-n', 'sh', '-c', script], { encoding: 'utf8' });
    const client = [
      'import socket',
      'try:',
      `    socket.create_connection(("127.0.0.1", ${port(9)}), timeout=2)`,
      '    print("connected")',
      'except OSError as e:',
      '    print("refused" if isinstance(e, ConnectionRefusedError) else "no answer")',
    ].join('\n');
    const connect = () => inAttacker(`python3 -c '${client}'`).trim();
    const dropped = () =>
      Number(
        /counter packets (\d+)/.exec(
          execFileSync('nft', ['list', 'table', 'ip', guardTable], { encoding: 'utf8' }),
        )![1],
      );
    try {
      await whileUp(p, () => p.timeline.includes('started c'), 'the pod runs');
      attacker.attach(attackerNs.child.pid!);
      inAttacker(
        'ip addr flush dev lo && ' + // 127.0.0.1 no longer its own
          'sysctl -qw net.ipv4.conf.eth0.route_localnet=1 && ' +
          `ip route add 127.0.0.0/8 via ${attacker.lease.gateway} dev eth0`,
      );
      expect(fs.readFileSync(`/proc/sys/net/ipv4/conf/${testBridge}/route_localnet`, 'utf8').trim()).toBe('1');
      const droppedBefore = dropped();
      expect(connect()).toBe('no answer'); // a deadline for what must not happen: the drop is counted below
      expect(dropped()).toBeGreaterThan(droppedBefore);
      expect(accepted).toEqual([]);
      // Negative control: without the guard the same packets reach the host's loopback service.
      deleteNftTable(guardTable, 'library', 'ip');
      try {
        expect(connect()).toBe('connected');
        await pollUntil(() => accepted.length > 0, 'the host service saw the connection');
        expect(accepted[0]).toBe(attacker.address);
      } finally {
        await applyNft(guardTableScript(testBridge));
      }
    } finally {
      attacker.release();
      releasePod(r.ownersDir, 'attacker');
      await attackerNs.close();
      await new Promise((resolve) => service.close(resolve));
      p.runner.delete(0);
      await p.runner.closed;
    }
    expect(snapshot(r)).toEqual(before);
    expectGuardWithBridge();
  });

  it("nft scripts run in-process through libnftables and through the nft binary alike; refusals carry nft's message", async () => {
    expect(native.nftAvailable()).toBe(true); // Debian's nftables package brings libnftables1
    const before = ruleset();
    for (const via of ['library', 'binary'] as const) {
      const uid = `nft-test-${via}-${process.pid}`;
      const table = podTableName(uid);
      try {
        await applyNft(
          podTableScript({
            podUid: uid,
            address: '10.88.255.254',
            bridge: 'pod-init0',
            mappings: [parsePublish(`${port(7)}:80`)],
            egress: false,
          }),
          via,
        );
        expect(ruleset()).toContain(`table inet ${table} {`);
        expect(deleteNftTable(table, via)).toBe(true);
        expect(deleteNftTable(table, via)).toBe(false); // gone: no error
      } finally {
        deleteNftTable(table, via); // a failed assertion above leaves no table on the host
      }
      await expect(applyNft(`table ip ${table} { chain c { no such thing } }\n`, via)).rejects.toThrow(
        /nft said: .*syntax error/s,
      );
    }
    expect(ruleset()).toEqual(before);
  });

  it('httpGet probes reach a pod with an IP from the host (the bridge address), others from inside the pod', async () => {
    const web = `
    - name: web
      image: busybox
      command: ["python3", "-m", "http.server", "8080", "--bind", "0.0.0.0", "--directory", "/"]
      readinessProbe: { httpGet: { port: 8080, path: / }, periodSeconds: 1 }`;
    const probeSources = async (options: PodRunnerOptions, r: ReturnType<typeof ownRoots>) => {
      const p = startPod(manifest('portsprobe', web), r.stateRoot, { ...r, ...options });
      try {
        await p.started;
        await whileUp(p, () => p.condition('Ready') === 'True', 'the pod is Ready');
        return p.timeline.filter((line) => line.includes('"GET / HTTP')).map((line) => line.split(' ')[1]);
      } finally {
        p.runner.delete(0);
        await p.runner.closed;
      }
    };
    const r = ownRoots();
    const before = snapshot(r);
    const bridged = await probeSources({ podNetwork: 'bridge' }, r);
    expect(bridged.length).toBeGreaterThan(0);
    expect(new Set(bridged)).toEqual(new Set(['10.87.0.1'])); // the host's side of the bridge
    // Control: a pod without an IP (the opt-out) is probed through a socket inside it, from its own loopback.
    const plain = await probeSources({ podNetwork: 'loopback' }, ownRoots());
    expect(new Set(plain)).toEqual(new Set(['127.0.0.1']));
    expect(snapshot(r)).toEqual(before);
  }, 60_000);
});
