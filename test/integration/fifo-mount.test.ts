// A FIFO where a hostPath file should be: pod-init refuses it with the kubelet's message and the run
// ends; nothing on pod-init's side opens it (an open would block Node until a writer came).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { podCli, podManifest } from '../helpers/pod-cli';
import { privilegeSkipReason, titled } from '../helpers/privileges';

const reason = privilegeSkipReason();
const { run, cleanup } = podCli();
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pod-init-fifo-mount-'));

describe.skipIf(reason)(titled('a FIFO as a hostPath file', reason), () => {
  afterAll(() => {
    cleanup();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it.each(['File', 'FileOrCreate'])(
    'type %s: FailedMount "is not a file", the container waits, the run ends at its timeout',
    async (type) => {
      const fifo = path.join(dir, `fifo-${type}`);
      execFileSync('mkfifo', [fifo]);
      const manifest = podManifest(
        `fifo-${type.toLowerCase()}`,
        `  volumes:\n    - { name: h, hostPath: { path: ${fifo}, type: ${type} } }\n  containers:\n    - name: c\n      image: x\n      command: ["true"]\n      volumeMounts: [{ name: h, mountPath: /mnt/f }]\n`,
      );
      const r = await run(['-o', 'json', '--timeout', '1s'], manifest);
      expect(r.stderr).toMatch(/Warning\s+FailedMount/);
      expect(r.stderr).toContain(
        `MountVolume.SetUp failed for volume "h" : hostPath type check failed: ${fifo} is not a file`,
      );
      const final = JSON.parse(r.stdout) as { status: { phase: string; containerStatuses: Array<{ state: object }> } };
      expect(final.status.containerStatuses[0]!.state).toMatchObject({ waiting: { reason: 'ContainerCreating' } });
      expect(r.code).toBe(1);
      expect(fs.lstatSync(fifo).isFIFO()).toBe(true); // left as it was
    },
    20_000,
  );
});
