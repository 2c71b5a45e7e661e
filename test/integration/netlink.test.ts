// Raw rtnetlink (native/netlink.cc, src/net/netlink.ts) on the real kernel: a bridge, a veth pair whose peer is
// created in a network namespace the test made (named eth0 there), addresses, default routes, then TCP from a
// socket made in that namespace to a server on the bridge address, over IPv4 and IPv6 (private addresses the
// test assigned, nothing else is contacted). `ip` only checks results. Every link is deleted and this file's
// links on the host (its tag's) are compared before and after: other files' pods make and remove veths meanwhile.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PodOptionError, PodSystemError } from '../../src/errors';
import { native } from '../../src/native';
import { checkPodCidr, readHostRoutes } from '../../src/net/host-routes';
import { RouteSocket } from '../../src/net/netlink';
import { linkSysctl, setLinkSysctl } from '../../src/net/sysctl';
import { testNetns, type TestNetns } from '../helpers/netns';
import { stagePackage } from '../helpers/stage';
import { privilegeSkipReason, titled } from '../helpers/privileges';

const reason = privilegeSkipReason();
const tag = (process.pid % 0xfffff).toString(16);
const bridge = `ptb${tag}`;
const veth = `ptv${tag}`;
// 10.231.N.0/24 and fd4e:7a1b:N::/64, N from the pid: private ranges no other test file uses.
const n = process.pid % 250;
const v4 = { gateway: `10.231.${n}.1`, pod: `10.231.${n}.2` };
const v6 = { gateway: `fd4e:7a1b:${n}::1`, pod: `fd4e:7a1b:${n}::2` };

/** The host's links that this file makes (its bridge and veth names, with its tag). */
function linkNames(): string[] {
  const host = RouteSocket.open();
  try {
    return host
      .links()
      .map((link) => link.name)
      .filter((name) => name === bridge || name === veth)
      .sort();
  } finally {
    host.close();
  }
}

/** `ip` run in the namespace, read-only. */
function ipIn(ns: TestNetns, ...args: string[]): string {
  const out = spawnSync('nsenter', [`--net=/proc/${ns.child.pid}/ns/net`, 'ip', ...args], { encoding: 'utf8' });
  expect(out.status, out.stderr).toBe(0);
  return out.stdout;
}

/** Connects from a socket made in the namespace to a server on the host's `gateway`: the peer address the server saw. */
async function connectFromNamespace(ns: TestNetns, gateway: string, family: 4 | 6): Promise<string> {
  const server = net.createServer();
  const seen = new Promise<string>((resolve) =>
    server.once('connection', (socket) => {
      resolve(socket.remoteAddress ?? '');
      socket.end();
    }),
  );
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, gateway, resolve);
  });
  const pidfd = native.pidfdOpen(ns.child.pid!);
  try {
    const fd = native.socketInNetns(pidfd, family);
    const client = new net.Socket({ fd, readable: true, writable: true });
    const closed = new Promise<void>((resolve, reject) => {
      client.once('error', reject);
      client.once('close', () => resolve());
    });
    client.connect({ port: (server.address() as net.AddressInfo).port, host: gateway, autoSelectFamily: false });
    client.resume();
    const peer = await seen;
    await closed;
    return peer;
  } finally {
    native.close(pidfd);
    server.close();
  }
}

