// `pod-init top` through the CLI against a real pod: CPU over the window from the containers' cgroups
// (a spinning container held to 300m by its CPU limit), memory working set (a container holding 40 MiB),
// kubectl top's columns, --containers, --sum, --sort-by, and its errors.
import { afterAll, describe, expect, it } from 'vitest';
import { podInit, rowOf } from '../helpers/ops-cli';
import { podCli, podManifest } from '../helpers/pod-cli';
import { privilegeSkipReason, titled } from '../helpers/privileges';
import { pollUntil } from '../helpers/wait';

const reason = privilegeSkipReason();
const { stateRoot, run, cleanup } = podCli();
afterAll(cleanup);

const mi = (cell: string | undefined) => Number(/^(\d+)Mi$/.exec(cell ?? '')?.[1] ?? NaN);
const milli = (cell: string | undefined) => Number(/^(\d+)m$/.exec(cell ?? '')?.[1] ?? NaN);

describe.skipIf(reason)(titled('pod-init top', reason), () => {
  it("reads each container's CPU and memory from its cgroups, as kubectl top pod prints them", async () => {
    const node = process.execPath;
    const done = run(
      ['-q', '--timeout', '60s'],
      podManifest(
        'busy',
        `  terminationGracePeriodSeconds: 0
  containers:
    - name: spin
      image: x
      command: [sh, -c, 'while :; do :; done']
      resources: { limits: { cpu: 300m } }
    - name: mem
      image: x
      command: [${node}, -e, 'globalThis.b = Buffer.alloc(40 << 20, 1); setInterval(() => {}, 1e9)']
`,
      ),
    );
    try {
      const table = await pollUntil(
        async () => {
          const r = await podInit(stateRoot, ['top', 'pod', 'busy', '--containers', '--window', '2s']);
          const mem = r.stdout.split('\n').find((line) => /^busy +mem /.test(line));
          return r.code === 0 && mi(mem?.split(/\s+/)[3]) >= 40 ? r.stdout : undefined;
        },
        'mem to hold its 40 MiB',
        30_000,
      );
      const [header] = table.split('\n');
      expect(header!.split(/ {3,}/)).toEqual(['POD', 'NAME', 'CPU(cores)', 'MEMORY(bytes)']);
      const rows = table
        .trim()
        .split('\n')
        .slice(1)
        .map((l) => l.split(/\s+/));
      expect(rows.map((r) => r[1]).sort()).toEqual(['mem', 'spin']); // the pause's cgroup is not a container
      const spin = rows.find((r) => r[1] === 'spin')!;
      // At most its 300m limit (CFS quota) plus the window's edges; well above an idle container.
      expect(milli(spin[2])).toBeGreaterThan(50);
      expect(milli(spin[2])).toBeLessThanOrEqual(400);
      const memRow = rows.find((r) => r[1] === 'mem')!;
      expect(milli(memRow[2])).toBeLessThan(milli(spin[2])); // it sleeps (after Node's start-up)
      expect(mi(memRow[3])).toBeLessThan(200);

      const pod = await podInit(stateRoot, ['top', 'busy', '--window', '200ms']);
      expect(pod.code).toBe(0);
      expect(rowOf(pod.stdout, 'busy')).toMatchObject({ NAME: 'busy' });
      expect(mi(rowOf(pod.stdout, 'busy')!['MEMORY(bytes)'])).toBeGreaterThanOrEqual(40); // the containers' sum

      const sorted = await podInit(stateRoot, [
        'top',
        'busy',
        '--containers',
        '--sort-by',
        'memory',
        '--sum',
        '--no-headers',
      ]);
      const lines = sorted.stdout.trimEnd().split('\n');
      expect(lines[0]).toMatch(/^busy +mem /); // highest memory first, no header
      expect(lines[2]).toMatch(/^ +________ +________$/);
      expect(mi(lines[3]!.trim().split(/\s+/)[1])).toBeGreaterThanOrEqual(40);
    } finally {
      await podInit(stateRoot, ['delete', 'busy', '--now']);
      await done;
    }
    // Ended: no metrics any more, as kubectl says of a pod metrics-server has none for.
    const ended = await podInit(stateRoot, ['top', 'busy']);
    expect(ended.code).toBe(1);
    expect(ended.stderr).toMatch(/^error: Metrics not available for pod default\/busy, age: \d+s$/m);
  }, 90_000);

  it('answers bad input and unknown pods as kubectl does', async () => {
    const missing = await podInit(stateRoot, ['top', 'pod', 'nosuch']);
    expect(missing).toMatchObject({ code: 1, stdout: '' });
    expect(missing.stderr).toContain('Error from server (NotFound): pods "nosuch" not found');
    const sort = await podInit(stateRoot, ['top', '--sort-by', 'name']);
    expect(sort.code).toBe(2);
    expect(sort.stderr).toMatch(/--sort-by.*cpu or memory.*name/);
    const window = await podInit(stateRoot, ['top', '--window', 'soon']);
    expect(window.code).toBe(2);
    expect(window.stderr).toMatch(/--window/);
  });
});
