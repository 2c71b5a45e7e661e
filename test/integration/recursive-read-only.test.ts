// volumeMounts[].recursiveReadOnly through `pod-init run`: a read-only hostPath whose directory holds
// another mount (a tmpfs the test mounts on the host) is read-only all the way down with `Enabled`
// (mount_setattr AT_RECURSIVE); without it the submount stays writable — the negative control, as
// in Kubernetes, where readOnly alone covers only the top mount.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { podCli, podManifest } from '../helpers/pod-cli';
import { privilegeSkipReason, titled } from '../helpers/privileges';

const reason = privilegeSkipReason();
const { stateRoot, run, cleanup } = podCli();
const volume = path.join(stateRoot, 'rro-volume');
const sub = path.join(volume, 'sub');

async function writeSubmount(mode: string): Promise<string> {
  const manifest = podManifest(
    `rro-${mode.toLowerCase()}`,
    `  restartPolicy: Never
  volumes: [{ name: v, hostPath: { path: ${volume} } }]
  containers:
    - name: c
      image: host
      command: [sh, -c, 'touch /v/sub/x-${mode} 2>/dev/null && echo written || echo refused; touch /v/top 2>/dev/null || echo top-refused']
      volumeMounts: [{ name: v, mountPath: /v, readOnly: true${mode === 'Unset' ? '' : `, recursiveReadOnly: ${mode}`} }]
`,
  );
  const r = await run([], manifest);
  return `${r.stdout}\n${r.stderr}`
    .split('\n')
    .filter((l) => l.startsWith('c | '))
    .map((l) => l.slice(4))
    .join(',');
}

describe.skipIf(reason)(titled('recursiveReadOnly', reason), () => {
  beforeAll(() => {
    fs.mkdirSync(sub, { recursive: true });
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'rro-test', sub]);
  });
  afterAll(() => {
    try {
      execFileSync('umount', [sub]);
    } finally {
      cleanup();
    }
  });

  it('Enabled makes the submount read-only too; IfPossible does where the kernel can (here)', async () => {
    expect(await writeSubmount('Enabled')).toBe('refused,top-refused');
    expect(await writeSubmount('IfPossible')).toBe('refused,top-refused');
    expect(fs.readdirSync(sub)).toEqual([]);
  });

  it('negative control: readOnly alone leaves the submount writable', async () => {
    expect(await writeSubmount('Unset')).toBe('written,top-refused');
    expect(fs.readdirSync(sub)).toEqual(['x-Unset']);
  });
});
