// fsGroup ownership of a volume, the kubelet's SetVolumeOwnership walk (src/pod/security/volume-ownership.ts),
// on real files (lchown needs root: skipped with a reason otherwise).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { rootMatches, setVolumeOwnership } from '../../../src/pod/security/volume-ownership';
import { privilegeSkipReason, titled } from '../../helpers/privileges';

const reason = privilegeSkipReason(); // lchown to another group needs root

let tmp: string;
beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pod-init-fsgroup-'));
});
afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

const mode = (p: string) => fs.lstatSync(p).mode & 0o7777;

describe.skipIf(reason)(titled('setVolumeOwnership', reason), () => {
  it('chowns to the group, adds 0660 (dirs setgid|0110), skips following symlinks', () => {
    const vol = path.join(tmp, 'vol');
    fs.mkdirSync(path.join(vol, 'sub'), { recursive: true, mode: 0o700 });
    fs.chmodSync(vol, 0o700);
    fs.writeFileSync(path.join(vol, 'sub/f'), 'x', { mode: 0o600 });
    const outside = path.join(tmp, 'outside');
    fs.writeFileSync(outside, 'host', { mode: 0o600 });
    fs.symlinkSync(outside, path.join(vol, 'link'));
    expect(setVolumeOwnership(vol, { fsGroup: 2000, readOnly: false })).toBe(true);
    expect(fs.statSync(vol).gid).toBe(2000);
    expect(mode(vol)).toBe(0o2770);
    expect(mode(path.join(vol, 'sub'))).toBe(0o2770);
    expect(mode(path.join(vol, 'sub/f'))).toBe(0o660);
    expect(fs.lstatSync(path.join(vol, 'sub/f')).gid).toBe(2000);
    expect(fs.lstatSync(path.join(vol, 'link')).gid).toBe(2000); // the link itself (lchown), as the kubelet
    expect(fs.statSync(outside).gid).toBe(0); // …never its target
    expect(mode(outside)).toBe(0o600);
  });

  it('uses 0440 for read-only volumes', () => {
    fs.writeFileSync(path.join(tmp, 'key'), 'x', { mode: 0o600 });
    setVolumeOwnership(tmp, { fsGroup: 3000, readOnly: true });
    expect(mode(path.join(tmp, 'key'))).toBe(0o640);
    expect(mode(tmp)).toBe(0o2750);
  });

  it('OnRootMismatch skips a root that already matches, and walks one that does not', () => {
    fs.writeFileSync(path.join(tmp, 'f'), 'x', { mode: 0o600 });
    expect(rootMatches(tmp, 2000, false)).toBe(false);
    expect(setVolumeOwnership(tmp, { fsGroup: 2000, readOnly: false, policy: 'OnRootMismatch' })).toBe(true);
    expect(rootMatches(tmp, 2000, false)).toBe(true);
    fs.chmodSync(path.join(tmp, 'f'), 0o600);
    expect(setVolumeOwnership(tmp, { fsGroup: 2000, readOnly: false, policy: 'OnRootMismatch' })).toBe(false);
    expect(mode(path.join(tmp, 'f'))).toBe(0o600); // skipped
    expect(setVolumeOwnership(tmp, { fsGroup: 2000, readOnly: false, policy: 'Always' })).toBe(true);
    expect(mode(path.join(tmp, 'f'))).toBe(0o660);
  });
});

// The walk as it was by path (lstat, readdir, lchown, chmod of names): the defence switched off, for the
// negative control below.
function walkByPath(p: string, gid: number): void {
  const stat = fs.lstatSync(p);
  if (stat.isDirectory()) for (const name of fs.readdirSync(p)) walkByPath(path.join(p, name), gid);
  fs.lchownSync(p, -1, gid);
  if (!stat.isSymbolicLink()) fs.chmodSync(p, (stat.mode & 0o7777) | 0o660 | (stat.isDirectory() ? 0o2110 : 0));
}

describe.skipIf(reason)(titled('setVolumeOwnership against a tree that changes under it', reason), () => {
  // A racer swaps the volume's directory `d` for a symlink to a host directory with the same names, again and
  // again; the walk is repeated meanwhile. Whatever it changes must be inside the volume.
  async function race(walk: (root: string) => void, maxWalks: number): Promise<{ changed: boolean; walks: number }> {
    const vol = path.join(tmp, 'vol');
    const victim = path.join(tmp, 'victim');
    fs.mkdirSync(path.join(vol, 'd'), { recursive: true });
    fs.mkdirSync(victim);
    for (const dir of [path.join(vol, 'd'), victim]) fs.writeFileSync(path.join(dir, 'secret'), 'x', { mode: 0o600 });
    const script = `const fs = require('fs');
      const d = ${JSON.stringify(path.join(vol, 'd'))}, keep = d + '.real', victim = ${JSON.stringify(victim)};
      process.stdout.write('ready\\n');
      for (;;) { try { fs.renameSync(d, keep); fs.symlinkSync(victim, d); fs.unlinkSync(d); fs.renameSync(keep, d); } catch {} }`;
    const racer = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      await new Promise((resolve) => racer.stdout.once('data', resolve));
      const changed = () => {
        const st = fs.statSync(path.join(victim, 'secret'));
        return st.gid !== 0 || (st.mode & 0o7777) !== 0o600;
      };
      const deadline = Date.now() + 15000;
      let walks = 0;
      while (walks < maxWalks && Date.now() < deadline && !changed()) {
        walks++;
        try {
          walk(vol);
        } catch {
          // ENOENT and the like: the tree changed under the walk
        }
      }
      return { changed: changed(), walks };
    } finally {
      racer.kill('SIGKILL');
      await new Promise((resolve) => (racer.exitCode !== null ? resolve(null) : racer.once('exit', resolve)));
    }
  }

  it('by path (the defence off), the host file behind a swapped-in symlink is chowned and chmod-ed', async () => {
    // Here it was hit after 36 to 2273 walks.
    expect((await race((root) => walkByPath(root, 2000), Infinity)).changed).toBe(true);
  }, 30000);

  it('by fd, it never is (10000 walks while the racer runs)', async () => {
    const { changed, walks } = await race(
      (root) => setVolumeOwnership(root, { fsGroup: 2000, readOnly: false }),
      10000,
    );
    expect(changed).toBe(false);
    expect(walks).toBe(10000); // several times what the walk by path needs to be hit
  }, 30000);
});
