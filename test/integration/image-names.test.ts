// Names as containerd reads them, pulled from a registry on 127.0.0.1 standing in for Docker Hub
// through `--registry-mirror`: `busybox:1` is docker.io/library/busybox:1, `team/app:2` is
// docker.io/team/app:2; mirrors are tried in order (a dead one is skipped); without a mirror a bare
// name is not pulled (the negative control: it runs on the host's filesystem, as before).
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImageStore } from '../../src/image/store';
import { busyboxLayer, imageTestNeeds, startRegistry, type TestRegistry, writeOciLayout } from '../helpers/oci';
import { podCli, podManifest } from '../helpers/pod-cli';
import { titled } from '../helpers/privileges';

const run = promisify(execFile);
const cli = path.resolve(__dirname, '../../pod-init.js');
const { skip, busybox } = imageTestNeeds();

/** A port of 127.0.0.1 nothing listens on (bound, then closed). */
async function deadPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe.skipIf(skip)(titled('bare image names through a registry mirror on 127.0.0.1', skip), () => {
  let dir = ''; // made in beforeAll: a skipped suite's body still runs, its afterAll does not
  const clis: Array<ReturnType<typeof podCli>> = [];
  let registry: TestRegistry;
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pod-init-image-names-'));
    registry = await startRegistry();
    const layout = path.join(dir, 'layout');
    writeOciLayout(layout, 'bb', {
      layers: [busyboxLayer(busybox!, ['sh', 'echo'])],
      config: { Entrypoint: ['/bin/sh', '-c'], Cmd: ['echo from-the-mirror'] },
    });
    await registry.push(layout, 'bb', 'library/busybox:1');
    await registry.push(layout, 'bb', 'team/app:2');
  }, 60_000);
  afterAll(async () => {
    for (const c of clis) c.cleanup();
    await registry?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('runs `image: busybox:1` pulled as docker.io/library/busybox:1 from the mirror, past a dead one', async () => {
    const storeDir = path.join(dir, 'store-run');
    const c = podCli();
    clis.push(c);
    const dead = await deadPort();
    const r = await c.run(
      [
        '--image-store',
        storeDir,
        '--registry-mirror',
        `docker.io=http://127.0.0.1:${dead}`,
        '--registry-mirror',
        `docker.io=http://${registry.host}`,
      ],
      podManifest('bare', '  restartPolicy: Never\n  containers:\n    - name: c\n      image: busybox:1\n'),
    );
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('c | from-the-mirror');
    expect(r.stdout + r.stderr).toContain('Pulling image "busybox:1"');
    expect(r.stdout + r.stderr).toContain('Successfully pulled image "busybox:1"');
    expect(Object.keys(new ImageStore(storeDir).images())).toEqual(['docker.io/library/busybox:1']);
  }, 60_000);

  it('without a mirror for docker.io a bare name is not pulled (it runs on the host filesystem)', async () => {
    const storeDir = path.join(dir, 'store-none');
    const c = podCli();
    clis.push(c);
    const r = await c.run(
      ['--image-store', storeDir],
      podManifest(
        'bare-host',
        '  restartPolicy: Never\n  containers:\n    - name: c\n      image: busybox:1\n      command: [/bin/true]\n',
      ),
    );
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stderr).toContain('no --image for "busybox:1": running on the host\'s filesystem');
    expect(r.stdout + r.stderr).not.toContain('Pulling image');
    expect(new ImageStore(storeDir).images()).toEqual({});
  }, 60_000);

  it('`pod-init pull team/app:2 --registry-mirror URL` (docker.io by default) records docker.io/team/app:2', async () => {
    const storeDir = path.join(dir, 'store-pull');
    const out = await run(process.execPath, [
      cli,
      'pull',
      'team/app:2',
      '--image-store',
      storeDir,
      '--registry-mirror',
      `http://${registry.host}`,
    ]);
    expect(out.stdout).toMatch(/^docker\.io\/team\/app:2 sha256:[a-f0-9]{64} /);
    expect(Object.keys(new ImageStore(storeDir).images())).toEqual(['docker.io/team/app:2']);
  }, 60_000);

  it('draws one progress line on a terminal (script(1) gives it one); nothing when not a TTY or with -q', async () => {
    const pull = (store: string, ...extra: string[]) => [
      cli,
      'pull',
      `${registry.host}/team/app:2`,
      '--image-store',
      path.join(dir, store),
      ...extra,
    ];
    const quote = (args: string[]) => args.map((a) => `'${a}'`).join(' ');
    const tty = await run('script', ['-qec', `${quote([process.execPath, ...pull('store-tty')])}`, '/dev/null']);
    const esc = String.fromCharCode(27);
    expect(tty.stdout).toMatch(new RegExp(`\\r[^\\r\\n]*team/app:2: 0/1 layers, 0\\.0/\\d+\\.\\d MB${esc}\\[K`));
    expect(tty.stdout).toContain('\r\x1b[K'); // cleared once the layer is in
    const quiet = await run('script', ['-qec', `${quote([process.execPath, ...pull('store-q', '-q')])}`, '/dev/null']);
    expect(quiet.stdout).not.toContain('layers,');
    const piped = await run(process.execPath, pull('store-pipe'));
    expect(piped.stderr).toBe('');
    expect(piped.stdout).not.toContain('layers,');
  }, 60_000);

  it('refuses a mirror that is not an http(s) URL, naming the flag (exit 2)', async () => {
    const failed = await run(process.execPath, [cli, 'pull', 'busybox', '--registry-mirror', 'docker.io=ftp://x']).then(
      () => undefined,
      (e: { code: number; stderr: string }) => e,
    );
    expect(failed?.code).toBe(2);
    expect(failed?.stderr).toContain('--registry-mirror');
    expect(failed?.stderr).toContain('only http and https URLs');
  });
});
