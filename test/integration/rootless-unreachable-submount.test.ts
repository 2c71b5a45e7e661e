// A rootless pod on a host where root has a mount below a directory only root may enter — podman's storage
// (/var/lib/containers, 0700, with storage/overlay bind-mounted on itself) is the case met here. A host-mode
// container binds the host's directories read-only and remounts each submount read-only; the remount of that
// one was EACCES for the pod's user namespace root and failed every container of every rootless pod. What the
// container's root cannot reach, nothing in the container can: the step is skipped there, and only there.
import { execFileSync, spawn as cpSpawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { podManifest } from '../helpers/pod-cli';
import { privilegeSkipReason, titled } from '../helpers/privileges';
import { stagePackage } from '../helpers/stage';
import { readAll } from '../helpers/wait';

const reason = privilegeSkipReason();

/** Runs `node args` as uid 65534 with `stdin`, to its end. */
async function asNobody(args: string[], env: Record<string, string>, stdin = '') {
  const child = cpSpawn(process.execPath, args, {
    uid: 65534,
    gid: 65534,
    cwd: os.tmpdir(),
    env: { PATH: process.env.PATH, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  child.stdin!.end(stdin);
  const [stdout, stderr] = await Promise.all([readAll(child.stdout!), readAll(child.stderr!)]);
  const code = await new Promise<number | null>((resolve) =>
    child.exitCode !== null ? resolve(child.exitCode) : child.on('exit', (c) => resolve(c)),
  );
  return { code, stdout, stderr };
}

describe.skipIf(reason)(titled('a host submount below a directory the rootless pod cannot enter', reason), () => {
  let closed: string; // /var/lib/pod-init-test-…: 0700, root's
  let staged: string;
  let state: string;
  beforeAll(() => {
    closed = fs.mkdtempSync('/var/lib/pod-init-test-unreachable-');
    fs.chmodSync(closed, 0o700);
    fs.mkdirSync(path.join(closed, 'store'));
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', path.join(closed, 'store')]);
    staged = stagePackage();
    state = fs.mkdtempSync(path.join(os.tmpdir(), 'pod-init-unreachable-state-'));
    fs.chmodSync(state, 0o777);
  });
  afterAll(() => {
    if (closed !== undefined) {
      execFileSync('umount', [path.join(closed, 'store')]);
      fs.rmSync(closed, { recursive: true, force: true });
    }
    if (staged !== undefined) fs.rmSync(staged, { recursive: true, force: true });
    if (state !== undefined) fs.rmSync(state, { recursive: true, force: true });
  });

  it('the pod runs (the submount is left as it is, unreachable inside too)', async () => {
    const pod = podManifest(
      'unreachable-submount',
      `  restartPolicy: Never
  containers:
    - name: c
      image: host
      command: [sh, -c, "ls ${closed} 2>/dev/null || echo closed-inside; echo ran"]
`,
    );
    const r = await asNobody([path.join(staged, 'pod-init.js'), 'run', '-'], { POD_INIT_STATE_DIR: state }, pod);
    expect(r.stdout).toMatch(/closed-inside/);
    expect(r.stdout).toMatch(/ran/);
    expect(r.code).toBe(0);
  });

  it('at the spawn level: the remount is EACCES without skipUnreachable (the control), skipped with it', async () => {
    const script = `
      const { spawn } = require(${JSON.stringify(path.join(staged, 'dist/index.js'))});
      const target = ${JSON.stringify(path.join(closed, 'store'))};
      const flags = 4096 | 32 | 1; // MS_BIND | MS_REMOUNT | MS_RDONLY
      for (const skip of [false, true]) {
        try {
          const p = spawn({ file: 'true', newNamespaces: ['mnt'], userNamespace: {},
            mounts: [{ type: 'mount', target, flags, ...(skip ? { skipUnreachable: true } : {}) }] });
          p.exited.then((e) => console.log(skip, 'exit', e.exitCode));
        } catch (error) {
          console.log(skip, 'refused', error.code, error.step);
        }
      }`;
    const r = await asNobody(['-e', script], {});
    expect(r.stderr).toBe('');
    expect(r.stdout.split('\n').sort().filter(Boolean)).toEqual(['false refused EACCES mount', 'true exit 0']);
  });
});
