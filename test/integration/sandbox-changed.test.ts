// A dead pause under a running pod (KUBERNETES.md B.1 step 1): PodReadyToStartContainers turns False
// when the sandbox dies and True again once the new one is up, as the kubelet's
// generatePodReadyToStartContainersCondition reports it (run.test.ts covers the restarts themselves).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startPod } from '../helpers/pod-runner';
import { privilegeSkipReason, titled } from '../helpers/privileges';
import { pausesOf } from '../helpers/procfs';
import { pollUntil } from '../helpers/wait';

const reason = privilegeSkipReason();
const stateRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'pod-init-sandbox-changed-'));
afterAll(() => fs.rmSync(stateRoot, { recursive: true, force: true }));

describe.skipIf(reason)(titled('a dead pause', reason), () => {
  it('PodReadyToStartContainers: True, False once the pause died, True with the new sandbox', async () => {
    const pod = startPod(
      `apiVersion: v1
kind: Pod
metadata: { name: sandbox-condition }
spec:
  terminationGracePeriodSeconds: 0
  containers:
    - { name: c, image: x, command: [sh, -c, 'echo up; exec sleep 600'] }
`,
      stateRoot,
    );
    const seen: string[] = [];
    pod.runner.on('status', (o: { status: { conditions: Array<{ type: string; status: string }> } }) => {
      const s = o.status.conditions.find((c) => c.type === 'PodReadyToStartContainers')?.status ?? 'absent';
      if (seen.at(-1) !== s) seen.push(s);
    });
    try {
      await pod.started;
      const ups = () => pod.timeline.filter((l) => l === 'c: up').length;
      await pollUntil(() => ups() === 1, 'the container to run');
      const pauses = pausesOf(process.pid);
      expect(pauses).toHaveLength(1);
      process.kill(pauses[0]!, 'SIGKILL');
      await pollUntil(() => ups() === 2, 'the container to run again in the new sandbox');
      expect(pod.timeline).toContain('SandboxChanged');
      expect(seen).toEqual(['True', 'False', 'True']);
      expect(pod.condition('PodReadyToStartContainers')).toBe('True');
    } finally {
      pod.runner.delete(0);
      await pod.runner.closed;
    }
  });
});
