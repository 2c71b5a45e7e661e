// `pod-init cp` through the CLI against a real pod run by `pod-init run` with a busybox root of its own
// (--image; no tar in it) and an emptyDir at /data: a file and a tree copied out and in, what was
// copied in seen by the container (exec cat) and owned by its runAsUser/runAsGroup; kubectl's errors
// and exit codes. Escapes: symlinks in the container to a host directory (absolute, and by ../../..)
// and to /etc: copying out through them reads the container's files or nothing, never the host's;
// copying in through them never writes outside the container's root (negative controls: the same
// paths followed naively from the host through /proc/<pid>/root — by the kernel for the absolute
// link, by joining the link's text for the `..` one — do reach the host's files); a `..` path is
// refused.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeImage, staticBusybox } from '../helpers/image';
import { podInit } from '../helpers/ops-cli';
import { podCli, podManifest } from '../helpers/pod-cli';
import { privilegeSkipReason, titled } from '../helpers/privileges';
import { pollUntil } from '../helpers/wait';

const reason = privilegeSkipReason();
const busybox = staticBusybox();
if (!busybox && process.env.POD_INIT_REQUIRE_PRIVILEGES === '1') throw new Error('busybox-static is needed');
const skip = reason ?? (busybox ? undefined : 'no static busybox (apt-get install busybox-static)');

const manifest = podManifest(
  'web',
  `  securityContext: { runAsUser: 1000, runAsGroup: 3000 }
  volumes: [{ name: data, emptyDir: {} }]
  containers:
    - name: app
      image: bb
      command: [sleep, "100000"]
      env: [{ name: PATH, value: /bin }]
      volumeMounts: [{ name: data, mountPath: /data }]
    - name: side
      image: bb
      command: [sleep, "100000"]
      env: [{ name: PATH, value: /bin }]
`,
);

/** A path resolved in userspace from the host: the link's text joined to the link's directory. */
const naive = (dir: string, link: string, rest: string) =>
  path.join(path.resolve(dir, fs.readlinkSync(path.join(dir, link))), rest);

