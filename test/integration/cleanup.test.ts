// Nothing is left behind: after pods are created, used and destroyed, this process has the same
// fds, no children, and the host the same mounts.
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Sandbox } from '../../src';
import { alive, childrenOf, openFds } from '../helpers/procfs';
import { privilegeSkipReason, titled } from '../helpers/privileges';
import { readAll } from '../helpers/wait';

const reason = privilegeSkipReason();

function mounts(): string[] {
  return fs
    .readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((line) => line.split(' ').slice(3, 5).join(' ')) // root and mount point
    .sort();
}

describe.skipIf(reason)(titled('cleanup', reason), () => {
  it('pods leave no process, fd or mount behind', async () => {
    // The sealed copy of pod-pause is made once per process and kept (src/native.ts sealedPause).
    await (await Sandbox.create()).destroy();
    const fdsBefore = openFds().length;
    const mountsBefore = mounts();
    const ours: number[] = [];
    let sawPause = false;
    for (let i = 0; i < 5; i++) {
      const pod = await Sandbox.create();
      ours.push(pod.pid);
      const out = pod.spawn({ file: 'echo', args: ['hi'], stdio: ['pipe', 'pipe', 'pipe'] });
      pod.spawn({ file: 'sleep', args: ['60'], newNamespaces: ['pid'], stdio: 'ignore' });
      pod.spawn({ file: 'sleep', args: ['60'], stdio: 'ignore' });
      const [stdout, stderr] = await Promise.all([readAll(out.stdout), readAll(out.stderr)]);
      expect(stdout).toBe('hi\n');
      expect(stderr).toBe('');
      await out.exited;
      sawPause ||= childrenOf(process.pid).includes(pod.pid);
      await pod.destroy();
    }
    expect(sawPause).toBe(true); // control: the pauses were our children while they ran
    expect(childrenOf(process.pid)).toEqual([]);
    // This test's pauses only (other test files, and other runs on the host, have pauses of their own).
    expect(ours.filter((pid) => alive(pid))).toEqual([]);
    expect(openFds().length).toBe(fdsBefore);
    expect(mounts()).toEqual(mountsBefore);
  });
});
