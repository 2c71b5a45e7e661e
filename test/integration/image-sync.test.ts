// `--image-sync-fs`: one syncfs(2) per unpacked layer, before the layer is renamed to its final name
// (containerd's image_pull_with_sync_fs), seen by strace on a real pull from a registry on 127.0.0.1;
// without the flag (the default, as containerd's) the pull syncs no filesystem. Verified blobs (the
// manifest's config) are fsynced before their rename either way.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { imageTestNeeds, makeTar, startRegistry, type TestRegistry, writeOciLayout } from '../helpers/oci';
import { titled } from '../helpers/privileges';

const { skip } = imageTestNeeds();
const cli = path.resolve(__dirname, '../../pod-init.js');
const run = promisify(execFile);

describe.skipIf(skip)(titled('--image-sync-fs', skip), () => {
  let dir = '';
  let registry: TestRegistry;
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pod-init-sync-'));
    registry = await startRegistry();
    const layout = path.join(dir, 'layout');
    writeOciLayout(layout, 'v1', {
      layers: [makeTar([{ path: 'a', data: 'a\n' }]), makeTar([{ path: 'b', data: 'b\n' }])],
    });
    await registry.push(layout, 'v1', 'test/sync:1');
  }, 60_000);
  afterAll(async () => {
    await registry?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  /** The syncfs and fsync calls of one `pod-init pull`, as strace saw them. */
  async function syncCalls(store: string, flags: string[]): Promise<{ syncfs: number; fsync: number }> {
    const trace = path.join(dir, `trace-${path.basename(store)}`);
    const image = `${registry.host}/test/sync:1`;
    await run('strace', [
      '-f',
      '-qq',
      '-e',
      'trace=syncfs,fsync',
      '-o',
      trace,
      process.execPath,
      cli,
      'pull',
      image,
      '--image-store',
      store,
      '-q',
      ...flags,
    ]);
    const lines = fs.readFileSync(trace, 'utf8').split('\n');
    expect(fs.readdirSync(path.join(store, 'layers')).filter((n) => !n.startsWith('.'))).toHaveLength(2);
    // A call another thread interrupts is split in two lines (`syncfs(21 <unfinished ...>`, then
    // `<... syncfs resumed>) = 0`): count the calls by their first line.
    return {
      syncfs: lines.filter((l) => /\bsyncfs\(\d+/.test(l)).length,
      fsync: lines.filter((l) => /\bfsync\(\d+/.test(l)).length,
    };
  }

  it('syncs the filesystem once per layer with the flag, never without it', async () => {
    const synced = await syncCalls(path.join(dir, 'synced'), ['--image-sync-fs']);
    expect(synced.syncfs).toBe(2);
    const plain = await syncCalls(path.join(dir, 'plain'), []);
    expect(plain.syncfs).toBe(0);
    expect(plain.fsync).toBeGreaterThanOrEqual(1); // the config blob, before its rename
  }, 60_000);
});