describe.skipIf(reason !== undefined)(
  titled('netlink: bridge, veth into a namespace, addresses, routes', reason),
  () => {
    let before: string[];
    let ns: TestNetns;
    let host: RouteSocket;

    beforeEach(async () => {
      before = linkNames();
      ns = await testNetns();
      host = RouteSocket.open();
    });

    afterEach(async () => {
      for (const name of [veth, bridge]) {
        try {
          host.deleteLink(name);
        } catch {
          // already gone: the test deleted it
        }
      }
      host.close();
      await ns.close();
      expect(linkNames()).toEqual(before);
    });

    it('builds the pod network and carries TCP from the namespace to the bridge (IPv4 and IPv6); deletes it all', async () => {
      host.createBridge(bridge, { mtu: 1400 });
      host.addAddress(bridge, `${v4.gateway}/24`);
      host.addAddress(bridge, `${v6.gateway}/64`);
      host.setLink(bridge, { up: true });
      host.createVeth({ name: veth, peer: 'eth0', peerNetnsFd: ns.fd, master: bridge, mtu: 1400, up: true });

      const pod = RouteSocket.open(ns.fd);
      try {
        pod.setLink('lo', { up: true });
        pod.setLink('eth0', { up: true });
        pod.addAddress('eth0', `${v4.pod}/24`);
        pod.addAddress('eth0', `${v6.pod}/64`);
        pod.addDefaultRoute(v4.gateway, 'eth0');
        pod.addDefaultRoute(v6.gateway, 'eth0');

        // The host side is on the bridge; the peer is in the namespace only, named eth0 there.
        const hostLinks = host.links();
        const bridgeLink = hostLinks.find((link) => link.name === bridge)!;
        expect(bridgeLink).toMatchObject({ kind: 'bridge', up: true });
        expect(hostLinks.find((link) => link.name === veth)).toMatchObject({
          kind: 'veth',
          master: bridgeLink.index,
          mtu: 1400,
          up: true,
        });
        expect(hostLinks.some((link) => link.name === 'eth0' && link.kind === 'veth')).toBe(false);
        const podLinks = pod.links();
        expect(podLinks.map((link) => link.name).sort()).toEqual(['eth0', 'lo']);
        expect(podLinks.find((link) => link.name === 'eth0')).toMatchObject({ kind: 'veth', mtu: 1400, up: true });
        expect(pod.index('eth0')).toBe(podLinks.find((link) => link.name === 'eth0')!.index);
      } finally {
        pod.close();
      }

      expect(ipIn(ns, '-4', 'addr', 'show', 'eth0')).toContain(`inet ${v4.pod}/24`);
      expect(ipIn(ns, '-6', 'addr', 'show', 'eth0')).toContain(`${v6.pod}/64`);
      expect(ipIn(ns, '-4', 'route', 'show', 'default')).toMatch(new RegExp(`default via ${v4.gateway} dev eth0`));
      expect(ipIn(ns, '-6', 'route', 'show', 'default')).toMatch(new RegExp(`default via ${v6.gateway} dev eth0`));

      // The server sees the namespace's address: the connection crossed the veth and the bridge.
      expect(await connectFromNamespace(ns, v4.gateway, 4)).toBe(v4.pod);
      expect(await connectFromNamespace(ns, v6.gateway, 6)).toBe(v6.pod);

      // The bridge's route is now one of the host's: a range over it clashes, named; the bridge's own does not.
      expect(() => checkPodCidr('10.231.0.0/16', '--cidr', readHostRoutes())).toThrow(
        `(10.231.${n}.0/24 dev ${bridge} does; choose another)`,
      );
      expect(() => checkPodCidr(`fd4e:7a1b:${n}::/48`, '--cidr', readHostRoutes())).toThrow(`dev ${bridge} does`);
      expect(checkPodCidr('10.231.0.0/16', '--cidr', readHostRoutes(), bridge).prefix).toBe(16);

      // Deleting the host side takes the peer with it.
      host.deleteLink(veth);
      expect(ipIn(ns, '-o', 'link').includes('eth0')).toBe(false);
      host.deleteLink(bridge);
      expect(linkNames()).toEqual(before);
    });

    it('changes a link: down, MTU, detached from its bridge; sets a per-link sysctl', () => {
      host.createBridge(bridge);
      host.createVeth({ name: veth, peer: 'eth0', peerNetnsFd: ns.fd, master: bridge, up: true });
      const find = (name: string) => host.links().find((link) => link.name === name)!;
      expect(find(veth).master).toBe(find(bridge).index);
      host.setLink(veth, { up: false, mtu: 1280, master: null });
      expect(find(veth)).toMatchObject({ up: false, mtu: 1280, master: 0 });
      host.setLink(veth, { master: bridge });
      expect(find(veth).master).toBe(find(bridge).index);

      expect(linkSysctl('ipv4', bridge, 'route_localnet')).toBe('0');
      setLinkSysctl('ipv4', bridge, 'route_localnet', '1');
      expect(linkSysctl('ipv4', bridge, 'route_localnet')).toBe('1');
      expect(fs.readFileSync(`/proc/sys/net/ipv4/conf/${bridge}/route_localnet`, 'utf8')).toBe('1\n');
    });

    it('reports refusals with errno, the netlink operation, the link and a hint', () => {
      host.createBridge(bridge);
      const refusal = (action: () => void): PodSystemError => {
        try {
          action();
        } catch (error) {
          expect(error).toBeInstanceOf(PodSystemError);
          return error as PodSystemError;
        }
        throw new Error('expected a refusal');
      };

      const exists = refusal(() => host.createBridge(bridge));
      expect(exists).toMatchObject({ code: 'EEXIST', syscall: 'netlink RTM_NEWLINK (bridge)', path: bridge });
      expect(exists.hint).toMatch(/already exists/);

      const missing = refusal(() => host.deleteLink(veth));
      expect(missing).toMatchObject({ code: 'ENODEV', syscall: 'netlink RTM_GETLINK', path: veth });
      expect(missing.hint).toMatch(/No link of that name/);

      // A gateway on no subnet of the namespace's links (none has an address yet).
      const pod = RouteSocket.open(ns.fd);
      try {
        const unreachable = refusal(() => pod.addDefaultRoute(v4.gateway));
        expect(unreachable).toMatchObject({ code: 'ENETUNREACH', syscall: 'netlink RTM_NEWROUTE' });
        expect(unreachable.hint).toMatch(/add the address/);
      } finally {
        pod.close();
      }

      // The peer's name is taken in the namespace (lo): the kernel refuses the whole pair, nothing is left.
      const taken = refusal(() => host.createVeth({ name: veth, peer: 'lo', peerNetnsFd: ns.fd }));
      expect(taken.code).toBe('EEXIST');
      expect(host.links().some((link) => link.name === veth)).toBe(false);

      expect(() => host.createBridge('a-name-longer-than-15')).toThrow(PodOptionError);
      expect(() => host.addAddress(bridge, '10.0.0.1')).toThrow(/cidr must be an address with a prefix length/);
    });
  },
);

