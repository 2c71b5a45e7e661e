// The volume manager's retries (infra/volume-mounts.ts) with a loop that records what it is told: a hostPath
// of type File that is missing is FailedMount with a retry 0.5 s later, doubling; once the file is there the
// retry mounts it and asks for a decision. No clock: the retries are called by the test.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { mountRetryMs, VolumeMounts } from '../../src/pod/infra/volume-mounts';
import type { Loop } from '../../src/pod/loop';
import type { Observation } from '../../src/pod/reduce';
import { initialState } from '../../src/pod/state';
import type { PodSpecObject } from '../../src/pod/types';
import type { VolumeContext, VolumeSpec } from '../../src/pod/volumes';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pod-init-volume-mounts-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const pod: PodSpecObject = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'p', namespace: 'default', uid: 'u1' },
  spec: { containers: [{ name: 'c' }] },
};

const context: VolumeContext = { pod, node: { milliCpu: 1000n, memoryBytes: 1n << 30n } };
const related = { configMaps: new Map(), secrets: new Map() };

function recordingLoop() {
  const observed: Observation[] = [];
  const timers: Array<{ ms: number; run: () => void }> = [];
  let syncs = 0;
  const loop: Loop = {
    state: () => initialState(pod, 'p'),
    observe: (o) => observed.push(o),
    changed: () => undefined,
    sync: () => syncs++,
    queueSync: () => syncs++,
    later: (ms, run) => timers.push({ ms, run }),
    run: () => undefined,
    say: () => undefined,
  };
  return { loop, observed, timers, syncs: () => syncs };
}

describe('mountRetryMs', () => {
  it("is the volume manager's backoff: 0.5 s doubling, capped at 2 min 2 s", () => {
    expect([0, 1, 2, 3].map(mountRetryMs)).toEqual([500, 1000, 2000, 4000]);
    expect(mountRetryMs(8)).toBe(122_000);
    expect(mountRetryMs(40)).toBe(122_000);
  });
});

describe('VolumeMounts', () => {
  it('a hostPath File that appears later: FailedMount, retried with backoff, then mounted and a decision asked', () => {
    const file = path.join(tmp, 'later.txt');
    const volume: VolumeSpec = { name: 'data', hostPath: { path: file, type: 'File' } };
    const { loop, observed, timers, syncs } = recordingLoop();
    const volumes = new VolumeMounts({
      stateDir: path.join(tmp, 'pod'),
      related,
      loop,
      hostId: () => undefined,
    });
    volumes.mount(volume, context, undefined);
    expect(observed.map((o) => o.type)).toEqual(['mount-failed']);
    expect(timers.map((t) => t.ms)).toEqual([500]);
    timers.shift()!.run(); // still missing
    expect(observed.map((o) => o.type)).toEqual(['mount-failed', 'mount-failed']);
    expect(timers.map((t) => t.ms)).toEqual([1000]);
    expect(volumes.prepared.has('data')).toBe(false);
    fs.writeFileSync(file, 'x');
    timers.shift()!.run();
    expect(observed.at(-1)).toEqual({ type: 'mounted', volume: 'data' });
    expect(volumes.prepared.has('data')).toBe(true);
    expect(syncs()).toBe(1); // its containers may start now
    expect(timers).toHaveLength(0);
  });

  it('a volume that can be made at once is mounted without a decision (the pod start makes one)', () => {
    const { loop, observed, timers, syncs } = recordingLoop();
    const volumes = new VolumeMounts({
      stateDir: path.join(tmp, 'pod2'),
      related,
      loop,
      hostId: () => undefined,
    });
    volumes.mount({ name: 'scratch', emptyDir: {} }, context, undefined);
    expect(observed).toEqual([{ type: 'mounted', volume: 'scratch' }]);
    expect(timers).toHaveLength(0);
    expect(syncs()).toBe(0);
  });
});
