// The native layer unpacker (native/layer_unpack.cc through src/image/unpack.ts) on real files in a
// temp dir: the tar reader in any chunking, archives without end blocks, cut or corrupt ones refused,
// and member paths cleaned — one that climbs out of the layer refused with nothing written outside.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LayerError, LayerWriter, TarFormatError } from '../../../src/image/unpack';
import { makeTar, type Member } from '../../helpers/oci';

const base = fs.mkdtempSync(path.join(os.tmpdir(), 'pod-init-unpack-'));
afterAll(() => fs.rmSync(base, { recursive: true, force: true }));
let n = 0;

/** Unpacks `archive` fed in `chunk`-byte pieces into a fresh dir; returns the dir. */
async function unpack(archive: Buffer, chunk = 7): Promise<string> {
  const root = path.join(base, `layer-${n++}`);
  fs.mkdirSync(root);
  const writer = new LayerWriter(root, { chown: false, devices: false, xattrNamespace: 'user' });
  try {
    for (let i = 0; i < archive.length; i += chunk) await writer.write(archive.subarray(i, i + chunk));
    await writer.finish();
  } finally {
    await writer.close();
  }
  return root;
}

/** Every entry under `root`: path, type letter and content (files) or target (links). */
function listing(root: string): string[] {
  const out: string[] = [];
  const visit = (rel: string) => {
    for (const name of fs.readdirSync(path.join(root, rel)).sort()) {
      const at = path.join(rel, name);
      const stat = fs.lstatSync(path.join(root, at));
      if (stat.isDirectory()) {
        out.push(`${at}/`);
        visit(at);
      } else if (stat.isSymbolicLink()) out.push(`${at} -> ${fs.readlinkSync(path.join(root, at))}`);
      else out.push(`${at}: ${fs.readFileSync(path.join(root, at), 'utf8')}`);
    }
  };
  visit('');
  return out;
}

describe('LayerWriter (native)', () => {
  const members: Member[] = [
    { path: 'a', type: '5' },
    { path: 'a/file', data: 'x'.repeat(700), mode: 0o640 },
    { path: `a/${'long-name-'.repeat(15)}`, data: 'long' },
    { path: 'a/link', type: '2', linkname: 'file' },
  ];
  const expected = ['a/', `a/file: ${'x'.repeat(700)}`, 'a/link -> file', `a/${'long-name-'.repeat(15)}: long`];

  it('reads entries, PAX long names and data in any chunking, keeping modes and mtimes', async () => {
    for (const chunk of [1, 512, 100_000]) {
      const root = await unpack(makeTar(members), chunk);
      expect(listing(root)).toEqual(expected);
      const file = fs.statSync(path.join(root, 'a/file'));
      expect([file.mode & 0o7777, file.mtimeMs]).toEqual([0o640, 1700000000_000]);
      expect(fs.statSync(path.join(root, 'a')).mtimeMs).toBe(1700000000_000); // set after its entries
    }
  });

  it('accepts an archive without end blocks (umoci), refuses one cut inside an entry or with a bad checksum', async () => {
    expect(listing(await unpack(makeTar(members, true)))).toEqual(expected);
    const cut = makeTar(members, true);
    await expect(unpack(cut.subarray(0, 512 + 512 + 300))).rejects.toThrow(TarFormatError); // inside a/file's data
    await expect(unpack(cut.subarray(0, 512 + 200))).rejects.toThrow(TarFormatError); // inside a header
    const bad = makeTar(members);
    bad[0] = 'b'.charCodeAt(0);
    await expect(unpack(bad)).rejects.toThrow(/bad header checksum/);
  });

  it.each([
    ['./etc/passwd', 'etc/passwd'],
    ['/etc/passwd', 'etc/passwd'],
    ['a/../b', 'b'],
  ])('puts member %s at %s', async (name, rel) => {
    const root = await unpack(makeTar([{ path: name, data: 'here' }]));
    expect(fs.readFileSync(path.join(root, rel), 'utf8')).toBe('here');
  });

  it.each(['../x', 'a/../../x', '/../x'])('refuses member %s, writing nothing outside', async (name) => {
    const before = fs.readdirSync(base).sort();
    await expect(unpack(makeTar([{ path: name, data: 'out' }]))).rejects.toThrow(LayerError);
    expect(
      fs
        .readdirSync(base)
        .sort()
        .filter((f) => !before.includes(f) && !f.startsWith('layer-')),
    ).toEqual([]);
    expect(fs.existsSync(path.join(base, 'x'))).toBe(false);
  });
});
