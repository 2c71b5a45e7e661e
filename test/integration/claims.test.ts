// persistentVolumeClaim volumes: a directory of this host per namespace and claim, made on first use and
// kept across runs (podman kube play's named volumes); readOnly honoured; a name no claim can have fails.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { podManifest } from '../helpers/pod-cli';
import { startPod } from '../helpers/pod-runner';
import { privilegeSkipReason, titled } from '../helpers/privileges';
import { pollUntil } from '../helpers/wait';

const reason = privilegeSkipReason();
const cli = path.resolve(__dirname, '../../pod-init.js');
const stateRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'pod-init-claims-state-'));
const claimsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pod-init-claims-'));
afterAll(() => {
  fs.rmSync(stateRoot, { recursive: true, force: true });
  fs.rmSync(claimsDir, { recursive: true, force: true });
});

const claimPod = (name: string, command: string, claim: string, readOnly = false) =>
  podManifest(
    name,
    `  restartPolicy: Never
  volumes:
    - { name: data, persistentVolumeClaim: { claimName: "${claim}", readOnly: ${readOnly} } }
  containers:
    - { name: c, image: host, command: [sh, -c, '${command}'], volumeMounts: [{ name: data, mountPath: /data }] }
`,
  );

/** Runs a pod to its end; its container's log lines and the final phase. */
async function runToEnd(manifest: string) {
  const pod = startPod(manifest, stateRoot, { claimsDir });
  await pod.started;
  const final = (await pod.runner.finished) as { status: { phase: string } };
  const lines = pod.timeline.filter((t) => t.startsWith('c: ')).map((t) => t.slice(3));
  return { phase: final.status.phase, lines };
}

describe.skipIf(reason)(titled('persistentVolumeClaim volumes', reason), () => {
  it('are made on first use and kept across runs, per namespace and claim', async () => {
    const first = await runToEnd(claimPod('writer', 'echo kept > /data/note; echo wrote', 'data'));
    expect(first).toEqual({ phase: 'Succeeded', lines: ['wrote'] });
    const dir = path.join(claimsDir, 'default', 'data');
    expect(fs.readFileSync(path.join(dir, 'note'), 'utf8')).toBe('kept\n');
    expect(fs.statSync(dir).mode & 0o7777).toBe(0o777);
    // A second pod, after the first is gone (its state removed), reads what the first wrote.
    const second = await runToEnd(claimPod('reader', 'cat /data/note', 'data'));
    expect(second).toEqual({ phase: 'Succeeded', lines: ['kept'] });
    // Another claim is another directory (negative control: it does not see the note).
    const other = await runToEnd(claimPod('other', 'ls -A /data | wc -l', 'other'));
    expect(other.lines).toEqual(['0']);
    // `pod-init volumes` lists them, after every pod that used them is gone.
    const listed = execFileSync(process.execPath, [cli, 'volumes', '--claims-dir', claimsDir, '-o', 'json'], {
      encoding: 'utf8',
    });
    expect(
      (JSON.parse(listed) as Array<{ namespace: string; name: string }>).map((c) => `${c.namespace}/${c.name}`),
    ).toEqual(['default/data', 'default/other']);
    const table = execFileSync(process.execPath, [cli, 'volumes', '--claims-dir', claimsDir], { encoding: 'utf8' });
    expect(table.split('\n')[0]).toMatch(/^NAME +PATH +AGE$/);
    expect(table).toContain(path.join(claimsDir, 'default', 'data'));
  });

  it('readOnly: true mounts the claim read-only', async () => {
    const result = await runToEnd(
      claimPod('ro', 'if (echo x > /data/new) 2>/dev/null; then echo writable; else echo read-only; fi', 'data', true),
    );
    expect(result.lines).toEqual(['read-only']);
    expect(fs.existsSync(path.join(claimsDir, 'default', 'data', 'new'))).toBe(false);
  });

  it('a claim name no PersistentVolumeClaim can have is FailedMount, and nothing is made', async () => {
    const pod = startPod(claimPod('bad', 'true', '../escape'), stateRoot, { claimsDir });
    try {
      await pod.started;
      const failed = await pollUntil(() => pod.events.find((e) => e.reason === 'FailedMount'), 'FailedMount');
      expect(failed.message).toBe(
        'MountVolume.SetUp failed for volume "data" : persistentvolumeclaim "../escape" not found: not a valid claim name',
      );
      expect(fs.existsSync(path.join(claimsDir, 'escape'))).toBe(false);
    } finally {
      pod.runner.delete(0);
      await pod.runner.finished;
    }
  });
});
