// Images for the registry tests, built here: a tar writer (ustar, PAX for long names), gzip layers,
// an OCI image layout skopeo can push, and a Debian docker-registry on 127.0.0.1 (a free port, a temp
// storage dir, optional htpasswd Basic auth), stopped by pid.
import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';
import crypto, { createHash } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import { staticBusybox } from './image';
import { privilegeSkipReason } from './privileges';
import { pollUntil } from './wait';

/** One tar member. */
export interface Member {
  path: string;
  /** '0' file (default), '1' hardlink, '2' symlink, '3' char device, '5' dir, '6' FIFO. */
  type?: string;
  data?: Buffer | string;
  mode?: number;
  uid?: number;
  gid?: number;
  linkname?: string;
  devmajor?: number;
  devminor?: number;
  xattrs?: Record<string, string>;
}

function header(fields: {
  name: string;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  type: string;
  linkname: string;
  devmajor?: number;
  devminor?: number;
}): Buffer {
  const h = Buffer.alloc(512);
  const put = (s: string, at: number, len: number) => h.write(s.slice(0, len), at, len, 'utf8');
  const oct = (n: number, at: number, len: number) => put(`${n.toString(8).padStart(len - 1, '0')}\0`, at, len);
  put(fields.name, 0, 100);
  oct(fields.mode, 100, 8);
  oct(fields.uid, 108, 8);
  oct(fields.gid, 116, 8);
  oct(fields.size, 124, 12);
  oct(1700000000, 136, 12);
  h.write('        ', 148, 8, 'latin1');
  put(fields.type, 156, 1);
  put(fields.linkname, 157, 100);
  h.write('ustar\0' + '00', 257, 8, 'latin1');
  oct(fields.devmajor ?? 0, 329, 8);
  oct(fields.devminor ?? 0, 337, 8);
  let sum = 0;
  for (const b of h) sum += b;
  put(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8);
  return h;
}

const pad = (n: number) => Buffer.alloc((512 - (n % 512)) % 512);

/** A tar archive of `members`, with its end blocks unless `truncated` (as umoci writes them). */
export function makeTar(members: Member[], truncated = false): Buffer {
  const out: Buffer[] = [];
  for (const m of members) {
    const data = Buffer.from(m.data ?? '');
    const type = m.type ?? '0';
    const pax: string[] = [];
    if (Buffer.byteLength(m.path) > 100) pax.push(`path=${m.path}`);
    for (const [k, v] of Object.entries(m.xattrs ?? {})) pax.push(`SCHILY.xattr.${k}=${v}`);
    if (pax.length > 0) {
      const records = pax.map((kv) => {
        let len = Buffer.byteLength(kv) + 3;
        while (Buffer.byteLength(`${len} ${kv}\n`) !== len) len++;
        return `${len} ${kv}\n`;
      });
      const body = Buffer.from(records.join(''));
      out.push(header({ name: 'PaxHeader', mode: 0o644, uid: 0, gid: 0, size: body.length, type: 'x', linkname: '' }));
      out.push(body, pad(body.length));
    }
    out.push(
      header({
        name: m.path.slice(0, 100),
        mode: m.mode ?? (type === '5' ? 0o755 : 0o644),
        uid: m.uid ?? 0,
        gid: m.gid ?? 0,
        size: type === '0' ? data.length : 0,
        type,
        linkname: m.linkname ?? '',
        devmajor: m.devmajor,
        devminor: m.devminor,
      }),
    );
    if (type === '0') out.push(data, pad(data.length));
  }
  if (!truncated) out.push(Buffer.alloc(1024));
  return Buffer.concat(out);
}

