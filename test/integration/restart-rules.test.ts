// A regular container's own restartPolicy and restartPolicyRules (KEP-5307) through `pod-init run`: in a pod
// with restartPolicy Never, a rule `Restart In [42]` restarts the container on 42 and on no other code.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { podCli, podManifest } from '../helpers/pod-cli';
import { privilegeSkipReason, titled } from '../helpers/privileges';

const reason = privilegeSkipReason();
const { run, cleanup } = podCli();

type Terminated = { terminated?: { exitCode: number } };
type PodJson = {
  status: {
    phase: string;
    containerStatuses: Array<{ state: Terminated; lastState: Terminated; restartCount: number }>;
  };
};

describe.skipIf(reason)(titled('pod-init run: container restart rules', reason), () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pod-init-rules-'));
  });
  afterAll(() => {
    cleanup();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  // Exits 42 on its first two runs and 7 on the third; the run count in a hostPath file.
  function manifest(name: string, rules: string): string {
    const counter = path.join(dir, name);
    const script = `n=$(cat ${counter} 2>/dev/null || echo 0); echo $((n+1)) > ${counter}; [ $n -ge 2 ] && exit 7; exit 42`;
    return podManifest(
      name,
      `  restartPolicy: Never\n  volumes: [{ name: d, hostPath: { path: ${dir} } }]\n  containers:\n    - name: c\n      image: x\n      command: [sh, -c, '${script}']\n      volumeMounts: [{ name: d, mountPath: ${dir} }]\n${rules}`,
    );
  }

  it('restarts on an exit code a rule names, not on another, under a pod restartPolicy Never', async () => {
    const rules = `      restartPolicy: Never\n      restartPolicyRules:\n        - { action: Restart, exitCodes: { operator: In, values: [42] } }\n`;
    const r = await run(['-q', '-o', 'json', '--restart-backoff', '0.2,1'], manifest('rule42', rules));
    expect(r.code, r.stderr).toBe(1);
    const c = (JSON.parse(r.stdout) as PodJson).status.containerStatuses[0]!;
    expect(c.restartCount).toBe(2);
    expect(c.lastState.terminated).toMatchObject({ exitCode: 42 });
    expect(c.state.terminated).toMatchObject({ exitCode: 7 });
    expect((JSON.parse(r.stdout) as PodJson).status.phase).toBe('Failed');
  });

  it('without the rule the same container is not restarted (control)', async () => {
    const r = await run(['-q', '-o', 'json', '--restart-backoff', '0.2,1'], manifest('norule', ''));
    expect(r.code, r.stderr).toBe(1);
    const c = (JSON.parse(r.stdout) as PodJson).status.containerStatuses[0]!;
    expect(c.restartCount).toBe(0);
    expect(c.state.terminated).toMatchObject({ exitCode: 42 });
  });

  it('rules without a container restartPolicy are refused with exit 2, nothing started', async () => {
    const rules = `      restartPolicyRules:\n        - { action: Restart, exitCodes: { operator: In, values: [42] } }\n`;
    const r = await run(['-q', '-o', 'json'], manifest('norpolicy', rules));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      'spec.containers[0].restartPolicy: Required value: must specify restartPolicy when restart rules are used',
    );
    expect(fs.existsSync(path.join(dir, 'norpolicy'))).toBe(false);
  });
});
