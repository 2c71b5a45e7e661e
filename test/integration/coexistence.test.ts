// pod-init never takes Node's other children: child_process exit codes stay right while pod
// processes start and exit around them (no waitpid(-1), no SIGCHLD handler in Node's process).
import { spawn as cpSpawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { Sandbox, spawn } from '../../src';
import { privilegeSkipReason, titled } from '../helpers/privileges';

const reason = privilegeSkipReason();

function cpExit(code: number): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const child = cpSpawn('sh', ['-c', `exit ${code}`], { stdio: 'ignore' });
    child.on('error', reject);
    child.on('exit', (exitCode) => resolve(exitCode));
  });
}

describe('child_process next to pod-init', () => {
  it('both kinds of children report their own exit codes (no namespaces)', async () => {
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        i % 2 === 0
          ? cpExit(i % 7)
          : spawn({ file: 'sh', args: ['-c', `exit ${i % 5}`], stdio: 'ignore' }).exited.then((s) => s.exitCode),
      ),
    );
    expect(results).toEqual(Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? i % 7 : i % 5)));
  });
});

describe.skipIf(reason)(titled('child_process next to a pod', reason), () => {
  it('exit codes arrive right while pod members start and exit', async () => {
    await using pod = await Sandbox.create();
    const pending: Array<Promise<[string, number | null]>> = [];
    for (let i = 0; i < 30; i++) {
      pending.push(cpExit(i % 11).then((code) => [`cp${i}`, code]));
      const member = pod.spawn({ file: 'sh', args: ['-c', `exit ${i % 13}`], stdio: 'ignore' });
      pending.push(member.exited.then((s) => [`pod${i}`, s.exitCode]));
    }
    const results = Object.fromEntries(await Promise.all(pending));
    for (let i = 0; i < 30; i++) {
      expect(results[`cp${i}`]).toBe(i % 11);
      expect(results[`pod${i}`]).toBe(i % 13);
    }
  });
});
