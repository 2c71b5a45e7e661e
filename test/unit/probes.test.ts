// The probe worker's rules (src/pod/probes.ts; kubelet prober/worker.go): initial results, the
// schedule from initialDelaySeconds then every periodSeconds, thresholds of consecutive results,
// errors discarded. Fake timers: no process, no clock.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ProbeOutcome } from '../../src/pod/probe-handlers';
import { initialResult, type ProbeResult, ProbeWorker } from '../../src/pod/probes';

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

function worker(
  kind: 'startup' | 'liveness' | 'readiness',
  spec: object,
  outcomes: Array<ProbeOutcome['result'] | 'throw'>,
) {
  const results: ProbeResult[] = [];
  const failed: number[] = [];
  const errors: string[] = [];
  const attempts: number[] = [];
  const w = new ProbeWorker(
    kind,
    spec,
    () => {
      attempts.push(Date.now());
      const next = outcomes.shift() ?? 'success';
      if (next === 'throw') throw new Error('bad header');
      return Promise.resolve({ result: next, output: '' });
    },
    {
      onFailedAttempt: () => failed.push(Date.now()),
      onWarning: () => undefined,
      onError: (o) => errors.push(o.output),
      onResult: (r) => results.push(r),
    },
  );
  return { w, results, failed, errors, attempts };
}

describe('ProbeWorker', () => {
  it('starts from the kubelet initial results', () => {
    expect(initialResult).toEqual({ startup: 'unknown', liveness: 'success', readiness: 'failure' });
  });

  it('probes at initialDelaySeconds after the start, then every periodSeconds', async () => {
    const { w, attempts } = worker('readiness', { initialDelaySeconds: 5, periodSeconds: 2 }, []);
    w.start(Date.now());
    await vi.advanceTimersByTimeAsync(4999);
    expect(attempts).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(attempts).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(4000);
    expect(attempts).toHaveLength(3);
    w.stop();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(attempts).toHaveLength(3);
  });

  it('settles on failureThreshold consecutive failures; a success in between starts the count again', async () => {
    const { w, results, failed } = worker('liveness', { periodSeconds: 1, failureThreshold: 3 }, [
      'failure',
      'failure',
      'success',
      'failure',
      'failure',
      'failure',
    ]);
    w.start(Date.now());
    await vi.advanceTimersByTimeAsync(4000);
    expect(results).toEqual([]); // failure, failure, success, failure, failure: never three in a row
    expect(failed).toHaveLength(4); // but every failed attempt is reported (Unhealthy)
    await vi.advanceTimersByTimeAsync(1000);
    expect(results).toEqual(['failure']);
    expect(w.result).toBe('failure');
    w.stop();
  });

  it('needs successThreshold successes, and discards errors (reported), a throwing attempt too', async () => {
    const { w, results, errors } = worker('readiness', { periodSeconds: 1, successThreshold: 2 }, [
      'success',
      'throw',
      'success',
    ]);
    w.start(Date.now());
    await vi.advanceTimersByTimeAsync(1000);
    expect(results).toEqual([]);
    await vi.advanceTimersByTimeAsync(1000);
    expect(results).toEqual(['success']); // the error between the two successes did not count
    expect(errors).toEqual(['bad header']);
    w.stop();
  });
});
