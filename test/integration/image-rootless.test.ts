// Pulling and running a registry image without root (uid 65534): the store is the user's
// ($XDG_DATA_HOME/pod-init/images), the layers are unpacked with the caller's owner and the opaque
// marker as `user.overlay.opaque`, and the container's overlay (mounted with `userxattr` in the pod's
// user namespace) honours the whiteout and the opaque directory. The staged copy of pod-init runs
// from a world-readable temp dir (CI's clone may be unreadable to other users).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { native } from '../../src/native';
import {
  busyboxLayer,
  imageTestNeeds,
  makeTar,
  startRegistry,
  type TestRegistry,
  writeOciLayout,
} from '../helpers/oci';
import { titled } from '../helpers/privileges';
import { stagePackage } from '../helpers/stage';
import { readAll } from '../helpers/wait';

const { skip, busybox } = imageTestNeeds();

/** Runs the staged pod-init as uid 65534 with `args` (stdin `input`); resolves with its exit and output. */
async function asNobody(staged: string, args: string[], env: NodeJS.ProcessEnv, input = '') {
  const child = spawn(process.execPath, [path.join(staged, 'pod-init.js'), ...args], {
    uid: 65534,
    gid: 65534,
    cwd: staged,
    env: { PATH: process.env.PATH, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  child.stdin.end(input);
  const [out, err, code] = await Promise.all([
    readAll(child.stdout),
    readAll(child.stderr),
    new Promise((resolve) => child.on('exit', resolve)),
  ]);
  return { out, err, code };
}

describe.skipIf(skip)(titled('pulling and running an image as uid 65534', skip), () => {
  let dir = '';
  let staged = '';
  let registry: TestRegistry;
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pod-init-rootless-pull-'));
    fs.chmodSync(dir, 0o755);
    staged = stagePackage();
    registry = await startRegistry();
    const lower = makeTar([
      { path: 'data', type: '5' },
      { path: 'data/old', data: 'old\n' },
    ]);
    const upper = makeTar([
      { path: 'etc', type: '5' },
      { path: 'etc/.wh.group', data: '' },
      { path: 'data', type: '5', uid: 1000, gid: 1000 },
      { path: 'data/.wh..wh..opq', data: '' },
      { path: 'data/new', data: 'new\n', uid: 1000, gid: 1000 },
    ]);
    const layout = path.join(dir, 'layout');
    writeOciLayout(layout, 'v1', {
      layers: [busyboxLayer(busybox!), lower, upper],
      config: {
        Cmd: ['sh', '-c', 'id -u; ls /data; ls -ln /data/new; cat /etc/group 2>/dev/null || echo no-group'],
      },
    });
    await registry.push(layout, 'v1', 'test/rootless:1');
  }, 60_000);
  afterAll(async () => {
    await registry?.stop();
    if (staged) fs.rmSync(staged, { recursive: true, force: true });
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('pulls into $XDG_DATA_HOME/pod-init/images and runs it: whiteout and opaque dir honoured, files the caller’s', async () => {
    const data = path.join(dir, 'data-home');
    const state = path.join(dir, 'state');
    for (const p of [data, state]) {
      fs.mkdirSync(p);
      fs.chownSync(p, 65534, 65534);
    }
    const image = `${registry.host}/test/rootless:1`;
    const env = { XDG_DATA_HOME: data, POD_INIT_STATE_DIR: state, HOME: dir };
    const pulled = await asNobody(staged, ['pull', image, '-q'], env);
    expect(pulled.code, pulled.err).toBe(0);
    expect(pulled.out).toContain(`${image} sha256:`);

    // The user's store: every layer file is the caller's; the opaque marker in the user namespace.
    const layers = path.join(data, 'pod-init', 'images', 'layers');
    const dirs = fs.readdirSync(layers).map((l) => path.join(layers, l, 'diff'));
    expect(dirs).toHaveLength(3);
    const top = dirs.find((d) => fs.existsSync(path.join(d, 'data/new')))!;
    expect(fs.lstatSync(path.join(top, 'data/new')).uid).toBe(65534);
    expect(native.lgetxattr(path.join(top, 'data'), 'user.overlay.opaque')?.toString()).toBe('y');
    expect(native.lgetxattr(path.join(top, 'data'), 'trusted.overlay.opaque')).toBeUndefined();

    const manifest = `apiVersion: v1
kind: Pod
metadata: { name: rootless-pull }
spec:
  restartPolicy: Never
  containers:
    - { name: c, image: ${JSON.stringify(image)}, imagePullPolicy: IfNotPresent }
`;
    const ran = await asNobody(staged, ['run', '-'], env, manifest);
    expect(ran.code, `${ran.out}\n${ran.err}`).toBe(0);
    const lines = ran.out
      .split('\n')
      .filter((l) => l.startsWith('c | '))
      .map((l) => l.slice(4));
    // root inside (the caller outside); /data/old hidden by the opaque dir, /etc/group by the whiteout;
    // the image's uid 1000 file is the caller's, so root's inside (one id mapped: no range to shift into)
    expect(lines).toHaveLength(4);
    expect(lines[0]).toBe('0');
    expect(lines[1]).toBe('new');
    expect(lines[2]).toMatch(/^-rw-r--r-- +1 0 +0 +4 .* \/data\/new$/);
    expect(lines[3]).toBe('no-group');
  }, 120_000);
});
