// givePodTree (src/pod/userns-files.ts): a tree or a file given to a hostUsers: false pod's root by fd — the
// entries themselves, symlinks never followed (lchown semantics), on real files (chown needs root).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { givePodTree } from '../../src/pod/userns-files';
import { privilegeSkipReason, titled } from '../helpers/privileges';

const reason = privilegeSkipReason();
let tmp: string;
beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pod-init-give-'));
});
afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe.skipIf(reason)(titled('givePodTree', reason), () => {
  it('chowns a tree post-order, links themselves, never their targets; modes unchanged', () => {
    const vol = path.join(tmp, 'vol');
    fs.mkdirSync(path.join(vol, 'sub'), { recursive: true, mode: 0o750 });
    fs.writeFileSync(path.join(vol, 'sub/f'), 'x', { mode: 0o600 });
    const outside = path.join(tmp, 'outside');
    fs.writeFileSync(outside, 'host', { mode: 0o600 });
    fs.symlinkSync(outside, path.join(vol, 'link'));
    givePodTree(vol, 65536);
    for (const p of [vol, path.join(vol, 'sub'), path.join(vol, 'sub/f'), path.join(vol, 'link')])
      expect([fs.lstatSync(p).uid, fs.lstatSync(p).gid], p).toEqual([65536, 65536]);
    expect(fs.lstatSync(path.join(vol, 'sub/f')).mode & 0o7777).toBe(0o600);
    expect([fs.statSync(outside).uid, fs.statSync(outside).gid]).toEqual([0, 0]);
  });

  it('a file root is chowned itself; a symlink root is not followed', () => {
    const file = path.join(tmp, 'hosts');
    fs.writeFileSync(file, 'x');
    givePodTree(file, 131072);
    expect(fs.statSync(file).uid).toBe(131072);
    const target = path.join(tmp, 'target');
    fs.mkdirSync(target);
    fs.symlinkSync(target, path.join(tmp, 'root-link'));
    givePodTree(path.join(tmp, 'root-link'), 131072);
    expect(fs.lstatSync(path.join(tmp, 'root-link')).uid).toBe(131072);
    expect(fs.statSync(target).uid).toBe(0);
  });
});
