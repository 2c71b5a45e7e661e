// --pod-network bridge (src/net/pod-network.ts, PodRunner's podNetwork) on the real kernel, as root: a pod gets
// an address of 10.88.0.0/16 on eth0 (veth to the bridge pod-init0), status.podIP and /etc/hosts carry it; a
// python3 TCP server in the pod is reached from the host at podIP:port, and from a second pod; after the pods
// end neither their veths nor their leases are left. kill -9 of a pod-init leaves its lease (shown), and the
// next run sweeps it and says so. The bridge is the default as root; negative control: with the opt-out
// (podNetwork loopback) a pod has only lo. Each test keeps its
// own state root, owners registry and lease directory; traffic goes only to the pods it made. The bridge
// pod-init0 is made on first use and goes with the last lease. `pod-init run --pod-network bridge` (the CLI) shows the pod IP in
// -o json, and its veth and lease are gone when it exits. A --pod-cidr overlapping a host route (a bridge the test
// makes) fails the pod naming the route; the same range works without it. Without root (uid 65534, a staged copy)
// the option leaves loopback only, with a PodNetworkUnavailable event. A range other than the bridge's is refused.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { PodRunnerOptions } from '../../src';
import { addressValue, parseCidr } from '../../src/net/cidr';
import { defaultLeaseDir } from '../../src/net/ipam';
import { RouteSocket } from '../../src/net/netlink';
import { hostHasIpv6, PodNetwork, sweepPodNetworks, vethName } from '../../src/net/pod-network';
import { claimPod, releasePod } from '../../src/pod/owners';
import { testNetns } from '../helpers/netns';
import { useBridgeLock } from '../helpers/bridge-lock';
import { podCli } from '../helpers/pod-cli';
import { pausesOf } from '../helpers/procfs';
import { startPod } from '../helpers/pod-runner';
import { privilegeSkipReason, titled } from '../helpers/privileges';
import { stagePackage } from '../helpers/stage';
import { lineReader, pollUntil, readAll } from '../helpers/wait';

const reason = privilegeSkipReason();
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pod-init-podnet-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const fixture = path.resolve(__dirname, '../fixtures/run-net-pod.js');
useBridgeLock(); // one file at a time on pod-init0 (bridge-lock.ts)

/**
 * This file's bridge and range: root pods of other files (run at the same time) are on pod-init0 by default,
 * with the shared lease directory; a lease directory of a test's own beside them on one bridge would hand
 * out their addresses again, and its sweep would take their veths for strays.
 */
const testBridge = 'pitest0';
const testCidr = '10.87.0.0/16';
const testCidr6 = 'fd70:6f64:696f::/64';

let roots = 0;
/** A state root, owners registry and lease directory of the test's own, on this file's bridge. */
function ownRoots(): Required<
  Pick<PodRunnerOptions, 'ownersDir' | 'podLeaseDir' | 'podBridge' | 'podCidr' | 'podCidr6'>
> & {
  stateRoot: string;
} {
  const dir = path.join(tmp, `r${roots++}`);
  return {
    stateRoot: path.join(dir, 'state'),
    ownersDir: path.join(dir, 'owners'),
    podLeaseDir: path.join(dir, 'leases'),
    podBridge: testBridge,
    podCidr: testCidr,
    podCidr6: testCidr6,
  };
}

/** The veths of pods of the shared lease directory (other files' pods, or this file's CLI pods while they run). */
function sharedVeths(): string[] {
  return leaseFiles(defaultLeaseDir).flatMap((address) => {
    try {
      const { podUid } = JSON.parse(fs.readFileSync(path.join(defaultLeaseDir, address), 'utf8')) as { podUid: string };
      return [vethName(podUid)];
    } catch {
      return []; // released meanwhile
    }
  });
}

