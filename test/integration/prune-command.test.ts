// `pod-init prune` through the CLI: the state of a pod that ended (its logs, its last status) and of a
// pod whose pod-init was killed (swept first: NodeLost, its cgroups removed) goes; a live pod's stays.
import fs from 'node:fs';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { podInit, rowOf } from '../helpers/ops-cli';
import { podCli, podManifest } from '../helpers/pod-cli';
import { privilegeSkipReason, titled } from '../helpers/privileges';
import { pollUntil } from '../helpers/wait';

const reason = privilegeSkipReason();
const { stateRoot, run, cleanup } = podCli();
afterAll(cleanup);

const sleeper = (name: string) =>
  podManifest(
    name,
    `  terminationGracePeriodSeconds: 0\n  containers:\n    - { name: c, image: x, command: [sleep, "600"] }\n`,
  );

/** The pod cgroup directories of `uid` in every hierarchy (kubepods/[qos/]pod<uid>). */
function podCgroups(uid: string): string[] {
  const found: string[] = [];
  for (const h of fs.readdirSync('/sys/fs/cgroup'))
    for (const qos of ['', 'burstable', 'besteffort']) {
      const dir = path.join('/sys/fs/cgroup', h, 'kubepods', qos, `pod${uid}`);
      if (fs.existsSync(dir)) found.push(dir);
    }
  return found;
}

async function runningUid(name: string): Promise<string> {
  return pollUntil(
    async () => {
      const r = await podInit(stateRoot, ['get', name, '-o', 'json']);
      if (r.code !== 0) return undefined;
      const pod = JSON.parse(r.stdout) as { metadata: { uid: string }; status: { phase: string } };
      return pod.status.phase === 'Running' ? pod.metadata.uid : undefined;
    },
    `${name} to run`,
    30_000,
  );
}

describe.skipIf(reason)(titled('pod-init prune', reason), () => {
  it("removes ended pods' state, sweeps a killed pod-init's pod, keeps live pods", async () => {
    const ended = await run(
      ['-q'],
      podManifest('ended', `  restartPolicy: Never\n  containers:\n    - { name: c, image: x, command: [echo, hi] }\n`),
    );
    expect(ended.code).toBe(0);
    expect((await podInit(stateRoot, ['logs', 'ended'])).stdout).toBe('hi\n'); // kept after the end

    const alive = run(['-q'], sleeper('alive'));
    let lostRun: ChildProcess | undefined;
    const lost = run(['-q'], sleeper('lost'), (child) => (lostRun = child));
    try {
      await runningUid('alive');
      const lostUid = await runningUid('lost');
      expect(podCgroups(lostUid).length).toBeGreaterThan(0);
      lostRun!.kill('SIGKILL');
      await lost;
      // Its pod-init is gone: shown as such. Its cgroups stay until a sweep: this prune, or any pod-init
      // starting meanwhile on this host (other tests), so only their absence after the prune is asserted.
      await pollUntil(
        async () => rowOf((await podInit(stateRoot, ['get', 'lost'])).stdout, 'lost')?.STATUS === 'Unknown',
        'lost to show its pod-init gone',
      );

      const pruned = await podInit(stateRoot, ['prune']);
      expect(pruned.code).toBe(0);
      expect(pruned.stdout.split('\n').sort()).toEqual(['', 'pod/ended pruned', 'pod/lost pruned']);
      expect(pruned.stderr).toContain(`Removed the state of pod default/lost (${lostUid})`);
      expect(podCgroups(lostUid)).toEqual([]);
      for (const name of ['ended', 'lost']) {
        const r = await podInit(stateRoot, ['get', name]);
        expect(r.code).toBe(1);
        expect(r.stderr).toContain(`pods "${name}" not found`);
      }
      expect(rowOf((await podInit(stateRoot, ['get', 'alive'])).stdout, 'alive')?.STATUS).toBe('Running');
      expect((await podInit(stateRoot, ['prune'])).stdout).toBe(''); // nothing more to prune
    } finally {
      await podInit(stateRoot, ['delete', 'alive', '--now']);
      await alive;
    }
    expect((await podInit(stateRoot, ['prune'])).stdout).toBe('pod/alive pruned\n');
    expect(fs.readdirSync(stateRoot).filter((e) => e.startsWith('default_'))).toEqual([]);
  }, 120_000);

  it('takes no arguments but flags', async () => {
    const r = await podInit(stateRoot, ['prune', 'web']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/too many arguments/);
  });
});
