// "Idle costs nothing" (issue: a running pod wakes pod-init only for real events): while its one
// container sleeps, the pod-init process, all threads counted, is not scheduled at all. Negative
// control: the same count sees a Node process with a 100 ms timer wake up.
import { spawn as cpSpawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { podCli, podManifest } from '../helpers/pod-cli';
import { privilegeSkipReason, titled } from '../helpers/privileges';
import { measurementWindow, waitForLine } from '../helpers/wait';

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
  await measurementWindow(1000);
  return switches(pid) - before;
}

/**
 * The quietest of up to `windows` one-second windows, stopping at the first with at most `quiet`
 * switches: start-up's tail (V8's background compiling and GC threads, slower on a loaded host) may
 * still run in the first ones, but a periodic timer of pod-init's shows in every window.
 */
async function quietestSecond(pid: number, windows: number, quiet: number): Promise<number[]> {
  const seen: number[] = [];
  for (let i = 0; i < windows; i++) {
    seen.push(await wakeupsPerSecond(pid));
    if (seen.at(-1)! <= quiet) break;
  }
  return seen;
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
    const idle = await quietestSecond(child!.pid!, 10, 2);
    child!.kill('SIGINT');
    await done;

    const ticking = cpSpawn(process.execPath, ['-e', 'setInterval(() => {}, 100); console.log("ready")'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await waitForLine(ticking.stdout, /ready/);
    const busy = await quietestSecond(ticking.pid!, 3, 2);
    ticking.kill();

    expect(Math.min(...busy)).toBeGreaterThanOrEqual(8); // every window sees a 100 ms timer
    expect(Math.min(...idle), `context switches per second: ${idle.join(', ')}`).toBeLessThanOrEqual(2);
  });
});