/**
 * The links a test of this file could leave: this file's bridge and pod veths (`pi` + 10 hex digits), but not
 * the veths of the shared lease directory's pods (a lease is there from before its veth is made to after it
 * is deleted: read before and after the links). Other tools' links (podman's) come and go on a shared host.
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

/** The IPv4 leases of a directory (the IPv6 ones, beside them where the host has IPv6, go with them). */
function leaseFiles(dir: string): string[] {
  return fs.existsSync(dir) ? fs.readdirSync(dir).filter((name) => net.isIPv4(name)) : [];
}

/** In the default range: 10.88.0.0/16, or one of 10.89–10.99.0.0/16 beside a host route (podman's bridge) over it. */
function inRange(address: string): boolean {
  const second = Number((addressValue(address) >> 16n) & 0xffn);
  const cidr = parseCidr('10.0.0.0/8', 'test');
  return net.isIPv4(address) && addressValue(address) >> 24n === cidr.network >> 24n && second >= 88 && second <= 99;
}

/** In this file's range. */
function inTestRange(address: string): boolean {
  return net.isIPv4(address) && address.startsWith('10.87.');
}

/** A container running python3: a TCP server on 8080 that answers `hello from HOSTNAME` and closes. */
const server = `
    - name: server
      image: busybox
      command:
        - python3
        - -c
        - |
          import os, socket
          s = socket.socket()
          s.bind(("0.0.0.0", 8080))
          s.listen()
          print("listening", flush=True)
          while True:
              c, _ = s.accept()
              c.sendall(b"hello from " + os.uname().nodename.encode())
              c.close()`;

function manifest(name: string, containers: string, restartPolicy = 'Never'): string {
  return `apiVersion: v1\nkind: Pod\nmetadata: { name: ${name} }\nspec:\n  restartPolicy: ${restartPolicy}\n  terminationGracePeriodSeconds: 1\n  containers:${containers}\n`;
}

/** A pod with --pod-network bridge under `roots`. */
function bridgedPod(name: string, containers: string, roots: ReturnType<typeof ownRoots>) {
  return startPod(manifest(name, containers), roots.stateRoot, { ...roots, podNetwork: 'bridge' });
}

/** The negative control's pod: the opt-out, `--pod-network loopback` (loopback only). */
function plainPod() {
  const roots = ownRoots();
  return startPod(manifest('netplain', listInterfaces), roots.stateRoot, {
    ownersDir: roots.ownersDir,
    podNetwork: 'loopback',
  });
}

/** What a TCP server at address:port says before it closes. */
function fetchGreeting(address: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const socket = net.connect({ host: address, port, timeout: 10_000 });
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (text += chunk));
    socket.on('end', () => resolve(text));
    socket.on('timeout', () => socket.destroy(new Error(`no answer from ${address}:${port}`)));
    socket.on('error', reject);
  });
}

/** The interfaces of a pod's network namespace, from a container's /proc/net/dev. */
const listInterfaces = `
    - name: ifaces
      image: busybox
      command: ["sh", "-c", "echo $(tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' ' | sort); cat /etc/hosts"]`;

