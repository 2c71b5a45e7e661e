// Image volumes in a `hostUsers: false` pod: each layer of the volume's image (or of its subPath) is a
// read-only idmapped mount of the pod's user namespace, stacked by an overlay mounted there, so the
// image's owners are right inside (uid 33's file is 33's, root's the pod root's) while the pod's root is
// host uid N·65536. The volume stays read-only for the pod's root. The control for the owners: the
// same pod with hostUsers unset sees the same ids (what a missing idmap would turn into 65534).
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

describe.skipIf(skip)(titled('image volumes in a hostUsers: false pod', skip), () => {
  let dir = '';
  let registry: TestRegistry;
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pod-init-image-volume-users-'));
    registry = await startRegistry();
    const lower = makeTar([
      { path: 'www', type: '5', uid: 33, gid: 33 },
      { path: 'www/page', data: 'page\n', uid: 33, gid: 33, mode: 0o644 },
      { path: 'www/old', data: 'old\n' },
      { path: 'conf', data: 'conf\n', mode: 0o644 },
    ]);
    const upper = makeTar([
      { path: 'www', type: '5', uid: 33, gid: 33 },
      { path: 'www/.wh.old', data: '' },
      { path: 'www/index', data: 'index\n', mode: 0o644 },
    ]);
    const layout = path.join(dir, 'layout');
    writeOciLayout(layout, 'v1', { layers: [lower, upper] });
    await registry.push(layout, 'v1', 'test/site:1');
    const base = path.join(dir, 'base');
    writeOciLayout(base, 'v1', { layers: [busyboxLayer(busybox!)] });
    await registry.push(base, 'v1', 'test/bb:1');
  }, 60_000);
  afterAll(async () => {
    cleanup();
    await registry?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  const script = [
    'cat /proc/self/uid_map',
    'ls /site/www',
    'ls -ln /site/www/page /site/conf',
    'ls -lnd /sub',
    'ls -ln /page',
    'cat /sub/index /page',
    '(echo x >> /page) 2>/dev/null && echo wrote-page || echo page-read-only',
    '(echo x > /site/new) 2>/dev/null && echo wrote-site || echo site-read-only',
    '(echo x > /scratch/new) && echo wrote-scratch',
    "grep ' /site ' /proc/self/mounts | cut -d' ' -f3,4 | cut -d, -f1-4",
  ].join('; ');

  const runPod = async (name: string, hostUsers: boolean) => {
    const manifest = podManifest(
      name,
      `  restartPolicy: Never
${hostUsers ? '' : '  hostUsers: false\n'}  volumes:
    - name: site
      image: { reference: ${JSON.stringify(`${registry.host}/test/site:1`)}, pullPolicy: IfNotPresent }
    - name: scratch
      emptyDir: {}
  containers:
    - name: c
      image: ${registry.host}/test/bb:1
      imagePullPolicy: IfNotPresent
      command: [sh, -c, ${JSON.stringify(script)}]
      volumeMounts:
        - { name: site, mountPath: /site }
        - { name: site, mountPath: /sub, subPath: www }
        - { name: site, mountPath: /page, subPath: www/page }
        - { name: scratch, mountPath: /scratch }
`,
    );
    const r = await run(['--image-store', path.join(dir, 'store')], manifest);
    const logs = r.stdout
      .split('\n')
      .filter((l) => l.startsWith('c | '))
      .map((l) => l.slice(4).replace(/ +/g, ' '));
    return { ...r, logs };
  };

  const expected = [
    /^index$/, // www/old hidden by the upper layer's whiteout
    /^page$/,
    /^-rw-r--r-- 1 0 0 5 .* \/site\/conf$/, // ls sorts its arguments
    /^-rw-r--r-- 1 33 33 5 .* \/site\/www\/page$/,
    /^drwxr-xr-x \d+ 33 33 .* \/sub$/, // the subPath directory: an overlay of www in both layers
    /^-rw-r--r-- 1 33 33 5 .* \/page$/, // the subPath file: a bind
    /^index$/,
    /^page$/,
    /^page-read-only$/,
    /^site-read-only$/,
    /^wrote-scratch$/, // the control for the refusals: the pod's root writes its own volume
    /^overlay ro,nosuid,nodev,noexec$/,
  ];

  it("mounts the image volume (whole, a subPath directory and file) with the image's owners inside, read-only", async () => {
    const r = await runPod('image-volume-users', false);
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    const [uidMap, ...rest] = r.logs;
    const [inside, outside] = uidMap!.trim().split(' ').map(Number) as [number, number];
    expect(inside).toBe(0);
    expect(outside).toBeGreaterThanOrEqual(65536); // a range of its own, not host root
    expect(rest.map((l) => l.trim())).toEqual(expected.map((l) => expect.stringMatching(l)));
    // The store's layers keep the image's ids on the host (idmapped, never given to the pod's range).
    const layers = path.join(dir, 'store', 'layers');
    const owners = (file: string) =>
      fs
        .readdirSync(layers)
        .map((l) => path.join(layers, l, 'diff', file))
        .filter((p) => fs.existsSync(p))
        .map((p) => `${fs.statSync(p).uid}:${fs.statSync(p).gid}`)
        .sort();
    expect(owners('www/page')).toEqual(['33:33']);
    expect(owners('www/index')).toEqual(['0:0']);
    expect(owners('www')).toEqual(['33:33', '33:33']);
  }, 120_000);

  it('the control: the same pod with hostUsers unset shows the same owners', async () => {
    const r = await runPod('image-volume-users-host', true);
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.logs[0]!.trim().split(' ').map(Number)).toEqual([0, 0, 4294967295]);
    expect(r.logs.slice(1).map((l) => l.trim())).toEqual(expected.map((l) => expect.stringMatching(l)));
  }, 120_000);
});
