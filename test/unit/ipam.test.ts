import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PodOptionError } from '../../src/errors';
import { Ipam, IpamExhaustedError } from '../../src/net/ipam';
import { claimPod } from '../../src/pod/owners';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pod-init-ipam-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

let n = 0;
function fresh(cidr: string): { ipam: Ipam; dir: string; ownersDir: string } {
  n++;
  const dir = path.join(tmp, `leases-${n}`);
  const ownersDir = path.join(tmp, `owners-${n}`);
  return { ipam: new Ipam({ dir, cidr, ownersDir }), dir, ownersDir };
}

/** An owners record of a pod-init that has exited (its pid is gone). */
function deadOwner(ownersDir: string, podUid: string): void {
  const gone = spawnSync('true');
  fs.mkdirSync(ownersDir, { recursive: true, mode: 0o700 });
  fs.writeFileSync(path.join(ownersDir, podUid), `${gone.pid} 1\n`);
}

describe('Ipam', () => {
  it('hands out addresses after the gateway, one file per address holding the pod uid', () => {
    const { ipam, dir } = fresh('10.88.0.0/16');
    expect(ipam.gateway).toBe('10.88.0.1');
    expect(ipam.allocate('pod-a')).toEqual({ address: '10.88.0.2', prefix: 16, gateway: '10.88.0.1', podUid: 'pod-a' });
    expect(ipam.allocate('pod-b').address).toBe('10.88.0.3');
    expect(JSON.parse(fs.readFileSync(path.join(dir, '10.88.0.2'), 'utf8'))).toEqual({
      podUid: 'pod-a',
      owner: expect.stringMatching(new RegExp(`^${process.pid} \\d+$`)),
    });
    expect(fs.statSync(dir).mode & 0o777).toBe(0o700);
    expect(ipam.leases().sort((a, b) => a.address.localeCompare(b.address))).toEqual([
      { address: '10.88.0.2', podUid: 'pod-a' },
      { address: '10.88.0.3', podUid: 'pod-b' },
    ]);
    // No temp file is left beside the leases.
    expect(fs.readdirSync(dir).filter((name) => name.startsWith('.10'))).toEqual([]);
  });

  it('calls lastGone when the last lease of the range goes, and only then', () => {
    const { ipam } = fresh('10.55.0.0/24');
    const a = ipam.allocate('pod-a');
    const b = ipam.allocate('pod-b');
    const calls: string[] = [];
    expect(ipam.release(a.address, 'pod-a', () => calls.push('after a'))).toBe(true);
    expect(ipam.release(a.address, 'pod-a', () => calls.push('a again'))).toBe(false);
    expect(ipam.release(b.address, 'pod-b', () => calls.push('after b'))).toBe(true);
    expect(calls).toEqual(['after b']);
  });

  it("releases only the holder's lease, and does not reuse a freed address at once", () => {
    const { ipam, dir } = fresh('10.88.0.0/16');
    const a = ipam.allocate('pod-a');
    expect(ipam.release(a.address, 'pod-other')).toBe(false);
    expect(fs.existsSync(path.join(dir, a.address))).toBe(true);
    expect(ipam.release(a.address, 'pod-a')).toBe(true);
    expect(fs.existsSync(path.join(dir, a.address))).toBe(false);
    expect(ipam.leases()).toEqual([]);
    expect(ipam.allocate('pod-b').address).toBe('10.88.0.3');
  });

  it('keeps the gateway and the broadcast address out, wraps around, and says when the range is full', () => {
    const { ipam } = fresh('10.99.0.0/29'); // .2 to .6
    const got = ['a', 'b', 'c', 'd', 'e'].map((uid) => ipam.allocate(uid).address);
    expect(got).toEqual(['10.99.0.2', '10.99.0.3', '10.99.0.4', '10.99.0.5', '10.99.0.6']);
    expect(() => ipam.allocate('f')).toThrow(IpamExhaustedError);
    expect(() => ipam.allocate('f')).toThrow('no free address in 10.99.0.0/29 (5 addresses');
    ipam.release('10.99.0.3', 'b');
    expect(ipam.allocate('f').address).toBe('10.99.0.3');
  });

  it('reclaims the lease of a pod whose pod-init is dead, never that of a live one or one the registry does not know', () => {
    const { ipam, dir, ownersDir } = fresh('10.77.0.0/30'); // room for one pod: .2
    claimPod(ownersDir, 'live');
    ipam.allocate('live');
    expect(() => ipam.allocate('next')).toThrow(IpamExhaustedError);
    ipam.release('10.77.0.2', 'live');

    ipam.allocate('unknown'); // no owners record: perhaps another registry's pod, kept
    expect(() => ipam.allocate('next')).toThrow(IpamExhaustedError);
    ipam.release('10.77.0.2', 'unknown');

    deadOwner(ownersDir, 'crashed');
    ipam.allocate('crashed');
    expect(ipam.allocate('next').address).toBe('10.77.0.2');
    expect(JSON.parse(fs.readFileSync(path.join(dir, '10.77.0.2'), 'utf8'))).toMatchObject({ podUid: 'next' });
  });

  it('leases IPv6 addresses of a ULA /64', () => {
    const { ipam } = fresh('fd70:6f64:696e::/64');
    expect(ipam.gateway).toBe('fd70:6f64:696e::1');
    expect(ipam.allocate('pod-a')).toMatchObject({ address: 'fd70:6f64:696e::2', prefix: 64 });
  });

  it('refuses bad input with the field named', () => {
    expect(() => fresh('10.88.0.0/31')).toThrow(
      "cidr must be a range with room for a gateway and a pod (/30 or wider), received '10.88.0.0/31'",
    );
    expect(() => fresh('10.88.0.1/16')).toThrow(PodOptionError);
    const { ipam } = fresh('10.88.0.0/16');
    expect(() => ipam.allocate('../escape')).toThrow('podUid must be a pod uid');
  });
});

describe('a lease whose pod is in another owners registry', () => {
  it('is gone once the process that took it is (the lease names its owner), kept while it lives or unnamed', () => {
    const { ipam, dir } = fresh('10.77.0.0/29');
    const lease = ipam.allocate('other-registry-pod'); // no record in this Ipam's owners directory
    expect(ipam.isGone(lease)).toBe(false); // this process took it and runs
    const file = path.join(dir, lease.address);
    const gone = spawnSync('true');
    fs.writeFileSync(file, `${JSON.stringify({ podUid: lease.podUid, owner: `${gone.pid} 1` })}\n`);
    expect(ipam.isGone(lease)).toBe(true); // its pod-init is gone: the next allocation may take it
    expect(ipam.allocate('next').address).toBeDefined();
    fs.writeFileSync(file, `${JSON.stringify({ podUid: lease.podUid })}\n`); // an older pod-init's lease
    expect(ipam.isGone(lease)).toBe(false);
  });
});