const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/** The busybox base layer: /bin/busybox, sh/cat/ls/… linked to it, /etc/passwd and /etc/group. */
export function busyboxLayer(
  busybox: string,
  applets = ['sh', 'cat', 'ls', 'echo', 'id', 'pwd', 'env', 'sleep', 'test'],
) {
  return makeTar([
    { path: 'bin', type: '5' },
    { path: 'bin/busybox', data: fs.readFileSync(busybox), mode: 0o755 },
    ...applets.map((a) => ({ path: `bin/${a}`, type: '2', linkname: 'busybox' })),
    { path: 'etc', type: '5' },
    { path: 'etc/passwd', data: 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n' },
    { path: 'etc/group', data: 'root:x:0:\napp:x:1000:\nextra:x:2000:app\n' },
  ]);
}

/** An image for an OCI layout: layer tars (bottom first, gzipped unless `uncompressed` or `zstd`) and config. */
export interface TestImage {
  layers: Buffer[];
  config?: Record<string, unknown>;
  uncompressed?: boolean;
  /** zstd layers (`zstd -3` of the host: skopeo 1.9.3 keeps gzip even when asked for zstd). */
  zstd?: boolean;
}

/** `tar` compressed by the host's `zstd` (apt-get install zstd). */
export function zstdCompress(tar: Buffer, level = 3): Buffer {
  return execFileSync('zstd', [`-${level}`, '-q', '-c'], { input: tar, maxBuffer: 1 << 30 });
}

/** Writes `image` as an OCI image layout at `dir` tagged `tag`; returns its manifest's digest. */
export function writeOciLayout(dir: string, tag: string, image: TestImage): string {
  const blobs = path.join(dir, 'blobs', 'sha256');
  fs.mkdirSync(blobs, { recursive: true });
  const put = (b: Buffer) => {
    const d = sha(b);
    fs.writeFileSync(path.join(blobs, d.slice(7)), b);
    return { digest: d, size: b.length };
  };
  const layers = image.layers.map((tar) => {
    const blob = image.uncompressed ? tar : image.zstd ? zstdCompress(tar) : zlib.gzipSync(tar);
    const suffix = image.uncompressed ? '' : image.zstd ? '+zstd' : '+gzip';
    return {
      mediaType: `application/vnd.oci.image.layer.v1.tar${suffix}`,
      ...put(blob),
    };
  });
  const config = Buffer.from(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      config: image.config ?? {},
      rootfs: { type: 'layers', diff_ids: image.layers.map(sha) },
    }),
  );
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...put(config) },
      layers,
    }),
  );
  const m = put(manifest);
  fs.writeFileSync(path.join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  const indexFile = path.join(dir, 'index.json');
  const index = fs.existsSync(indexFile)
    ? (JSON.parse(fs.readFileSync(indexFile, 'utf8')) as { manifests: unknown[] })
    : { schemaVersion: 2, manifests: [] as unknown[] };
  index.manifests.push({
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    ...m,
    annotations: { 'org.opencontainers.image.ref.name': tag },
  });
  fs.writeFileSync(indexFile, JSON.stringify(index));
  return m.digest;
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Whether the tools the registry tests need are installed. */
export function registryToolsMissing(): string | undefined {
  for (const tool of ['docker-registry', 'skopeo'])
    try {
      execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    } catch {
      return `${tool} is not installed (apt-get install docker-registry skopeo)`;
    }
  return undefined;
}

/**
 * What the image tests need — privileges, docker-registry and skopeo, a static busybox — and why they
 * skip without it (in CI, where POD_INIT_REQUIRE_PRIVILEGES=1, a missing tool fails instead).
 */
export function imageTestNeeds(): { skip: string | undefined; busybox: string | undefined } {
  const busybox = staticBusybox();
  const tools = registryToolsMissing();
  if ((tools || !busybox) && process.env.POD_INIT_REQUIRE_PRIVILEGES === '1')
    throw new Error(tools ?? 'busybox-static is needed');
  const skip =
    privilegeSkipReason() ?? tools ?? (busybox ? undefined : 'no static busybox (apt-get install busybox-static)');
  return { skip, busybox };
}

/** A running registry. */
export interface TestRegistry {
  /** `127.0.0.1:PORT`. */
  host: string;
  /** With token auth: the scopes the token server was asked for, in order. */
  tokenRequests: string[];
  /** Pushes an OCI layout's tag as `name:tag` (skopeo copy; async: the token server is in this process). */
  push(layout: string, tag: string, name: string): Promise<void>;
  stop(): Promise<void>;
}

/**
 * A self-signed certificate for 127.0.0.1 (subjectAltName IP:127.0.0.1) and its key, in `dir`: what a
 * registry serving https on the loopback presents, trusted by nobody until told.
 */
export function selfSignedCertificate(dir: string): { certificate: string; key: string } {
  const certificate = path.join(dir, 'registry.crt');
  const key = path.join(dir, 'registry.key');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-keyout',
      key,
      '-out',
      certificate,
    ],
    { stdio: 'ignore' },
  );
  return { certificate, key };
}

