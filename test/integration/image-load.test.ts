// Local image sources into the store, offline: an OCI image layout built here from busybox-static
// (a whiteout in its upper layer), turned by skopeo into an oci-archive and a docker save archive;
// each loaded gives the layout's diff_ids and the same unpacked tree, a byte flipped in a layer is
// refused naming it with nothing kept, `pod-init load -i` tells the formats apart and prints the
// names, and a pod runs each with `--image NAME=oci:…|oci-archive:…|docker-archive:…`; as uid 65534
// a load fills that user's own store (whiteouts and opaque dirs as a user namespace's overlay reads them).
import { execFile, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalSource, loadLocalImages, parseLocalSource } from '../../src/image/local-image';
import { ImageStore } from '../../src/image/store';
import { busyboxLayer, makeTar, imageTestNeeds, writeOciLayout } from '../helpers/oci';
import { type PodObject, startPod } from '../helpers/pod-runner';
import { titled } from '../helpers/privileges';
import { stagePackage } from '../helpers/stage';

const run = promisify(execFile);
const { skip, busybox } = imageTestNeeds();
const cli = path.resolve(__dirname, '../../pod-init.js');
const unpack = { chown: true, devices: true, xattrNamespace: 'trusted' as const };

describe.skipIf(skip)(titled('loading OCI layouts, OCI archives and docker save archives', skip), () => {
  // Made in beforeAll: a skipped suite's body still runs, its afterAll does not.
  let dir = '';
  let layout = '';
  let ociArchive = '';
  let dockerArchive = '';
  let diffIds: string[];
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pod-init-load-'));
    layout = path.join(dir, 'layout');
    ociArchive = path.join(dir, 'bb-oci.tar');
    dockerArchive = path.join(dir, 'bb-docker.tar');
    const base = busyboxLayer(busybox!, ['sh', 'cat', 'echo']);
    const upper = makeTar([
      { path: 'etc', type: '5' },
      { path: 'etc/.wh.group', data: '' },
      { path: 'hello', data: 'from the archive\n' },
    ]);
    writeOciLayout(layout, 'v1', {
      layers: [base, upper],
      config: { Entrypoint: ['/bin/sh', '-c'], Cmd: ['cat /hello; cat /etc/group 2>/dev/null || echo group-gone'] },
    });
    const index = JSON.parse(fs.readFileSync(path.join(layout, 'index.json'), 'utf8')) as {
      manifests: Array<{ digest: string }>;
    };
    const blob = (d: string) => JSON.parse(fs.readFileSync(path.join(layout, 'blobs/sha256', d.slice(7)), 'utf8'));
    diffIds = blob(blob(index.manifests[0]!.digest).config.digest).rootfs.diff_ids;
    const copy = (to: string) => run('skopeo', ['copy', '--quiet', `oci:${layout}:v1`, to], { timeout: 60_000 });
    await copy(`oci-archive:${ociArchive}:v1`);
    await copy(`docker-archive:${dockerArchive}:test/bb:v1`);
  }, 60_000);
  afterAll(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  const sources: Array<[string, () => LocalSource]> = [
    ['oci', () => parseLocalSource(`oci:${layout}:v1`)!],
    ['oci-archive', () => parseLocalSource(`oci-archive:${ociArchive}`)!],
    ['docker-archive', () => parseLocalSource(`docker-archive:${dockerArchive}`)!],
  ];

  it.each(sources)('%s: the layout’s diff_ids, unpacked as a pull unpacks (a whiteout)', async (_, source) => {
    const store = new ImageStore(fs.mkdtempSync(path.join(dir, 'store-')));
    const [image, ...more] = await loadLocalImages(source(), { store, unpack }, 'test/bb:v1');
    expect(more).toEqual([]);
    expect(image!.reference).toBe('docker.io/test/bb:v1');
    expect(image!.record.diffIds).toEqual(diffIds);
    expect(store.image('docker.io/test/bb:v1')?.diffIds).toEqual(diffIds);
    const [lower, top] = image!.layers as [string, string];
    expect(fs.statSync(path.join(lower, 'bin/busybox')).size).toBe(fs.statSync(busybox!).size);
    expect(fs.readFileSync(path.join(top, 'hello'), 'utf8')).toBe('from the archive\n');
    const whiteout = fs.lstatSync(path.join(top, 'etc/group'));
    expect(whiteout.isCharacterDevice() && whiteout.rdev === 0).toBe(true);
    expect(image!.config.config?.Entrypoint).toEqual(['/bin/sh', '-c']);
  });

  it.each([
    ['oci', (copy: string) => `oci:${copy}:v1`],
    ['docker-archive', (copy: string) => `docker-archive:${copy}`],
  ])('%s: a byte flipped in a layer is refused naming it, nothing kept', async (kind, spec) => {
    const copy = path.join(dir, `flipped-${kind}`);
    fs.cpSync(kind === 'oci' ? layout : dockerArchive, copy, { recursive: true });
    // A byte of the base layer: the biggest blob of the layout (gzipped), or past the busybox binary's
    // ELF header in the docker archive (uncompressed layers).
    const target =
      kind === 'oci'
        ? fs
            .readdirSync(path.join(copy, 'blobs/sha256'))
            .map((f) => path.join(copy, 'blobs/sha256', f))
            .sort((a, b) => fs.statSync(b).size - fs.statSync(a).size)[0]!
        : copy;
    const bytes = fs.readFileSync(target);
    const at = kind === 'oci' ? bytes.length >> 1 : bytes.indexOf(Buffer.from('\x7fELF', 'latin1')) + 100;
    bytes[at] = bytes[at]! ^ 0xff;
    fs.writeFileSync(target, bytes);
    const storeDir = fs.mkdtempSync(path.join(dir, 'store-'));
    const store = new ImageStore(storeDir);
    const load = loadLocalImages(parseLocalSource(spec(copy))!, { store, unpack }, 'test/bb:v1');
    await expect(load).rejects.toThrow(/layer sha256:[a-f0-9]{64}: digest mismatch/);
    expect(fs.readdirSync(path.join(storeDir, 'layers'))).toEqual([]);
    expect(store.image('docker.io/test/bb:v1')).toBeUndefined();
    // The negative control: the same store loads the intact archive.
    const ok = await loadLocalImages(
      parseLocalSource(kind === 'oci' ? `oci:${layout}:v1` : `docker-archive:${dockerArchive}`)!,
      { store, unpack },
      'test/bb:v1',
    );
    expect(ok[0]!.record.diffIds).toEqual(diffIds);
  });

  it('pod-init load -i tells the formats apart and prints the names loaded', async () => {
    const storeDir = path.join(dir, 'cli-store');
    const load = (input: string) => run(process.execPath, [cli, 'load', '-i', input, '--image-store', storeDir]);
    expect((await load(dockerArchive)).stdout).toBe('Loaded image: docker.io/test/bb:v1\n');
    expect((await load(ociArchive)).stdout).toBe('Loaded image: localhost/bb-oci:v1\n');
    expect((await load(layout)).stdout).toBe('Loaded image: localhost/layout:v1\n');
    const images = JSON.parse(fs.readFileSync(path.join(storeDir, 'images.json'), 'utf8')) as Record<
      string,
      { diffIds: string[] }
    >;
    expect(Object.keys(images).sort()).toEqual(['docker.io/test/bb:v1', 'localhost/bb-oci:v1', 'localhost/layout:v1']);
    const bad = await load(path.join(dir, 'missing.tar')).then(
      () => undefined,
      (error: { code: number; stderr: string }) => error,
    );
    expect(bad?.code).toBe(1);
    expect(bad?.stderr).toMatch(
      /^pod-init: failed to load ".*missing\.tar": .*missing\.tar: no such file or directory\n$/,
    );
  }, 60_000);

  it.each(sources)(
    '%s: a pod runs the image with --image NAME=%s:…',
    async (kind, source) => {
      const name = `test/bb:${kind}`;
      const pod = startPod(
        `apiVersion: v1\nkind: Pod\nmetadata: {name: local-${kind}}\nspec:\n  restartPolicy: Never\n  containers:\n` +
          `    - name: c\n      image: ${name}\n`,
        path.join(dir, `state-${kind}`),
        {
          imagePull: {
            storeDir: fs.mkdtempSync(path.join(dir, 'store-')),
            localImages: new Map([[name, source()]]),
          },
        },
      );
      try {
        await pod.started;
        const final = (await pod.runner.finished) as PodObject;
        expect(final.status.phase).toBe('Succeeded');
        expect(pod.timeline).toContain('c: from the archive');
        expect(pod.timeline).toContain('c: group-gone');
        expect(pod.events.find((e) => e.reason === 'Pulled')?.message).toBe(
          `Container image "${name}" already present on machine`,
        );
      } finally {
        pod.runner.delete(0);
        await pod.runner.finished;
      }
    },
    60_000,
  );
});

