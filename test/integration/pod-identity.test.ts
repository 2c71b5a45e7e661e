// A pod's identity on this host (issue 11 §2): the uid is assigned per run (the API server ignores a
// client's), so two runs of one file never share a state directory; and a second live pod with the
// same namespace/name is refused with the API server's AlreadyExists wording, starting nothing.
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { podCli } from '../helpers/pod-cli';
import { privilegeSkipReason, titled } from '../helpers/privileges';
import { pollUntil, waitForLine } from '../helpers/wait';

const reason = privilegeSkipReason();
const { stateRoot, run, cleanup } = podCli();

describe.skipIf(reason)(titled('pod identity', reason), () => {
  afterAll(() => cleanup());

  it("a manifest's uid is not used; a second live pod of that name is refused (exit 1); later runs get new uids", async () => {
    const gate = fs.mkdtempSync(path.join(stateRoot, 'gate-'));
    const manifest = `apiVersion: v1
kind: Pod
metadata: { name: same, uid: 11111111-2222-3333-4444-555555555555 }
spec:
  restartPolicy: Never
  volumes: [{ name: gate, hostPath: { path: ${gate} } }]
  containers:
    - name: c
      image: x
      command: [sh, -c, 'echo up; until [ -e /gate/go ]; do sleep 0.05; done; echo done']
      volumeMounts: [{ name: gate, mountPath: /gate }]
`;
    const dirs = () => fs.readdirSync(stateRoot).filter((d) => d.startsWith('default_same_'));
    let first: ChildProcess | undefined;
    const firstRun = run(['-o', 'json'], manifest, (c) => (first = c));
    try {
      await waitForLine(first!.stderr, /c \| up/);
      expect(dirs()).toHaveLength(1);
      const second = await run(['-o', 'json'], manifest);
      expect(second.code, second.stderr).toBe(1);
      expect(second.stderr).toMatch(/^pod-init: pods "same" already exists$/m);
      expect(second.stderr).not.toMatch(/Started|\n\s+at /);
      expect(second.stdout).toBe('');
      expect(dirs()).toHaveLength(1); // nothing of it was made
    } finally {
      fs.writeFileSync(path.join(gate, 'go'), '');
    }
    const a = await firstRun;
    expect(a.code, a.stderr).toBe(0);
    const b = await run(['-o', 'json'], manifest); // the first has ended: the name is free
    expect(b.code, b.stderr).toBe(0);
    const uids = [a, b].map((r) => (JSON.parse(r.stdout) as { metadata: { uid: string } }).metadata.uid);
    expect(uids[0]).not.toBe('11111111-2222-3333-4444-555555555555');
    expect(uids[1]).not.toBe(uids[0]);
    // Two state directories, each with its own log and status.
    await pollUntil(() => dirs().length === 2, 'two state directories');
    for (const uid of uids) {
      const dir = path.join(stateRoot, `default_same_${uid}`);
      expect(fs.readFileSync(path.join(dir, 'c', '0.log'), 'utf8')).toMatch(/ stdout F done\n/);
      expect(fs.existsSync(path.join(dir, 'status.json'))).toBe(true);
    }
  });
});
