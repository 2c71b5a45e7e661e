import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { native } from '../../../src/native';
import { pollUntil } from '../../helpers/wait';
import { defaultImageStoreDir, ImageStore } from '../../../src/image/store';

const dirs: string[] = [];
function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pod-init-store-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});
const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const addon = path.resolve('build/Release/pod_init.node');

/** A child process holding an flock on `file` until its stdin closes; resolves once it holds it. */
async function holdLock(file: string) {
  const child = spawn(
    process.execPath,
    [
      '-e',
      `const fs=require('fs');const a=require(${JSON.stringify(addon)});` +
        `const fd=fs.openSync(${JSON.stringify(file)},'a');a.flock(fd,true);process.stdout.write('held\\n');` +
        `process.stdin.on('end',()=>process.exit(0));process.stdin.resume();`,
    ],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const [first] = (await once(child.stdout!, 'data')) as [Buffer];
  expect(first.toString()).toBe('held\n');
  return child;
}

describe('ImageStore', () => {
  it('stores blobs only under the digest they hash to', () => {
    const store = new ImageStore(tempDir());
    const bytes = Buffer.from('{"a":1}');
    expect(() => store.writeBlob(sha(Buffer.from('other')), bytes)).toThrow(/digest mismatch/);
    expect(fs.readdirSync(path.join(store.dir, 'blobs/sha256'))).toEqual([]);
    store.writeBlob(sha(bytes), bytes);
    expect(store.readBlob(sha(bytes)).toString()).toBe('{"a":1}');
  });

  it('shows a layer only once committed, and drops the temp dirs of dead unpacks but not of live ones', async () => {
    const dir = tempDir();
    const store = new ImageStore(dir);
    const diffId = sha(Buffer.from('layer'));
    const temp = store.newLayer();
    fs.writeFileSync(path.join(temp.diff, 'f'), 'x');
    expect(store.layerDir(diffId)).toBeUndefined();
    expect(fs.readFileSync(path.join(store.commitLayer(temp, diffId, { digest: diffId, size: 1 }), 'f'), 'utf8')).toBe(
      'x',
    );
    expect(store.layerDir(diffId)).toBe(path.join(dir, 'layers', diffId.slice(7), 'diff'));

    const dead = path.join(dir, 'layers', '.tmp-dead');
    fs.mkdirSync(dead);
    const live = path.join(dir, 'layers', '.tmp-live');
    fs.mkdirSync(live);
    const holder = await holdLock(`${live}.lock`);
    try {
      new ImageStore(dir);
      expect(fs.existsSync(dead)).toBe(false);
      expect(fs.existsSync(live)).toBe(true);
    } finally {
      holder.stdin!.end();
      await once(holder, 'exit');
    }
    new ImageStore(dir);
    expect(fs.existsSync(live)).toBe(false);
  });

  it('runs one holder of a lock at a time, in this process and across processes', async () => {
    const store = new ImageStore(tempDir());
    const order: string[] = [];
    const refused = vi.spyOn(native, 'tryFlock');
    const holder = await holdLock(path.join(store.dir, 'locks', 'x.lock'));
    const first = store.withLock('x', async () => {
      order.push('a-in');
      await new Promise((r) => setImmediate(r));
      order.push('a-out');
    });
    const second = store.withLock('x', async () => {
      order.push('b-in');
    });
    // Both wait: the first has found the lock taken at least twice (the other process holds it).
    await pollUntil(() => refused.mock.results.filter((r) => r.value === false).length >= 2, 'a refused try');
    expect(order).toEqual([]);
    holder.stdin!.end();
    await once(holder, 'exit');
    await Promise.all([first, second]);
    expect(order).toEqual(['a-in', 'a-out', 'b-in']);
    refused.mockRestore();
  });
});

describe('defaultImageStoreDir', () => {
  it('is on disk, never under the state root: /var/lib as root, the XDG data home otherwise', () => {
    expect(defaultImageStoreDir(0, '/home/u/.local/share')).toBe('/var/lib/pod-init/images');
    expect(defaultImageStoreDir(1000, '/home/u/.local/share')).toBe('/home/u/.local/share/pod-init/images');
  });
});

describe('the layers directory on ext4', () => {
  // lsattr(1) reads the flags itself (FS_IOC_GETFLAGS), not through the addon.
  const flags = (dir: string) => execFileSync('lsattr', ['-d', dir]).toString().split(' ')[0]!;
  const fsType = (dir: string) => execFileSync('stat', ['-f', '-c', '%T', dir]).toString().trim();

  it('is marked as the top of directory hierarchies (chattr +T), so each layer gets a block group of its own', () => {
    const dir = tempDir();
    const store = new ImageStore(path.join(dir, 'store'));
    const plain = path.join(dir, 'plain'); // the negative control: a directory nobody marked
    fs.mkdirSync(plain);
    if (fsType(dir).startsWith('ext')) {
      expect(flags(path.join(store.dir, 'layers'))).toContain('T');
      expect(flags(plain)).not.toContain('T');
    } else {
      expect(native.markTopDir(plain)).toBe(false); // no such flag there: nothing set, nothing thrown
    }
    new ImageStore(store.dir); // opening it again keeps the flag and does not fail
    if (fsType(dir).startsWith('ext')) expect(flags(path.join(store.dir, 'layers'))).toContain('T');
  });
});
