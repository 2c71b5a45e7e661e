import { describe, expect, it } from 'vitest';
import { type TarEntry, TarFormatError, TarReader } from '../../../src/image/tar';
import { LayerError, memberPath } from '../../../src/image/unpack';
import { makeTar } from '../../helpers/oci';

function read(archive: Buffer, chunk = 7): Array<[string, string, string]> {
  const out: Array<[string, string, string]> = [];
  let current: TarEntry | undefined;
  let data = '';
  const reader = new TarReader({
    entry: (e) => {
      current = e;
      data = '';
    },
    data: (c) => (data += c.toString()),
    end: () => out.push([current!.path, current!.type, data]),
  });
  for (let i = 0; i < archive.length; i += chunk) reader.write(archive.subarray(i, i + chunk));
  reader.finish();
  return out;
}

describe('TarReader', () => {
  const members = [
    { path: 'a', type: '5' },
    { path: 'a/file', data: 'x'.repeat(700) },
    { path: `a/${'long-name-'.repeat(15)}`, data: 'long' },
    { path: 'a/link', type: '2', linkname: 'file' },
  ];
  const expected = [
    ['a', '5', ''],
    ['a/file', '0', 'x'.repeat(700)],
    [`a/${'long-name-'.repeat(15)}`, '0', 'long'],
    ['a/link', '2', ''],
  ];

  it('reads entries, PAX long names and data in any chunking', () => {
    expect(read(makeTar(members), 1)).toEqual(expected);
    expect(read(makeTar(members), 512)).toEqual(expected);
    expect(read(makeTar(members), 100_000)).toEqual(expected);
  });

  it('accepts an archive without end blocks (umoci), refuses one cut inside an entry or with a bad checksum', () => {
    expect(read(makeTar(members, true))).toEqual(expected);
    const cut = makeTar(members, true);
    expect(() => read(cut.subarray(0, 512 + 512 + 300))).toThrow(TarFormatError); // inside a/file's data
    expect(() => read(cut.subarray(0, 512 + 200))).toThrow(TarFormatError); // inside a header
    const bad = makeTar(members);
    bad[0] = 'b'.charCodeAt(0);
    expect(() => read(bad)).toThrow(/bad header checksum/);
  });
});

describe('memberPath', () => {
  it.each([
    ['./etc/passwd', 'etc/passwd'],
    ['/etc/passwd', 'etc/passwd'],
    ['a/../b', 'b'],
    ['a/', 'a'],
    ['./', ''],
  ])('%s is %s', (name, rel) => expect(memberPath(name)).toBe(rel));

  it.each(['../x', 'a/../../x', '/../x', '..'])('refuses %s', (name) => {
    expect(() => memberPath(name)).toThrow(LayerError);
  });
});
