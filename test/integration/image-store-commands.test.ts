// `pod-init images`, `rmi` and `rmi --prune` on a store filled from a registry on 127.0.0.1: podman's
// columns; an image a running pod uses is never removed (rmi refused naming the pod, rmi --prune spares it
// and the layers it shares), and is removable once the pod has ended; a lease left by a dead process
// pins nothing (the negative control for the lease check).
import { type ChildProcess, execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pruneImages } from '../../src/image/gc';
import { ImageStore } from '../../src/image/store';
import {
  busyboxLayer,
  imageTestNeeds,
  makeTar,
  startRegistry,
  type TestRegistry,
  writeOciLayout,
} from '../helpers/oci';
import { podCli, podManifest } from '../helpers/pod-cli';
import { titled } from '../helpers/privileges';
import { waitForLine } from '../helpers/wait';

const execFileP = promisify(execFile);
const cli = path.resolve(__dirname, '../../pod-init.js');
const { skip, busybox } = imageTestNeeds();

describe.skipIf(skip)(titled('pod-init images, rmi and rmi --prune', skip), () => {
  let dir = '';
  let storeDir = '';
  let registry: TestRegistry;
  const clis: Array<ReturnType<typeof podCli>> = [];
  const run = (...args: string[]) =>
    execFileP(process.execPath, [cli, ...args, '--image-store', storeDir]).then(
      (r) => ({ code: 0, ...r }),
      (e: { code: number; stdout: string; stderr: string }) => e,
    );
  const layerDirs = () => fs.readdirSync(path.join(storeDir, 'layers')).filter((n) => !n.startsWith('.'));
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pod-init-store-cmds-'));
    storeDir = path.join(dir, 'store');
    registry = await startRegistry();
    const layout = path.join(dir, 'layout');
    const base = busyboxLayer(busybox!, ['sh', 'echo', 'sleep']);
    writeOciLayout(layout, 'a', {
      layers: [base, makeTar([{ path: 'a', data: 'a\n' }])],
      config: { Entrypoint: ['/bin/sh', '-c'], Cmd: ['echo running; exec sleep 600'] },
    });
    writeOciLayout(layout, 'b', { layers: [base, makeTar([{ path: 'b', data: 'b\n' }])] });
    await registry.push(layout, 'a', 'test/a:1');
    await registry.push(layout, 'b', 'test/b:1');
    for (const image of ['test/a:1', 'test/b:1']) expect((await run('pull', `${registry.host}/${image}`)).code).toBe(0);
  }, 60_000);
  afterAll(async () => {
    for (const c of clis) c.cleanup();
    await registry?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('lists REPOSITORY TAG IMAGE ID CREATED SIZE as podman does; -q the IDs', async () => {
    const r = await run('images');
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^REPOSITORY {2,}TAG {9}IMAGE ID {6}CREATED {5,}SIZE$/);
    expect(lines.slice(1).map((l) => l.split(/\s{2,}/).slice(0, 2))).toEqual([
      [`${registry.host}/test/b`, '1'],
      [`${registry.host}/test/a`, '1'],
    ]);
    expect(lines[1]).toMatch(/ [a-f0-9]{12} {2}unknown {5}\d+(\.\d+)? (B|kB|MB)$/);
    const ids = (await run('images', '-q')).stdout.trim().split('\n');
    expect(ids).toHaveLength(2);
    expect(ids.every((id) => /^[a-f0-9]{12}$/.test(id))).toBe(true);
  });

  it('refuses to remove an image a running pod uses; rmi --prune spares it and its layers; rmi works once it ended', async () => {
    expect(layerDirs()).toHaveLength(3); // the shared base, a's and b's upper layers
    const c = podCli();
    clis.push(c);
    let child: ChildProcess | undefined;
    const running = new Promise<void>((resolve, reject) => {
      void c
        .run(
          ['--image-store', storeDir],
          podManifest(
            'user',
            `  terminationGracePeriodSeconds: 1\n  containers:\n    - name: c\n      image: ${registry.host}/test/a:1\n`,
          ),
          (ch) => {
            child = ch;
            void waitForLine(ch.stdout!, /^c \| running$/).then(() => resolve(), reject);
          },
        )
        .catch(reject);
    });
    await running;
    const refused = await run('rmi', `${registry.host}/test/a:1`);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/image is in use by a running pod: default\/user \(pid \d+\)/);
    const pruned = await run('rmi', '--prune', '--min-age', '0s');
    expect(pruned.code, pruned.stderr).toBe(0);
    expect(pruned.stdout).toContain(`Untagged: ${registry.host}/test/b:1`);
    expect(pruned.stdout).not.toContain('test/a:1');
    expect(layerDirs()).toHaveLength(2); // b's own layer went; the base stays for a
    const exited = new Promise((resolve) => child!.once('exit', resolve));
    child!.kill('SIGTERM');
    await exited;
    const removed = await run('rmi', `${registry.host}/test/a:1`);
    expect(removed.code, removed.stderr).toBe(0);
    expect(removed.stdout).toContain(`Untagged: ${registry.host}/test/a:1`);
    expect(layerDirs()).toEqual([]);
    expect((await run('images', '-q')).stdout).toBe('');
    const unknown = await run('rmi', 'nothing-here:1');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('nothing-here:1: image not known');
  }, 60_000);

  it("a dead process's lease pins nothing", async () => {
    expect((await run('pull', `${registry.host}/test/b:1`)).code).toBe(0);
    const store = new ImageStore(storeDir);
    const [reference, record] = Object.entries(store.images())[0]!;
    const dead = await execFileP('sh', ['-c', 'echo $$']).then((r) => Number(r.stdout.trim()));
    fs.mkdirSync(path.join(storeDir, 'leases'), { recursive: true });
    const stale = path.join(storeDir, 'leases', `${dead}-1-x.json`);
    fs.writeFileSync(
      stale,
      JSON.stringify({ pid: dead, startTime: '1', pod: 'default/gone', images: { [reference]: record } }),
    );
    const result = await pruneImages(store, 0);
    expect(result.images).toEqual([reference]);
    expect(fs.existsSync(stale)).toBe(false);
    // the control: the same lease naming this (live) process pins the image
    expect((await run('pull', `${registry.host}/test/b:1`)).code).toBe(0);
    const self = fs.readFileSync(`/proc/${process.pid}/stat`, 'utf8');
    const startTime = self.slice(self.lastIndexOf(')') + 2).split(' ')[19];
    const live = path.join(storeDir, 'leases', `${process.pid}-${startTime}-x.json`);
    fs.writeFileSync(
      live,
      JSON.stringify({ pid: process.pid, startTime, pod: 'default/me', images: { [reference]: record } }),
    );
    expect((await pruneImages(store, 0)).images).toEqual([]);
    fs.rmSync(live);
  });
});
