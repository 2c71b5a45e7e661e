// A container that exits while its postStart hook runs, in a pod with a readiness probe (issue 11 §2):
// no probe worker may start for the dead instance, and pod-init ends with the pod.
import type { ChildProcess } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { podCli, podManifest } from '../helpers/pod-cli';
import { privilegeSkipReason, titled } from '../helpers/privileges';
import { settlesWithin } from '../helpers/wait';

const reason = privilegeSkipReason();
const { run, cleanup } = podCli();

describe.skipIf(reason)(titled('a container exiting during its postStart hook', reason), () => {
  afterAll(() => cleanup());

  it('ends the pod (Succeeded, exit 0) and probes nothing of the dead instance', async () => {
    // The sleep hook runs in pod-init and outlives the container, which exits at once.
    const manifest = podManifest(
      'poststart-exit',
      `  restartPolicy: Never
  containers:
    - name: c
      image: x
      command: [sh, -c, 'echo exiting']
      lifecycle:
        postStart:
          sleep: { seconds: 5 }
      readinessProbe:
        exec: { command: ['true'] }
        periodSeconds: 1
`,
    );
    let child: ChildProcess | undefined;
    const running = run(['-o', 'json'], manifest, (c) => (child = c));
    // A generous deadline: without the fix pod-init never ends; then it is killed and the test says so.
    if (!(await settlesWithin(running, 20_000))) child!.kill('SIGKILL');
    const r = await running;
    expect(r.code, `pod-init did not end by itself:\n${r.stderr}`).toBe(0);
    expect(r.stderr).toContain('c | exiting');
    expect(r.stderr).not.toMatch(/Readiness probe/);
    const final = JSON.parse(r.stdout) as { status: { phase: string; containerStatuses: Array<{ ready: boolean }> } };
    expect(final.status.phase).toBe('Succeeded');
    expect(final.status.containerStatuses[0]!.ready).toBe(false);
  });
});
