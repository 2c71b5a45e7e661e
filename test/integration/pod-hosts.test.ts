// --hosts (src/pod/hosts-group.ts) on the real kernel, as root: pods run with it under one state root find
// each other by name in their /etc/hosts. Two pods, the second started while the first runs, each serve TCP
// and reach the other by its name; the first pod's /etc/hosts gains the second's name while it runs (rewritten
// in place, seen through the bind mount) and loses it when the second ends. Negative control: a pod without
// --hosts resolves neither name and is in nobody's file. Pods are on the network test files' own bridge
// (pod-network.test.ts); traffic goes only to the pods the test made. Nothing is left: links, leases, records.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { PodRunnerOptions } from '../../src';
import { RouteSocket } from '../../src/net/netlink';
import { useBridgeLock } from '../helpers/bridge-lock';
import { startPod } from '../helpers/pod-runner';
import { privilegeSkipReason, titled } from '../helpers/privileges';
import { pollUntil } from '../helpers/wait';
import { ownLinks } from '../helpers/pod-links';

const reason = privilegeSkipReason();
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pod-init-hosts-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
useBridgeLock();

const testBridge = 'pitest0';
const roots: PodRunnerOptions & { stateRoot: string } = {
  stateRoot: path.join(tmp, 'state'),
  ownersDir: path.join(tmp, 'owners'),
  podLeaseDir: path.join(tmp, 'net', 'leases'),
  podBridge: testBridge,
  podCidr: '10.87.0.0/16',
  podCidr6: 'fd70:6f64:696f::/64',
};

/**
 * A pod that serves `hello from NAME` on 8080, then (once `peer` resolves, every 0.2 s up to 30 s) fetches the
 * peer's greeting by name and prints it, and sleeps until deleted. `peer` unset: it only says whether
 * `probe` resolves.
 */
function manifest(name: string, peer: string): string {
  const script = [
    'import os, socket, threading, time',
    's = socket.socket()',
    's.bind(("0.0.0.0", 8080))',
    's.listen()',
    'def serve():',
    '    while True:',
    '        c, _ = s.accept()',
    '        c.sendall(b"hello from " + os.uname().nodename.encode())',
    '        c.close()',
    'threading.Thread(target=serve, daemon=True).start()',
    'print("serving", flush=True)',
    'deadline = time.time() + 30',
    'while True:',
    '    try:',
    `        c = socket.create_connection(("${peer}", 8080), timeout=5)`,
    '        print("got", c.recv(100).decode(), flush=True)',
    '        break',
    '    except OSError as e:',
    '        if time.time() > deadline:',
    '            print("unreached:", type(e).__name__, flush=True)',
    '            break',
    '        time.sleep(0.2)',
    'threading.Event().wait()  # until deleted',
  ].join('\n');
  return [
    'apiVersion: v1',
    'kind: Pod',
    `metadata: { name: ${name} }`,
    'spec:',
    '  restartPolicy: Never',
    '  terminationGracePeriodSeconds: 0',
    // Names the file lacks go to the pod's own loopback, refused at once: no DNS query leaves the host.
    '  dnsPolicy: None',
    '  dnsConfig: { nameservers: ["127.0.0.1"] }',
    '  containers:',
    '    - name: c',
    '      image: busybox',
    `      command: ["python3", "-c", ${JSON.stringify(script)}]`,
    '',
  ].join('\n');
}

/** A pod that says whether `names` resolve (getaddrinfo: /etc/hosts, then DNS at the pod's own 127.0.0.1: none). */
function resolver(name: string, names: string[]): string {
  const script = [
    'import socket',
    `for n in ${JSON.stringify(names)}:`,
    '    try:',
    '        print(n, socket.gethostbyname(n), flush=True)',
    '    except OSError:',
    '        print(n, "unresolved", flush=True)',
  ].join('\n');
  return manifest(name, 'unused').replace(/command: .*$/m, `command: ["python3", "-c", ${JSON.stringify(script)}]`);
}

function links(): string[] {
  const host = RouteSocket.open();
  try {
    return ownLinks(host, [testBridge]);
  } finally {
    host.close();
  }
}

describe.skipIf(reason !== undefined)(titled('--hosts', reason), () => {
  it("two pods reach each other by name; a pod without --hosts resolves neither; a pod that ends leaves the other's file", async () => {
    const before = links();
    const a = startPod(manifest('hosta', 'hostb'), roots.stateRoot, { ...roots, hosts: true });
    let b: ReturnType<typeof startPod> | undefined;
    try {
      await a.started;
      await pollUntil(() => a.timeline.includes('c: serving'), 'pod hosta serves', 30_000);
      b = startPod(manifest('hostb', 'hosta'), roots.stateRoot, { ...roots, hosts: true });
      await b.started;
      await pollUntil(
        () => b!.timeline.some((l) => l.startsWith('c: got ') || l.startsWith('c: unreached')),
        'hostb tried',
        40_000,
      );
      await pollUntil(
        () => a.timeline.some((l) => l.startsWith('c: got ') || l.startsWith('c: unreached')),
        'hosta tried',
        40_000,
      );
      expect(b.timeline).toContain('c: got hello from hosta');
      expect(a.timeline).toContain('c: got hello from hostb');
      const ipA = (a.runner.object().status as { podIP: string }).podIP;
      const ipB = (b.runner.object().status as { podIP: string }).podIP;
      const hostsOf = (p: typeof a) => fs.readFileSync(path.join(p.runner.stateDir, 'etc-hosts'), 'utf8');
      expect(hostsOf(a)).toContain(`${ipB}\thostb\thostb.default\n`);
      expect(hostsOf(b)).toContain(`${ipA}\thosta\thosta.default\n`);

      // Negative control: without --hosts, neither name resolves, and the pod is in nobody's file.
      const c = startPod(resolver('hostc', ['hosta', 'hostb']), roots.stateRoot, roots);
      await c.started;
      await c.runner.finished;
      await c.runner.closed;
      expect(c.timeline).toContain('c: hosta unresolved');
      expect(c.timeline).toContain('c: hostb unresolved');
      expect(hostsOf(a)).not.toContain('hostc');

      b.runner.delete(0);
      await b.runner.closed;
      expect(hostsOf(a)).not.toContain('hostb');
      expect(hostsOf(a)).toContain(`${ipA}\thosta\n`); // its own kubelet part stays
    } finally {
      b?.runner.delete(0);
      a.runner.delete(0);
      await Promise.all([a.runner.closed, b?.runner.closed]);
    }
    expect(fs.readdirSync(path.join(tmp, 'state', '.hosts'))).toEqual(['.lock']);
    expect(links()).toEqual(before);
  }, 120_000);
});
