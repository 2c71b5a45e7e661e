// SIGKILL of the Node process leaves no pod process alive: the pause and members die with it
// (PR_SET_PDEATHSIG, set after the id changes, with the parent-already-gone race closed by a pidfd).
import { spawn as cpSpawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alive } from '../helpers/procfs';
import { privilegeSkipReason, titled } from '../helpers/privileges';
import { stagePackage } from '../helpers/stage';
import { pollUntil, waitForLine } from '../helpers/wait';

const reason = privilegeSkipReason();

describe.skipIf(reason)(titled('die with parent', reason), () => {
  let staged: string;
  beforeAll(() => {
    staged = stagePackage();
  });
  afterAll(() => fs.rmSync(staged, { recursive: true, force: true }));

  it('SIGKILL of Node takes the pause and every member with it', async () => {
    const child = cpSpawn(process.execPath, [path.join(staged, 'test/fixtures/pod-report.js'), staged, 'hold'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = new Promise((resolve) => child.on('exit', resolve));
    const report = JSON.parse(await waitForLine(child.stdout, /^\{/)) as {
      pause: number;
      members: { shared: number; own: number };
      plain: number;
      survivor: number;
    };
    const pods = [report.pause, report.members.shared, report.members.own, report.plain];
    for (const pid of [...pods, report.survivor]) expect(alive(pid), `pid ${pid} before`).toBe(true);
    child.kill('SIGKILL');
    await exited;
    await pollUntil(() => pods.every((pid) => !alive(pid)), 'every pod process to die with its parent');
    // Negative control: the process started without dieWithParent is still there.
    expect(alive(report.survivor)).toBe(true);
    process.kill(report.survivor, 'SIGKILL');
    await pollUntil(() => !alive(report.survivor), 'the survivor to be killed');
  });
});
