// Local image sources: `--image` values read as sources, the format told from the contents, and a
// tar's files indexed from its headers (ustar, PAX long names, `./` prefixes, symlinks within it).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { directoryFiles, tarFiles } from '../../../src/image/archive-files';
import { detectLocalSource, parseLocalSource } from '../../../src/image/local-image';
import { makeTar } from '../../helpers/oci';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pod-init-local-source-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const read = async (body: AsyncIterable<Uint8Array>) => {
  const chunks: Buffer[] = [];
  for await (const c of body) chunks.push(Buffer.from(c));
  return Buffer.concat(chunks).toString('utf8');
};

describe('local image sources', () => {
  it('reads transport:PATH[:TAG]; anything else is a directory', () => {
    expect(parseLocalSource('oci:/l:v1')).toEqual({ transport: 'oci', path: '/l', tag: 'v1' });
    expect(parseLocalSource('oci:/l')).toEqual({ transport: 'oci', path: '/l' });
    expect(parseLocalSource('oci-archive:/a/b.tar:x')).toEqual({
      transport: 'oci-archive',
      path: '/a/b.tar',
      tag: 'x',
    });
    // a colon in a directory name is not a tag
    expect(parseLocalSource('oci:/a:b/c')).toEqual({ transport: 'oci', path: '/a:b/c' });
    expect(parseLocalSource('docker-archive:/a.tar')).toEqual({ transport: 'docker-archive', path: '/a.tar' });
    expect(parseLocalSource('/srv/rootfs')).toBeUndefined();
    expect(parseLocalSource('docker://x')).toBeUndefined();
  });

  it('indexes a tar from its headers: PAX long names, ./ prefixes, symlinks followed inside it', async () => {
    const long = `blobs/${'x'.repeat(120)}`;
    const file = path.join(dir, 'a.tar');
    fs.writeFileSync(
      file,
      makeTar([
        { path: './manifest.json', data: '[]' },
        { path: 'd', type: '5' },
        { path: long, data: 'long name\n' },
        { path: 'short', data: 'long name\n' },
        { path: 'd/layer.tar', type: '2', linkname: '../short' },
        { path: 'empty', data: '' },
      ]),
    );
    const files = tarFiles(file);
    expect(files.has('manifest.json')).toBe(true);
    expect(files.has('d')).toBe(false); // directories are not files
    expect(files.read(long, 100).toString()).toBe('long name\n');
    expect(files.size('d/layer.tar')).toBe(10);
    expect(await read(files.open('d/layer.tar').body)).toBe('long name\n');
    expect(await read(files.open('empty').body)).toBe('');
    expect(() => files.read(long, 5)).toThrow(/larger than 5 bytes/);
    expect(() => files.open('missing')).toThrow(/missing: not in/);
    expect(detectLocalSource(file)).toEqual({ transport: 'docker-archive', path: file });
  });

  it('agrees with GNU tar on a tar it wrote (ustar prefix, long names)', async () => {
    const src = path.join(dir, 'gnu');
    const deep = path.join(src, 'a'.repeat(90), 'b'.repeat(90));
    fs.mkdirSync(deep, { recursive: true });
    fs.writeFileSync(path.join(deep, 'file'), 'deep\n');
    fs.writeFileSync(path.join(src, 'oci-layout'), '{}');
    for (const format of ['gnu', 'posix', 'ustar']) {
      const file = path.join(dir, `gnu-${format}.tar`);
      execFileSync('tar', ['-cf', file, `--format=${format}`, '-C', src, '.']);
      const files = tarFiles(file);
      expect(files.read(`${'a'.repeat(90)}/${'b'.repeat(90)}/file`, 100).toString()).toBe('deep\n');
      expect(detectLocalSource(file).transport).toBe('oci-archive');
    }
  });

  it('refuses what is no image source, saying why', () => {
    const plain = path.join(dir, 'plain');
    fs.mkdirSync(plain);
    expect(() => detectLocalSource(plain)).toThrow(/a directory without oci-layout is not an OCI image layout/);
    expect(() => detectLocalSource(path.join(dir, 'nothing'))).toThrow(/no such file or directory/);
    const other = path.join(dir, 'other.tar');
    fs.writeFileSync(other, makeTar([{ path: 'x', data: 'y' }]));
    expect(() => detectLocalSource(other)).toThrow(/neither an OCI archive \(oci-layout\) nor a docker save archive/);
  });

  it('a layout directory: names inside it only', () => {
    fs.writeFileSync(path.join(dir, 'secret'), 'no');
    const files = directoryFiles(path.join(dir, 'plain'));
    expect(() => files.read('../secret', 10)).toThrow(/outside/);
    expect(files.has('../secret')).toBe(false);
  });
});
