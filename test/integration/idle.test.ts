// "Idle costs nothing" (issue: a running pod wakes pod-init only for real events): while its one
// container sleeps, the pod-init process, all threads counted, is not scheduled at all. Negative
// control: the same count sees a Node process with a 100 ms timer wake up.
import { spawn as cpSpawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { podCli, podManifest } from '../helpers/pod-cli';
import { privilegeSkipReason, titled } from '../helpers/privileges';
import { waitForLine } from '../helpers/wait';

const reason = privilegeSkipReason();
const { run, cleanup } = podCli();
afterAll(cleanup);

/** Context switches of every thread of `pid` so far. */
function switches(pid: number): number {
  let total = 0;
  for (const task of fs.readdirSync(`/proc/${pid}/task`)) {
    const status = fs.readFileSync(`/proc/${pid}/task/${task}/status`, 'utf8');
    for (const m of status.matchAll(/^(?:non)?voluntary_ctxt_switches:\s+(\d+)$/gm)) total += Number(m[1]);
  }
  return total;
}

/** How often `pid` was scheduled during one second (a measurement window, not a synchronisation). */
async function wakeupsPerSecond(pid: number): Promise<number> {
  const before = switches(pid);
  await delay(1000);
  return switches(pid) - before;
}

describe.skipIf(reason)(titled('pod-init run: idle', reason), () => {
  it('a pod whose containers sleep does not wake pod-init', async () => {
    let child: ChildProcess | undefined;
    const done = run(
      [],
      podManifest(
        'idle',
        '  terminationGracePeriodSeconds: 1\n  containers:\n    - { name: c, image: x, command: [sleep, "1000"] }\n',
      ),
      (c) => {
        child = c;
      },
    );
    await waitForLine(child!.stdout, /Started container c/);
    const idle = await wakeupsPerSecond(child!.pid!);
    child!.kill('SIGINT');
    await done;

    const ticking = cpSpawn(process.execPath, ['-e', 'setInterval(() => {}, 100); console.log("ready")'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await waitForLine(ticking.stdout, /ready/);
    const busy = await wakeupsPerSecond(ticking.pid!);
    ticking.kill();

    expect(busy).toBeGreaterThanOrEqual(8); // the count sees a 100 ms timer
    expect(idle, `${idle} context switches in 1 s`).toBeLessThanOrEqual(2);
  });
});
