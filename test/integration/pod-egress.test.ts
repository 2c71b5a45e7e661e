// --egress (src/net/pod-ports.ts, nft.ts) on the real kernel, as root: the pod's outbound traffic is
// masqueraded only when asked. The "outside" is a network namespace the test makes (an upstream stand-in: a
// veth from the host with a private /24 of its own and no route back to the pods' range), never a real
// external address. With --egress a pod reaches a TCP server there, which sees the host's address on that
// veth (masqueraded); without it (negative control) the pod's packets leave with the pod's own address, the
// upstream cannot answer them, and the server accepts nothing; both over IPv4 and IPv6. ip_forward and
// net.ipv6.conf.all.forwarding, which --egress turns on, are put back as they were; `ip link`, pod-init's nft tables and the leases are the same before and after.
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { PodRunnerOptions } from '../../src';
import { RouteSocket } from '../../src/net/netlink';
import { useBridgeLock } from '../helpers/bridge-lock';
import { testNetns } from '../helpers/netns';
import { startPod } from '../helpers/pod-runner';
import { privilegeSkipReason, titled } from '../helpers/privileges';
import { lineReader } from '../helpers/wait';
import { ownLinks } from '../helpers/pod-links';

const reason = privilegeSkipReason();
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pod-init-egress-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
useBridgeLock(); // on this file's bridge, one file at a time (bridge-lock.ts)

/** The bridge and range the network test files keep to themselves (see pod-network.test.ts). */
const testBridge = 'pitest0';
const testCidr = '10.87.0.0/16';
const testCidr6 = 'fd70:6f64:696f::/64';
/** The upstream's /24, apart from other runs by the PID; the host is .1 on its veth, the server .2. */
const n = process.pid % 250;
const hostSide = `10.231.${n}.1`;
const upstream = `10.231.${n}.2`;
/** Its IPv6 /64 likewise (a ULA of no host route), for the pods' IPv6 addresses. */
const hostSide6 = `fd71:6f64:${n.toString(16)}::1`;
const upstream6 = `fd71:6f64:${n.toString(16)}::2`;
const uplink = `peg${(process.pid % 0xfffff).toString(16)}`;
const serverPort = 20000 + (process.pid % 20000);

