// cgroups through `pod-init run` (src/cgroups, wired in the runner): a memory hog is OOMKilled (137, the
// pod Failed) by the kernel's counter; a fork bomb stops at --pod-pids-limit while the host goes on;
// status.qosClass for the three classes; nothing is left under kubepods afterwards. Each with its
// negative control (no limit: the same program is not stopped).
import fs from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { podCli, podManifest } from '../helpers/pod-cli';
import { privilegeSkipReason, titled } from '../helpers/privileges';

const reason = privilegeSkipReason();
const { run, cleanup } = podCli();

interface Final {
  status: {
    phase: string;
    qosClass: string;
    containerStatuses: Array<{ state: { terminated?: { exitCode: number; reason: string } } }>;
  };
}

async function runPod(name: string, container: string, args: string[] = []) {
  const manifest = podManifest(
    name,
    `  restartPolicy: Never
  terminationGracePeriodSeconds: 1
  containers:
    - name: c
      image: host
${container}`,
  );
  const r = await run(['-o', 'json', ...args], manifest);
  const final = JSON.parse(r.stdout) as Final & { metadata: { uid: string } };
  return { ...r, final, logs: r.stderr.split('\n').filter((l) => l.startsWith('c | ')) };
}

/** Pod cgroups under kubepods in the memory hierarchy (v1 here) or the v2 tree, by pod uid. */
function podCgroupExists(uid: string): boolean {
  const roots = ['/sys/fs/cgroup/memory/kubepods', '/sys/fs/cgroup/kubepods'];
  for (const root of roots)
    for (const qos of ['', 'burstable', 'besteffort'])
      if (fs.existsSync(`${root}/${qos ? `${qos}/` : ''}pod${uid}`)) return true;
  return false;
}

describe.skipIf(reason)(titled('pod-init run: cgroups', reason), () => {
  afterAll(() => cleanup());

  it('a memory hog is OOMKilled (137) by the kernel, the pod Failed and Guaranteed; its cgroups go with it', async () => {
    const hog = `      command: [sh, -c, 'tail /dev/zero']
      resources:
        limits: { memory: 32Mi, cpu: 100m }
`;
    const r = await runPod('oom', hog);
    expect(r.code).toBe(1);
    expect(r.final.status.phase).toBe('Failed');
    expect(r.final.status.qosClass).toBe('Guaranteed');
    expect(r.final.status.containerStatuses[0]!.state.terminated).toMatchObject({ exitCode: 137, reason: 'OOMKilled' });
    expect(podCgroupExists(r.final.metadata.uid)).toBe(false);
    // Negative control: exit code 137 without an OOM (a child killed by SIGKILL) is Error, not OOMKilled.
    const killed = await runPod(
      'kill',
      `      command: [sh, -c, 'sleep 100 & kill -9 $!; wait $!']\n      resources:\n        limits: { memory: 32Mi }\n`,
    );
    expect(killed.final.status.containerStatuses[0]!.state.terminated).toMatchObject({
      exitCode: 137,
      reason: 'Error',
    });
  });

  it('a fork bomb stops at --pod-pids-limit and the host goes on; without the limit it is not stopped', async () => {
    // 120 sleeping children at most (bounded), counted by the container itself.
    // $$ is Kubernetes' escape of $ in a command. dash gives up at its first failed fork.
    const bomb = `      command: [sh, -c, 'n=0; while [ $n -lt 120 ]; do sleep 30 & n=$$((n+1)); echo "started $n"; done']\n`;
    const limited = await runPod('bomb', bomb, ['--pod-pids-limit', '40']);
    const started = (logs: string[]) => Math.max(0, ...logs.map((l) => Number(/started (\d+)/.exec(l)?.[1] ?? 0)));
    expect(started(limited.logs)).toBeLessThan(40);
    expect(started(limited.logs)).toBeGreaterThan(0);
    const free = await runPod('nobomb', bomb);
    expect(started(free.logs)).toBe(120);
  });

  it('status.qosClass is BestEffort, Burstable or Guaranteed by the kubelet rules', async () => {
    const best = await runPod('best', `      command: ['true']\n`);
    expect(best.final.status.qosClass).toBe('BestEffort');
    const burst = await runPod(
      'burst',
      `      command: ['true']\n      resources:\n        requests: { memory: 16Mi }\n`,
    );
    expect(burst.final.status.qosClass).toBe('Burstable');
    const guaranteed = await runPod(
      'guar',
      `      command: ['true']\n      resources:\n        requests: { memory: 64Mi, cpu: 100m }\n        limits: { memory: 64Mi, cpu: 100m }\n`,
    );
    expect(guaranteed.final.status.qosClass).toBe('Guaranteed');
  });
});
