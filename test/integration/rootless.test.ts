// The same sandbox and spawn as uid 65534: a user namespace is created automatically, root inside
// is the caller outside, and members join it together with the other namespaces.
import { spawn as cpSpawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { syscalls } from '../../src';
import { native } from '../../src/native';
import { makeImage, staticBusybox, treeHash } from '../helpers/image';
import { privilegeSkipReason, titled } from '../helpers/privileges';
import { stagePackage } from '../helpers/stage';
import { pollUntil, readAll } from '../helpers/wait';

const reason = privilegeSkipReason(); // switching to uid 65534 needs root

interface Report {
  uid: number;
  probe: string;
  uidMap: string;
  podNs: Record<string, number>;
  sharedNs: Record<string, number>;
  ownNs: Record<string, number>;
  hostNs: Record<string, number>;
}

describe.skipIf(reason)(titled('rootless (uid 65534)', reason), () => {
  let staged: string;
  let report: Report;
  beforeAll(async () => {
    staged = stagePackage();
    const child = cpSpawn(process.execPath, [path.join(staged, 'test/fixtures/pod-report.js'), staged], {
      uid: 65534,
      gid: 65534,
      cwd: staged,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const [out, err, code] = await Promise.all([
      readAll(child.stdout),
      readAll(child.stderr),
      new Promise((resolve) => child.on('exit', resolve)),
    ]);
    if (code !== 0) throw new Error(`fixture failed (${String(code)}): ${err}`);
    report = JSON.parse(out) as Report;
  });
  afterAll(() => fs.rmSync(staged, { recursive: true, force: true }));

  /** `pod-init run ARGS -` of the staged copy as uid 65534, the manifest on stdin, state under `state`. */
  const podInitAsNobody = (args: string[], state: string, manifest: string) => {
    const child = cpSpawn(process.execPath, [path.join(staged, 'pod-init.js'), 'run', ...args, '-'], {
      uid: 65534,
      gid: 65534,
      cwd: staged,
      env: { PATH: process.env.PATH, POD_INIT_STATE_DIR: state },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    child.stdin!.end(manifest);
    return child;
  };

  it('runs as uid 65534 and maps root inside to it', () => {
    expect(report.uid).toBe(65534);
    expect(report.uidMap.split(/\s+/)).toEqual(['0', '65534', '1']);
    expect(report.probe).toBe('uid=0 pid=2 host=fixture');
  });

  it('the pod has its own user namespace and members share it', () => {
    for (const kind of ['user', 'pid', 'net', 'ipc', 'uts', 'mnt']) {
      expect(report.podNs[kind], kind).not.toBe(report.hostNs[kind]);
      expect(report.sharedNs[kind], kind).toBe(report.podNs[kind]);
    }
  });

  it('a member with its own pid namespace keeps the rest of the pod', () => {
    expect(report.ownNs.pid).not.toBe(report.podNs.pid);
    for (const kind of ['user', 'net', 'ipc', 'uts']) expect(report.ownNs[kind], kind).toBe(report.podNs[kind]);
  });

  it('pod-init run works without root: volumes, a Memory emptyDir, shadowed /etc, subPath, readOnly, messages', async () => {
    // The state directory on a nosuid,nodev tmpfs, as $XDG_RUNTIME_DIR is: those flags are locked for
    // the pod's user namespace, and a read-only remount must keep them (or it is EPERM).
    const state = fs.mkdtempSync(path.join(os.tmpdir(), 'pod-init-rootless-state-'));
    const f = native.mountFlags as Record<string, number>;
    syscalls.mount('tmpfs', state, 'tmpfs', f.MS_NOSUID! | f.MS_NODEV!, 'mode=0755,uid=65534,gid=65534');
    const manifest = `apiVersion: v1
kind: Pod
metadata: { name: rootless }
spec:
  restartPolicy: Never
  volumes:
    - { name: m, emptyDir: { medium: Memory, sizeLimit: 1Mi } }
    - { name: d, emptyDir: {} }
    - { name: cfg, configMap: { name: app } }
  initContainers:
    - name: init
      image: x
      command: [sh, -c, 'echo mem > /m/f; echo disk > /etc/pod-init-rootless/f']
      volumeMounts: [{ name: m, mountPath: /m }, { name: d, mountPath: /etc/pod-init-rootless }]
  containers:
    - name: main
      image: x
      command: [sh, -c, 'id -u; cat /m/f /etc/pod-init-rootless/f /etc/app.conf; (echo x > /etc/pod-init-rootless/f) 2>/dev/null || echo read-only; echo bye > /dev/termination-log']
      volumeMounts:
        - { name: m, mountPath: /m }
        - { name: d, mountPath: /etc/pod-init-rootless, readOnly: true }
        - { name: cfg, mountPath: /etc/app.conf, subPath: k }
---
apiVersion: v1
kind: ConfigMap
metadata: { name: app }
data: { k: "from-configmap\\n" }
`;
    try {
      const child = podInitAsNobody(['-o', 'json'], state, manifest);
      const [out, err, code] = await Promise.all([
        readAll(child.stdout),
        readAll(child.stderr),
        new Promise((resolve) => child.on('exit', resolve)),
      ]);
      expect(code, err).toBe(0);
      const lines = err
        .split('\n')
        .filter((l) => l.startsWith('main '))
        .map((l) => l.replace(/^main +\| /, ''));
      expect(lines).toEqual(['0', 'mem', 'disk', 'from-configmap', 'read-only']);
      const pod = JSON.parse(out) as {
        status: { containerStatuses: Array<{ state: { terminated: { message: string } } }> };
      };
      expect(pod.status.containerStatuses[0]!.state.terminated.message).toBe('bye\n');
      expect(fs.existsSync('/etc/pod-init-rootless')).toBe(false);
    } finally {
      syscalls.umount(state);
      fs.rmSync(state, { recursive: true, force: true });
    }
  });

  it('--image without root: an overlay with userxattr in the pod user namespace; writes go with the instance', async () => {
    const busybox = staticBusybox();
    if (!busybox) {
      if (process.env.POD_INIT_REQUIRE_PRIVILEGES === '1') throw new Error('busybox-static is needed');
      console.warn('skipping the rootless --image test: no static busybox (apt-get install busybox-static)');
      return;
    }
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pod-init-rootless-image-'));
    fs.chmodSync(dir, 0o755);
    const image = path.join(dir, 'rootfs');
    makeImage(image, busybox, ['sh', 'cat', 'rm', 'mkdir'], { 'etc/x': 'original\n', 'etc/gone': 'here\n' });
    // A rootless user's image is its own: a directory owned by host root is not writable in the pod's
    // user namespace (uid 0 of the host is not mapped there), not even by copy-up.
    const own = (p: string): void => {
      fs.lchownSync(p, 65534, 65534);
      if (fs.lstatSync(p).isDirectory()) for (const entry of fs.readdirSync(p)) own(path.join(p, entry));
    };
    own(image);
    const state = path.join(dir, 'state');
    fs.mkdirSync(state);
    fs.chownSync(state, 65534, 65534);
    const before = treeHash(image);
    // Restarted once (OnFailure, no backoff): the second instance must not see the first one's writes.
    const script = [
      'n=$(cat /data/n 2>/dev/null || echo 0); echo $((n+1)) > /data/n',
      'echo "$n: hello=$(cat /hello 2>/dev/null || echo none) x=$(cat /etc/x) gone=$(cat /etc/gone 2>/dev/null || echo none)"',
      'echo hi > /hello && echo changed > /etc/x && rm /etc/gone && mkdir -m 0 /locked && [ $n -ge 1 ]',
    ].join('; ');
    const manifest = `apiVersion: v1
kind: Pod
metadata: { name: rootless-image }
spec:
  restartPolicy: OnFailure
  volumes: [{ name: data, emptyDir: {} }]
  containers:
    - name: c
      image: bb
      env: [{ name: PATH, value: /bin }]
      command: [sh, -c, ${JSON.stringify(script)}]
      volumeMounts: [{ name: data, mountPath: /data }]
`;
    let child: ReturnType<typeof podInitAsNobody> | undefined;
    try {
      for (const run of [1, 2]) {
        child = podInitAsNobody(['--image', `bb=${image}`, '--restart-backoff', '0,0'], state, manifest);
        const [out, err, code] = await Promise.all([
          readAll(child.stdout),
          readAll(child.stderr),
          new Promise((resolve) => child!.on('exit', resolve)),
        ]);
        expect(code, `run ${run}: ${out}\n${err}`).toBe(0);
        const lines = out
          .split('\n')
          .filter((l) => l.startsWith('c | '))
          .map((l) => l.slice(4));
        expect(lines).toEqual(['0: hello=none x=original gone=here', '1: hello=none x=original gone=here']);
        expect(treeHash(image)).toBe(before);
      }
      // Every instance's directory went with it (work/work, mode 0, and the mode-0 /locked included).
      for (const pod of fs.readdirSync(state)) expect(fs.existsSync(path.join(state, pod, 'roots'))).toBe(false);
    } finally {
      if (child?.exitCode === null) child.kill('SIGKILL'); // its pod goes with it
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('probes work without root: httpGet and tcpSocket reach the pod over sockets made inside it', async () => {
    const state = fs.mkdtempSync(path.join(os.tmpdir(), 'pod-init-rootless-probes-'));
    fs.chownSync(state, 65534, 65534);
    const statusFile = path.join(state, 'status.json');
    const manifest = `apiVersion: v1
kind: Pod
metadata: { name: rootless-probes }
spec:
  terminationGracePeriodSeconds: 1
  containers:
    - name: web
      image: x
      command: [node, -e, 'require("http").createServer((q, s) => s.end("ok")).listen(8080, "127.0.0.1")']
      readinessProbe: { httpGet: { path: /, port: 8080 }, periodSeconds: 1 }
    - name: client
      image: x
      command: [sleep, "1000"]
      readinessProbe: { tcpSocket: { port: 8080 }, periodSeconds: 1 }
`;
    const child = podInitAsNobody(['--status-file', statusFile], state, manifest);
    const err = readAll(child.stderr);
    const out = readAll(child.stdout); // the events: what the probes said, if it fails
    let becameReady = false;
    try {
      const ready = () => {
        try {
          const pod = JSON.parse(fs.readFileSync(statusFile, 'utf8')) as {
            status: { conditions: Array<{ type: string; status: string }> };
          };
          return pod.status.conditions.some((c) => c.type === 'Ready' && c.status === 'True');
        } catch {
          return false; // not written yet, or being replaced
        }
      };
      becameReady = await pollUntil(ready, 'the rootless pod to be Ready', 20_000).catch(() => false);
    } finally {
      child.kill('SIGINT');
      await new Promise((resolve) => child.on('exit', resolve));
      fs.rmSync(state, { recursive: true, force: true });
    }
    expect(becameReady, `${await out}\n${await err}`).toBe(true); // Ready only through both probes: sockets of the pod's network
  });

  it("pod-init exec by the pod's user: root inside its user namespace, the exit code passed through; another user is refused", async () => {
    const state = fs.mkdtempSync(path.join(os.tmpdir(), 'pod-init-rootless-exec-'));
    fs.chmodSync(state, 0o755);
    fs.chownSync(state, 65534, 65534);
    // Through the `pod-init` command (bin/pod-init): exec in its native client, Node for get and delete.
    const cli = (uid: number, args: string[]) => {
      const child = cpSpawn(path.join(staged, 'bin', 'pod-init'), args, {
        uid,
        gid: uid,
        cwd: staged,
        env: { PATH: process.env.PATH, POD_INIT_STATE_DIR: state },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      return Promise.all([
        readAll(child.stdout),
        readAll(child.stderr),
        new Promise<number | null>((resolve) => child.on('exit', resolve)),
      ]).then(([stdout, stderr, code]) => ({ stdout, stderr, code }));
    };
    const run = podInitAsNobody(
      ['-q'],
      state,
      'apiVersion: v1\nkind: Pod\nmetadata: { name: sleeper }\nspec:\n  terminationGracePeriodSeconds: 0\n' +
        '  containers:\n    - { name: c, image: x, command: [sleep, "600"] }\n',
    );
    const runDone = Promise.all([
      readAll(run.stdout),
      readAll(run.stderr),
      new Promise<number | null>((resolve) => run.on('exit', resolve)),
    ]);
    try {
      await pollUntil(
        async () => / Running /.test((await cli(65534, ['get', 'sleeper'])).stdout),
        'the pod to run',
        30_000,
      );
      const id = await cli(65534, ['exec', 'sleeper', '--', 'id', '-u']);
      expect(id, id.stderr).toEqual({ stdout: '0\n', stderr: '', code: 0 });
      const seven = await cli(65534, ['exec', 'sleeper', '--', 'sh', '-c', 'exit 7']);
      expect(seven.code, seven.stderr).toBe(7);
      // The native client ran it (no Node between the caller and the command): the command's parent is bin/pod-init.
      const bin = path.join(staged, 'bin', 'pod-init');
      const client = cpSpawn(bin, ['exec', 'sleeper', '--', 'sleep', '777'], { uid: 65534, gid: 65534, cwd: staged, env: { PATH: process.env.PATH, POD_INIT_STATE_DIR: state }, stdio: 'ignore' }); // prettier-ignore
      const clientExited = new Promise((resolve) => client.on('exit', resolve));
      const isSleep = (p: string) => {
        try {
          return fs.readFileSync(`/proc/${p}/cmdline`, 'utf8') === 'sleep\x00777\x00';
        } catch {
          return false;
        }
      };
      const sleep = await pollUntil(() => fs.readdirSync('/proc').find((p) => /^\d+$/.test(p) && isSleep(p)), 'sleep 777 running'); // prettier-ignore
      const stat = fs.readFileSync(`/proc/${sleep}/stat`, 'utf8');
      expect(Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])).toBe(client.pid);
      expect(fs.readlinkSync(`/proc/${client.pid}/exe`)).toBe(fs.realpathSync(bin));
      client.kill('SIGTERM'); // forwarded: the command's end (128 + 15) is the client's
      expect(await clientExited).toBe(143);
      const other = await cli(65533, ['exec', 'sleeper', '--', 'id', '-u']);
      // Same state root, but the pod is 65534's: refused by name (kubectl's Forbidden), not as a completed pod.
      expect(other).toEqual({
        stdout: '',
        stderr:
          'Error from server (Forbidden): pods "sleeper" is forbidden: it was started by uid 65534 and only that user can enter it; this is uid 65533\n',
        code: 1,
      });
      expect((await cli(65534, ['delete', 'sleeper', '--now'])).code).toBe(0);
      expect((await runDone)[2]).toBe(1); // its container was killed: the pod Failed
    } finally {
      run.kill('SIGKILL');
      await runDone;
      fs.rmSync(state, { recursive: true, force: true });
    }
  }, 60_000);

  it("two users' pods do not see each other: each user has a state root of their own by default", async () => {
    // No POD_INIT_STATE_DIR and no XDG_RUNTIME_DIR: the fallback in the temp dir must be per user (a
    // shared /tmp/pod-init would belong to whoever came first, and the other user would be refused).
    const users = [65534, 65533];
    const made = users.flatMap((uid) =>
      [`pod-init-${uid}`, `pod-init-owners-${uid}`].map((d) => path.join(os.tmpdir(), d)),
    );
    const existed = made.filter((d) => fs.existsSync(d));
    const cli = (uid: number, args: string[], stdin?: string) => {
      const child = cpSpawn(process.execPath, [path.join(staged, 'pod-init.js'), ...args], {
        uid,
        gid: uid,
        cwd: staged,
        env: { PATH: process.env.PATH },
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      child.stdin!.end(stdin ?? '');
      const done = Promise.all([
        readAll(child.stdout!),
        readAll(child.stderr!),
        new Promise<number | null>((resolve) => child.on('exit', resolve)),
      ]).then(([stdout, stderr, code]) => ({ stdout, stderr, code }));
      return { child, done };
    };
    const manifest = (name: string) =>
      `apiVersion: v1\nkind: Pod\nmetadata: { name: ${name} }\nspec:\n  terminationGracePeriodSeconds: 0\n  containers:\n    - { name: c, image: x, command: [sleep, "600"] }\n`;
    const runs = users.map((uid) => cli(uid, ['run', '-q', '-'], manifest(`of-${uid}`)));
    try {
      for (const uid of users)
        await pollUntil(
          async () => / Running /.test((await cli(uid, ['get', `of-${uid}`]).done).stdout),
          `user ${uid}'s pod to run`,
          30_000,
        );
      for (const uid of users) {
        const listed = await cli(uid, ['get', '-A', '-o', 'name']).done;
        expect(listed.stdout, `user ${uid} sees only its own pod`).toBe(`pod/of-${uid}\n`);
      }
      // The native exec client finds each user's pod by the same default (<tmpdir>/pod-init-<uid>): with no
      // node on PATH only it can run the exec (its fallback, the Node CLI, could not even start).
      const nodeless = async (uid: number, pod: string) => {
        const env = { PATH: '/nonexistent' };
        const child = cpSpawn(path.join(staged, 'bin', 'pod-init'), ['exec', pod, '--', '/bin/true'], { uid, gid: uid, cwd: staged, env, stdio: ['ignore', 'pipe', 'pipe'] }); // prettier-ignore
        const [, stderr, code] = await Promise.all([readAll(child.stdout), readAll(child.stderr), new Promise((resolve) => child.on('exit', resolve))]); // prettier-ignore
        return { uid, code, stderr };
      };
      for (const uid of users) expect(await nodeless(uid, `of-${uid}`)).toEqual({ uid, code: 0, stderr: '' });
      // Negative control: a pod it does not find (another user's, in another state root) is the Node CLI's, which cannot start here.
      expect(await nodeless(65533, 'of-65534')).toMatchObject({ code: 127, stderr: expect.stringMatching(/^pod-init: cannot start node/) }); // prettier-ignore
      const other = await cli(65533, ['delete', 'of-65534', '--now']).done;
      expect(other.code).toBe(1);
      expect(other.stderr).toContain('pods "of-65534" not found');
      const rootEnv = { ...process.env };
      delete rootEnv.POD_INIT_STATE_DIR;
      const asRoot = cpSpawn(process.execPath, [path.join(staged, 'pod-init.js'), 'get', '-A', '-o', 'name'], {
        env: rootEnv,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const rootList = await readAll(asRoot.stdout);
      expect(rootList).not.toMatch(/of-6553[34]/);
      for (const uid of users) expect((await cli(uid, ['delete', `of-${uid}`, '--now']).done).code).toBe(0);
      // Each run ends by itself once deleted (1: its container was killed, the pod Failed).
      for (const run of runs) expect((await run.done).code).toBe(1);
    } finally {
      for (const run of runs) run.child.kill('SIGKILL');
      await Promise.all(runs.map((r) => r.done));
      for (const dir of made) if (!existed.includes(dir)) fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 90_000);
});