describe.skipIf(skip)(titled('pod-init cp', skip), () => {
  // Made in beforeAll (a filtered run skips both hooks): the image, the local side, and a directory of
  // the host's that the container's symlinks name, which must stay out of reach.
  let dir: string, image: string, local: string, host: string, up: string;
  const { stateRoot, run, cleanup } = podCli();
  const cp = (args: string[]) => podInit(stateRoot, ['cp', ...args]);
  const exec = (args: string[]) => podInit(stateRoot, ['exec', 'web', '-c', 'app', '--', ...args]);
  let pod: ReturnType<typeof run>;
  /** The container's process, for the naive host-side controls. */
  const appPid = () => {
    const podDir = fs.readdirSync(stateRoot).find((d) => d.startsWith('default_web_'))!;
    return (JSON.parse(fs.readFileSync(path.join(stateRoot, podDir, 'app', 'exec.json'), 'utf8')) as { pid: number }).pid; // prettier-ignore
  };

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pod-init-cp-'));
    image = path.join(dir, 'image');
    local = path.join(dir, 'local');
    host = fs.mkdtempSync(path.join(os.tmpdir(), 'pod-init-cp-host-'));
    up = `${'../'.repeat(16)}${host.slice(1)}`;
    makeImage(image, busybox!, ['sh', 'cat', 'ls', 'ln', 'mkdir', 'stat', 'readlink', 'sleep', 'true', 'test'], {
      'etc/in-image': 'image\n',
    });
    fs.mkdirSync(path.join(image, 'links'), { mode: 0o755 });
    fs.symlinkSync(host, path.join(image, 'links/abs'));
    fs.symlinkSync(up, path.join(image, 'links/up'));
    fs.symlinkSync('/etc', path.join(image, 'links/etc'));
    fs.writeFileSync(path.join(host, 'secret'), 'HOST SECRET\n');
    fs.mkdirSync(local);
    pod = run(['-q', '--image', `bb=${image}`], manifest);
    await pollUntil(async () => (await exec(['true'])).code === 0, 'exec into web works', 30_000);
  }, 60_000);
  afterAll(async () => {
    await podInit(stateRoot, ['delete', 'web', '--now']);
    await pod;
    cleanup();
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(host, { recursive: true, force: true });
  });

  it('copies a file out, with kubectl\'s "Defaulted container" note when no -c is given', async () => {
    expect((await exec(['sh', '-c', 'echo hello > /data/hello.txt'])).code).toBe(0);
    const out = path.join(local, 'hello.txt');
    const result = await cp(['web:/data/hello.txt', out]);
    expect(result).toMatchObject({ code: 0, stdout: '' });
    expect(result.stderr).toBe('Defaulted container "app" out of: app, side\n');
    expect(fs.readFileSync(out, 'utf8')).toBe('hello\n');
    // Into an existing directory: under the file's own name.
    const into = path.join(local, 'into');
    fs.mkdirSync(into);
    expect(await cp(['-c', 'app', 'web:/data/hello.txt', into])).toMatchObject({ code: 0, stderr: '' });
    expect(fs.readFileSync(path.join(into, 'hello.txt'), 'utf8')).toBe('hello\n');
  });

  it('copies a directory tree out: its entries into LOCAL, symlinks as symlinks, modes kept', async () => {
    const made = await exec(['sh', '-c', 'mkdir -p /data/tree/a/b && echo one > /data/tree/a/b/f1 && echo two > /data/tree/top && chmod 750 /data/tree/top && ln -s a/b/f1 /data/tree/link && ln -s /etc /data/tree/etc']); // prettier-ignore
    expect(made.code).toBe(0);
    const out = path.join(local, 'tree-out');
    expect(await cp(['-c', 'app', 'web:/data/tree', out])).toMatchObject({ code: 0, stderr: '' });
    expect(fs.readFileSync(path.join(out, 'a/b/f1'), 'utf8')).toBe('one\n');
    expect(fs.readFileSync(path.join(out, 'top'), 'utf8')).toBe('two\n');
    expect(fs.statSync(path.join(out, 'top')).mode & 0o777).toBe(0o750);
    expect(fs.readlinkSync(path.join(out, 'link'))).toBe('a/b/f1');
    expect(fs.readlinkSync(path.join(out, 'etc'))).toBe('/etc'); // the text, not the host's /etc copied
    expect(fs.readdirSync(out).sort()).toEqual(['a', 'etc', 'link', 'top']);
  });

  it('copies a file in: seen by the container, owned by its runAsUser/runAsGroup, mode kept without setuid', async () => {
    const file = path.join(local, 'in.txt');
    fs.writeFileSync(file, 'from the host\n');
    fs.chmodSync(file, 0o4750);
    expect(await cp(['-c', 'app', file, 'web:/data/copied.txt'])).toMatchObject({ code: 0, stderr: '' });
    expect(await exec(['cat', '/data/copied.txt'])).toMatchObject({ code: 0, stdout: 'from the host\n' });
    expect((await exec(['stat', '-c', '%u:%g %a', '/data/copied.txt'])).stdout).toBe('1000:3000 750\n');
    // Into an existing directory of the container: under its own name.
    expect(await cp(['-c', 'app', file, 'web:/data'])).toMatchObject({ code: 0 });
    expect((await exec(['cat', '/data/in.txt'])).stdout).toBe('from the host\n');
  });

  it('copies a directory tree in, recursively, owned by the container user', async () => {
    const tree = path.join(local, 'site');
    fs.mkdirSync(path.join(tree, 'css'), { recursive: true });
    fs.writeFileSync(path.join(tree, 'index.html'), '<h1>hi</h1>\n');
    fs.writeFileSync(path.join(tree, 'css/main.css'), 'body{}\n');
    fs.symlinkSync('index.html', path.join(tree, 'home.html'));
    expect(await cp(['-c', 'app', tree, 'web:/data/'])).toMatchObject({ code: 0, stderr: '' });
    expect((await exec(['cat', '/data/site/index.html', '/data/site/css/main.css'])).stdout).toBe('<h1>hi</h1>\nbody{}\n'); // prettier-ignore
    expect((await exec(['readlink', '/data/site/home.html'])).stdout).toBe('index.html\n');
    expect((await exec(['stat', '-c', '%u:%g', '/data/site', '/data/site/css', '/data/site/css/main.css', '/data/site/home.html'])).stdout).toBe('1000:3000\n'.repeat(4)); // prettier-ignore
    // To a new name: the tree becomes that directory.
    expect(await cp(['-c', 'app', tree, 'web:/data/site2'])).toMatchObject({ code: 0 });
    expect((await exec(['cat', '/data/site2/css/main.css'])).stdout).toBe('body{}\n');
  });

  it("copying out through the container's symlinks reads the container's files, never the host's", async () => {
    const pid = appPid();
    // Negative controls: followed naively from the host, the same paths reach the host's files.
    expect(fs.readFileSync(`/proc/${pid}/root/links/abs/secret`, 'utf8')).toBe('HOST SECRET\n');
    // (The kernel's own walk clamps `..` at the container's root mount; a resolver joining the link's text
    // to its host path, as tar extractors join names, does not.)
    expect(fs.readFileSync(naive(`/proc/${pid}/root/links`, 'up', 'secret'), 'utf8')).toBe('HOST SECRET\n');
    expect(fs.readFileSync(`/proc/${pid}/root/links/etc/hostname`, 'utf8')).toBe(fs.readFileSync('/etc/hostname', 'utf8')); // prettier-ignore
    // pod-init cp resolves them in the container's root: no such file there.
    for (const link of ['abs', 'up']) {
      const out = path.join(local, `secret-${link}`);
      const result = await cp(['-c', 'app', `web:/links/${link}/secret`, out]);
      expect(result.code).toBe(1);
      expect(result.stderr).toBe(`error: /links/${link}/secret: No such file or directory in container "app" of pod "web"\n`); // prettier-ignore
      expect(fs.existsSync(out)).toBe(false);
    }
    // /links/etc is the container's /etc: its own hostname and files.
    const out = path.join(local, 'etc-out');
    expect(await cp(['-c', 'app', 'web:/links/etc/hostname', out])).toMatchObject({ code: 0 });
    expect(fs.readFileSync(out, 'utf8')).toBe('web\n');
    expect(await cp(['-c', 'app', 'web:/links/etc/in-image', out])).toMatchObject({ code: 0 });
    expect(fs.readFileSync(out, 'utf8')).toBe('image\n');
  });

  it("copying in through the container's symlinks never writes outside its root", async () => {
    const pid = appPid();
    const file = path.join(local, 'evil.txt');
    fs.writeFileSync(file, 'evil\n');
    // Named through a symlink: resolved in the container's root (there is no such directory there).
    for (const link of ['abs', 'up']) {
      const result = await cp(['-c', 'app', file, `web:/links/${link}/evil.txt`]);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/No such file or directory in container "app" of pod "web"/);
    }
    // Through /links/etc: the container's /etc gets it, the host's does not.
    const name = `pod-init-cp-${path.basename(host)}`;
    expect(await cp(['-c', 'app', file, `web:/links/etc/${name}`])).toMatchObject({ code: 0 });
    expect((await exec(['cat', `/etc/${name}`])).stdout).toBe('evil\n');
    expect(fs.existsSync(`/etc/${name}`)).toBe(false);
    // A tree copied onto a directory of the container whose entries are symlinks to the host: refused.
    const payload = path.join(local, 'payload');
    fs.mkdirSync(path.join(payload, 'sub'), { recursive: true });
    fs.mkdirSync(path.join(payload, 'up'), { recursive: true });
    fs.writeFileSync(path.join(payload, 'sub/evil.txt'), 'evil\n');
    fs.writeFileSync(path.join(payload, 'up/evil.txt'), 'evil\n');
    const made = await exec(['sh', '-c', `mkdir /data/payload && ln -s ${host} /data/payload/sub && ln -s ${up} /data/payload/up`]); // prettier-ignore
    expect(made.code).toBe(0);
    // Negative control: a naive write from the host through those links lands in the host's directory.
    fs.writeFileSync(`/proc/${pid}/root/data/payload/sub/control.txt`, 'x');
    expect(fs.existsSync(path.join(host, 'control.txt'))).toBe(true);
    fs.rmSync(path.join(host, 'control.txt'));
    fs.writeFileSync(naive(`/proc/${pid}/root/data/payload`, 'up', 'control.txt'), 'x');
    expect(fs.existsSync(path.join(host, 'control.txt'))).toBe(true);
    fs.rmSync(path.join(host, 'control.txt'));
    const result = await cp(['-c', 'app', payload, 'web:/data']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/ELOOP.*pod-init cp never goes through one/);
    expect(fs.readdirSync(host)).toEqual(['secret']);
    expect(fs.readFileSync(path.join(host, 'secret'), 'utf8')).toBe('HOST SECRET\n');
  });

  it('a symlink at the destination of a file is replaced, not followed (both directions)', async () => {
    // In the container: /data/target -> the host directory's secret.
    expect((await exec(['ln', '-s', `${host}/secret`, '/data/target'])).code).toBe(0);
    const file = path.join(local, 'plain.txt');
    fs.writeFileSync(file, 'plain\n');
    expect(await cp(['-c', 'app', file, 'web:/data/target'])).toMatchObject({ code: 0 });
    expect((await exec(['cat', '/data/target'])).stdout).toBe('plain\n');
    expect((await exec(['test', '-L', '/data/target'])).code).toBe(1);
    expect(fs.readFileSync(path.join(host, 'secret'), 'utf8')).toBe('HOST SECRET\n');
    // Locally: a symlink where a copied-out tree puts a file.
    const out = path.join(local, 'tree-link');
    fs.mkdirSync(out);
    fs.symlinkSync(path.join(host, 'secret'), path.join(out, 'top'));
    expect(await cp(['-c', 'app', 'web:/data/tree', out])).toMatchObject({ code: 0 });
    expect(fs.lstatSync(path.join(out, 'top')).isFile()).toBe(true);
    expect(fs.readFileSync(path.join(host, 'secret'), 'utf8')).toBe('HOST SECRET\n');
  });

  it('refuses a ".." path with exit 2, and says what is missing with exit 1', async () => {
    for (const args of [
      ['-c', 'app', 'web:/data/../../../../etc/passwd', path.join(local, 'x')],
      ['-c', 'app', path.join(local, 'in.txt'), 'web:../../../tmp/x'],
    ]) {
      const result = await cp(args);
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(/^pod-init: NAME:PATH must be a path without "\.\." components/);
    }
    expect(fs.existsSync(path.join(local, 'x'))).toBe(false);
    expect(await cp(['nosuch:/x', local])).toMatchObject({ code: 1, stderr: 'Error from server (NotFound): pods "nosuch" not found\n' }); // prettier-ignore
    expect(await cp(['-c', 'nope', 'web:/x', local])).toMatchObject({ code: 1, stderr: 'Error from server (BadRequest): container nope is not valid for pod web\n' }); // prettier-ignore
    expect(await cp(['-c', 'app', 'web:/nosuch', path.join(local, 'y')])).toMatchObject({ code: 1, stderr: 'error: /nosuch: No such file or directory in container "app" of pod "web"\n' }); // prettier-ignore
    expect(await cp(['-c', 'app', path.join(local, 'nosuch'), 'web:/data'])).toMatchObject({ code: 1, stderr: `error: ${path.join(local, 'nosuch')} doesn't exist in local filesystem\n` }); // prettier-ignore
    expect((await cp(['web:/a'])).code).toBe(2);
    expect((await cp(['a', 'b'])).code).toBe(2);
  });
});

