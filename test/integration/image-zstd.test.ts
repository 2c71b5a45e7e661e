// zstd layers: the addon's libzstd decoder as a stream (round trip against the zstd CLI, several
// frames, any chunking; a 64 MiB bomb of a few KiB comes out in pieces of at most ~1 MiB; truncated or
// garbage input refused), then an image with zstd layers pushed to a registry on 127.0.0.1 and run.
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pullImage } from '../../src/image/pull';
import { RegistryClient } from '../../src/image/registry';
import { ImageStore } from '../../src/image/store';
import { ZstdDecompress } from '../../src/image/zstd';
import {
  busyboxLayer,
  imageTestNeeds,
  makeTar,
  startRegistry,
  type TestRegistry,
  writeOciLayout,
  zstdCompress,
} from '../helpers/oci';
import { podCli, podManifest } from '../helpers/pod-cli';
import { titled } from '../helpers/privileges';

/** Decodes `input` fed in `chunk`-byte pieces; the output pieces as the stream pushed them. */
async function decode(input: Buffer, chunk = 4096): Promise<Buffer[]> {
  const pieces: Buffer[] = [];
  for (let i = 0; i < input.length; i += chunk) pieces.push(input.subarray(i, i + chunk));
  const out: Buffer[] = [];
  for await (const piece of Readable.from(pieces).pipe(new ZstdDecompress())) out.push(piece as Buffer);
  return out;
}

describe('the zstd decoder (libzstd in the addon)', () => {
  it('gives back what the zstd CLI compressed, several frames, whatever the chunking', async () => {
    const text = Buffer.from(`${'layer data '.repeat(50_000)}`);
    const data = Buffer.concat([randomBytes(300_000), text, randomBytes(1000)]);
    const frames = Buffer.concat([zstdCompress(data, 19), zstdCompress(text)]);
    for (const chunk of [333, 65536, frames.length]) {
      const out = Buffer.concat(await decode(frames, chunk));
      expect(out.equals(Buffer.concat([data, text])), `chunk ${chunk}`).toBe(true);
    }
  });

  it('hands a 64 MiB bomb of a few KiB back in pieces of at most ~1 MiB', async () => {
    const bomb = zstdCompress(Buffer.alloc(64 << 20));
    expect(bomb.length).toBeLessThan(64 << 10);
    const pieces = await decode(bomb, bomb.length); // the whole input in one write
    const total = pieces.reduce((n, p) => n + p.length, 0);
    expect(total).toBe(64 << 20);
    expect(Math.max(...pieces.map((p) => p.length))).toBeLessThanOrEqual((1 << 20) + (128 << 10) + 8);
  });

  it('refuses truncated and garbage input', async () => {
    const whole = zstdCompress(randomBytes(100_000));
    await expect(decode(whole.subarray(0, whole.length - 10))).rejects.toThrow(/truncated/);
    await expect(decode(Buffer.from('this is not zstd at all'))).rejects.toThrow(/^zstd: /);
    // negative control: the same bytes whole decode
    expect(Buffer.concat(await decode(whole)).length).toBe(100_000);
  });
});

const { skip, busybox } = imageTestNeeds();

describe.skipIf(skip)(titled('zstd layers from a registry on 127.0.0.1', skip), () => {
  let dir = ''; // made in beforeAll: a skipped suite's body still runs, its afterAll does not
  const clis: Array<ReturnType<typeof podCli>> = [];
  let registry: TestRegistry;
  let upper: Buffer;
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pod-init-zstd-'));
    registry = await startRegistry();
    upper = makeTar([
      { path: 'etc', type: '5' },
      { path: 'etc/.wh.group', data: '' },
      { path: 'msg', data: 'zstd layer\n' },
    ]);
    const layout = path.join(dir, 'layout');
    writeOciLayout(layout, 'v1', {
      layers: [busyboxLayer(busybox!, ['sh', 'cat', 'echo']), upper],
      zstd: true,
      config: {
        Entrypoint: ['/bin/sh', '-c'],
        Cmd: ['cat /msg; cat /etc/passwd >/dev/null && echo passwd; cat /etc/group 2>/dev/null || echo group-gone'],
      },
    });
    await registry.push(layout, 'v1', 'test/zstd:1');
  }, 60_000);
  afterAll(async () => {
    for (const c of clis) c.cleanup();
    await registry?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('pulls zstd layers (verified by digest and diff_id) and runs the image', async () => {
    const storeDir = path.join(dir, 'store');
    const store = new ImageStore(storeDir);
    const unpack = { chown: true, devices: true, xattrNamespace: 'trusted' as const };
    const image = await pullImage(`${registry.host}/test/zstd:1`, { store, client: new RegistryClient(), unpack });
    // the registry serves zstd bytes: its manifest's layer types say so
    const res = await fetch(`http://${registry.host}/v2/test/zstd/manifests/1`, {
      headers: { accept: 'application/vnd.oci.image.manifest.v1+json' },
    });
    const manifest = (await res.json()) as { layers: Array<{ mediaType: string }> };
    expect(manifest.layers.map((l) => l.mediaType)).toEqual([
      'application/vnd.oci.image.layer.v1.tar+zstd',
      'application/vnd.oci.image.layer.v1.tar+zstd',
    ]);
    expect(image.record.diffIds[1]).toBe(`sha256:${createHash('sha256').update(upper).digest('hex')}`);
    expect(fs.readFileSync(path.join(image.layers[1]!, 'msg'), 'utf8')).toBe('zstd layer\n');
    const c = podCli();
    clis.push(c);
    const r = await c.run(
      ['--image-store', storeDir],
      podManifest(
        'zstd',
        `  restartPolicy: Never\n  containers:\n    - name: c\n      image: ${registry.host}/test/zstd:1\n`,
      ),
    );
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const logs = r.stdout.split('\n').filter((l) => l.startsWith('c | '));
    expect(logs).toEqual(['c | zstd layer', 'c | passwd', 'c | group-gone']); // whited out by the upper layer
  }, 60_000);
});
