// A pull killed with SIGKILL mid-transfer: the layer that was complete stays in the store and is not
// fetched again by the next pull; the layer that was half-way leaves only a temp dir, never used and
// removed by the next pull, which fetches that layer whole. A proxy in front of a registry on
// 127.0.0.1 counts blob GETs and holds the big layer at half its bytes until the process is killed.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { imageTestNeeds, makeTar, startRegistry, type TestRegistry, writeOciLayout } from '../helpers/oci';
import { titled } from '../helpers/privileges';
import { pollUntil } from '../helpers/wait';

const { skip } = imageTestNeeds();
const cli = path.resolve(__dirname, '../../pod-init.js');
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** Counts blob GETs; while `hold` is set, that blob's body stops at half (`halfSent` resolves then). */
async function holdingProxy(target: string) {
  const gets = new Map<string, number>();
  const sockets = new Set<net.Socket>();
  let hold: string | undefined;
  let onHalf: (() => void) | undefined;
  const server = http.createServer((req, res) => {
    const blob = /\/blobs\/sha256:([a-f0-9]+)$/.exec(req.url ?? '')?.[1];
    if (blob && req.method === 'GET') gets.set(blob, (gets.get(blob) ?? 0) + 1);
    const upstream = http.request(
      `http://${target}${req.url}`,
      { method: req.method, headers: { ...req.headers, host: target } },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        if (blob === undefined || blob !== hold) return void up.pipe(res);
        const chunks: Buffer[] = [];
        up.on('data', (c: Buffer) => chunks.push(c));
        up.on('end', () => {
          const body = Buffer.concat(chunks);
          res.write(body.subarray(0, body.length >> 1), () => onHalf?.()); // and nothing more
        });
      },
    );
    req.pipe(upstream);
  });
  server.on('connection', (s: net.Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    host: `127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    gets,
    holdAtHalf(blob: string): Promise<void> {
      hold = blob;
      return new Promise((resolve) => (onHalf = resolve));
    },
    release() {
      hold = undefined;
      for (const s of sockets) s.destroy();
    },
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(resolve));
    },
  };
}

describe.skipIf(skip)(titled('a pull killed with SIGKILL mid-transfer', skip), () => {
  let dir = '';
  let registry: TestRegistry;
  const small = makeTar([{ path: 'small', data: randomBytes(64 << 10) }]);
  const big = makeTar([{ path: 'big', data: randomBytes(2 << 20) }]); // incompressible: ~2 MiB of gzip
  const smallBlob = sha(zlib.gzipSync(small));
  const bigBlob = sha(zlib.gzipSync(big));
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pod-init-kill-'));
    registry = await startRegistry();
    const layout = path.join(dir, 'layout');
    writeOciLayout(layout, 'v1', { layers: [small, big] });
    await registry.push(layout, 'v1', 'test/kill:1');
  }, 60_000);
  afterAll(async () => {
    await registry?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('keeps the finished layer (not fetched again), never uses the half one, and the next pull completes', async () => {
    const proxy = await holdingProxy(registry.host);
    const store = path.join(dir, 'store');
    const image = `${proxy.host}/test/kill:1`;
    let child: ChildProcess | undefined;
    try {
      const halfSent = proxy.holdAtHalf(bigBlob);
      child = spawn(process.execPath, [cli, 'pull', image, '--image-store', store, '-q'], { stdio: 'ignore' });
      const exited = new Promise((resolve) => child!.once('exit', (code, signal) => resolve(signal ?? code)));
      // Both events: the big layer is half-way, and the small one is complete in the store.
      await halfSent;
      const smallDone = path.join(store, 'layers', sha(small), 'layer.json');
      await pollUntil(() => fs.existsSync(smallDone) || child!.exitCode !== null, 'the small layer to be committed');
      expect(fs.existsSync(smallDone)).toBe(true);
      child.kill('SIGKILL');
      expect(await exited).toBe('SIGKILL');

      // What the kill left: the small layer final, the big one only as a temp dir, no image recorded.
      const left = fs.readdirSync(path.join(store, 'layers'));
      expect(left).toContain(sha(small));
      expect(left).not.toContain(sha(big));
      expect(left.some((n) => n.startsWith('.tmp-') && !n.endsWith('.lock'))).toBe(true);
      expect(fs.existsSync(path.join(store, 'images.json'))).toBe(false);
      expect(proxy.gets.get(smallBlob)).toBe(1);
      expect(proxy.gets.get(bigBlob)).toBe(1);

      // The next pull: the big layer fetched whole, the small one not at all, the temp dir gone.
      proxy.release();
      const { stdout } = await promisify(execFile)(process.execPath, [cli, 'pull', image, '--image-store', store]);
      expect(stdout).toContain(`${image} sha256:`);
      expect(proxy.gets.get(smallBlob)).toBe(1);
      expect(proxy.gets.get(bigBlob)).toBe(2);
      const layers = fs.readdirSync(path.join(store, 'layers'));
      expect(layers.filter((n) => n.startsWith('.tmp-'))).toEqual([]);
      const bigFile = path.join(store, 'layers', sha(big), 'diff', 'big');
      expect(fs.statSync(bigFile).size).toBe(2 << 20);
    } finally {
      if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await proxy.close();
    }
  }, 60_000);
});
