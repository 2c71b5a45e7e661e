// `pod-init get` through the CLI against real pods run by `pod-init run`: the live status while a pod
// runs (status.json is rewritten at every change), the final one after, kubectl's STATUS wording for
// an init container, a restart, a crash loop and an error, and a pod whose pod-init was killed.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { podInit, rowOf } from '../helpers/ops-cli';
import { podCli, podManifest } from '../helpers/pod-cli';
import { privilegeSkipReason, titled } from '../helpers/privileges';
import { pollUntil } from '../helpers/wait';

const reason = privilegeSkipReason();
const { stateRoot, run, cleanup } = podCli();
const flags = fs.mkdtempSync(path.join(stateRoot, '..', 'pod-init-get-flags-'));
afterAll(() => {
  cleanup();
  fs.rmSync(flags, { recursive: true, force: true });
});

/** A shell loop that waits (in the container) until the test creates `flag`. */
const waitFor = (flag: string) => `while [ ! -e ${path.join(flags, flag)} ]; do sleep 0.05; done`;
const release = (flag: string) => fs.writeFileSync(path.join(flags, flag), '');
/** The flags directory in a container (a pod's /tmp is its own). */
const flagMount = `, volumeMounts: [{ name: flags, mountPath: ${flags} }]`;
const flagVolume = `  volumes: [{ name: flags, hostPath: { path: ${flags} } }]\n`;

/** Polls `pod-init get NAME` until its row matches; resolves with the row. */
async function rowWhen(name: string, match: (row: Record<string, string>) => boolean, what: string) {
  let last = '';
  return pollUntil(
    async () => {
      const r = await podInit(stateRoot, ['get', name]);
      last = r.stdout + r.stderr;
      const row = rowOf(r.stdout, name);
      return row && match(row) ? row : undefined;
    },
    `${what} (last: ${last})`,
    30_000,
  ).catch((error: Error) => {
    throw new Error(`${error.message}; last output: ${last}`);
  });
}