describe.skipIf(reason !== undefined)(titled('pod network (--pod-network bridge)', reason), () => {
  it('a pod gets an address of the range on eth0 by default; status.podIP and /etc/hosts carry it; with --pod-network loopback only lo', async () => {
    const roots = ownRoots();
    const bridged = startPod(manifest('netifaces', listInterfaces), roots.stateRoot, roots); // no podNetwork
    await bridged.started;
    const final = (await bridged.runner.finished) as { status: { podIP: string; podIPs: Array<{ ip: string }> } };
    await bridged.runner.closed;
    const podIP = final.status.podIP;
    expect(inTestRange(podIP)).toBe(true);
    // Dual-stack where the host has IPv6: the ULA /64's address second (this file's range).
    const ipv6 = final.status.podIPs[1]?.ip;
    expect(final.status.podIPs).toEqual(hostHasIpv6() ? [{ ip: podIP }, { ip: ipv6 }] : [{ ip: podIP }]);
    if (ipv6 !== undefined) {
      // The IPv4 address in the range's low 32 bits (10.87.0.2 -> fd70:6f64:696f::a57:2).
      const [a, b, c, d] = podIP.split('.').map(Number) as [number, number, number, number];
      expect(ipv6).toBe(`fd70:6f64:696f::${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`);
      expect(bridged.timeline).toContain(`ifaces: ${ipv6}\tnetifaces`);
    }
    expect(bridged.timeline).toContain('ifaces: eth0 lo');
    expect(bridged.timeline).toContain(`ifaces: ${podIP}\tnetifaces`);

    // Negative control: the opt-out has loopback only, and 127.0.0.1 as its IP.
    const plain = plainPod();
    await plain.started;
    const plainFinal = (await plain.runner.finished) as { status: { podIP: string } };
    expect(plain.timeline).toContain('ifaces: lo');
    expect(plainFinal.status.podIP).toBe('127.0.0.1');
  });

  it('the host reaches a server in the pod at podIP:port, a second pod reaches it too; nothing is left after', async () => {
    const roots = ownRoots();
    const before = linkNames().filter((name) => name !== testBridge);
    const a = bridgedPod('netserver', server, roots);
    try {
      await a.started;
      await pollUntil(() => a.timeline.includes('server: listening'), 'the server listens', 30_000);
      const podIP = (a.runner.object().status as { podIP: string }).podIP;
      expect(inTestRange(podIP)).toBe(true);
      const uidA = a.runner.pod.metadata.uid!;
      expect(linkNames()).toContain(vethName(uidA));
      expect(leaseFiles(roots.podLeaseDir)).toEqual([podIP]);

      expect(await fetchGreeting(podIP, 8080)).toBe('hello from netserver');

      const client = `
    - name: client
      image: busybox
      command:
        - python3
        - -c
        - |
          import socket
          c = socket.create_connection(("${podIP}", 8080), timeout=10)
          print("got", c.recv(100).decode(), "from", c.getsockname()[0], flush=True)`;
      const b = bridgedPod('netclient', client, roots);
      await b.started;
      const bFinal = (await b.runner.finished) as { status: { podIP: string } };
      await b.runner.closed; // the veth is deleted just after the end is reported
      const bIP = bFinal.status.podIP;
      expect(inTestRange(bIP) && bIP !== podIP).toBe(true);
      expect(b.timeline).toContain(`client: got hello from netserver from ${bIP}`);
      // B ended: its veth and lease are gone, A's are still there.
      expect(linkNames()).not.toContain(vethName(b.runner.pod.metadata.uid!));
      expect(leaseFiles(roots.podLeaseDir)).toEqual([podIP]);
    } finally {
      a.runner.delete(0);
      await a.runner.closed;
    }
    expect(linkNames()).toEqual(before); // the bridge went with the last lease
    expect(leaseFiles(roots.podLeaseDir)).toEqual([]);
  });

  it.skipIf(!hostHasIpv6())(
    `IPv6: the host reaches the pod's server at its ULA address, the pod the host's at the bridge's${hostHasIpv6() ? '' : ' (skipped: the host has no IPv6: /proc/net/if_inet6 missing or disable_ipv6 set)'}`,
    async () => {
      const roots = ownRoots();
      const before = linkNames().filter((name) => name !== testBridge);
      const port = 20000 + (process.pid % 20000);
      const gateway6 = 'fd70:6f64:696f::1';
      const containers = `
    - name: v6
      image: busybox
      command:
        - python3
        - -c
        - |
          import socket, threading, time
          s = socket.socket(socket.AF_INET6)
          s.bind(("::", 8080))
          s.listen()
          def serve():
              while True:
                  c, _ = s.accept()
                  c.sendall(b"hello over v6")
                  c.close()
          threading.Thread(target=serve, daemon=True).start()
          print("listening", flush=True)
          deadline = time.time() + 30
          while True:
              try:
                  c = socket.create_connection(("${gateway6}", ${port}), timeout=5)
                  print("host said", c.recv(100).decode(), flush=True)
                  break
              except OSError:
                  if time.time() > deadline:
                      print("host unreached", flush=True)
                      break
                  time.sleep(0.2)
          threading.Event().wait()`;
      const p = startPod(manifest('netv6', containers), roots.stateRoot, roots);
      const peers: string[] = [];
      const hostServer = net.createServer((socket) => {
        peers.push(socket.remoteAddress ?? '?');
        socket.end('hi from the host');
      });
      try {
        await p.started;
        await pollUntil(() => p.timeline.includes('v6: listening'), 'the pod listens', 30_000);
        const podIPs = (p.runner.object().status as { podIPs: Array<{ ip: string }> }).podIPs.map((i) => i.ip);
        const ipv6 = podIPs[1]!;
        expect(ipv6).toMatch(/^fd70:6f64:696f::[0-9a-f:]+$/);
        expect(await fetchGreeting(ipv6, 8080)).toBe('hello over v6');
        await new Promise<void>((resolve) => hostServer.listen(port, gateway6, resolve));
        await pollUntil(
          () => p.timeline.some((l) => l.startsWith('v6: host said') || l === 'v6: host unreached'),
          'the pod tried the host',
          40_000,
        );
        expect(p.timeline).toContain('v6: host said hi from the host');
        expect(peers).toEqual([ipv6]);
        // Probes and podIP stay IPv4.
        expect((p.runner.object().status as { podIP: string }).podIP).toBe(podIPs[0]);
      } finally {
        hostServer.close();
        p.runner.delete(0);
        await p.runner.closed;
      }
      expect(linkNames()).toEqual(before);
      expect(fs.readdirSync(roots.podLeaseDir).filter((n) => net.isIP(n) !== 0)).toEqual([]);
    },
    90_000,
  );

  it('a new sandbox (its pause killed) gets eth0 again, with the same address', async () => {
    const roots = ownRoots();
    const containers = `
    - name: c
      image: busybox
      command: ["sh", "-c", "echo up $(ip -4 -o addr show dev eth0 | awk '{print $4}'); exec sleep 600"]`;
    const p = startPod(manifest('netresandbox', containers, 'Always'), roots.stateRoot, {
      ...roots,
      podNetwork: 'bridge',
    });
    try {
      await p.started;
      const podIP = (p.runner.object().status as { podIP: string }).podIP;
      const up = () => p.timeline.filter((line) => line === `c: up ${podIP}/16`).length;
      await pollUntil(() => up() === 1, 'the container runs with its address', 30_000);
      const pauses = pausesOf(process.pid);
      expect(pauses).toHaveLength(1);
      process.kill(pauses[0]!, 'SIGKILL');
      await pollUntil(() => up() === 2, 'the container runs again in the new sandbox, with its address', 30_000);
      expect(p.timeline).toContain('SandboxChanged');
      expect((p.runner.object().status as { podIP: string }).podIP).toBe(podIP);
      expect(linkNames()).toContain(vethName(p.runner.pod.metadata.uid!));
      expect(leaseFiles(roots.podLeaseDir)).toEqual([podIP]);
    } finally {
      p.runner.delete(0);
      await p.runner.closed;
    }
    expect(leaseFiles(roots.podLeaseDir)).toEqual([]);
    expect(linkNames()).not.toContain(vethName(p.runner.pod.metadata.uid!));
  });

  it('a --pod-cidr that overlaps a host route fails the pod, naming the route; nothing is made', async () => {
    // A host route the test makes: its own bridge with an address of 10.232.N.0/24 (up, so the route exists).
    const n = process.pid % 250;
    const clashing = `ptc${(process.pid % 0xfffff).toString(16)}`;
    const host = RouteSocket.open();
    const before = linkNames();
    host.createBridge(clashing);
    try {
      host.addAddress(clashing, `10.232.${n}.1/24`);
      host.setLink(clashing, { up: true });
      const roots = ownRoots();
      const p = startPod(manifest('netclash', listInterfaces), roots.stateRoot, {
        ...roots,
        podNetwork: 'bridge',
        podCidr: '10.232.0.0/16',
      });
      await p.started;
      const final = (await p.runner.finished) as { status: { phase: string; reason?: string; message?: string } };
      await p.runner.closed;
      expect(final.status).toMatchObject({ phase: 'Failed', reason: 'FailedCreatePodSandBox' });
      expect(final.status.message).toContain(
        `--pod-cidr must be a range no host route overlaps (10.232.${n}.0/24 dev ${clashing} does`,
      );
      expect(p.timeline).not.toContain('Started ifaces');
      expect(leaseFiles(roots.podLeaseDir)).toEqual([]);
      expect(linkNames().filter((name) => name !== clashing)).toEqual(before);
    } finally {
      host.deleteLink(clashing);
      host.close();
    }
    // Control: without the clashing route the same range works.
    const roots = ownRoots();
    const p = startPod(manifest('netnoclash', listInterfaces), roots.stateRoot, {
      ...roots,
      podNetwork: 'bridge',
      podCidr: '10.232.0.0/16',
    });
    await p.started;
    const final = (await p.runner.finished) as { status: { phase: string; podIP: string } };
    await p.runner.closed;
    expect(final.status.phase).toBe('Succeeded');
    expect(final.status.podIP).toMatch(/^10\.232\./);
    expect(linkNames()).toEqual(before);
  });

  it('without root, --pod-network bridge leaves the pod loopback only and says so (uid 65534)', async () => {
    const staged = stagePackage();
    const tmpdir = fs.mkdtempSync(path.join(os.tmpdir(), 'pod-init-tmpdir-'));
    fs.chmodSync(tmpdir, 0o1777);
    const before = linkNames();
    try {
      const child = spawn(
        process.execPath,
        [path.join(staged, 'pod-init.js'), 'run', '--pod-network', 'bridge', '-o', 'json', '-'],
        {
          uid: 65534,
          gid: 65534,
          cwd: staged,
          env: { PATH: process.env.PATH, TMPDIR: tmpdir },
          stdio: ['pipe', 'pipe', 'pipe'],
        },
      );
      child.stdin!.end(manifest('netrootless', listInterfaces));
      const [stdout, stderr, code] = await Promise.all([
        readAll(child.stdout),
        readAll(child.stderr),
        new Promise<number | null>((resolve) => child.on('exit', resolve)),
      ]);
      expect(code, stderr).toBe(0);
      expect(stderr).toContain('PodNetworkUnavailable');
      expect(stderr).toContain('--pod-network bridge needs root: the pod has only loopback');
      expect(stderr).toMatch(/ifaces +\| lo$/m);
      expect((JSON.parse(stdout) as { status: { podIP: string } }).status.podIP).toBe('127.0.0.1');
      expect(linkNames()).toEqual(before);
    } finally {
      fs.rmSync(staged, { recursive: true, force: true });
      fs.rmSync(tmpdir, { recursive: true, force: true });
    }
  });

  it("a --pod-cidr other than the existing bridge's range fails the pod, naming the bridge's address", async () => {
    const anchorRoots = ownRoots();
    claimPod(anchorRoots.ownersDir, 'anchor-pod');
    const anchor = PodNetwork.reserve('anchor-pod', {
      ownersDir: anchorRoots.ownersDir,
      leaseDir: anchorRoots.podLeaseDir,
      bridge: testBridge,
      cidr: testCidr,
      cidr6: testCidr6,
    });
    try {
      const roots = ownRoots();
      const p = startPod(manifest('netother', listInterfaces), roots.stateRoot, {
        ...roots,
        podNetwork: 'bridge',
        podCidr: '10.233.0.0/16',
      });
      await p.started;
      const final = (await p.runner.finished) as { status: { phase: string; reason?: string; message?: string } };
      await p.runner.closed;
      expect(final.status).toMatchObject({ phase: 'Failed', reason: 'FailedCreatePodSandBox' });
      expect(final.status.message).toContain(
        `--pod-cidr must be the range of the bridge ${testBridge}, which has ${anchor.lease.gateway}/16 (pods of another range are running), received '10.233.0.0/16'`,
      );
      expect(leaseFiles(roots.podLeaseDir)).toEqual([]);
    } finally {
      anchor.release();
      releasePod(anchorRoots.ownersDir, 'anchor-pod');
    }
    expect(linkNames()).not.toContain(testBridge);
  });

  it('an IPv6 range narrower than /96 is leased (its own file); a /64 one derives the address from the IPv4 lease', () => {
    const { ownersDir, podLeaseDir: leaseDir } = ownRoots();
    const bridge = 'pitest6'; // a bridge of this test's own: another IPv6 range than the file's
    const options = { ownersDir, leaseDir, bridge, cidr: '10.86.0.0/16' };
    claimPod(ownersDir, 'narrow-pod');
    claimPod(ownersDir, 'wide-pod');
    const hasBridge = () => {
      const host = RouteSocket.open();
      try {
        return host.links().some((link) => link.name === bridge);
      } finally {
        host.close();
      }
    };
    const narrow = PodNetwork.reserve('narrow-pod', { ...options, cidr6: 'fd70:6f64:6970::/112' });
    try {
      expect(hasBridge()).toBe(true);
      const wide = PodNetwork.reserve('wide-pod', { ...options, cidr6: 'fd70:6f64:6970::/64' });
      try {
        // Leased: the range's first free address after the gateway, in a file of its own.
        expect(narrow.lease6?.address).toBe('fd70:6f64:6970::2');
        expect(fs.readdirSync(leaseDir)).toContain('fd70:6f64:6970::2');
        // Derived: 10.86.0.3 in the low 32 bits, and no file.
        expect(wide.address).toBe('10.86.0.3');
        expect(wide.lease6?.address).toBe('fd70:6f64:6970::a56:3');
        expect(fs.readdirSync(leaseDir).filter((name) => net.isIPv6(name))).toEqual(['fd70:6f64:6970::2']);
      } finally {
        wide.release();
      }
    } finally {
      narrow.release();
      releasePod(ownersDir, 'narrow-pod');
      releasePod(ownersDir, 'wide-pod');
    }
    expect(fs.readdirSync(leaseDir).filter((name) => net.isIP(name) !== 0)).toEqual([]);
    expect(hasBridge()).toBe(false); // gone with the last lease
  });

  it("the sweep frees a dead pod-init's lease and deletes its veth, and deletes a pi… veth without a lease; a live pod's stay", async () => {
    const { ownersDir, podLeaseDir: leaseDir } = ownRoots();
    const options = { ownersDir, leaseDir, bridge: testBridge, cidr: testCidr, cidr6: testCidr6 };
    claimPod(ownersDir, 'live-pod'); // owned by this process
    fs.writeFileSync(path.join(ownersDir, 'dead-pod'), '999999999 1\n'); // a pod-init that is gone
    const namespaces = await Promise.all([testNetns(), testNetns(), testNetns()]);
    const [liveNs, deadNs, strayNs] = namespaces;
    const live = PodNetwork.reserve('live-pod', options);
    try {
      live.attach(liveNs!.child.pid!);
      const dead = PodNetwork.reserve('dead-pod', options);
      dead.attach(deadNs!.child.pid!);
      const host = RouteSocket.open();
      try {
        host.createVeth({ name: vethName('stray-pod'), peer: 'eth0', peerNetnsFd: strayNs!.fd, master: testBridge });
      } finally {
        host.close();
      }
      expect(linkNames()).toEqual(expect.arrayContaining([live.veth, dead.veth, vethName('stray-pod')]));

      const said: string[] = [];
      sweepPodNetworks(options, (m) => said.push(m));
      expect(said.sort()).toEqual([
        // Its IPv6 address is its IPv4 one in the ULA range (no lease of its own): only the IPv4 lease is named.
        `Removed the network of pod dead-pod (address ${dead.address}, veth ${dead.veth}), left behind by a pod-init that is gone`,
        `Removed veth ${vethName('stray-pod')}, whose pod has no address lease`,
      ]);
      const links = linkNames();
      expect(links).toContain(live.veth);
      expect(links).not.toContain(dead.veth);
      expect(links).not.toContain(vethName('stray-pod'));
      expect(leaseFiles(leaseDir)).toEqual([live.address]);
    } finally {
      live.release();
      releasePod(ownersDir, 'live-pod');
      await Promise.all(namespaces.map((ns) => ns.close()));
    }
    expect(leaseFiles(leaseDir)).toEqual([]);
    expect(linkNames()).not.toContain(live.veth);
  });

  it('pod-init run --pod-network bridge: the pod IP in -o json and /etc/hosts; its veth and lease are gone when it exits', async () => {
    const cli = podCli();
    try {
      const result = await cli.run(['--pod-network', 'bridge', '-q', '-o', 'json'], manifest('netcli', listInterfaces));
      expect(result.code, result.stderr).toBe(0);
      const final = JSON.parse(result.stdout) as { metadata: { uid: string }; status: { podIP: string } };
      expect(inRange(final.status.podIP)).toBe(true);
      // Gone by the time pod-init exited: the veth named after the uid, and a lease holding the uid.
      expect(linkNames()).not.toContain(vethName(final.metadata.uid));
      const held = leaseFiles(defaultLeaseDir).filter((address) =>
        fs.readFileSync(path.join(defaultLeaseDir, address), 'utf8').includes(final.metadata.uid),
      );
      expect(held).toEqual([]);
    } finally {
      cli.cleanup();
    }
  });

  it('after kill -9 of pod-init its lease is left, and the next run removes it and says so', async () => {
    const roots = ownRoots();
    const file = path.join(tmp, 'sleeper.yaml');
    fs.writeFileSync(file, manifest('netsleeper', '\n    - { name: c, image: busybox, command: ["sleep", "600"] }'));
    const args = [file, roots.stateRoot, roots.ownersDir, roots.podLeaseDir, roots.podBridge, roots.podCidr, testCidr6];
    const child = spawn(process.execPath, [fixture, ...args], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const out = lineReader(child.stdout);
    let podIP: string;
    let uid: string;
    try {
      [, podIP, uid] = (await out.waitFor(/^podIP /, 'the pod runs')).split(' ') as [string, string, string];
      await out.waitFor(/"reason":"Started"/, 'the container started');
      expect(inTestRange(podIP)).toBe(true);
      expect(linkNames()).toContain(vethName(uid));
    } finally {
      child.kill('SIGKILL');
      await exited;
    }
    // Negative control: nothing removed the lease (the kernel took the veth with the pod's namespace, or will).
    expect(leaseFiles(roots.podLeaseDir)).toEqual([podIP]);

    const next = bridgedPod('netnext', listInterfaces, roots);
    await next.started;
    await next.runner.closed;
    const swept = next.events.filter((e) => e.reason === 'SweptLeftovers').map((e) => e.message);
    expect(swept.some((m) => m.includes(`pod ${uid}`) && m.includes(`address ${podIP}`))).toBe(true);
    expect(leaseFiles(roots.podLeaseDir)).toEqual([]);
    expect(linkNames()).not.toContain(vethName(uid));
  });
});
