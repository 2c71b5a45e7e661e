// A pull killed with SIGKILL mid-transfer: the layer that was complete stays in the store and is not
// fetched again by the next pull; the layer that was half-way leaves a temp dir (never used, removed by
// the next pull) and its bytes so far in the store's ingest file, from which the next pull resumes it:
// one request with `Range: bytes=<kept>-`, answered 206 by the registry, the rest only. A proxy in front
// of a registry on 127.0.0.1 is the access log (each blob request, its Range, the registry's answer) and
// holds the big layer at half its bytes until the process is killed. Negative controls: a kept prefix
// with a byte changed is caught by the digest and the blob fetched again from its first byte (nothing of
// it used); a registry that ignores the range gives the whole blob, and the pull starts over with it.
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
import { pollUntil } from '../helpers/wait';

const { skip, busybox } = imageTestNeeds();
const cli = path.resolve(__dirname, '../../pod-init.js');
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** One blob request as the proxy saw it: the Range asked for and what the registry answered. */
interface BlobRequest {
  blob: string;
  range: string | undefined;
  status: number;
  contentRange: string | undefined;
  sent: number;
}

/**
 * A proxy in front of the registry logging blob GETs; while `hold` is set, that blob's body stops at half
 * (`holdAtHalf` resolves then); `ignoreRange` drops the Range header on its way to the registry.
 */
