// Port claims judged by their owner (src/net/port-claims.ts): a claim whose pod has no record in this owners
// registry (another state root's, a test's) is gone once the pod-init it names is; kept while that process runs,
// and kept when it names none (an older pod-init's claim). The registry's record wins where there is one.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PortClaims, type PortClaim } from '../../src/net/port-claims';
import { parsePublish } from '../../src/net/publish-spec';
import { claimPod } from '../../src/pod/owners';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pod-init-port-claims-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

let n = 0;
function fresh(): { claims: PortClaims; dir: string; ownersDir: string } {
  n++;
  const dir = path.join(tmp, `ports-${n}`);
  const ownersDir = path.join(tmp, `owners-${n}`);
  return { claims: new PortClaims(dir, ownersDir), dir, ownersDir };
}

const web = (podUid: string): PortClaim => ({
  podUid,
  namespace: 'default',
  name: podUid,
  mappings: [parsePublish('8080:80')],
  table: true,
});

/** A pid that no longer runs, as an owner string. */
function deadOwner(): string {
  return `${spawnSync('true').pid} 1`;
}

/** Rewrites a claim's file with `owner` (undefined: the older format without one). */
function rewrite(dir: string, claim: PortClaim, owner: string | undefined): void {
  const record: PortClaim = { ...claim };
  if (owner === undefined) delete record.owner;
  else record.owner = owner;
  fs.writeFileSync(path.join(dir, `${claim.podUid}.json`), `${JSON.stringify(record)}\n`);
}

describe('a port claim whose pod is in another owners registry', () => {
  it('names its owner: this process, while it runs, holds the port against other pods', () => {
    const { claims, dir } = fresh();
    expect(claims.claim(web('live'))).toBeUndefined();
    const record = JSON.parse(fs.readFileSync(path.join(dir, 'live.json'), 'utf8')) as PortClaim;
    expect(record.owner).toMatch(new RegExp(`^${process.pid} \\d+$`));
    expect(claims.isGone(record)).toBe(false);
    expect(claims.claim(web('second'))?.holder.podUid).toBe('live'); // NodePorts
    const swept: string[] = [];
    claims.sweep((c) => swept.push(c.podUid));
    expect(swept).toEqual([]);
  });

  it('is gone once the pod-init it names is: it no longer holds the port, and the sweep removes it', () => {
    const { claims, dir } = fresh();
    claims.claim(web('crashed'));
    rewrite(dir, web('crashed'), deadOwner());
    expect(claims.isGone({ ...web('crashed'), owner: deadOwner() })).toBe(true);
    expect(claims.conflict('next', [parsePublish('8080:81')])).toBeUndefined();
    const swept: string[] = [];
    claims.sweep((c) => swept.push(c.podUid));
    expect(swept).toEqual(['crashed']);
    expect(fs.readdirSync(dir).filter((f) => f.endsWith('.json'))).toEqual([]);
  });

  it('is kept when it names no owner (an older pod-init wrote it): nothing is swept', () => {
    const { claims, dir } = fresh();
    claims.claim(web('old'));
    rewrite(dir, web('old'), undefined);
    expect(claims.isGone(web('old'))).toBe(false);
    expect(claims.conflict('next', [parsePublish('8080:81')])?.holder.podUid).toBe('old');
    const swept: string[] = [];
    claims.sweep((c) => swept.push(c.podUid));
    expect(swept).toEqual([]);
    expect(fs.existsSync(path.join(dir, 'old.json'))).toBe(true);
  });

  it("the owners registry's record wins where it has one: live there, kept whatever owner the claim names", () => {
    const { claims, dir, ownersDir } = fresh();
    claimPod(ownersDir, 'registered'); // this process, alive
    claims.claim(web('registered'));
    rewrite(dir, web('registered'), deadOwner());
    expect(claims.isGone({ ...web('registered'), owner: deadOwner() })).toBe(false);
    // Its record names a dead pod-init: gone, though the claim's owner would say it lives.
    fs.writeFileSync(path.join(ownersDir, 'registered'), `${deadOwner()}\n`);
    expect(claims.isGone({ ...web('registered'), owner: `${process.pid} 1` })).toBe(true);
  });
});