describe.skipIf(skip)(titled('loading an archive as uid 65534', skip), () => {
  let staged: string;
  beforeAll(async () => {
    staged = stagePackage();
    fs.chmodSync(staged, 0o755);
    const layout = path.join(staged, 'layout');
    writeOciLayout(layout, 'v1', {
      layers: [
        busyboxLayer(busybox!, ['sh']),
        makeTar([
          { path: 'etc', type: '5' },
          { path: 'etc/.wh.group', data: '' },
          { path: 'data', type: '5', uid: 1000, gid: 1000 },
          { path: 'data/.wh..wh..opq', data: '' },
        ]),
      ],
    });
    await run('skopeo', ['copy', '--quiet', `oci:${layout}:v1`, `docker-archive:${staged}/bb.tar:test/bb:v1`], {
      timeout: 60_000,
    });
    fs.chmodSync(path.join(staged, 'bb.tar'), 0o644);
    fs.mkdirSync(path.join(staged, 'home'), { mode: 0o755 });
    fs.chownSync(path.join(staged, 'home'), 65534, 65534);
  }, 60_000);
  afterAll(() => {
    if (staged) fs.rmSync(staged, { recursive: true, force: true });
  });

  it('loads into its own store: the whiteout a 0/0 device, the opaque dir user.overlay.opaque', async () => {
    const home = path.join(staged, 'home');
    const r = await run(
      process.execPath,
      [path.join(staged, 'pod-init.js'), 'load', '-i', path.join(staged, 'bb.tar')],
      {
        uid: 65534,
        gid: 65534,
        cwd: staged,
        env: { PATH: process.env.PATH, HOME: home, XDG_DATA_HOME: path.join(home, 'data') },
      },
    );
    expect(r.stdout).toBe('Loaded image: docker.io/test/bb:v1\n');
    const store = path.join(home, 'data/pod-init/images');
    const images = JSON.parse(fs.readFileSync(path.join(store, 'images.json'), 'utf8')) as Record<
      string,
      { diffIds: string[] }
    >;
    const top = path.join(store, 'layers', images['docker.io/test/bb:v1']!.diffIds[1]!.slice(7), 'diff');
    const whiteout = fs.lstatSync(path.join(top, 'etc/group'));
    expect(whiteout.isCharacterDevice() && whiteout.rdev === 0 && whiteout.uid === 65534).toBe(true);
    expect(fs.statSync(path.join(top, 'data')).uid).toBe(65534); // owners are not kept without root
    const opaque = execFileSync('python3', [
      '-c',
      'import os,sys; print(os.getxattr(sys.argv[1], "user.overlay.opaque").decode())',
      path.join(top, 'data'),
    ]);
    expect(opaque.toString().trim()).toBe('y');
  }, 60_000);
});
