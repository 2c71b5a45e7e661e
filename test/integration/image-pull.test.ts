// Pulling from a real registry on 127.0.0.1 (Debian's docker-registry, images pushed with skopeo
// from OCI layouts built here): layers unpacked as overlayfs lowers (whiteouts, opaque dirs,
// hardlinks, symlinks, FIFOs, owners), a registry that lies about a layer refused with nothing kept,
// Basic auth, path escapes refused, and concurrent pulls (two processes) fetching each blob once.
import { execFile, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureImage } from '../../src/image/ensure';
import { pullImage } from '../../src/image/pull';
import { RegistryClient } from '../../src/image/registry';
import { ImageStore } from '../../src/image/store';
import {
  busyboxLayer,
  makeTar,
  imageTestNeeds,
  startRegistry,
  type TestRegistry,
  writeOciLayout,
} from '../helpers/oci';
import { titled } from '../helpers/privileges';

const run = promisify(execFile);
const { skip, busybox } = imageTestNeeds();
const cli = path.resolve(__dirname, '../../pod-init.js');
const unpack = { chown: true, devices: true, xattrNamespace: 'trusted' as const };

/** A proxy in front of the registry counting blob GETs, optionally flipping a byte of one blob. */
async function proxy(target: string, flip?: string) {
  const blobGets = new Map<string, number>();
  const manifestRequests: string[] = [];
  const server = http.createServer((req, res) => {
    const blob = /\/blobs\/(sha256:[a-f0-9]+)$/.exec(req.url ?? '')?.[1];
    if (blob && req.method === 'GET') blobGets.set(blob, (blobGets.get(blob) ?? 0) + 1);
    if (req.url?.includes('/manifests/')) manifestRequests.push(`${req.method} ${req.url}`);
    const upstream = http.request(
      `http://${target}${req.url}`,
      { method: req.method, headers: { ...req.headers, host: target } },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        if (blob !== undefined && blob === flip) {
          const chunks: Buffer[] = [];
          up.on('data', (c: Buffer) => chunks.push(c));
          up.on('end', () => {
            const body = Buffer.concat(chunks);
            body[body.length >> 1] = body[body.length >> 1]! ^ 0xff;
            res.end(body);
          });
        } else up.pipe(res);
      },
    );
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const host = `127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  return { host, blobGets, manifestRequests, close: () => new Promise((resolve) => server.close(resolve)) };
}

/** The layer digests of an OCI layout's tag. */
function layerDigests(layout: string, tag: string): string[] {
  const blob = (d: string) =>
    JSON.parse(fs.readFileSync(path.join(layout, 'blobs/sha256', d.slice(7)), 'utf8')) as {
      layers: Array<{ digest: string }>;
    };
  const index = JSON.parse(fs.readFileSync(path.join(layout, 'index.json'), 'utf8')) as {
    manifests: Array<{ digest: string; annotations: Record<string, string> }>;
  };
  const entry = index.manifests.find((m) => m.annotations['org.opencontainers.image.ref.name'] === tag)!;
  return blob(entry.digest).layers.map((l) => l.digest);
}

const xattr = (file: string, name: string): string | undefined => {
  try {
    return execFileSync('python3', [
      '-c',
      `import os,sys; print(os.getxattr(sys.argv[1], sys.argv[2], follow_symlinks=False).decode())`,
      file,
      name,
    ])
      .toString()
      .trim();
  } catch {
    return undefined;
  }
};

describe.skipIf(skip)(titled('pulling from a registry on 127.0.0.1', skip), () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pod-init-pull-'));
  const layout = path.join(dir, 'layout');
  let registry: TestRegistry;
  let upper: Buffer;
  beforeAll(async () => {
    registry = await startRegistry();
    upper = makeTar([
      { path: 'etc', type: '5' },
      { path: 'etc/.wh.group', data: '' },
      { path: 'data', type: '5', mode: 0o700, uid: 1000, gid: 1000 },
      { path: 'data/.wh..wh..opq', data: '' },
      { path: 'data/new', data: 'new\n', mode: 0o4755, uid: 1000, gid: 1000 },
      { path: 'data/same', type: '1', linkname: 'data/new' },
      { path: 'data/link', type: '2', linkname: '../etc/passwd' },
      { path: 'data/fifo', type: '6' },
      { path: `data/${'long-'.repeat(30)}name`, data: 'long\n', xattrs: { 'user.test': 'kept' } },
    ]);
    const base = busyboxLayer(busybox!);
    writeOciLayout(layout, 'v1', { layers: [base, upper], config: { Cmd: ['sh'] } });
    await registry.push(layout, 'v1', 'test/bb:1');
    const escape = makeTar([{ path: '../escaped', data: 'out\n' }]);
    writeOciLayout(layout, 'escape', { layers: [escape] });
    await registry.push(layout, 'escape', 'test/escape:1');
    const linked = makeTar([
      { path: 'link', type: '2', linkname: path.join(dir, 'outside') },
      { path: 'link/file', data: 'out\n' },
    ]);
    writeOciLayout(layout, 'linked', { layers: [linked] });
    await registry.push(layout, 'linked', 'test/linked:1');
  }, 60_000);
  afterAll(async () => {
    await registry?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('unpacks each layer as an overlayfs lower: whiteouts, opaque dirs, owners, modes, links, FIFOs, xattrs', async () => {
    const store = new ImageStore(path.join(dir, 'store1'));
    const image = await pullImage(`${registry.host}/test/bb:1`, { store, client: new RegistryClient(), unpack });
    expect(image.reference).toBe(`${registry.host}/test/bb:1`);
    expect(image.config.config?.Cmd).toEqual(['sh']);
    expect(image.layers).toHaveLength(2);
    const [lower, top] = image.layers as [string, string];
    expect(fs.readFileSync(path.join(lower, 'etc/group'), 'utf8')).toContain('extra:x:2000:app');
    const whiteout = fs.lstatSync(path.join(top, 'etc/group'));
    expect(whiteout.isCharacterDevice() && whiteout.rdev === 0).toBe(true);
    expect(xattr(path.join(top, 'data'), 'trusted.overlay.opaque')).toBe('y');
    const dataDir = fs.lstatSync(path.join(top, 'data'));
    expect([dataDir.mode & 0o7777, dataDir.uid, dataDir.gid]).toEqual([0o700, 1000, 1000]);
    const file = fs.lstatSync(path.join(top, 'data/new'));
    expect([file.mode & 0o7777, file.uid]).toEqual([0o4755, 1000]);
    expect(fs.lstatSync(path.join(top, 'data/same')).ino).toBe(file.ino);
    expect(fs.readlinkSync(path.join(top, 'data/link'))).toBe('../etc/passwd');
    expect(fs.lstatSync(path.join(top, 'data/fifo')).isFIFO()).toBe(true);
    expect(xattr(path.join(top, `data/${'long-'.repeat(30)}name`), 'user.test')).toBe('kept');
    expect(fs.readdirSync(path.join(store.dir, 'layers')).filter((n) => n.startsWith('.tmp'))).toEqual([]);
  });

  it('refuses a layer whose bytes are not its digest, naming it, and keeps nothing of it', async () => {
    const upperDigest = `sha256:${(await import('node:crypto'))
      .createHash('sha256')
      .update((await import('node:zlib')).gzipSync(upper))
      .digest('hex')}`;
    // gzip output is deterministic for the same input and level in one Node: the digest skopeo pushed
    const liar = await proxy(registry.host, upperDigest);
    const store = new ImageStore(path.join(dir, 'store-liar'));
    try {
      await expect(
        pullImage(`${liar.host}/test/bb:1`, { store, client: new RegistryClient(), unpack }),
      ).rejects.toThrow(new RegExp(`layer ${upperDigest}: digest mismatch`));
      expect(liar.blobGets.get(upperDigest)).toBe(1); // the lie was served: the defence refused it
      const layers = fs.readdirSync(path.join(store.dir, 'layers'));
      expect(layers.filter((n) => n.startsWith('.tmp'))).toEqual([]);
      expect(layers).not.toContain(
        // the upper layer's diff_id dir
        (await import('node:crypto')).createHash('sha256').update(upper).digest('hex'),
      );
      expect(store.images()).toEqual({});
    } finally {
      await liar.close();
    }
  });

  it('refuses members that leave the layer (../, a symlinked parent); a naive extractor writes outside', async () => {
    const store = new ImageStore(path.join(dir, 'store-escape'));
    const client = new RegistryClient();
    await expect(pullImage(`${registry.host}/test/escape:1`, { store, client, unpack })).rejects.toThrow(
      /path escapes the layer/,
    );
    expect(fs.existsSync(path.join(store.dir, 'layers', 'escaped'))).toBe(false);
    fs.mkdirSync(path.join(dir, 'outside'));
    await expect(pullImage(`${registry.host}/test/linked:1`, { store, client, unpack })).rejects.toThrow(
      /a parent is a symlink/,
    );
    expect(fs.readdirSync(path.join(dir, 'outside'))).toEqual([]);
    // Negative control: the same archive through a naive extractor (Python's tarfile, no filter).
    const naive = path.join(dir, 'naive');
    fs.mkdirSync(naive);
    const tarFile = path.join(dir, 'linked.tar');
    fs.writeFileSync(
      tarFile,
      makeTar([
        { path: 'link', type: '2', linkname: path.join(dir, 'outside') },
        { path: 'link/file', data: 'out\n' },
      ]),
    );
    execFileSync('python3', [
      '-W',
      'ignore',
      '-c',
      'import sys, tarfile; tarfile.open(sys.argv[1]).extractall(sys.argv[2])',
      tarFile,
      naive,
    ]);
    expect(fs.readdirSync(path.join(dir, 'outside'))).toEqual(['file']);
  });

  it('two processes pulling one image at once fetch each blob once; then a pull, Always and IfNotPresent fetch no blob', async () => {
    const counter = await proxy(registry.host);
    const storeDir = path.join(dir, 'store-shared');
    try {
      const pull = () => run(process.execPath, [cli, 'pull', `${counter.host}/test/bb:1`, '--image-store', storeDir]);
      const [a, b] = await Promise.all([pull(), pull()]);
      expect(a.stdout).toContain(`${counter.host}/test/bb:1 sha256:`);
      expect(b.stdout).toContain(`${counter.host}/test/bb:1 sha256:`);
      // Each layer was fetched once across both processes (a config, tiny, may be read by each).
      for (const layer of layerDigests(layout, 'v1')) expect(counter.blobGets.get(layer)).toBe(1);
      const before = new Map(counter.blobGets);
      await pull();
      expect(counter.blobGets).toEqual(before);
      // imagePullPolicy Always with the image present: one manifest HEAD, nothing downloaded.
      counter.manifestRequests.length = 0;
      const events: string[] = [];
      const ctx = { store: new ImageStore(storeDir), client: new RegistryClient(), unpack };
      const result = await ensureImage(`${counter.host}/test/bb:1`, 'Always', ctx, (_t, reason, message) =>
        events.push(`${reason}: ${message}`),
      );
      expect('image' in result).toBe(true);
      expect(counter.manifestRequests).toEqual(['HEAD /v2/test/bb/manifests/1']);
      expect(counter.blobGets).toEqual(before);
      expect(events[0]).toBe(`Pulling: Pulling image "${counter.host}/test/bb:1"`);
      expect(events[1]).toMatch(/^Pulled: Successfully pulled image .* Image size: \d+ bytes\.$/);
      // IfNotPresent: no request at all, and the kubelet's "already present".
      counter.manifestRequests.length = 0;
      events.length = 0;
      await ensureImage(`${counter.host}/test/bb:1`, 'IfNotPresent', ctx, (_t, reason, message) =>
        events.push(`${reason}: ${message}`),
      );
      expect(counter.manifestRequests).toEqual([]);
      expect(events).toEqual([`Pulled: Container image "${counter.host}/test/bb:1" already present on machine`]);
    } finally {
      await counter.close();
    }
  }, 60_000);

  it("Bearer token auth: a token for the repository's pull scope, fetched once and reused for every blob", async () => {
    const secured = await startRegistry(undefined, true);
    try {
      await secured.push(layout, 'v1', 'test/bb:1');
      secured.tokenRequests.length = 0;
      const store = new ImageStore(path.join(dir, 'store-token'));
      const direct = await fetch(`http://${secured.host}/v2/test/bb/manifests/1`);
      expect(direct.status).toBe(401); // the negative control: no token, no manifest
      expect(direct.headers.get('www-authenticate')).toMatch(/^Bearer realm=/);
      const image = await pullImage(`${secured.host}/test/bb:1`, { store, client: new RegistryClient(), unpack });
      expect(image.layers).toHaveLength(2);
      expect(secured.tokenRequests).toEqual(['repository:test/bb:pull']);
    } finally {
      await secured.stop();
    }
  }, 60_000);

  it('Basic auth: refused without credentials, pulled with them from an auth file', async () => {
    const secured = await startRegistry({ user: 'alice', password: 's3cret' });
    try {
      await secured.push(layout, 'v1', 'test/bb:1');
      const storeDir = path.join(dir, 'store-auth');
      const without = await run(process.execPath, [
        cli,
        'pull',
        `${secured.host}/test/bb:1`,
        '--image-store',
        storeDir,
        '--authfile',
        '/nonexistent',
      ]).catch((e: { code: number; stderr: string }) => e);
      expect((without as { code: number }).code).toBe(1);
      expect((without as { stderr: string }).stderr).toMatch(/failed to pull image .*authentication required/);
      const authfile = path.join(dir, 'auth.json');
      fs.writeFileSync(
        authfile,
        JSON.stringify({ auths: { [secured.host]: { auth: Buffer.from('alice:s3cret').toString('base64') } } }),
      );
      const ok = await run(process.execPath, [
        cli,
        'pull',
        `${secured.host}/test/bb:1`,
        '--image-store',
        storeDir,
        '--authfile',
        authfile,
      ]);
      expect(ok.stdout).toContain(`${secured.host}/test/bb:1 sha256:`);
    } finally {
      await secured.stop();
    }
  }, 60_000);
});
