import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { rootlessIds, subordinateIdsNotice, subordinateRange } from '../../src/subordinate-ids';

describe('subordinateRange', () => {
  const text = 'alice:100000:65536\n# comment\nnobody:1000:10\n65534:300000:65536\nnobody:400000:70000\n';
  it('finds the first range of the user by name or uid that is large enough', () => {
    expect(subordinateRange(text, 'alice', 1000, 65535)).toEqual({ start: 100000, count: 65536 });
    // nobody's first range is too small; the uid line comes next
    expect(subordinateRange(text, 'nobody', 65534, 65535)).toEqual({ start: 300000, count: 65536 });
    expect(subordinateRange(text, undefined, 65534, 65535)).toEqual({ start: 300000, count: 65536 });
  });
  it('is undefined for another user, a short range or a malformed line', () => {
    expect(subordinateRange(text, 'bob', 1001, 65535)).toBeUndefined();
    expect(subordinateRange('bob:1:10\n', 'bob', 1001, 65535)).toBeUndefined();
    expect(subordinateRange('bob:x:65536\nbob:5\n', 'bob', 1001, 65535)).toBeUndefined();
  });
});

describe('rootlessIds', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pod-init-subids-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const bin = path.join(dir, 'bin');
  fs.mkdirSync(bin);
  for (const p of ['newuidmap', 'newgidmap']) fs.writeFileSync(path.join(bin, p), '');
  const files = (uid: string, gid: string) => {
    fs.writeFileSync(path.join(dir, 'subuid'), uid);
    fs.writeFileSync(path.join(dir, 'subgid'), gid);
    return { subuid: path.join(dir, 'subuid'), subgid: path.join(dir, 'subgid') };
  };

  it('maps 0 to the caller and 1..65535 to the start of each range, through the helpers', () => {
    const ids = rootlessIds({
      uid: 1000,
      gid: 1001,
      name: 'u',
      files: files('u:100000:65536\n', 'u:200000:65536\n'),
      helpers: [bin],
    });
    expect(ids).toEqual({
      uidMappings: [
        { containerId: 0, hostId: 1000, size: 1 },
        { containerId: 1, hostId: 100000, size: 65535 },
      ],
      gidMappings: [
        { containerId: 0, hostId: 1001, size: 1 },
        { containerId: 1, hostId: 200000, size: 65535 },
      ],
      mapHelpers: { newuidmap: path.join(bin, 'newuidmap'), newgidmap: path.join(bin, 'newgidmap') },
    });
  });

  it('says which file lacks a range, or that the helpers are missing', () => {
    const o = { uid: 1000, gid: 1000, name: 'u', helpers: [bin] };
    expect(rootlessIds({ ...o, files: files('u:100000:65536\n', '') })).toEqual({
      reason: `u (uid 1000) has no range of 65535 ids in ${path.join(dir, 'subgid')}`,
    });
    expect(rootlessIds({ ...o, files: files('', '') })).toEqual({
      reason: `u (uid 1000) has no range of 65535 ids in ${path.join(dir, 'subuid')} and ${path.join(dir, 'subgid')}`,
    });
    expect(rootlessIds({ ...o, files: files('u:1:65536\n', 'u:1:65536\n'), helpers: [dir] })).toEqual({
      reason: 'newuidmap and newgidmap are not installed (Debian: apt-get install uidmap)',
    });
  });

  it('the notice names the user and the lines to add', () => {
    const notice = subordinateIdsNotice('nobody (uid 65534) has no range of 65535 ids in /etc/subuid', 'nobody');
    expect(notice).toContain('nobody:100000:65536');
    expect(notice).toContain('usermod --add-subuids 100000-165535 --add-subgids 100000-165535 nobody');
    expect(notice).toContain('uidmap');
  });
});
