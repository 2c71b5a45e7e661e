// fsGroup ownership of a volume, the kubelet's SetVolumeOwnership walk (src/pod/security/volume-ownership.ts),
// on real files (lchown needs root: skipped with a reason otherwise).
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
