// The kubelet's image pull back-off schedule (10 s doubling to 300 s, per image) with a clock of the
// test's: a registry that refuses connections (127.0.0.1 port 1) fails every pull at once.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ImagePullBackOff } from '../../../src/image/pull-backoff';
import { RegistryClient } from '../../../src/image/registry';
import { ImageStore } from '../../../src/image/store';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pod-init-pull-backoff-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const ctx = {
  store: new ImageStore(dir),
  client: new RegistryClient(),
  unpack: { chown: false, devices: false, xattrNamespace: 'user' as const },
};

describe('image pull back-off', () => {
  it("retries at the kubelet's 10, 20, 40, 80, 160, 300, 300 s; in between: ImagePullBackOff, no request", async () => {
    const steps = new ImagePullBackOff();
    const image = '127.0.0.1:1/x:1';
    let now = 1_000_000;
    const events: string[] = [];
    const emit = (type: string, reason: string, message: string) => events.push(`${type} ${reason}: ${message}`);
    const delays: number[] = [];
    for (let i = 0; i < 7; i++) {
      events.length = 0;
      const failed = await steps.ensure(image, 'IfNotPresent', ctx, emit, () => now);
      expect('waiting' in failed && failed.waiting.reason).toBe('ErrImagePull');
      expect(events[0]).toBe('Normal Pulling: Pulling image "127.0.0.1:1/x:1"');
      expect(events.at(-1)).toBe('Warning Failed: Error: ErrImagePull');
      const retryAt = failed.retryAt!;
      delays.push((retryAt - now) / 1000);
      expect(failed.backOffAt).toBe(now + (retryAt - now) / 2);
      // A millisecond before the retry: still backing off, with the last error and the same retry time.
      now = retryAt - 1;
      events.length = 0;
      const waiting = await steps.ensure(image, 'IfNotPresent', ctx, emit, () => now);
      expect('waiting' in waiting && waiting.waiting.reason).toBe('ImagePullBackOff');
      expect('waiting' in waiting && waiting.waiting.message).toMatch(
        /^Back-off pulling image "127\.0\.0\.1:1\/x:1": ErrImagePull: .+/,
      );
      expect(waiting.retryAt).toBe(retryAt);
      expect(events).toEqual([
        'Normal BackOff: Back-off pulling image "127.0.0.1:1/x:1"',
        'Warning Failed: Error: ImagePullBackOff',
      ]);
      expect(steps.inBackOff(image, now)).toBe(true);
      now = retryAt;
      expect(steps.inBackOff(image, now)).toBe(false);
    }
    expect(delays).toEqual([10, 20, 40, 80, 160, 300, 300]);
    // Per image: another image is not backed off.
    expect(steps.inBackOff('127.0.0.1:1/y:1', now - 1)).toBe(false);
  });

  it('an invalid name is InvalidImageName, never backed off', async () => {
    const steps = new ImagePullBackOff();
    const events: string[] = [];
    for (let i = 0; i < 2; i++) {
      const r = await steps.ensure('Bad Name!', 'IfNotPresent', ctx, (_t, reason, m) => events.push(`${reason}: ${m}`));
      expect('waiting' in r && r.waiting.reason).toBe('InvalidImageName');
      expect(r.retryAt).toBeUndefined();
    }
    expect(events.filter((e) => e === 'Failed: Error: InvalidImageName')).toHaveLength(2);
  });
});