let roots = 0;
function ownRoots(): PodRunnerOptions & { stateRoot: string } {
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

/** What a test could leave: links, pod-init's nft tables, leases. */
function snapshot(r: { podLeaseDir?: string }) {
  const host = RouteSocket.open();
  try {
    const leases = r.podLeaseDir !== undefined && fs.existsSync(r.podLeaseDir) ? fs.readdirSync(r.podLeaseDir) : [];
    return {
      links: ownLinks(host, [testBridge, uplink]),
      tables: execFileSync('nft', ['list', 'tables'], { encoding: 'utf8' })
        .split('\n')
        .filter((line) => /^table (ip|inet) pod_init_/.test(line)),
      leases: leases.filter((name) => net.isIP(name) !== 0),
    };
  } finally {
    host.close();
  }
}

/** A pod that connects to the upstream server once over IPv4 and once over IPv6, and says what happened. */
function clientManifest(name: string): string {
  const client = [
    'import socket',
    `for family, address in (("4", "${upstream}"), ("6", "${upstream6}")):`,
    '    try:',
    `        c = socket.create_connection((address, ${serverPort}), timeout=3)`,
    '        print("reply" + family, c.recv(100).decode(), flush=True)',
    '    except OSError as e:',
    '        print("no connection" + family + ":", type(e).__name__, flush=True)',
  ].join('\n');
  return [
    'apiVersion: v1',
    'kind: Pod',
    `metadata: { name: ${name} }`,
    'spec:',
    '  restartPolicy: Never',
    '  terminationGracePeriodSeconds: 1',
    '  containers:',
    '    - name: client',
    '      image: busybox',
    `      command: ["python3", "-c", ${JSON.stringify(client)}]`,
    '',
  ].join('\n');
}

describe.skipIf(reason !== undefined)(titled('--egress', reason), () => {
  it("with --egress a pod reaches a server in an upstream namespace, which sees the host's address; without it, not", async () => {
    const forwardBefore = fs.readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8').trim();
    const forward6 = '/proc/sys/net/ipv6/conf/all/forwarding';
    const forward6Before = fs.readFileSync(forward6, 'utf8').trim();
    const probe = ownRoots();
    const before = snapshot(probe);
    const ns = await testNetns();
    const host = RouteSocket.open();
    let server: ReturnType<typeof spawn> | undefined;
    try {
      // The upstream: a veth from the host, an address at each end, no route back to the pods' range.
      host.createVeth({ name: uplink, peer: 'up0', peerNetnsFd: ns.fd, up: true });
      host.addAddress(uplink, `${hostSide}/24`);
      host.addAddress(uplink, `${hostSide6}/64`);
      const inside = RouteSocket.open(ns.fd);
      try {
        inside.configurePod('up0', [`${upstream}/24`, `${upstream6}/64`], []);
      } finally {
        inside.close();
      }
      const serverCode = [
        'import socket',
        's = socket.socket(socket.AF_INET6)',
        's.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)',
        `s.bind(("::", ${serverPort}))`,
        's.listen()',
        'print("listening", flush=True)',
        'while True:',
        '    c, peer = s.accept()',
        '    print("peer", peer[0], flush=True)',
        '    c.sendall(b"hello")',
        '    c.close()',
      ].join('\n');
      server = spawn('nsenter', ['-t', String(ns.child.pid), '-n', 'python3', '-c', serverCode], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      const serverLines = lineReader(server.stdout!);
      await serverLines.waitFor(/^listening$/, 'the upstream server listens');

      // Negative control first: no --egress, no masquerade; the upstream cannot answer the pod's address.
      const plainRoots = ownRoots();
      const plain = startPod(clientManifest('noegress'), plainRoots.stateRoot, plainRoots);
      await plain.started;
      await plain.runner.finished;
      await plain.runner.closed;
      const plainLines = plain.timeline.filter((line) => line.startsWith('client: '));
      expect(plainLines).toHaveLength(2);
      expect(plainLines[0]).toMatch(/^client: no connection4: /);
      expect(plainLines[1]).toMatch(/^client: no connection6: /);

      const egressRoots = ownRoots();
      const egress = startPod(clientManifest('egress'), egressRoots.stateRoot, { ...egressRoots, egress: true });
      await egress.started;
      await egress.runner.finished;
      await egress.runner.closed;
      expect(egress.timeline).toContain('client: reply4 hello');
      expect(egress.timeline).toContain('client: reply6 hello');
      // The server saw the host's addresses on the uplink, not the pod's: masqueraded. It saw nothing else.
      await serverLines.waitFor(/^peer ::ffff:/, 'the IPv4 connection at the server');
      await serverLines.waitFor(/^peer fd71:/, 'the IPv6 connection at the server');
      expect(serverLines.lines.filter((line) => line.startsWith('peer '))).toEqual([
        `peer ::ffff:${hostSide}`,
        `peer ${hostSide6}`,
      ]);
      expect(fs.readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8').trim()).toBe('1');
      expect(fs.readFileSync(forward6, 'utf8').trim()).toBe('1');
      expect(snapshot(egressRoots).leases).toEqual([]);
    } finally {
      server?.kill('SIGKILL');
      try {
        host.deleteLink(uplink);
      } catch {
        // gone with the namespace
      }
      host.close();
      await ns.close();
      if (forwardBefore === '0') fs.writeFileSync('/proc/sys/net/ipv4/ip_forward', '0');
      if (forward6Before === '0') fs.writeFileSync(forward6, '0');
    }
    expect(snapshot(probe)).toEqual(before);
  }, 60_000);
});
