import { describe, expect, it } from 'vitest';
import { statValue } from '../../src/cgroups/usage';
import { formatTop, type PodUsage } from '../../src/ops/pod-top';

const MiB = 1024 * 1024;
const pod = (name: string, containers: Array<[string, number, number, number]>, namespace = 'default'): PodUsage => ({
  namespace,
  name,
  windowMs: 1000,
  containers: new Map(
    containers.map(([c, cpu0, cpu1, bytes]) => [c, [{ cpuNs: cpu0 }, { cpuNs: cpu1, workingSetBytes: bytes }]]),
  ),
});
const options = { containers: false, allNamespaces: false, noHeaders: false, sum: false };

describe('formatTop (kubectl top pod)', () => {
  it('sums containers per pod: millicores over the window, MiB rounded down', () => {
    const text = formatTop(
      [
        pod('web', [
          ['a', 0, 250e6, 5.9 * MiB],
          ['b', 1e9, 1.0125e9, 1 * MiB],
        ]),
      ],
      options,
    );
    expect(text).toBe('NAME   CPU(cores)   MEMORY(bytes)\nweb    262m         6Mi\n');
  });
  it('a row per container, a NAMESPACE column with -A, sorted, with the sum line', () => {
    const pods = [pod('web', [['a', 0, 1e6, 3 * MiB]]), pod('db', [['pg', 0, 5e8, 100 * MiB]], 'data')];
    const text = formatTop(pods, { ...options, containers: true, allNamespaces: true, sortBy: 'cpu', sum: true });
    expect(text.split('\n')).toEqual([
      'NAMESPACE   POD   NAME   CPU(cores)   MEMORY(bytes)',
      'data        db    pg     500m         100Mi',
      'default     web   a      1m           3Mi',
      '                         ________     ________',
      '                         501m         103Mi',
      '',
    ]);
  });
  it('no CPU accounting reads as 0m; a counter that went back (a new cgroup) never goes negative', () => {
    const usage: PodUsage = {
      namespace: 'default',
      name: 'x',
      windowMs: 1000,
      containers: new Map([
        ['a', [{}, { workingSetBytes: 0 }]],
        ['b', [{ cpuNs: 5e9 }, { cpuNs: 1e6, workingSetBytes: 0 }]],
      ]),
    };
    expect(formatTop([usage], { ...options, noHeaders: true })).toBe('x   0m   0Mi\n');
  });
});

describe('statValue', () => {
  it('reads a key of a flat-keyed cgroup file', () => {
    expect(statValue('usage_usec 1500\nuser_usec 1000\n', 'usage_usec')).toBe(1500);
    expect(statValue('total_inactive_file 4096\n', 'inactive_file')).toBeUndefined();
  });
});
