// imagePullSecrets: a registry on 127.0.0.1 with htpasswd Basic auth; the credentials come from a
// kubernetes.io/dockerconfigjson or kubernetes.io/dockercfg Secret in the same input as the Pod. Without
// the secret (the negative control) the pull is refused (401) and the pod stays Pending with
// ErrImagePull; a secret named but missing gets the kubelet's FailedToRetrieveImagePullSecret warning.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPod, type PodEvent, PodRunner } from '../../src';
import { busyboxLayer, imageTestNeeds, startRegistry, type TestRegistry, writeOciLayout } from '../helpers/oci';
import { podCli } from '../helpers/pod-cli';
import type { PodObject } from '../helpers/pod-runner';
import { titled } from '../helpers/privileges';
import { pollUntil } from '../helpers/wait';

const { skip, busybox } = imageTestNeeds();
const user = { user: 'puller', password: 's3cret pass' };
const b64 = (s: string) => Buffer.from(s).toString('base64');

describe.skipIf(skip)(titled('imagePullSecrets against a Basic-auth registry on 127.0.0.1', skip), () => {
  let dir = '';
  let registry: TestRegistry;
  const clis: Array<ReturnType<typeof podCli>> = [];
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pod-init-pull-secrets-'));
    registry = await startRegistry(user);
    const layout = path.join(dir, 'layout');
    writeOciLayout(layout, 'v1', {
      layers: [busyboxLayer(busybox!, ['sh', 'echo'])],
      config: { Entrypoint: ['/bin/sh', '-c'], Cmd: ['echo authorized pull ran'] },
    });
    await registry.push(layout, 'v1', 'private/app:1');
  }, 60_000);
  afterAll(async () => {
    for (const c of clis) c.cleanup();
    await registry?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  const pod = (name: string, secrets: string[]) =>
    `apiVersion: v1\nkind: Pod\nmetadata: {name: ${name}}\nspec:\n  restartPolicy: Never\n` +
    (secrets.length > 0 ? `  imagePullSecrets:\n${secrets.map((s) => `    - name: ${s}\n`).join('')}` : '') +
    `  containers:\n    - name: c\n      image: ${registry.host}/private/app:1\n`;
  const auth = () => b64(`${user.user}:${user.password}`);

  it.each([
    [
      'kubernetes.io/dockerconfigjson',
      () => `  .dockerconfigjson: ${b64(JSON.stringify({ auths: { [registry.host]: { auth: auth() } } }))}\n`,
    ],
    [
      'kubernetes.io/dockercfg',
      () =>
        `  .dockercfg: ${b64(JSON.stringify({ [`http://${registry.host}`]: { username: user.user, password: user.password } }))}\n`,
    ],
  ])(
    'pulls with a %s Secret of the same input',
    async (type, data) => {
      const secret = `apiVersion: v1\nkind: Secret\nmetadata: {name: regcred}\ntype: ${type}\ndata:\n${data()}`;
      const c = podCli();
      clis.push(c);
      const r = await c.run(
        ['--image-store', path.join(dir, `store-${type.split('/')[1]}`)],
        `${secret}---\n${pod('with-secret', ['regcred'])}`,
      );
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(r.stdout).toContain('c | authorized pull ran');
      expect(r.stderr).not.toContain('imagePullSecrets'); // no longer in the "not carried out" warning
    },
    60_000,
  );

  it('without a usable secret the registry refuses: ErrImagePull, Pending; a missing secret is warned about', async () => {
    const { pod: object, related } = loadPod(pod('no-secret', ['absent']));
    const runner = new PodRunner(object, {
      related,
      stateRoot: path.join(dir, 'state'),
      imagePull: { storeDir: path.join(dir, 'store-none') },
      imageBackoff: { initialMs: 60_000, maxMs: 60_000 },
    });
    const events: PodEvent[] = [];
    let latest: PodObject | undefined;
    runner.on('event', (e: PodEvent) => events.push(e));
    runner.on('status', (o: PodObject) => (latest = o));
    try {
      await runner.start();
      await pollUntil(
        () => latest?.status.containerStatuses[0]?.state.waiting?.reason === 'ErrImagePull',
        'ErrImagePull',
        30_000,
      );
      expect(latest!.status.phase).toBe('Pending');
      expect(events.find((e) => e.reason === 'FailedToRetrieveImagePullSecret')?.message).toBe(
        'Unable to retrieve some image pull secrets (absent); attempting to pull the image may not succeed.',
      );
      const failed = events.find((e) => e.message.startsWith('Failed to pull image'));
      expect(failed?.message).toMatch(/authentication required|unauthorized/i);
    } finally {
      runner.delete(0);
      await runner.finished;
    }
  }, 60_000);
});
