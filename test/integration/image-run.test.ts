// Running pulled images (`image: 127.0.0.1:PORT/…` from a docker-registry started here): the
// container's root is an overlay of the image's layers (a whiteout in an upper layer hides the lower
// file) with a writable layer of its own that never reaches the store; the image config's
// Entrypoint/Cmd (args replace Cmd), Env, WorkingDir and User are applied; the kubelet's events.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { treeHash } from '../helpers/image';
import {
  busyboxLayer,
  makeTar,
  imageTestNeeds,
  startRegistry,
  type TestRegistry,
  writeOciLayout,
} from '../helpers/oci';
import { podCli, podManifest } from '../helpers/pod-cli';
import { titled } from '../helpers/privileges';
import { pollUntil, waitForLine } from '../helpers/wait';

const { skip, busybox } = imageTestNeeds();

const script =
  'echo "cmd ran as $(id -u):$(id -g) groups=$(id -G) in $(pwd) greeting=$GREETING path=$PATH"; ' +
  'echo x > ./f && echo cwd-writable; ' +
  'cat /etc/hidden 2>/dev/null || echo hidden-gone; cat /work/scribble 2>/dev/null || echo no-scribble; ' +
  'echo scribble > /work/scribble';

describe.skipIf(skip)(titled('running an image pulled from a registry on 127.0.0.1', skip), () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pod-init-image-run-'));
  const storeDir = path.join(dir, 'store');
  const clis: Array<ReturnType<typeof podCli>> = [];
  let registry: TestRegistry;
  beforeAll(async () => {
    registry = await startRegistry();
    const layout = path.join(dir, 'layout');
    writeOciLayout(layout, 'v1', {
      layers: [
        busyboxLayer(busybox!, ['sh', 'cat', 'echo', 'id', 'pwd']),
        makeTar([
          { path: 'etc', type: '5' },
          { path: 'etc/hidden', data: 'visible\n' },
          { path: 'etc/kept', data: 'kept\n' },
        ]),
        makeTar([
          { path: 'etc', type: '5' },
          { path: 'etc/.wh.hidden', data: '' },
          { path: 'work', type: '5', uid: 1000, gid: 1000 },
        ]),
      ],
      config: {
        Entrypoint: ['/bin/sh', '-c'],
        Cmd: [script],
        Env: ['PATH=/bin', 'GREETING=from-image'],
        WorkingDir: '/work/made/here', // missing in the image: made, owned by the user
        User: 'app',
      },
    });
    await registry.push(layout, 'v1', 'test/run:1');
    const stopLayout = path.join(dir, 'stop-layout');
    writeOciLayout(stopLayout, 'v1', {
      layers: [busyboxLayer(busybox!, ['sh', 'echo', 'sleep', 'touch'])],
      config: {
        Entrypoint: ['/bin/sh', '-c'],
        Cmd: ["trap 'echo got USR1; exit 0' USR1; echo trapped; while true; do sleep 0.05; done"],
        StopSignal: 'SIGUSR1',
      },
    });
    await registry.push(stopLayout, 'v1', 'test/stop:1');
  }, 60_000);
  afterAll(async () => {
    for (const cli of clis) cli.cleanup();
    await registry?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const runPod = async (container: string) => {
    const cli = podCli();
    clis.push(cli);
    const r = await cli.run(
      ['--image-store', storeDir],
      podManifest(
        'pulled',
        `  restartPolicy: Never\n  containers:\n    - name: c\n      image: ${registry.host}/test/run:1\n${container}`,
      ),
    );
    const logs = r.stdout
      .split('\n')
      .filter((l) => l.startsWith('c | '))
      .map((l) => l.slice(4));
    return { ...r, logs };
  };

  it("runs the image's Entrypoint + Cmd as its User in its WorkingDir, with its Env; a whiteout hides the lower file", async () => {
    const r = await runPod('');
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.logs).toEqual([
      'cmd ran as 1000:1000 groups=1000 2000 in /work/made/here greeting=from-image path=/bin',
      'cwd-writable',
      'hidden-gone',
      'no-scribble',
    ]);
    expect(r.stdout + r.stderr).toContain(`Pulling image "${registry.host}/test/run:1"`);
    expect(r.stdout + r.stderr).toMatch(
      new RegExp(
        `Successfully pulled image "${registry.host.replace(/\./g, '\\.')}/test/run:1" in [0-9.]+m?s \\([0-9.]+m?s including waiting\\)\\. Image size: \\d+ bytes\\.`,
      ),
    );
  }, 60_000);

  it("args replace Cmd, env overrides the image's; the container's writes never reach the store", async () => {
    const layers = path.join(storeDir, 'layers');
    const before = treeHash(layers);
    const r = await runPod(
      `      imagePullPolicy: IfNotPresent\n      args: ['echo args ran greeting=$GREETING; ${script}']\n      env: [{ name: GREETING, value: from-pod }]\n`,
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.logs[0]).toBe('args ran greeting=from-pod');
    // the first run's scribble was in its own upper layer
    expect(r.logs.slice(1)).toEqual([
      'cmd ran as 1000:1000 groups=1000 2000 in /work/made/here greeting=from-pod path=/bin',
      'cwd-writable',
      'hidden-gone',
      'no-scribble',
    ]);
    expect(r.stdout + r.stderr).toContain(`Container image "${registry.host}/test/run:1" already present on machine`);
    expect(r.stdout + r.stderr).not.toContain('Pulling image');
    expect(treeHash(layers)).toBe(before);
  }, 60_000);

  it("the image's StopSignal stops the container when lifecycle.stopSignal is unset", async () => {
    const cli = podCli();
    clis.push(cli);
    const r = await cli.run(
      ['--image-store', storeDir],
      podManifest(
        'stop',
        `  terminationGracePeriodSeconds: 30\n  containers:\n    - name: c\n      image: ${registry.host}/test/stop:1\n`,
      ),
      (child) => {
        // Deleted (SIGTERM to pod-init) once the container says its trap is set.
        void waitForLine(child.stdout!, /^c \| trapped$/).then(
          () => child.kill('SIGTERM'),
          () => child.kill('SIGKILL'),
        );
      },
    );
    expect(r.stdout).toContain('c | got USR1');
  }, 60_000);

  it('a pull that fails leaves the container waiting with ErrImagePull, as the kubelet', async () => {
    const cli = podCli();
    clis.push(cli);
    const statusFile = path.join(dir, 'missing.json');
    const waiting = () => {
      try {
        const pod = JSON.parse(fs.readFileSync(statusFile, 'utf8')) as {
          status: { containerStatuses?: Array<{ state: { waiting?: { reason: string; message?: string } } }> };
        };
        return pod.status.containerStatuses?.[0]?.state.waiting;
      } catch {
        return undefined;
      }
    };
    let seen: { reason: string; message?: string } | undefined;
    const r = await cli.run(
      ['--image-store', storeDir, '--status-file', statusFile],
      podManifest('missing', `  containers:\n    - name: c\n      image: ${registry.host}/test/nothing:1\n`),
      (child) => {
        void pollUntil(() => (waiting()?.reason === 'ErrImagePull' ? waiting() : undefined), 'ErrImagePull', 30_000)
          .then((w) => (seen = w))
          .finally(() => child.kill('SIGTERM'));
      },
    );
    expect(r.stdout + r.stderr).toContain(`Failed to pull image "${registry.host}/test/nothing:1": manifest unknown`);
    expect(seen?.message).toMatch(/^manifest unknown/);
  }, 60_000);
});
