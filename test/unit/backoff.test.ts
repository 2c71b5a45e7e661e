// The kubelet's crash-loop backoff schedule (KUBERNETES.md B.4): 0, 10, 20, 40, ... 300, reset at 600 s.
import { describe, expect, it } from 'vitest';
import { Backoff, kubeletBackoff } from '../../src/pod/backoff';

/** Simulates a container that exits `runMs` after each start; returns the delays before each restart. */
function schedule(backoff: Backoff, restarts: number, runMs: number): number[] {
  const delays: number[] = [];
  let now = 0;
  for (let i = 0; i < restarts; i++) {
    now += runMs; // it ran, then exited
    const finishedAt = now;
    const delay = backoff.delayBeforeRestart('c', finishedAt, now);
    delays.push(delay);
    now += delay;
    backoff.recordRestart('c', now, finishedAt);
  }
  return delays;
}

describe('Backoff', () => {
  it("follows the kubelet's observed schedule: the first restart is immediate", () => {
    const delays = schedule(new Backoff(kubeletBackoff), 9, 1).map((ms) => ms / 1000);
    expect(delays).toEqual([0, 10, 20, 40, 80, 160, 300, 300, 300]);
  });

  it('uses the configured initial and cap', () => {
    expect(schedule(new Backoff({ initialMs: 100, maxMs: 350 }), 6, 1)).toEqual([0, 100, 200, 350, 350, 350]);
  });

  it('starts over after 600 s of running', () => {
    const b = new Backoff(kubeletBackoff);
    b.recordRestart('c', 0);
    b.recordRestart('c', 20_000);
    expect(b.currentMs('c')).toBe(20_000);
    const finishedAt = 20_000 + 600_001; // ran for more than 10 minutes
    expect(b.delayBeforeRestart('c', finishedAt, finishedAt)).toBe(0);
    b.recordRestart('c', finishedAt, finishedAt);
    expect(b.currentMs('c')).toBe(10_000);
  });

  it('counts the wait from the exit, not from the check', () => {
    const b = new Backoff({ initialMs: 1000, maxMs: 5000 });
    b.recordRestart('c', 0);
    expect(b.delayBeforeRestart('c', 5000, 5400)).toBe(600);
    expect(b.delayBeforeRestart('c', 5000, 7000)).toBe(0);
  });

  it('keeps keys apart (a changed spec hash is a new key)', () => {
    const b = new Backoff({ initialMs: 1000, maxMs: 5000 });
    b.recordRestart('web@1', 0);
    expect(b.delayBeforeRestart('web@1', 10, 10)).toBe(1000);
    expect(b.delayBeforeRestart('web@2', 10, 10)).toBe(0);
  });
});
