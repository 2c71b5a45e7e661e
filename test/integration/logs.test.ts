// CRI logs through `pod-init run`: a container that never writes a newline keeps pod-init's memory
// flat (16 KiB partial records, as containerd writes them), and logs rotate by size as the kubelet
// rotates them (--container-log-max-size, --container-log-max-files).
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { podCli, podManifest } from '../helpers/pod-cli';
import { privilegeSkipReason, titled } from '../helpers/privileges';

const reason = privilegeSkipReason();
const { stateRoot, run, cleanup } = podCli();

/** The peak resident set (VmHWM) of `pid` in KiB, or undefined once it is gone. */
function peakRssKiB(pid: number): number | undefined {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    return Number(/^VmHWM:\s+(\d+) kB$/m.exec(status)![1]);
  } catch {
    return undefined;
  }
}

/** Runs `manifest` and samples pod-init's peak RSS until it exits; resolves with it and the result. */
async function runMeasured(args: string[], manifest: string) {
  let peak = 0;
  let sampler: NodeJS.Timeout | undefined;
  const result = await run(args, manifest, (child) => {
    sampler = setInterval(() => (peak = Math.max(peak, peakRssKiB(child.pid!) ?? 0)), 20);
  });
  clearInterval(sampler);
  return { result, peakMiB: peak / 1024 };
}

const stateOf = (name: string) => {
  const dir = fs.readdirSync(stateRoot).find((d) => d.startsWith(`default_${name}_`));
  if (!dir) throw new Error(`no state directory for ${name}`);
  return path.join(stateRoot, dir);
};

const total = 50 * 1000 * 1000;

describe.skipIf(reason)(titled('CRI logs of pod-init run', reason), () => {
  afterAll(() => cleanup());

  it('50 MB without a newline: pod-init stays small, the log has P records of at most 16 KiB, then F', async () => {
    const manifest = podManifest(
      'noeol',
      `  restartPolicy: Never
  containers:
    - { name: c, image: x, command: [sh, -c, "yes | tr -d '\\\\n' | head -c ${total}; echo; echo done"] }
`,
    );
    const { result, peakMiB } = await runMeasured(
      ['--container-log-max-size', '100Mi', '--container-log-max-files', '2'],
      manifest,
    );
    expect(result.code).toBe(0);
    const records = fs
      .readFileSync(path.join(stateOf('noeol'), 'c', '0.log'), 'utf8')
      .trim()
      .split('\n');
    const parsed = records.map((r) => /^\S+ stdout ([PF]) (.*)$/.exec(r)!);
    const partial = parsed.filter((m) => m[1] === 'P');
    expect(partial).toHaveLength(Math.floor(total / 16384));
    expect(partial.every((m) => m[2]!.length === 16384)).toBe(true);
    expect(parsed.slice(-2).map((m) => [m[1], m[2]!.length])).toEqual([
      ['F', total % 16384],
      ['F', 4],
    ]);
    // The streamed console output is cut the same way: no line longer than the prefix and 16 KiB,
    // and the lines a slow reader (this test) did not take are counted, not queued without end.
    const consoleLines = result.stdout.split('\n').filter((l) => l.startsWith('c | '));
    expect(Math.max(...consoleLines.map((l) => l.length))).toBeLessThanOrEqual(4 + 16 * 1024);
    const leftOut = [...result.stdout.matchAll(/^pod-init: (\d+) log lines not shown/gm)].map((m) => Number(m[1]));
    expect(consoleLines.length + leftOut.reduce((a, b) => a + b, 0)).toBe(records.length);
    // Measured here: ~50 MiB for a trivial pod, 110-125 MiB for this one (garbage V8 collects lazily,
    // flat from 50 to 200 MB), 295 MiB with the unbounded splitter this replaced (which crashed with a
    // RangeError past 512 MiB): the line itself must not be held.
    console.log(`pod-init peak RSS over 50 MB without a newline: ${peakMiB.toFixed(1)} MiB`);
    expect(peakMiB).toBeGreaterThan(0);
    expect(peakMiB).toBeLessThan(160);
  }, 120_000);

  it('rotates at --container-log-max-size, keeps --container-log-max-files, older ones gzipped; the last line in the current file', async () => {
    const manifest = podManifest(
      'rotate',
      `  restartPolicy: Never
  containers:
    - { name: c, image: x, command: [sh, -c, "i=0; while [ $i -lt 3000 ]; do echo line-$i; i=$((i+1)); done"] }
`,
    );
    const { result } = await runMeasured(
      ['-q', '-o', 'json', '--container-log-max-size', '16Ki', '--container-log-max-files', '3'],
      manifest,
    );
    expect(result.code).toBe(0);
    const dir = path.join(stateOf('rotate'), 'c');
    const names = fs.readdirSync(dir).sort();
    expect(names).toHaveLength(3);
    expect(names[0]).toBe('0.log');
    expect(names[1]).toMatch(/^0\.log\.\d{8}-\d{6}\.gz$/);
    expect(names[2]).toMatch(/^0\.log\.\d{8}-\d{6}$/);
    for (const name of [names[0]!, names[2]!])
      expect(fs.statSync(path.join(dir, name)).size).toBeLessThanOrEqual(16 * 1024);
    const last = fs.readFileSync(path.join(dir, '0.log'), 'utf8').trim().split('\n').at(-1);
    expect(last).toMatch(/ stdout F line-2999$/);
  }, 60_000);
});
