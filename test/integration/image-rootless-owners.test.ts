// A rootless pull and pod (as `irc`, uid 39) keep an image's file owners when the user has subordinate ids:
// the layers are unpacked as the caller and their owners set inside a user namespace of 65536 ids
// (0 the caller, 1..65535 the range in /etc/subuid and /etc/subgid, mapped by newuidmap/newgidmap),
// and the pod maps the same range, so `ls -ln` shows 33:33 and 0:0 as the image has them. What the pod
// and the store leave owned by the range is removed at the pod's end and by `rmi` (inside a namespace of
// the range). Without a range (the control): every owner collapses to the caller, and one notice says
// what to add.
//
// Host files: /etc/subuid and /etc/subgid are rewritten for each case (a line for the test's user added,
// or its lines left out) and restored byte for byte right after its pod-init runs (try/finally, and
// again in afterAll). The user is Debian's `irc` (base-passwd, uid 39), not nobody: the other rootless
// tests run as nobody in parallel and must not get a range while one is in place.
import { spawn } from 'node:child_process';
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
import { titled } from '../helpers/privileges';
import { stagePackage } from '../helpers/stage';
import { readAll } from '../helpers/wait';

// newuidmap/newgidmap (Debian: uidmap, which .ci/run installs) and util-linux's unshare are needed: no skip.
const { skip, busybox } = imageTestNeeds();

/** Far above the kubelet-style blocks of hostUsers: false pods (N·65536, N ≤ 1024). */
const subStart = 200_000_000;
const subFiles = ['/etc/subuid', '/etc/subgid'];
/** A user no other test runs as (see above). */
const user = { name: 'irc', id: 39 };