describe.skipIf(skip)(titled('pod-init cp into a hostUsers: false pod', skip), () => {
  let dir: string;
  const { stateRoot, run, cleanup } = podCli();
  const exec = (args: string[]) => podInit(stateRoot, ['exec', 'iso', '--', ...args]);
  let pod: ReturnType<typeof run>;
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pod-init-cp-userns-'));
    const image = path.join(dir, 'image');
    makeImage(image, busybox!, ['sh', 'cat', 'stat', 'sleep', 'true']);
    pod = run(
      ['-q', '--image', `bb=${image}`],
      podManifest(
        'iso',
        `  hostUsers: false
  securityContext: { runAsUser: 1000, runAsGroup: 3000 }
  volumes: [{ name: data, emptyDir: {} }]
  containers:
    - name: app
      image: bb
      command: [sleep, "100000"]
      env: [{ name: PATH, value: /bin }]
      volumeMounts: [{ name: data, mountPath: /data }]
`,
      ),
    );
    await pollUntil(async () => (await exec(['true'])).code === 0, 'exec into iso works', 30_000);
  }, 60_000);
  afterAll(async () => {
    await podInit(stateRoot, ['delete', 'iso', '--now']);
    await pod;
    cleanup();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("gives what it copies in the ids the pod's user namespace maps its user to", async () => {
    const file = path.join(dir, 'f.txt');
    fs.writeFileSync(file, 'mapped\n');
    expect(await podInit(stateRoot, ['cp', file, 'iso:/data/f.txt'])).toMatchObject({ code: 0, stderr: '' });
    // Inside: the container's own user (an unmapped host id 1000 would show as the overflow id 65534).
    expect((await exec(['stat', '-c', '%u:%g', '/data/f.txt'])).stdout).toBe('1000:3000\n');
    expect((await exec(['cat', '/data/f.txt'])).stdout).toBe('mapped\n');
    // Outside: the host's ids of the pod's range.
    const podDir = fs.readdirSync(stateRoot).find((d) => d.startsWith('default_iso_'))!;
    const { pid } = JSON.parse(fs.readFileSync(path.join(stateRoot, podDir, 'app', 'exec.json'), 'utf8')) as { pid: number }; // prettier-ignore
    const base = (map: string) => Number(fs.readFileSync(`/proc/${pid}/${map}`, 'utf8').trim().split(/\s+/)[1]);
    const stat = fs.lstatSync(`/proc/${pid}/root/data/f.txt`);
    expect(base('uid_map')).toBeGreaterThan(0);
    expect(`${stat.uid}:${stat.gid}`).toBe(`${base('uid_map') + 1000}:${base('gid_map') + 3000}`);
  });
});