describe.skipIf(reason !== undefined)(titled('netlink as uid 65534', reason), () => {
  it('lists links but may not create one: EPERM naming the operation, with the hint (as root the same succeeds above)', () => {
    const staged = stagePackage();
    try {
      const script = `
        const { RouteSocket } = require('./dist/net/netlink.js');
        const host = RouteSocket.open();
        const out = { links: host.links().length };
        try { host.createBridge(${JSON.stringify(bridge)}); } catch (e) { out.create = { code: e.code, syscall: e.syscall, hint: e.hint }; }
        host.close();
        console.log(JSON.stringify(out));`;
      const run = spawnSync(process.execPath, ['-e', script], {
        cwd: staged,
        uid: 65534,
        gid: 65534,
        encoding: 'utf8',
      });
      expect(run.status, run.stderr).toBe(0);
      const out = JSON.parse(run.stdout) as { links: number; create?: { code: string; syscall: string; hint: string } };
      expect(out.links).toBeGreaterThan(0);
      expect(out.create).toMatchObject({ code: 'EPERM', syscall: 'netlink RTM_NEWLINK (bridge)' });
      expect(out.create!.hint).toMatch(/CAP_NET_ADMIN/);
      expect(linkNames()).not.toContain(bridge);
    } finally {
      fs.rmSync(staged, { recursive: true, force: true });
    }
  });
});
