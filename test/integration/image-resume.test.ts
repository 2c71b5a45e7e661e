// A layer transfer cut or stalled half-way is resumed with `Range: bytes=N-` (the registry answers 206),
// not fetched again from 0: a proxy in front of a registry on 127.0.0.1 serves half of one blob and then
// stalls (or drops the connection); the pull completes, verified by digest, and the proxy saw a second
// request for the rest only. A proxy that ignores the range (200 from byte 0) fails the layer with
// nothing kept: the negative control.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pullImage } from '../../src/image/pull';
import { RegistryClient } from '../../src/image/registry';
import { ImageStore } from '../../src/image/store';
import { imageTestNeeds, makeTar, startRegistry, type TestRegistry, writeOciLayout } from '../helpers/oci';
import { titled } from '../helpers/privileges';

const { skip } = imageTestNeeds();
const unpack = { chown: true, devices: true, xattrNamespace: 'trusted' as const };

type Mode = 'stall' | 'cut' | 'ignore-range';

/** A proxy whose first GET of `blob` sends half the body, then stalls or drops; later GETs pass through. */
async function flakyProxy(target: string, blob: string, mode: Mode) {
  const gets: Array<{ range: string | undefined; sent: number }> = [];
  const sockets = new Set<net.Socket>();
  const server = http.createServer((req, res) => {
    const isBlob = req.method === 'GET' && req.url?.endsWith(`/blobs/${blob}`);
    const headers = { ...req.headers, host: target };
    if (isBlob && mode === 'ignore-range') delete headers.range;
    const upstream = http.request(`http://${target}${req.url}`, { method: req.method, headers }, (up) => {
      if (!isBlob) {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
        return;
      }
      const record = { range: req.headers.range, sent: 0 };
      gets.push(record);
      const chunks: Buffer[] = [];
      up.on('data', (c: Buffer) => chunks.push(c));
      up.on('end', () => {
        const body = Buffer.concat(chunks);
        res.writeHead(up.statusCode ?? 502, up.headers);
        if (gets.length > 1) {
          record.sent = body.length;
          res.end(body);
          return;
        }
        const half = body.subarray(0, body.length >> 1);
        record.sent = half.length;
        // 'cut': the connection drops once the half is on the wire
        res.write(half, () => {
          if (mode === 'cut') res.socket?.destroy();
        });
        // 'stall' and 'ignore-range': nothing more until the client gives up and closes
      });
    });
    req.pipe(upstream);
  });
  server.on('connection', (s: net.Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const host = `127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  return {
    host,
    gets,
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(resolve));
    },
  };
}

describe.skipIf(skip)(titled('resuming a cut or stalled layer with Range', skip), () => {
  let dir = '';
  let registry: TestRegistry;
  let blob = '';
  let blobSize = 0;
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pod-init-resume-'));
    registry = await startRegistry();
    const tar = makeTar([{ path: 'noise', data: randomBytes(1 << 20) }]); // incompressible: ~1 MiB gzip
    const gz = zlib.gzipSync(tar);
    blob = `sha256:${(await import('node:crypto')).createHash('sha256').update(gz).digest('hex')}`;
    blobSize = gz.length;
    const layout = path.join(dir, 'layout');
    writeOciLayout(layout, 'v1', { layers: [tar] });
    await registry.push(layout, 'v1', 'test/big:1');
  }, 60_000);
  afterAll(async () => {
    await registry?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it.each(['stall', 'cut'] as const)('after a %s at half the blob, asks for the rest only (206)', async (mode) => {
    const proxy = await flakyProxy(registry.host, blob, mode);
    try {
      const store = new ImageStore(path.join(dir, `store-${mode}`));
      const image = await pullImage(`${proxy.host}/test/big:1`, {
        store,
        client: new RegistryClient(),
        unpack,
        stallTimeoutMs: 300,
      });
      expect(fs.statSync(path.join(image.layers[0]!, 'noise')).size).toBe(1 << 20);
      expect(proxy.gets).toHaveLength(2);
      expect(proxy.gets[0]!.range).toBeUndefined();
      expect(proxy.gets[1]!.range).toMatch(/^bytes=\d+-$/);
      const from = Number(/^bytes=(\d+)-$/.exec(proxy.gets[1]!.range!)![1]);
      expect(from).toBeGreaterThan(0);
      expect(from).toBeLessThanOrEqual(proxy.gets[0]!.sent);
      // bytes fetched again: the rest, not the whole blob
      expect(proxy.gets[1]!.sent).toBe(blobSize - from);
    } finally {
      await proxy.close();
    }
  });

  it('a registry that ignores the range fails the layer, keeping nothing of it', async () => {
    const proxy = await flakyProxy(registry.host, blob, 'ignore-range');
    try {
      const store = new ImageStore(path.join(dir, 'store-ignore'));
      await expect(
        pullImage(`${proxy.host}/test/big:1`, { store, client: new RegistryClient(), unpack, stallTimeoutMs: 300 }),
      ).rejects.toThrow(/ignored Range: bytes=\d+- \(status 200\): cannot resume/);
      expect(fs.readdirSync(path.join(store.dir, 'layers'))).toEqual([]);
      expect(store.images()).toEqual({});
    } finally {
      await proxy.close();
    }
  });
});
