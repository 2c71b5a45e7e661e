// https registries with a CA of their own: a docker-registry on 127.0.0.1 serving TLS with a
// self-signed certificate. Trusted through a certs directory (`DIR/127.0.0.1:PORT/ca.crt`, which also
// makes pod-init speak https to a loopback registry) or `--registry-ca FILE` (here for an https
// mirror URL); without either (the negative control) the pull fails naming the certificate problem.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImageStore } from '../../src/image/store';
import {
  busyboxLayer,
  imageTestNeeds,
  selfSignedCertificate,
  startRegistry,
  type TestRegistry,
  writeOciLayout,
} from '../helpers/oci';
import { titled } from '../helpers/privileges';

const run = promisify(execFile);
const cli = path.resolve(__dirname, '../../pod-init.js');
const { skip, busybox } = imageTestNeeds();

describe.skipIf(skip)(titled('https registries with their own CA on 127.0.0.1', skip), () => {
  let dir = '';
  let registry: TestRegistry;
  let cert = { certificate: '', key: '' };
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pod-init-tls-'));
    cert = selfSignedCertificate(dir);
    registry = await startRegistry(undefined, false, cert);
    const layout = path.join(dir, 'layout');
    writeOciLayout(layout, 'v1', { layers: [busyboxLayer(busybox!, ['sh'])] });
    await registry.push(layout, 'v1', 'library/busybox:1'); // skopeo speaks https (verify off)
  }, 60_000);
  afterAll(async () => {
    await registry?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  const pull = (image: string, ...flags: string[]) =>
    run(process.execPath, [cli, 'pull', image, '--image-store', path.join(dir, 'store'), ...flags]).then(
      (r) => ({ code: 0, ...r }),
      (e: { code: number; stdout: string; stderr: string }) => e,
    );

  it('trusts the CA of <certs dir>/HOST:PORT/ca.crt, and speaks https to that loopback registry', async () => {
    const certs = path.join(dir, 'certs.d');
    fs.mkdirSync(path.join(certs, registry.host), { recursive: true });
    fs.copyFileSync(cert.certificate, path.join(certs, registry.host, 'ca.crt'));
    const r = await pull(`${registry.host}/library/busybox:1`, '--registry-certs-dir', certs);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^${registry.host.replace(/\./g, '\\.')}/library/busybox:1 sha256:`));
  });

  it('trusts --registry-ca FILE for an https mirror; without it the certificate is refused', async () => {
    const mirror = ['--registry-mirror', `docker.io=https://${registry.host}`];
    const refused = await pull('busybox:1', ...mirror, '--registry-certs-dir', path.join(dir, 'none'));
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/SELF_SIGNED|UNABLE_TO_VERIFY|CERT/);
    expect(refused.stderr).toContain('--registry-ca');
    const r = await pull('busybox:1', ...mirror, '--registry-ca', cert.certificate);
    expect(r.code, r.stderr).toBe(0);
    expect(Object.keys(new ImageStore(path.join(dir, 'store')).images())).toContain('docker.io/library/busybox:1');
  });

  it('refuses a --registry-ca that is not a PEM file, naming the flag (exit 2)', async () => {
    fs.writeFileSync(path.join(dir, 'not-pem'), 'hello\n');
    const r = await pull('busybox:1', '--registry-ca', path.join(dir, 'not-pem'));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--registry-ca');
    expect(r.stderr).toContain('no PEM certificate');
  });
});
