// reapOrphans(): a Node program that is itself PID 1 reaps the orphans that come to it, while the
// exit codes of its child_process children and pod-init children still arrive right (DESIGN.md A.3).
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { spawn } from '../../src';
import { privilegeSkipReason, titled } from '../helpers/privileges';
import { readAll } from '../helpers/wait';

const reason = privilegeSkipReason();
const root = path.resolve(__dirname, '../..');

async function runAsPid1(mode: 'reap' | 'none') {
  const node = spawn({
    file: process.execPath,
    args: [path.join(root, 'test/fixtures/node-pid1.js'), root, mode],
    newNamespaces: ['pid', 'mnt'],
    stdio: ['ignore', 'pipe', 'inherit'],
    dieWithParent: true,
  });
  const out = await readAll(node.stdout);
  expect((await node.exited).exitCode).toBe(0);
  return JSON.parse(out) as { pid: number; cpCodes: number[]; podCodes: number[]; zombies: number; reaped: number };
}

describe.skipIf(reason)(titled('reapOrphans() in a Node PID 1', reason), () => {
  it('reaps every orphan and steals no exit status', async () => {
    const report = await runAsPid1('reap');
    expect(report.pid).toBe(1);
    expect(report.cpCodes).toEqual(Array.from({ length: 20 }, (_, i) => i % 7));
    expect(report.podCodes).toEqual(Array.from({ length: 20 }, (_, i) => i % 5));
    expect(report.reaped).toBeGreaterThanOrEqual(80);
    expect(report.zombies).toBe(0);
  });

  it('negative control: without it, a Node PID 1 piles up zombies', async () => {
    const report = await runAsPid1('none');
    expect(report.pid).toBe(1);
    expect(report.cpCodes).toEqual(Array.from({ length: 20 }, (_, i) => i % 7));
    expect(report.zombies).toBeGreaterThanOrEqual(80);
  });
});
