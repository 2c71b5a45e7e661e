// CVE-2024-21626 (leaked fd as working directory) against pod-init: a container or an exec probe
// whose working directory is /proc/self/fd/<n> would start in whatever directory fd n of the process
// that enters the pod names — a host directory of Node's, once. Joined spawns enter through
// `pod-pause enter` with no fd but the plan's, so there is nothing to find. Proves: through
// `pod-init run` (an --image root, pivoted into), `workingDir: /proc/self/fd/<n>` for n = 3..32 is a
// StartError at chdir for every n and never runs; an exec-probe-style `spawn({ join })` into a running
// container with that cwd throws at chdir for n = 3..32 and for the fd of a host directory this Node
// holds open — ENOENT, or ENOTDIR where n is one of the spawn plan's own fds (its report pipe, kept
// close-on-exec until the execve), never a directory; `/proc/<pid>/fd` of a container's shell lists 0, 1, 2 only. (The direct,
// non-joined spawn — a copy of Node with its fds — and its verify-cwd check are
// test/integration/spawn-confinement.test.ts.) Negative control: the same joined spawn given that
// host directory as fd 0 (an fd that does reach the pod) starts with its cwd in the host directory.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Sandbox, spawn } from '../../src';
import { tempDir } from '../helpers/escape';
import { makeImage, staticBusybox } from '../helpers/image';
import { podCli, podManifest } from '../helpers/pod-cli';
import { privilegeSkipReason, titled } from '../helpers/privileges';

const reason = privilegeSkipReason();
const fds = Array.from({ length: 30 }, (_, i) => i + 3);

describe.skipIf(reason)(titled('CVE-2024-21626: no working directory through a leaked fd', reason), () => {
  let tmp: ReturnType<typeof tempDir>;
  const cli = podCli();
  beforeAll(() => {
    tmp = tempDir('pod-init-cwd-fd-');
  });
  afterAll(() => {
    cli.cleanup();
    tmp?.remove();
  });

  it('pod-init run: workingDir /proc/self/fd/3..32 never starts; a container holds fds 0-2 only', async () => {
    const busybox = staticBusybox();
    expect(busybox, 'apt-get install busybox-static').toBeDefined();
    const image = path.join(tmp.dir, 'image');
    makeImage(image, busybox!, ['sh', 'pwd', 'ls']);
    const containers = fds
      .map((n) => `    - { name: cwd-${n}, image: busybox, workingDir: /proc/self/fd/${n}, command: [pwd] }\n`)
      .join('');
    // ls, a child of the container's shell (PID 1 of its own pid namespace), lists the shell's fds.
    const listFds = 'ls /proc/1/fd; echo end';
    const manifest = podManifest(
      'cwd-fd',
      `  restartPolicy: Never\n  containers:\n${containers}    - { name: fds, image: busybox, command: [sh, -c, '${listFds}'] }\n`,
    );
    const r = await cli.run(['-o', 'json', '--image', `busybox=${image}`], manifest);
    const final = JSON.parse(r.stdout) as {
      status: {
        containerStatuses: Array<{ name: string; state: { terminated?: { reason: string; message?: string } } }>;
      };
    };
    for (const n of fds) {
      const status = final.status.containerStatuses.find((s) => s.name === `cwd-${n}`);
      expect(status?.state.terminated, `cwd-${n}`).toMatchObject({
        reason: 'StartError',
        message: expect.stringMatching(
          /^chdir to cwd \("\/proc\/self\/fd\/\d+"\) set in workingDir failed: (no such file or directory|not a directory)$/,
        ),
      });
    }
    expect(r.stderr).not.toMatch(/^cwd-\d+ +\|/m); // none of them printed anything
    const listed = r.stderr
      .split('\n')
      .filter((l) => /^fds +\| /.test(l))
      .map((l) => l.replace(/^fds +\| /, ''));
    expect(listed).toEqual(['0', '1', '2', 'end']);
  }, 60_000);

  it('an exec probe (spawn with join) with cwd /proc/self/fd/<n> fails at chdir; a fd given on purpose gets past it', async () => {
    const hostDir = fs.openSync(os.tmpdir(), 'r'); // a host directory Node holds open
    const pod = await Sandbox.create();
    try {
      const container = pod.spawn({ file: 'cat', stdio: ['pipe', 'ignore', 'inherit'] });
      for (const n of new Set([...fds, hostDir]))
        expect(
          () => spawn({ join: { process: container }, file: 'true', cwd: `/proc/self/fd/${n}` }),
          `fd ${n}`,
        ).toThrow(expect.objectContaining({ step: 'chdir', code: expect.stringMatching(/^(ENOENT|ENOTDIR)$/) }));
      // Negative control: with the host directory handed to it (as its stdin: the plan keeps that fd
      // under its number until the execve), the same probe's chdir through it works — it is the check
      // after it (getcwd outside the pod's root: EXDEV) that refuses. So the chdir failures above are
      // the fds being absent, not /proc/self/fd being unusable as a working directory.
      expect(() =>
        spawn({
          join: { process: container },
          file: 'true',
          cwd: `/proc/self/fd/${hostDir}`,
          stdio: [hostDir, 'ignore', 'inherit'],
        }),
      ).toThrow(expect.objectContaining({ step: 'verify-cwd', code: 'EXDEV' }));
      container.stdin!.end();
      await container.exited;
    } finally {
      fs.closeSync(hostDir);
      await pod.destroy();
    }
  });
});
