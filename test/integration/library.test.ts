// pod-init run as a library (issue: "everything the CLI does is available from TypeScript"): a pod from
// an object, validated as the manifest would be; its events, statuses and logs (current and previous
// instance, as `kubectl logs [--previous]`); deletion; nothing left running afterwards.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadPod, ManifestError, type PodEvent, PodRunner } from '../../src';
import { alive, pausesOf } from '../helpers/procfs';
import { privilegeSkipReason, titled } from '../helpers/privileges';
import { pollUntil } from '../helpers/wait';

const reason = privilegeSkipReason();
const stateRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'pod-init-library-'));
afterAll(() => fs.rmSync(stateRoot, { recursive: true, force: true }));

const podObject = (containers: object[], restartPolicy = 'Always') => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'lib' },
  spec: { restartPolicy, containers },
});

describe('loadPod from objects', () => {
  it('validates and defaults an object exactly as it does the text', () => {
    const { pod } = loadPod(podObject([{ name: 'c', image: 'x', command: ['true'] }]));
    expect(pod.spec.terminationGracePeriodSeconds).toBe(30);
    expect(pod.spec.containers[0]!.terminationMessagePath).toBe('/dev/termination-log');
    expect(() =>
      loadPod(
        podObject([
          { name: 'c', image: 'x' },
          { name: 'c', image: 'x' },
        ]),
      ),
    ).toThrow(ManifestError);
    try {
      loadPod(
        podObject([
          { name: 'c', image: 'x' },
          { name: 'c', image: 'x' },
        ]),
      );
    } catch (error) {
      expect((error as ManifestError).problems).toContain('spec.containers[1].name: Duplicate value: "c"');
    }
  });

  it('takes the ConfigMaps of a list', () => {
    const configMap = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm' }, data: { k: 'v' } };
    const { related } = loadPod([podObject([{ name: 'c', image: 'x' }]), configMap]);
    expect(related.configMaps.get('cm')).toEqual({ k: 'v' });
  });
});

describe.skipIf(reason)(titled('PodRunner', reason), () => {
  it('runs a pod: events, statuses, the logs of this and the previous instance, deletion; nothing left', async () => {
    const { pod, related } = loadPod(
      podObject([
        { name: 'crash', image: 'x', command: ['sh', '-c', 'echo run; exit 1'] },
        { name: 'serve', image: 'x', command: ['sh', '-c', 'echo up; exec sleep 1000'] },
      ]),
    );
    const runner = new PodRunner(pod, { related, stateRoot, backoff: { initialMs: 100, maxMs: 200 } });
    const events: PodEvent[] = [];
    const phases: string[] = [];
    runner.on('event', (e: PodEvent) => events.push(e));
    runner.on('status', (o: { status: { phase: string } }) => phases.push(o.status.phase));
    await runner.start();
    // The first restart is immediate, the second waits: a BackOff means two runs are logged.
    await pollUntil(() => events.some((e) => e.reason === 'BackOff') && runner.logs('serve').length > 0, 'a back-off');
    expect(runner.logs('crash', { previous: true }).map((l) => l.line)).toEqual(['run']);
    expect(runner.logs('serve')).toEqual([{ time: expect.stringMatching(/Z$/), stream: 'stdout', line: 'up' }]);
    expect(runner.logs('serve', { previous: true })).toEqual([]);
    expect(() => runner.logs('nope')).toThrow(/container must be one of crash, serve/);
    const pause = pausesOf(process.pid);
    expect(pause).toHaveLength(1);
    runner.delete(0);
    const final = (await runner.finished) as { status: { phase: string } };
    expect(final.status.phase).toBe('Failed'); // deleted with a container that exited 1 and one killed
    expect(events.map((e) => e.reason)).toEqual(
      expect.arrayContaining(['Pulled', 'Created', 'Started', 'BackOff', 'Killing']),
    );
    // Each start as the kubelet's: the image step (Pulled), then Created, Started.
    expect(events.filter((e) => e.container === 'serve').map((e) => e.reason)).toEqual([
      'Pulled',
      'Created',
      'Started',
      'Killing',
    ]);
    expect(phases[0]).toBe('Pending');
    expect(phases).toContain('Running');
    expect(alive(pause[0]!)).toBe(false);
    expect(fs.readdirSync(runner.stateDir).sort()).toEqual(['crash', 'events.jsonl', 'serve', 'status.json']);
  });
});