describe.skipIf(reason)(titled('pod-init get', reason), () => {
  it('shows a running pod live (table, json, name, wide), then its final status', async () => {
    const done = run(
      ['-q'],
      podManifest(
        'live',
        `  restartPolicy: Never\n${flagVolume}  containers:\n    - { name: app, image: x, command: [sh, -c, "echo up; ${waitFor('live')}"]${flagMount} }\n`,
      ),
    );
    const row = await rowWhen('live', (r) => r.STATUS === 'Running', 'the pod Running');
    expect(row).toMatchObject({ NAME: 'live', READY: '1/1', STATUS: 'Running', RESTARTS: '0' });
    expect(row.AGE).toMatch(/^\d+s$/);
    const json = await podInit(stateRoot, ['get', 'pods', 'live', '-o', 'json']);
    expect(json.code).toBe(0);
    const pod = JSON.parse(json.stdout) as { kind: string; status: { phase: string }; metadata: { name: string } };
    expect(pod).toMatchObject({ kind: 'Pod', metadata: { name: 'live' }, status: { phase: 'Running' } });
    const list = JSON.parse((await podInit(stateRoot, ['get', '-o', 'json'])).stdout) as {
      kind: string;
      items: unknown[];
    };
    expect(list.kind).toBe('List');
    expect(list.items.map((p) => (p as { metadata: { name: string } }).metadata.name)).toContain('live');
    expect((await podInit(stateRoot, ['get', 'live', '-o', 'name'])).stdout).toBe('pod/live\n');
    const wide = await podInit(stateRoot, ['get', 'live', '-o', 'wide']);
    // The pod's IP: on the bridge as root (the default), 127.0.0.1 without root.
    const ip = process.geteuid?.() === 0 ? expect.stringMatching(/^10\.\d+\.\d+\.\d+$/) : '127.0.0.1';
    expect(rowOf(wide.stdout, 'live')).toMatchObject({ IP: ip, NODE: '<none>', 'READINESS GATES': '<none>' });

    release('live');
    expect((await done).code).toBe(0);
    const after = await podInit(stateRoot, ['get', 'live']);
    expect(rowOf(after.stdout, 'live')).toMatchObject({ READY: '0/1', STATUS: 'Completed' });
  }, 60_000);

  it('init containers: Init:0/2, then Running; a restart shows in RESTARTS', async () => {
    const done = run(
      ['-q', '--restart-backoff', '0.2,1'],
      podManifest(
        'inits',
        '  restartPolicy: OnFailure\n' +
          flagVolume +
          '  initContainers:\n' +
          `    - { name: first, image: x, command: [sh, -c, "${waitFor('inits-first')}"]${flagMount} }\n` +
          '    - { name: second, image: x, command: ["true"] }\n' +
          '  containers:\n' +
          // Its first instance fails, the second waits for the end of the test.
          `    - { name: app, image: x, command: [sh, -c, "if [ -e ${path.join(flags, 'inits-ran')} ]; then ${waitFor('inits-end')}; exit 0; fi; touch ${path.join(flags, 'inits-ran')}; exit 1"]${flagMount} }\n`,
      ),
    );
    await rowWhen('inits', (r) => r.STATUS === 'Init:0/2', 'Init:0/2');
    release('inits-first');
    const row = await rowWhen(
      'inits',
      (r) => r.STATUS === 'Running' && r.RESTARTS!.startsWith('1 '),
      'Running after the restart',
    );
    expect(row.READY).toBe('1/1');
    expect(row.RESTARTS).toMatch(/^1 \(\d+s ago\)$/);
    release('inits-end');
    const result = await done;
    expect(result.code).toBe(0);
  }, 60_000);

  it('a crash loop shows CrashLoopBackOff; restartPolicy Never and exit 1 shows Error', async () => {
    let looping: import('node:child_process').ChildProcess | undefined;
    const loop = run(
      ['-q', '--restart-backoff', '5,10'],
      podManifest('looping', '  containers:\n    - { name: app, image: x, command: [sh, -c, "exit 1"] }\n'),
      (c) => (looping = c),
    );
    const row = await rowWhen('looping', (r) => r.STATUS === 'CrashLoopBackOff', 'CrashLoopBackOff');
    expect(row.READY).toBe('0/1');
    expect(row.RESTARTS).toMatch(/^\d+ \(\d+s ago\)$/);
    const error = await run(
      ['-q'],
      podManifest(
        'failing',
        '  restartPolicy: Never\n  containers:\n    - { name: app, image: x, command: [sh, -c, "exit 1"] }\n',
      ),
    );
    expect(error.code).toBe(1);
    expect(rowOf((await podInit(stateRoot, ['get', 'failing'])).stdout, 'failing')).toMatchObject({ STATUS: 'Error' });
    // The looping pod is still listed with the others, sorted by name.
    const table = (await podInit(stateRoot, ['get'])).stdout;
    expect(table.indexOf('\nfailing ')).toBeLessThan(table.indexOf('\nlooping '));
    looping!.kill('SIGTERM'); // deleted gracefully: nothing left behind
    expect((await loop).code).toBe(1);
  }, 60_000);

  it('a pod whose pod-init was killed shows Unknown, not Running forever', async () => {
    let child: import('node:child_process').ChildProcess | undefined;
    const done = run(
      ['-q'],
      podManifest(
        'orphan',
        `${flagVolume}  containers:\n    - { name: app, image: x, command: [sh, -c, "${waitFor('never')}"]${flagMount} }\n`,
      ),
      (c) => (child = c),
    );
    await rowWhen('orphan', (r) => r.STATUS === 'Running', 'Running');
    child!.kill('SIGKILL');
    await done;
    const row = rowOf((await podInit(stateRoot, ['get', 'orphan'])).stdout, 'orphan');
    expect(row).toMatchObject({ STATUS: 'Unknown' });
    const pod = JSON.parse((await podInit(stateRoot, ['get', 'orphan', '-o', 'json'])).stdout) as {
      status: { reason: string };
    };
    expect(pod.status.reason).toBe('SupervisorLost');
    // The next pod-init to start sweeps what the killed one left (its cgroups, its state but the logs).
    const sweeper = await run(
      ['-q'],
      podManifest('sweeper', '  restartPolicy: Never\n  containers:\n    - { name: c, image: x, command: ["true"] }\n'),
    );
    expect(sweeper.code).toBe(0);
    expect(rowOf((await podInit(stateRoot, ['get', 'orphan'])).stdout, 'orphan')).toMatchObject({ STATUS: 'NodeLost' });
  }, 60_000);

  it('a deleted pod shows Terminating during its grace period, then its final status', async () => {
    let child: import('node:child_process').ChildProcess | undefined;
    const done = run(
      ['-q'],
      podManifest(
        'stopping',
        `  terminationGracePeriodSeconds: 60\n${flagVolume}  containers:\n    - { name: app, image: x, command: [sh, -c, "trap '' TERM; ${waitFor('never')}"]${flagMount} }\n`,
      ),
      (c) => (child = c),
    );
    await rowWhen('stopping', (r) => r.STATUS === 'Running', 'Running');
    child!.kill('SIGTERM'); // pod-init deletes the pod gracefully: the container ignores SIGTERM
    await rowWhen('stopping', (r) => r.STATUS === 'Terminating', 'Terminating');
    const pod = JSON.parse((await podInit(stateRoot, ['get', 'stopping', '-o', 'json'])).stdout) as {
      metadata: { deletionTimestamp?: string; deletionGracePeriodSeconds?: number };
    };
    expect(pod.metadata.deletionTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(pod.metadata.deletionGracePeriodSeconds).toBe(60);
    child!.kill('SIGINT'); // again: killed now
    await done;
    const row = rowOf((await podInit(stateRoot, ['get', 'stopping'])).stdout, 'stopping');
    expect(row?.STATUS).not.toBe('Terminating');
    expect(row?.STATUS).toMatch(/^(Error|Completed|ExitCode:\d+|Signal:\d+|Failed)$/);
  }, 60_000);

  it("kubectl's words for a missing pod (exit 1), an empty namespace, and a bad -o (exit 2)", async () => {
    const missing = await podInit(stateRoot, ['get', 'pods', 'nosuch']);
    expect(missing).toMatchObject({
      code: 1,
      stdout: '',
      stderr: 'Error from server (NotFound): pods "nosuch" not found\n',
    });
    const empty = await podInit(stateRoot, ['get', '-n', 'empty']);
    expect(empty).toMatchObject({ code: 0, stdout: '', stderr: 'No resources found in empty namespace.\n' });
    const bad = await podInit(stateRoot, ['get', '-o', 'table']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe("pod-init: --output must be one of wide, json, yaml, name, received 'table'\n");
  });
});
