// `hostUsers: false` with a pulled image: every layer of the store is attached as an idmapped mount
// of the pod's user namespace and the overlay (mounted there, with `userxattr`) stacks them, so the
// image's owners are right inside (root's files are the pod root's, uid 1000's are 1000) while the pod's
// root is host uid N·65536; the whiteout and the opaque directory of the upper layer hide the lower
// files, as with hostUsers unset (the control: the same image in a pod without a user namespace).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
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

const { skip, busybox } = imageTestNeeds();
const { run, cleanup } = podCli();

describe.skipIf(skip)(titled('hostUsers: false with a pulled image', skip), () => {
  let dir = '';
  let registry: TestRegistry;
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pod-init-image-users-'));
    registry = await startRegistry();
    const lower = makeTar([
      { path: 'data', type: '5' },
      { path: 'data/old', data: 'old\n' },
      { path: 'home', type: '5' },
      { path: 'home/app', type: '5', uid: 1000, gid: 1000, mode: 0o700 },
      { path: 'home/app/own', data: 'mine\n', uid: 1000, gid: 1000, mode: 0o600 },
    ]);
    const upper = makeTar([
      { path: 'etc', type: '5' },
      { path: 'etc/.wh.group', data: '' },
      { path: 'data', type: '5' },
      { path: 'data/.wh..wh..opq', data: '' },
      { path: 'data/new', data: 'new\n' },
    ]);
    const layout = path.join(dir, 'layout');
    writeOciLayout(layout, 'v1', { layers: [busyboxLayer(busybox!), lower, upper] });
    await registry.push(layout, 'v1', 'test/users:1');
  }, 60_000);
  afterAll(async () => {
    cleanup();
    await registry?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  const script = [
    'id -u',
    'cat /proc/self/uid_map',
    'ls /data',
    'ls -ln /bin/busybox /home/app/own', // ls sorts: busybox first
    'cat /etc/group 2>/dev/null || echo no-group',
    'echo written > /home/app/new && echo wrote',
  ].join('; ');

  const runPod = async (name: string, hostUsers: boolean) => {
    const manifest = podManifest(
      name,
      `  restartPolicy: Never
${hostUsers ? '' : '  hostUsers: false\n'}  containers:
    - name: c
      image: ${registry.host}/test/users:1
      imagePullPolicy: IfNotPresent
      command: [sh, -c, ${JSON.stringify(script)}]
`,
    );
    const r = await run(['--image-store', path.join(dir, 'store')], manifest);
    const logs = r.stdout
      .split('\n')
      .filter((l) => l.startsWith('c | '))
      .map((l) => l.slice(4));
    return { ...r, logs };
  };

  it("runs as the pod's root over idmapped layers: the image's owners inside, whiteout and opaque dir honoured", async () => {
    const r = await runPod('image-users', false);
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    const [uid, uidMap, data, busyboxLine, own, group, wrote] = r.logs as [string, ...string[]];
    expect(uid).toBe('0');
    const [inside, outside] = uidMap!.trim().split(/\s+/).map(Number) as [number, number];
    expect(inside).toBe(0);
    expect(outside).toBeGreaterThanOrEqual(65536); // a range of its own, not host root
    expect(data).toBe('new'); // /data/old (lower layer) hidden by the opaque dir
    expect(own).toMatch(/^-rw------- +1 1000 +1000 +5 .* \/home\/app\/own$/);
    expect(busyboxLine).toMatch(/^-rwxr-xr-x +1 0 +0 /);
    expect(group).toBe('no-group');
    expect(wrote).toBe('wrote'); // copied up from an idmapped layer into the pod's upper layer
    // The store's layers are unchanged: host root's and uid 1000's, never the pod's range.
    const layers = path.join(dir, 'store', 'layers');
    const owners = fs
      .readdirSync(layers)
      .map((l) => path.join(layers, l, 'diff', 'home/app/own'))
      .filter((p) => fs.existsSync(p))
      .map((p) => fs.statSync(p).uid);
    expect(owners).toEqual([1000]);
  }, 120_000);

  it('the control: the same image with hostUsers unset shows the same files and owners', async () => {
    const r = await runPod('image-users-host', true);
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.logs[0]).toBe('0');
    expect(r.logs[1]!.trim().split(/\s+/).map(Number)).toEqual([0, 0, 4294967295]);
    expect(r.logs.slice(2, 6)).toEqual([
      'new',
      expect.stringMatching(/^-rwxr-xr-x +1 0 +0 /),
      expect.stringMatching(/^-rw------- +1 1000 +1000 +5 .* \/home\/app\/own$/),
      'no-group',
    ]);
    expect(r.logs[6]).toBe('wrote');
  }, 120_000);
});
