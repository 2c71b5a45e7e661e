// The IPAM across processes: pod-inits allocating at the same moment never get the same address (the lease is
// link()ed into place under flock), and every lease holds its pod's uid. Runs dist/ (built by pretest).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Ipam } from '../../src/net/ipam';
import { readAll, waitForLine } from '../helpers/wait';

const fixture = path.resolve(__dirname, '../fixtures/ipam-allocate.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pod-init-ipam-race-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('Ipam across processes', () => {
  it('concurrent allocations never collide; each lease names its pod; all are released', async () => {
    const dir = path.join(tmp, 'leases');
    const ownersDir = path.join(tmp, 'owners');
    const cidr = '10.66.0.0/27'; // 29 addresses for 4 x 7 pods: nearly full, so the processes contend
    const children = [0, 1, 2, 3].map((p) =>
      spawn(process.execPath, [fixture, dir, cidr, ownersDir, '7', `pod${p}`], { stdio: ['pipe', 'pipe', 'inherit'] }),
    );
    const outputs = children.map((child) => readAll(child.stdout));
    const exits = children.map((child) => new Promise<number | null>((resolve) => child.once('exit', resolve)));
    try {
      // Wait for each to be loaded before any starts: they allocate at the same moment.
      await Promise.all(children.map((child) => waitForLine(child.stdout, /^ready$/)));
      for (const child of children) child.stdin.write('go\n');
      expect(await Promise.all(exits)).toEqual([0, 0, 0, 0]);
    } finally {
      for (const child of children) child.kill('SIGKILL');
    }
    const perProcess = (await Promise.all(outputs)).map(
      (text) => JSON.parse(text.split('\n').find((line) => line.startsWith('['))!) as string[],
    );
    const all = perProcess.flat();
    expect(all).toHaveLength(28);
    expect(new Set(all).size).toBe(28);

    const ipam = new Ipam({ dir, cidr, ownersDir });
    const leases = ipam.leases();
    expect(leases).toHaveLength(28);
    perProcess.forEach((addresses, p) =>
      addresses.forEach((address, i) => expect(leases).toContainEqual({ address, podUid: `pod${p}-${i}` })),
    );
    for (const lease of leases) expect(ipam.release(lease.address, lease.podUid)).toBe(true);
    expect(fs.readdirSync(dir).sort()).toEqual(['.cursor-ipv4', '.lock']);
  });
});