/** Runs the staged pod-init as the test's user with `args` (stdin `input`); resolves with its exit and output. */
async function asUser(staged: string, args: string[], env: NodeJS.ProcessEnv, input = '') {
  const child = spawn(process.execPath, [path.join(staged, 'pod-init.js'), ...args], {
    uid: user.id,
    gid: user.id,
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

/** Every path under `dir` (links not followed) whose owner or group is in the subordinate range. */
function rangeOwned(dir: string): string[] {
  const out: string[] = [];
  const visit = (p: string) => {
    const st = fs.lstatSync(p, { throwIfNoEntry: false });
    if (!st) return;
    if (st.uid >= subStart || st.gid >= subStart) out.push(p);
    if (st.isDirectory()) for (const name of fs.readdirSync(p)) visit(path.join(p, name));
  };
  visit(dir);
  return out;
}

describe.skipIf(skip)(
  titled(`rootless image owners through subordinate ids (${user.name}, uid ${user.id})`, skip),
  () => {
    let dir = '';
    let staged = '';
    let registry: TestRegistry;
    const saved = new Map<string, Buffer | undefined>();
    const restore = () => {
      for (const [file, content] of saved) {
        if (content === undefined) fs.rmSync(file, { force: true });
        else fs.writeFileSync(file, content);
      }
    };
    /** Runs `body` with /etc/subuid and /etc/subgid holding the user's range (or none), then restores them. */
    const withSubids = async <T>(range: boolean, body: () => Promise<T>): Promise<T> => {
      for (const file of subFiles) {
        const kept = (saved.get(file)?.toString() ?? '')
          .split('\n')
          .filter((l) => l !== '' && !l.startsWith(`${user.name}:`) && !l.startsWith(`${user.id}:`));
        if (range) kept.push(`${user.name}:${subStart}:65536`);
        fs.writeFileSync(file, kept.map((l) => `${l}\n`).join(''));
      }
      try {
        return await body();
      } finally {
        restore();
      }
    };

    beforeAll(async () => {
      for (const file of subFiles) saved.set(file, fs.existsSync(file) ? fs.readFileSync(file) : undefined);
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pod-init-rootless-owners-'));
      fs.chmodSync(dir, 0o755);
      staged = stagePackage();
      registry = await startRegistry();
      const site = makeTar([
        { path: 'www', type: '5', uid: 33, gid: 33, mode: 0o755 },
        { path: 'www/page', data: 'page\n', uid: 33, gid: 33, mode: 0o644 },
        { path: 'www/tool', data: 'tool\n', uid: 33, gid: 33, mode: 0o4755 },
        { path: 'www/link', type: '2', linkname: 'page', uid: 33, gid: 33 },
        { path: 'www/root', data: 'root\n', mode: 0o644 },
        { path: 'www/private', type: '5', uid: 33, gid: 33, mode: 0o700 },
        { path: 'www/private/key', data: 'key\n', uid: 33, gid: 33, mode: 0o600 },
      ]);
      const layout = path.join(dir, 'layout');
      writeOciLayout(layout, 'v1', {
        layers: [busyboxLayer(busybox!), site],
        config: {
          Cmd: [
            'sh',
            '-c',
            'cat /proc/self/uid_map | wc -l; ls -ln /www | tail -n +2; echo changed > /www/private/new && echo wrote',
          ],
        },
      });
      await registry.push(layout, 'v1', 'test/owners:1');
    }, 60_000);
    afterAll(async () => {
      restore();
      await registry?.stop();
      if (staged) fs.rmSync(staged, { recursive: true, force: true });
      if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    // With `asUid33`, an init container writes the pod's emptyDir as uid 33: a directory the caller cannot
    // empty (a uid the namespace does not have without a range).
    const pod = (name: string, image: string, asUid33 = true) => {
      const init = `  volumes: [{ name: scratch, emptyDir: {} }]
  initContainers:
    - name: i
      image: ${JSON.stringify(image)}
      imagePullPolicy: IfNotPresent
      command: [sh, -c, 'mkdir /scratch/d && echo x > /scratch/d/f && id -u && ls -ln /scratch | tail -n +2']
      securityContext: { runAsUser: 33, runAsGroup: 33 }
      volumeMounts: [{ name: scratch, mountPath: /scratch }]
`;
      return `apiVersion: v1
kind: Pod
metadata: { name: ${name} }
spec:
  restartPolicy: Never
${asUid33 ? init : ''}  containers:
    - { name: c, image: ${JSON.stringify(image)}, imagePullPolicy: IfNotPresent }
`;
    };
    const logsOf = (out: string, container: string) =>
      out
        .split('\n')
        .filter((l) => l.startsWith(`${container} | `))
        .map((l) => l.slice(container.length + 3).replace(/ +/g, ' '));
    const logs = (out: string) => logsOf(out, 'c');
    const homes = (name: string) => {
      const data = path.join(dir, name, 'data');
      const state = path.join(dir, name, 'state');
      for (const p of [path.join(dir, name), data, state]) {
        fs.mkdirSync(p);
        fs.chownSync(p, user.id, user.id);
      }
      return { data, state, env: { XDG_DATA_HOME: data, POD_INIT_STATE_DIR: state, HOME: path.join(dir, name) } };
    };

    it("with a range in /etc/subuid and /etc/subgid: the store and the pod keep the image's owners", async () => {
      const image = `${registry.host}/test/owners:1`;
      const { data, state, env } = homes('ranged');
      const { pulled, ran, removed } = await withSubids(true, async () => ({
        pulled: await asUser(staged, ['pull', image, '-q'], env),
        ran: await asUser(staged, ['run', '-'], env, pod('owners', image)),
        removed: await asUser(staged, ['rmi', image], env),
      }));
      expect(pulled.code, pulled.err).toBe(0);
      expect(ran.code, `${ran.out}\n${ran.err}`).toBe(0);
      // On the host: uid 33's files are the range's 33rd id, root's are the caller's.
      expect(logs(ran.out)).toEqual([
        '2', // two lines in uid_map: 0 → the caller, 1..65535 → the range
        expect.stringMatching(/^lrwxrwxrwx 1 33 33 4 .* link -> page$/),
        expect.stringMatching(/^-rw-r--r-- 1 33 33 5 .* page$/),
        expect.stringMatching(/^drwx------ \d+ 33 33 .* private$/),
        expect.stringMatching(/^-rw-r--r-- 1 0 0 5 .* root$/),
        expect.stringMatching(/^-rwsr-xr-x 1 33 33 5 .* tool$/), // setuid set again after the chown
        'wrote', // root in the pod writes uid 33's 0700 directory (copied up)
      ]);
      expect(ran.out + ran.err).not.toContain('NoSubordinateIds');
      expect(logsOf(ran.out, 'i')).toEqual(['33', expect.stringMatching(/^drwxr-xr-x 2 33 33 .* d$/)]);
      // The pod's upper layer (a directory of the range) went with it; rmi took the layers.
      expect(removed.code, removed.err).toBe(0);
      expect(rangeOwned(state)).toEqual([]);
      expect(rangeOwned(data)).toEqual([]);
    }, 120_000);

    it('the store as pulled holds the range ids on the host (before rmi)', async () => {
      const image = `${registry.host}/test/owners:1`;
      const { data, env } = homes('ranged-store');
      const pulled = await withSubids(true, () => asUser(staged, ['pull', image, '-q'], env));
      expect(pulled.code, pulled.err).toBe(0);
      const layers = path.join(data, 'pod-init', 'images', 'layers');
      const top = fs
        .readdirSync(layers)
        .map((l) => path.join(layers, l, 'diff'))
        .find((d) => fs.existsSync(path.join(d, 'www')))!;
      const owner = (p: string) => {
        const st = fs.lstatSync(path.join(top, p));
        return `${st.uid}:${st.gid}:${(st.mode & 0o7777).toString(8)}`;
      };
      const sub33 = subStart + 32;
      expect(owner('www/page')).toBe(`${sub33}:${sub33}:644`);
      expect(owner('www/tool')).toBe(`${sub33}:${sub33}:4755`);
      expect(owner('www/link')).toBe(`${sub33}:${sub33}:777`);
      expect(owner('www/root')).toBe(`${user.id}:${user.id}:644`);
      const removed = await withSubids(true, () => asUser(staged, ['rmi', image], env));
      expect(removed.code, removed.err).toBe(0);
      expect(rangeOwned(data)).toEqual([]);
    }, 120_000);

    it('the control, without a range: every owner is the caller (root inside), and a notice says what to add', async () => {
      const image = `${registry.host}/test/owners:1`;
      const { data, env } = homes('collapsed');
      const ran = await withSubids(false, () =>
        asUser(staged, ['run', '-'], env, pod('owners-collapsed', image, false)),
      );
      expect(ran.code, `${ran.out}\n${ran.err}`).toBe(0);
      expect(logs(ran.out)).toEqual([
        '1',
        expect.stringMatching(/^lrwxrwxrwx 1 0 0 4 .* link -> page$/),
        expect.stringMatching(/^-rw-r--r-- 1 0 0 5 .* page$/),
        expect.stringMatching(/^drwx------ \d+ 0 0 .* private$/),
        expect.stringMatching(/^-rw-r--r-- 1 0 0 5 .* root$/),
        expect.stringMatching(/^-rwsr-xr-x 1 0 0 5 .* tool$/),
        'wrote',
      ]);
      const said = (ran.out + ran.err).split('\n').filter((l) => l.includes('NoSubordinateIds'));
      expect(said).toHaveLength(1);
      expect(said[0]).toContain(`${user.name}:100000:65536`);
      expect(said[0]).toContain('/etc/subuid');
      expect(rangeOwned(data)).toEqual([]);
    }, 120_000);
  },
);
