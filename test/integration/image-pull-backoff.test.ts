// The kubelet's image pull back-off against a real registry on 127.0.0.1: a pull of an image the
// registry does not have yet is ErrImagePull (Warning Failed), then ImagePullBackOff (Normal BackOff,
// the kubelet's message) while the back-off runs, then a pull again, the back-off doubling; the image
// pushed after the second failure is pulled by the next attempt and the container runs. The back-off is
// shortened through the runner's test-only option (the kubelet's is 10 s doubling to 300 s).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PodEvent } from '../../src';
import { busyboxLayer, imageTestNeeds, startRegistry, type TestRegistry, writeOciLayout } from '../helpers/oci';
import { type PodObject, startPod } from '../helpers/pod-runner';
import { titled } from '../helpers/privileges';
import { pollUntil } from '../helpers/wait';

const { skip, busybox } = imageTestNeeds();

describe.skipIf(skip)(titled('image pull back-off against a registry on 127.0.0.1', skip), () => {
  let dir = ''; // made in beforeAll: a skipped suite's body still runs, its afterAll does not
  let registry: TestRegistry;
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pod-init-pull-backoff-'));
    registry = await startRegistry();
  }, 60_000);
  afterAll(async () => {
    await registry?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('ErrImagePull, then ImagePullBackOff, retried at 1.5 s then 3 s; the image pushed meanwhile runs', async () => {
    const image = `${registry.host}/test/late:1`;
    const quoted = JSON.stringify(image);
    const pod = startPod(
      `apiVersion: v1\nkind: Pod\nmetadata: {name: late}\nspec:\n  restartPolicy: Never\n  containers:\n` +
        `    - name: c\n      image: ${image}\n      command: ['/bin/sh', '-c', 'echo late ran']\n`,
      path.join(dir, 'state'),
      { imagePull: { storeDir: path.join(dir, 'store') }, imageBackoff: { initialMs: 1500, maxMs: 6000 } },
    );
    const waits: Array<{ reason: string; message?: string; phase: string }> = [];
    pod.runner.on('status', (o: PodObject) => {
      const w = o.status.containerStatuses[0]?.state.waiting as { reason: string; message?: string } | undefined;
      const last = waits.at(-1);
      if (w && (last?.reason !== w.reason || last.message !== w.message)) waits.push({ ...w, phase: o.status.phase });
    });
    const at = (e: PodEvent) => e.time.getTime();
    const pulls = () => pod.events.filter((e) => e.reason === 'Pulling');
    const failures = () => pod.events.filter((e) => e.message.startsWith('Failed to pull image'));
    try {
      await pod.started;
      await pollUntil(() => failures().length >= 2, 'two failed pulls', 30_000).catch((e) => {
        throw new Error(`${String(e)}: ${JSON.stringify(pod.events)}`);
      });
      const layout = path.join(dir, 'layout');
      writeOciLayout(layout, 'v1', { layers: [busyboxLayer(busybox!, ['sh', 'echo'])] });
      await registry.push(layout, 'v1', 'test/late:1');
      await pollUntil(() => pod.timeline.includes('c: late ran'), 'the container to run once pushed', 30_000);
      const [first, second, third] = pulls();
      const [failed1, failed2] = failures();
      expect(third, 'a third pull, after the push').toBeDefined();
      // The kubelet's image back-off: 1.5 s after the first failure, then doubled.
      expect(at(second!) - at(failed1!)).toBeGreaterThanOrEqual(1500);
      expect(at(third!) - at(failed2!)).toBeGreaterThanOrEqual(3000);
      expect(at(first!)).toBeLessThan(at(failed1!));
      const err = failed1!.message.slice(`Failed to pull image ${quoted}: `.length);
      expect(failed1!.message).toBe(`Failed to pull image ${quoted}: ${err}`);
      expect(err).toMatch(/^manifest unknown/);
      const between = pod.events.filter((e) => at(e) >= at(failed1!) && at(e) < at(second!)).map((e) => e.reason);
      expect(between.slice(0, 4)).toEqual(['Failed', 'Failed', 'BackOff', 'Failed']);
      const messages = pod.events.filter((e) => at(e) >= at(failed1!) && at(e) < at(second!)).map((e) => e.message);
      expect(messages.slice(0, 4)).toEqual([
        failed1!.message,
        'Error: ErrImagePull',
        `Back-off pulling image ${quoted}`,
        'Error: ImagePullBackOff',
      ]);
      expect(pod.events.find((e) => e.reason === 'BackOff')?.type).toBe('Normal');
      // The waiting reasons in order, the pod Pending throughout.
      expect(waits.slice(0, 4).map((w) => w.reason)).toEqual([
        'ErrImagePull',
        'ImagePullBackOff',
        'ErrImagePull',
        'ImagePullBackOff',
      ]);
      expect(waits[1]!.message).toBe(`Back-off pulling image ${quoted}: ErrImagePull: ${err}`);
      expect(new Set(waits.slice(0, 4).map((w) => w.phase))).toEqual(new Set(['Pending']));
      expect(pod.events.filter((e) => e.reason === 'Pulled').at(-1)?.message).toMatch(
        new RegExp(`^Successfully pulled image ${quoted.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} in `),
      );
      const final = (await pod.runner.finished) as PodObject;
      expect(final.status.phase).toBe('Succeeded');
    } finally {
      pod.runner.delete(0);
      await pod.runner.finished;
    }
  }, 90_000);
});