/**
 * A token server as the registry's token auth expects (distribution's token.md): anyone gets an ES256
 * JWT, its header carrying the self-signed certificate the registry trusts (x5c), for the scope asked.
 */
async function tokenServer(dir: string, requests: string[]) {
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=pod-init-test-token',
      '-keyout',
      path.join(dir, 'key.pem'),
      '-out',
      path.join(dir, 'cert.pem'),
    ],
    { stdio: 'ignore' },
  );
  const key = crypto.createPrivateKey(fs.readFileSync(path.join(dir, 'key.pem')));
  const der = new crypto.X509Certificate(fs.readFileSync(path.join(dir, 'cert.pem'))).raw.toString('base64');
  const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const scopes = url.searchParams.getAll('scope');
    requests.push(...scopes);
    const now = Math.floor(Date.now() / 1000);
    const access = scopes.map((scope) => {
      const [type, name, actions] = scope.split(':') as [string, string, string];
      return { type, name, actions: actions.split(',') };
    });
    const body = `${b64({ typ: 'JWT', alg: 'ES256', x5c: [der] })}.${b64({
      iss: 'test-issuer',
      sub: 'anyone',
      aud: url.searchParams.get('service'),
      exp: now + 300,
      nbf: now - 10,
      iat: now,
      jti: crypto.randomUUID(),
      access,
    })}`;
    const signature = crypto
      .sign('sha256', Buffer.from(body), { key, dsaEncoding: 'ieee-p1363' })
      .toString('base64url');
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ token: `${body}.${signature}`, expires_in: 300, issued_at: new Date().toISOString() }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as net.AddressInfo).port, close: () => new Promise((r) => server.close(r)) };
}

/**
 * Starts `docker-registry serve` on a free port of 127.0.0.1; `htpasswd` turns Basic auth on, `token`
 * the Bearer token flow with a token server of the test's.
 */
export async function startRegistry(
  htpasswd?: { user: string; password: string },
  token = false,
  tls?: { certificate: string; key: string },
): Promise<TestRegistry> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pod-init-registry-'));
  const port = await freePort();
  const tokenRequests: string[] = [];
  const tokens = token ? await tokenServer(dir, tokenRequests) : undefined;
  let auth = '';
  if (tokens)
    auth =
      `auth: {token: {realm: "http://127.0.0.1:${tokens.port}/token", service: test-registry, ` +
      `issuer: test-issuer, rootcertbundle: ${dir}/cert.pem}}\n`;
  if (htpasswd) {
    const hash = execFileSync('python3', [
      '-W',
      'ignore',
      '-c',
      'import crypt,sys; print(crypt.crypt(sys.argv[1], crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=16)))',
      htpasswd.password,
    ])
      .toString()
      .trim();
    fs.writeFileSync(path.join(dir, 'htpasswd'), `${htpasswd.user}:${hash}\n`);
    auth = `auth: {htpasswd: {realm: test-realm, path: ${dir}/htpasswd}}\n`;
  }
  fs.writeFileSync(
    path.join(dir, 'config.yml'),
    `version: 0.1\nlog: {level: warn}\nstorage: {filesystem: {rootdirectory: ${dir}/data}, delete: {enabled: true}}\n` +
      `http: {addr: 127.0.0.1:${port}${tls ? `, tls: {certificate: ${tls.certificate}, key: ${tls.key}}` : ''}}\n${auth}`,
  );
  const child: ChildProcess = spawn('docker-registry', ['serve', path.join(dir, 'config.yml')], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  child.stderr!.on('data', (c: Buffer) => (log += c.toString()));
  const host = `127.0.0.1:${port}`;
  try {
    await pollUntil(
      async () => {
        if (child.exitCode !== null) throw new Error(`docker-registry exited: ${log}`);
        return fetch(`http://${host}/v2/`).then(
          () => true,
          () => false,
        );
      },
      'docker-registry to listen',
      20_000,
    );
  } catch (error) {
    child.kill('SIGKILL');
    await tokens?.close();
    fs.rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    host,
    tokenRequests,
    async push(layout, tag, name) {
      const creds = htpasswd ? ['--dest-creds', `${htpasswd.user}:${htpasswd.password}`] : [];
      await promisify(execFile)(
        'skopeo',
        ['copy', '--quiet', '--dest-tls-verify=false', ...creds, `oci:${layout}:${tag}`, `docker://${host}/${name}`],
        { timeout: 60_000 },
      );
    },
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
      await tokens?.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
