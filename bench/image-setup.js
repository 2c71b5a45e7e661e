// The image benches' setup (bench/image.js, bench/image-step.js): OCI layouts of directories of this host,
// Debian's docker-registry on 127.0.0.1 serving them, and a counting proxy in front of it.
'use strict';
const { spawn: cpSpawn, spawnSync, execFileSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const http = require('node:http');
const net = require('node:net');
const path = require('node:path');
const zlib = require('node:zlib');

const has = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;

function freePort() {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function blob(dir, bytes) {
  const digest = crypto.createHash('sha256').update(bytes).digest('hex');
  fs.writeFileSync(path.join(dir, 'blobs', 'sha256', digest), bytes);
  return { digest: `sha256:${digest}`, size: bytes.length };
}

/** An OCI image layout of `layers` (directories tarred with tar(1), gzip `level`), tagged `tag`; its compressed size. */
function ociLayout(dir, layerDirs, tag, level = 6) {
  fs.mkdirSync(path.join(dir, 'blobs', 'sha256'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  const layers = [];
  const diffIds = [];
  for (const source of layerDirs) {
    const tar = execFileSync('tar', ['-C', path.dirname(source), '-cf', '-', path.basename(source)], {
      maxBuffer: 1 << 30,
    });
    diffIds.push(`sha256:${crypto.createHash('sha256').update(tar).digest('hex')}`);
    const gz = zlib.gzipSync(tar, { level });
    layers.push({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', ...blob(dir, gz) });
  }
  const config = blob(
    dir,
    Buffer.from(
      JSON.stringify({
        architecture: process.arch === 'x64' ? 'amd64' : process.arch,
        os: 'linux',
        config: { Cmd: ['true'] },
        rootfs: { type: 'layers', diff_ids: diffIds },
      }),
    ),
  );
  const manifest = blob(
    dir,
    Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
        layers,
      }),
    ),
  );
  fs.writeFileSync(
    path.join(dir, 'index.json'),
    JSON.stringify({
      schemaVersion: 2,
      manifests: [
        {
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          ...manifest,
          annotations: { 'org.opencontainers.image.ref.name': tag },
        },
      ],
    }),
  );
  return layers.reduce((sum, l) => sum + l.size, 0);
}

async function startRegistry(dir) {
  const port = await freePort();
  fs.writeFileSync(
    path.join(dir, 'config.yml'),
    `version: 0.1\nlog: {level: error}\nstorage: {filesystem: {rootdirectory: ${dir}/data}}\nhttp: {addr: 127.0.0.1:${port}}\n`,
  );
  const child = cpSpawn('docker-registry', ['serve', path.join(dir, 'config.yml')], { stdio: 'ignore' });
  const host = `127.0.0.1:${port}`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    const up = await fetch(`http://${host}/v2/`).then(
      () => true,
      () => false,
    );
    if (up) break;
    if (Date.now() > deadline || child.exitCode !== null) {
      child.kill('SIGKILL');
      throw new Error('docker-registry did not start');
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { host, stop: () => child.kill('SIGKILL') };
}

/** Pushes the OCI layout `layout`'s tag `tag` to `registry` as `repo`; the reference. */
function push(layout, tag, registry, repo) {
  execFileSync('skopeo', [
    'copy',
    '--quiet',
    '--dest-tls-verify=false',
    `oci:${layout}:${tag}`,
    `docker://${registry.host}/${repo}`,
  ]);
  return `${registry.host}/${repo}`;
}

/** A proxy in front of `target` (host:port) logging every request as "METHOD /path". */
async function countingProxy(target) {
  const requests = [];
  const server = http.createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    const up = http.request(
      `http://${target}${req.url}`,
      { method: req.method, headers: { ...req.headers, host: target } },
      (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      },
    );
    req.pipe(up);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const host = `127.0.0.1:${server.address().port}`;
  return { host, requests, close: () => new Promise((resolve) => server.close(resolve)) };
}

module.exports = { has, freePort, ociLayout, startRegistry, push, countingProxy };