async function holdingProxy(target: string) {
  const requests: BlobRequest[] = [];
  const sockets = new Set<net.Socket>();
  let hold: string | undefined;
  let onHalf: ((half: number) => void) | undefined;
  let ignoreRange = false;
  const server = http.createServer((req, res) => {
    const blob = /\/blobs\/sha256:([a-f0-9]+)$/.exec(req.url ?? '')?.[1];
    const headers = { ...req.headers, host: target };
    const logged: BlobRequest | undefined =
      blob && req.method === 'GET'
        ? { blob, range: req.headers.range, status: 0, contentRange: undefined, sent: 0 }
        : undefined;
    if (logged) requests.push(logged);
    if (ignoreRange) delete headers.range;
    const upstream = http.request(`http://${target}${req.url}`, { method: req.method, headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      if (logged) {
        logged.status = up.statusCode ?? 0;
        logged.contentRange = up.headers['content-range'];
        up.on('data', (c: Buffer) => (logged.sent += c.length));
      }
      if (blob === undefined || blob !== hold) return void up.pipe(res);
      const chunks: Buffer[] = [];
      up.on('data', (c: Buffer) => chunks.push(c));
      up.on('end', () => {
        const body = Buffer.concat(chunks);
        const half = body.length >> 1;
        res.write(body.subarray(0, half), () => onHalf?.(half)); // and nothing more
      });
    });
    req.pipe(upstream);
  });
  server.on('connection', (s: net.Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    host: `127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    requests,
    of: (blob: string) => requests.filter((r) => r.blob === blob),
    holdAtHalf(blob: string): Promise<number> {
      hold = blob;
      return new Promise((resolve) => (onHalf = resolve));
    },
    ignoreRange(on: boolean) {
      ignoreRange = on;
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
  let base: Buffer;
  const big = makeTar([{ path: 'big', data: randomBytes(2 << 20) }]); // incompressible: ~2 MiB of gzip
  const bigBlob = sha(zlib.gzipSync(big));
  const bigFileHash = () => sha(big.subarray(512, 512 + (2 << 20)));
  let baseBlob = '';
  const clis: Array<ReturnType<typeof podCli>> = [];
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pod-init-kill-'));
    registry = await startRegistry();
    base = busyboxLayer(busybox!, ['sh', 'wc', 'cat']);
    baseBlob = sha(zlib.gzipSync(base));
    const layout = path.join(dir, 'layout');
    writeOciLayout(layout, 'v1', { layers: [base, big] });
    await registry.push(layout, 'v1', 'test/kill:1');
  }, 60_000);
  afterAll(async () => {
    for (const c of clis) c.cleanup();
    await registry?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  /** Starts a pull through `proxy` into `store`, holds the big layer at half, waits until both layers are
   *  where they should be (the base committed, half of the big one in the ingest file) and kills it. */
  async function killHalfWay(proxy: Awaited<ReturnType<typeof holdingProxy>>, store: string): Promise<number> {
    const image = `${proxy.host}/test/kill:1`;
    let child: ChildProcess | undefined;
    try {
      const halfSent = proxy.holdAtHalf(bigBlob);
      child = spawn(process.execPath, [cli, 'pull', image, '--image-store', store, '-q'], { stdio: 'ignore' });
      const exited = new Promise((resolve) => child!.once('exit', (code, signal) => resolve(signal ?? code)));
      const half = await halfSent;
      const baseDone = path.join(store, 'layers', sha(base), 'layer.json');
      const ingest = path.join(store, 'ingest', `${bigBlob}.data`);
      const kept = () => fs.statSync(ingest, { throwIfNoEntry: false })?.size;
      await pollUntil(
        () => (fs.existsSync(baseDone) && kept() === half) || child!.exitCode !== null,
        'the base layer committed and half of the big one kept',
      );
      expect(fs.existsSync(baseDone)).toBe(true);
      expect(kept()).toBe(half);
      child.kill('SIGKILL');
      expect(await exited).toBe('SIGKILL');
      return half;
    } finally {
      if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  }

  const pullAgain = (image: string, store: string) =>
    promisify(execFile)(process.execPath, [cli, 'pull', image, '--image-store', store]);

  it('resumes the half-fetched layer with Range from the kept offset, fetches nothing else again, and the image runs', async () => {
    const proxy = await holdingProxy(registry.host);
    const store = path.join(dir, 'store');
    const image = `${proxy.host}/test/kill:1`;
    try {
      const half = await killHalfWay(proxy, store);
      // What the kill left: the base layer final, the big one a temp dir and its kept bytes, no image.
      const left = fs.readdirSync(path.join(store, 'layers'));
      expect(left).toContain(sha(base));
      expect(left).not.toContain(sha(big));
      expect(left.some((n) => n.startsWith('.tmp-') && !n.endsWith('.lock'))).toBe(true);
      expect(fs.existsSync(path.join(store, 'images.json'))).toBe(false);
      expect(proxy.of(baseBlob)).toHaveLength(1);
      expect(proxy.of(bigBlob).map((r) => r.range)).toEqual([undefined]);

      proxy.release();
      const { stdout } = await pullAgain(image, store);
      expect(stdout).toContain(`${image} sha256:`);
      // The access log: the base not asked again; the big one asked for the rest, answered 206.
      expect(proxy.of(baseBlob)).toHaveLength(1);
      const [, resumed, ...more] = proxy.of(bigBlob);
      expect(more).toEqual([]);
      const total = zlib.gzipSync(big).length;
      expect(resumed).toMatchObject({ range: `bytes=${half}-`, status: 206, sent: total - half });
      expect(resumed!.contentRange).toBe(`bytes ${half}-${total - 1}/${total}`);
      // Nothing left over: no temp dir, no ingest file; the layer is right.
      expect(fs.readdirSync(path.join(store, 'layers')).filter((n) => n.startsWith('.tmp-'))).toEqual([]);
      expect(fs.readdirSync(path.join(store, 'ingest'))).toEqual([]);
      expect(sha(fs.readFileSync(path.join(store, 'layers', sha(big), 'diff', 'big')))).toBe(bigFileHash());

      const pod = podCli();
      clis.push(pod);
      const r = await pod.run(
        ['--image-store', store],
        podManifest(
          'resumed',
          `  restartPolicy: Never\n  containers:\n    - name: c\n      image: ${image}\n      command: ['/bin/sh', '-c', 'wc -c < /big']\n`,
        ),
      );
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(r.stdout).toContain(`c | ${2 << 20}`);
    } finally {
      await proxy.close();
    }
  }, 90_000);

  it('a kept prefix with a byte changed: the digest catches it and the blob is fetched again from its first byte', async () => {
    const proxy = await holdingProxy(registry.host);
    const store = path.join(dir, 'store-corrupt');
    const image = `${proxy.host}/test/kill:1`;
    try {
      const half = await killHalfWay(proxy, store);
      const ingest = path.join(store, 'ingest', `${bigBlob}.data`);
      const fd = fs.openSync(ingest, 'r+');
      const byte = Buffer.alloc(1);
      fs.readSync(fd, byte, 0, 1, 4096);
      fs.writeSync(fd, Buffer.from([byte[0]! ^ 0xff]), 0, 1, 4096);
      fs.closeSync(fd);

      proxy.release();
      const { stdout } = await pullAgain(image, store);
      expect(stdout).toContain(`${image} sha256:`);
      // Resumed (and caught at the end: a digest mismatch), then the whole blob once more.
      expect(proxy.of(bigBlob).map((r) => [r.range, r.status])).toEqual([
        [undefined, 200],
        [`bytes=${half}-`, 206],
        [undefined, 200],
      ]);
      expect(fs.readdirSync(path.join(store, 'ingest'))).toEqual([]);
      expect(sha(fs.readFileSync(path.join(store, 'layers', sha(big), 'diff', 'big')))).toBe(bigFileHash());
    } finally {
      await proxy.close();
    }
  }, 90_000);

  it('a blob kept whole (a crash after its last byte, before the commit) is not asked for at all', async () => {
    const proxy = await holdingProxy(registry.host);
    const store = path.join(dir, 'store-whole');
    const image = `${proxy.host}/test/kill:1`;
    try {
      fs.mkdirSync(path.join(store, 'ingest'), { recursive: true });
      fs.writeFileSync(path.join(store, 'ingest', `${bigBlob}.data`), zlib.gzipSync(big));
      await pullAgain(image, store);
      expect(proxy.of(bigBlob)).toEqual([]);
      expect(proxy.of(baseBlob)).toHaveLength(1);
      expect(fs.readdirSync(path.join(store, 'ingest'))).toEqual([]);
      expect(sha(fs.readFileSync(path.join(store, 'layers', sha(big), 'diff', 'big')))).toBe(bigFileHash());
    } finally {
      await proxy.close();
    }
  }, 90_000);

  it('a registry that ignores the Range: the whole blob comes back (200) and the pull starts over with it', async () => {
    const proxy = await holdingProxy(registry.host);
    const store = path.join(dir, 'store-no-range');
    const image = `${proxy.host}/test/kill:1`;
    try {
      const half = await killHalfWay(proxy, store);
      proxy.release();
      proxy.ignoreRange(true);
      await pullAgain(image, store);
      expect(proxy.of(bigBlob).map((r) => [r.range, r.status])).toEqual([
        [undefined, 200],
        [`bytes=${half}-`, 200],
      ]);
      expect(fs.readdirSync(path.join(store, 'ingest'))).toEqual([]);
      expect(sha(fs.readFileSync(path.join(store, 'layers', sha(big), 'diff', 'big')))).toBe(bigFileHash());
    } finally {
      await proxy.close();
    }
  }, 90_000);
});
