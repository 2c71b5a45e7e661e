// The default state root of a rootless pod-init without $XDG_RUNTIME_DIR is <tmp>/pod-init-<uid>, in a
// directory every user can write: made 0700, and refused (exit 2, nothing written) when another user
// planted a symlink or a directory of their own there. Run through the CLI as uid 65534 and 1000,
// with TMPDIR a sticky world-writable directory standing in for /tmp.
import { spawn as cpSpawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { podManifest } from '../helpers/pod-cli';
import { privilegeSkipReason, titled } from '../helpers/privileges';
import { stagePackage } from '../helpers/stage';
import { readAll } from '../helpers/wait';

const reason = privilegeSkipReason(); // switching uid needs root

describe.skipIf(reason)(titled('the /tmp state fallback', reason), () => {
  let staged: string;
  beforeAll(() => {
    staged = stagePackage();
  });
  afterAll(() => fs.rmSync(staged, { recursive: true, force: true }));

  /** A fresh sticky 1777 directory as TMPDIR; removed after the test by the caller. */
  const stickyTmp = () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pod-init-tmpdir-'));
    fs.chmodSync(dir, 0o1777);
    return dir;
  };

  /** `pod-init run -` as `uid` with TMPDIR=`tmpdir` and neither XDG_RUNTIME_DIR nor POD_INIT_STATE_DIR. */
  const runAs = async (uid: number, tmpdir: string, manifest: string) => {
    const child = cpSpawn(process.execPath, [path.join(staged, 'pod-init.js'), 'run', '-q', '-'], {
      uid,
      gid: uid,
      cwd: staged,
      env: { PATH: process.env.PATH, TMPDIR: tmpdir },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    child.stdin!.end(manifest);
    const [stdout, stderr, code] = await Promise.all([
      readAll(child.stdout),
      readAll(child.stderr),
      new Promise<number | null>((resolve) => child.on('exit', resolve)),
    ]);
    return { stdout, stderr, code };
  };
  const manifest = podManifest(
    'fallback',
    '  restartPolicy: Never\n  containers:\n    - { name: c, image: x, command: ["true"] }\n',
  );

  it('is made 0700 and owned by the user when missing, and the pod runs there', async () => {
    const dir = stickyTmp();
    try {
      const r = await runAs(65534, dir, manifest);
      expect(r.stderr).not.toContain('refusing');
      expect(r.code).toBe(0);
      const stat = fs.lstatSync(path.join(dir, 'pod-init-65534'));
      expect([stat.isDirectory(), stat.uid, stat.mode & 0o7777]).toEqual([true, 65534, 0o700]);
      // The pod's state, the cache of compiled seccomp filters and the live pods' names beside it (also private).
      expect(fs.readdirSync(path.join(dir, 'pod-init-65534')).sort()).toEqual([
        '.cache',
        '.names',
        expect.stringMatching(/^default_fallback_/),
      ]);
      const cache = fs.lstatSync(path.join(dir, 'pod-init-65534', '.cache', 'seccomp'));
      expect([cache.uid, cache.mode & 0o7777]).toEqual([65534, 0o700]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a symlink planted there is refused: exit 2, and nothing is written through it', async () => {
    const dir = stickyTmp();
    try {
      const victim = path.join(dir, 'victim');
      fs.mkdirSync(victim, { mode: 0o700 });
      fs.chownSync(victim, 65534, 65534); // writable by the user: without the check, the state lands here
      fs.symlinkSync(victim, path.join(dir, 'pod-init-65534'));
      const r = await runAs(65534, dir, manifest);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(
        `pod-init: state directory ${dir}/pod-init-65534 is a symbolic link: refusing to use it`,
      );
      expect(fs.readdirSync(victim)).toEqual([]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a directory there owned by another uid is refused: exit 2, nothing written into it', async () => {
    const dir = stickyTmp();
    try {
      const planted = path.join(dir, 'pod-init-1000'); // the name user 1000 will look for
      fs.mkdirSync(planted, { mode: 0o777 });
      fs.chmodSync(planted, 0o777);
      fs.chownSync(planted, 65534, 65534);
      const r = await runAs(1000, dir, manifest);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`pod-init: state directory ${planted} is owned by uid 65534, not 1000: refusing`);
      expect(fs.readdirSync(planted)).toEqual([]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
