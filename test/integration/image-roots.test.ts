// --image NAME=DIR roots (escape 6 of the confinement issue): DIR is the read-only lower layer of an
// overlay whose upper layer belongs to one container instance and goes with it. What a container
// writes, changes or deletes in its root is seen neither by its next instance (a restart) nor by the
// next run, and DIR stays byte for byte as it was; mount points missing in DIR are made in the upper.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeImage, staticBusybox, treeHash } from '../helpers/image';
import { podCli, podManifest } from '../helpers/pod-cli';
import { privilegeSkipReason, titled } from '../helpers/privileges';
import { pollUntil } from '../helpers/wait';

const reason = privilegeSkipReason();
const busybox = staticBusybox();
if (!busybox && process.env.POD_INIT_REQUIRE_PRIVILEGES === '1') throw new Error('busybox-static is needed');
const skip = reason ?? (busybox ? undefined : 'no static busybox (apt-get install busybox-static)');

// Each instance counts its run in an emptyDir, says what its root holds, writes /hello, changes
// /etc/x, deletes /etc/gone and makes /newdir, says so, then waits for the test (files in /sig).
const script = [
  'n=$(cat /data/n 2>/dev/null || echo 0); echo $((n+1)) > /data/n',
  'see() { echo "$1 $n: hello=$(cat /hello 2>/dev/null || echo none) x=$(cat /etc/x) gone=$(cat /etc/gone 2>/dev/null || echo none) newdir=$(ls -d /newdir 2>/dev/null || echo none)"; }',
  'see before',
  'echo hi > /hello; echo changed > /etc/x; rm /etc/gone; mkdir /newdir',
  'see after',
  'touch /sig/wrote-$n; while [ ! -e /sig/go-$n ]; do sleep 0.05; done',
  '[ $n -ge 1 ]',
].join('\n');

const manifest = (sig: string) =>
  podManifest(
    'overlay',
    `  restartPolicy: OnFailure
  volumes: [{ name: data, emptyDir: {} }, { name: sig, hostPath: { path: ${sig} } }]
  containers:
    - name: c
      image: bb
      env: [{ name: PATH, value: /bin }]
      command: [sh, -c, ${JSON.stringify(script)}]
      volumeMounts: [{ name: data, mountPath: /data }, { name: sig, mountPath: /sig }]
`,
  );

describe.skipIf(skip)(titled('--image roots: an overlay per container instance', skip), () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pod-init-image-roots-'));
  const clis: Array<ReturnType<typeof podCli>> = [];
  afterAll(() => {
    for (const cli of clis) cli.cleanup();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('writes stay in the instance: a restart and a second run start from DIR, which is unchanged', async () => {
    const image = path.join(dir, 'rootfs');
    makeImage(image, busybox!, ['sh', 'cat', 'ls', 'rm', 'mkdir', 'touch', 'sleep'], {
      'etc/x': 'original\n',
      'etc/gone': 'here\n',
    });
    const before = treeHash(image);
    const fresh = 'hello=none x=original gone=here newdir=none';
    const changed = 'hello=hi x=changed gone=none newdir=/newdir';

    const runOnce = async (name: string) => {
      const cli = podCli();
      clis.push(cli);
      const sig = path.join(dir, name);
      fs.mkdirSync(sig);
      const running = cli.run(['--image', `bb=${image}`, '--restart-backoff', '0,0'], manifest(sig));
      const roots = () => {
        const pods = fs.readdirSync(cli.stateRoot).filter((d) => d.startsWith('default_overlay_'));
        const at = pods.length === 1 ? path.join(cli.stateRoot, pods[0]!, 'roots', 'c') : undefined;
        return at !== undefined && fs.existsSync(at) ? fs.readdirSync(at).map((id) => path.join(at, id)) : [];
      };
      // First instance: its writes are in its own upper directory, not in DIR.
      await pollUntil(() => fs.existsSync(path.join(sig, 'wrote-0')), 'the first instance to write', 20_000);
      const [first] = roots();
      expect(roots()).toHaveLength(1);
      expect(fs.statSync(first!).mode & 0o777).toBe(0o700);
      expect(fs.readFileSync(path.join(first!, 'upper/hello'), 'utf8')).toBe('hi\n');
      expect(fs.readFileSync(path.join(first!, 'upper/etc/x'), 'utf8')).toBe('changed\n');
      expect(fs.existsSync(path.join(first!, 'upper/sig'))).toBe(true); // the mount point, made in the upper
      expect(fs.existsSync(path.join(image, 'hello'))).toBe(false);
      expect(fs.existsSync(path.join(image, 'sig'))).toBe(false);
      expect(treeHash(image)).toBe(before);
      fs.writeFileSync(path.join(sig, 'go-0'), '');
      // Its restart: a new instance, the first one's directory gone before it started.
      await pollUntil(() => fs.existsSync(path.join(sig, 'wrote-1')), 'the restarted instance to write', 20_000);
      const now = roots();
      expect(now).toHaveLength(1);
      expect(now[0]).not.toBe(first);
      expect(fs.existsSync(first!)).toBe(false);
      fs.writeFileSync(path.join(sig, 'go-1'), '');
      const r = await running;
      expect(r.code, r.stderr).toBe(0);
      return r.stdout
        .split('\n')
        .filter((l) => l.startsWith('c | '))
        .map((l) => l.slice(4));
    };

    const first = await runOnce('run-1');
    expect(first).toEqual([`before 0: ${fresh}`, `after 0: ${changed}`, `before 1: ${fresh}`, `after 1: ${changed}`]);
    const second = await runOnce('run-2');
    expect(second.slice(0, 1)).toEqual([`before 0: ${fresh}`]); // the next run does not see them either
    expect(treeHash(image)).toBe(before);
    expect(fs.readdirSync(image).sort()).toEqual(['bin', 'etc']);
  });

  it('the negative control: the hash sees a write into DIR', () => {
    const image = path.join(dir, 'control');
    makeImage(image, busybox!, ['sh'], { 'etc/x': 'original\n' });
    const before = treeHash(image);
    fs.writeFileSync(path.join(image, 'etc/x'), 'changed\n');
    expect(treeHash(image)).not.toBe(before);
    fs.writeFileSync(path.join(image, 'etc/x'), 'original\n');
    expect(treeHash(image)).toBe(before);
    fs.rmSync(path.join(image, 'etc/x'));
    expect(treeHash(image)).not.toBe(before);
  });
});
