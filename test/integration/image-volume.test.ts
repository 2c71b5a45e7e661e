// Image volumes (`volumes[].image`, Kubernetes 1.33+): an image pulled from a registry on 127.0.0.1
// mounted read-only and noexec — an overlay of its layers without an upper layer — with the upper
// layer's whiteout and opaque directory applied, and `subPath` (a directory and a file) looked up in the
// merged view. The control for noexec: the same script runs through `sh`.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { imageTestNeeds, makeTar, startRegistry, type TestRegistry, writeOciLayout } from '../helpers/oci';
import { podCli, podManifest } from '../helpers/pod-cli';
import { titled } from '../helpers/privileges';

const { skip } = imageTestNeeds();
const { run, cleanup } = podCli();

describe.skipIf(skip)(titled('image volumes', skip), () => {
  let dir = '';
  let registry: TestRegistry;
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pod-init-image-volume-'));
    registry = await startRegistry();
    const lower = makeTar([
      { path: 'tools', type: '5' },
      { path: 'tools/hello', data: '#!/bin/sh\necho hello-ran\n', mode: 0o755 },
      { path: 'tools/data', type: '5' },
      { path: 'tools/data/old', data: 'old\n' },
      { path: 'etc', type: '5' },
      { path: 'etc/conf', data: 'conf\n' },
    ]);
    const upper = makeTar([
      { path: 'tools', type: '5' },
      { path: 'tools/data', type: '5' },
      { path: 'tools/data/.wh..wh..opq', data: '' },
      { path: 'tools/data/new', data: 'new\n' },
      { path: 'etc', type: '5' },
      { path: 'etc/.wh.conf', data: '' },
      { path: 'readme', data: 'read me\n' },
    ]);
    const layout = path.join(dir, 'layout');
    writeOciLayout(layout, 'v1', { layers: [lower, upper] });
    await registry.push(layout, 'v1', 'test/tools:1');
  }, 60_000);
  afterAll(async () => {
    cleanup();
    await registry?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('mounts the pulled image read-only and noexec, whiteouts applied, with subPath of a directory and a file', async () => {
    const image = `${registry.host}/test/tools:1`;
    const script = [
      'ls /vol/tools/data',
      'ls /sub',
      'cat /readme',
      'cat /vol/etc/conf 2>/dev/null || echo no-conf',
      '(echo x > /vol/x) 2>/dev/null || echo read-only',
      '/vol/tools/hello 2>/dev/null || echo not-executed',
      'sh /vol/tools/hello',
      "grep ' /vol ' /proc/self/mounts | cut -d' ' -f3,4 | cut -d, -f1-4",
    ].join('; ');
    const manifest = podManifest(
      'image-volume',
      `  restartPolicy: Never
  volumes:
    - name: tools
      image: { reference: ${JSON.stringify(image)}, pullPolicy: IfNotPresent }
  containers:
    - name: c
      image: host
      command: [sh, -c, ${JSON.stringify(script)}]
      volumeMounts:
        - { name: tools, mountPath: /vol }
        - { name: tools, mountPath: /sub, subPath: tools/data }
        - { name: tools, mountPath: /readme, subPath: readme }
`,
    );
    const r = await run(['--image-store', path.join(dir, 'store')], manifest);
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    const logs = r.stdout
      .split('\n')
      .filter((l) => l.startsWith('c | '))
      .map((l) => l.slice(4));
    expect(logs).toEqual([
      'new', // tools/data/old hidden by the opaque dir
      'new',
      'read me',
      'no-conf', // the whiteout
      'read-only',
      'not-executed',
      'hello-ran', // the control: the file is a runnable script, only noexec stops it
      'overlay ro,nosuid,nodev,noexec',
    ]);
    expect(r.stdout + r.stderr).toContain(`Pulling image "${image}"`);
  }, 120_000);

  it('a subPath missing from the image fails the start naming it (Failed event), the container never runs', async () => {
    const manifest = podManifest(
      'image-volume-missing',
      `  restartPolicy: Never
  activeDeadlineSeconds: 2
  volumes:
    - name: tools
      image: { reference: ${JSON.stringify(`${registry.host}/test/tools:1`)}, pullPolicy: IfNotPresent }
  containers:
    - name: c
      image: host
      command: [sh, -c, 'echo ran']
      volumeMounts: [{ name: tools, mountPath: /sub, subPath: tools/absent }]
`,
    );
    const r = await run(['--image-store', path.join(dir, 'store')], manifest);
    expect(r.stdout + r.stderr).toMatch(
      /Warning Failed .*failed to prepare subPath for volumeMount "tools" .*"tools\/absent" does not exist in the image/,
    );
    expect(r.stdout).not.toContain('c | ran');
  }, 120_000);
});
