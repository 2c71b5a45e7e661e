// `pod-init delete` through the CLI against real pods run by `pod-init run`: the grace it asks for
// reaches the pod's pod-init (status.json's deletionGracePeriodSeconds, a TERM-ignoring container
// killed after it), preStop runs, --wait waits for the final status and --wait=false does not, --now,
// -f FILE, and kubectl's NotFound.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { podInit, rowOf } from '../helpers/ops-cli';
import { podCli, podManifest } from '../helpers/pod-cli';
import { privilegeSkipReason, titled } from '../helpers/privileges';
import { pollUntil } from '../helpers/wait';

const reason = privilegeSkipReason();
const { stateRoot, run, cleanup } = podCli();
const flags = fs.mkdtempSync(path.join(stateRoot, '..', 'pod-init-delete-flags-'));
afterAll(() => {
  cleanup();
  fs.rmSync(flags, { recursive: true, force: true });
});

const flagVolume = `  volumes: [{ name: flags, hostPath: { path: ${flags} } }]\n`;

/** Resolves once `pod-init get NAME` shows `status`. */
function statusWhen(name: string, status: string) {
  return pollUntil(
    async () => rowOf((await podInit(stateRoot, ['get', name])).stdout, name)?.STATUS === status || undefined,
    `${name} ${status}`,
    30_000,
  );
}

const metadataOf = async (name: string) =>
  (
    JSON.parse((await podInit(stateRoot, ['get', name, '-o', 'json'])).stdout) as {
      metadata: { deletionGracePeriodSeconds?: number };
    }
  ).metadata;

/** A pod whose container ignores SIGTERM (only SIGKILL ends it), with a long grace of its own. */
const stubborn = (name: string) =>
  podManifest(
    name,
    `  terminationGracePeriodSeconds: 120\n  containers:\n    - { name: app, image: x, command: [sh, -c, "trap '' TERM; while true; do sleep 0.1; done"] }\n`,
  );

describe.skipIf(reason)(titled('pod-init delete', reason), () => {
  it("deletes with the asked grace (--wait=false returns at once), not the pod's own 120 s", async () => {
    const done = run(['-q'], stubborn('grace'));
    await statusWhen('grace', 'Running');
    const started = Date.now();
    const deleted = await podInit(stateRoot, ['delete', 'pod', 'grace', '--grace-period', '2', '--wait=false']);
    expect(deleted).toMatchObject({ code: 0, stdout: 'pod "grace" deleted\n', stderr: '' });
    // Not waited for: the container ignores SIGTERM for 2 s.
    await statusWhen('grace', 'Terminating');
    expect((await metadataOf('grace')).deletionGracePeriodSeconds).toBe(2);
    expect((await done).code).toBe(1); // killed after the grace
    expect(Date.now() - started).toBeLessThan(60_000);
    expect(rowOf((await podInit(stateRoot, ['get', 'grace'])).stdout, 'grace')?.STATUS).not.toBe('Terminating');
  }, 90_000);

  it('--wait (the default) returns once the pod has finished; preStop and the TERM trap ran', async () => {
    const done = run(
      ['-q'],
      podManifest(
        'trapped',
        `${flagVolume}  containers:\n    - name: app\n      image: x\n      command: [sh, -c, "trap 'touch ${flags}/term; exit 0' TERM; while true; do sleep 0.1; done"]\n      lifecycle: { preStop: { exec: { command: [touch, ${flags}/prestop] } } }\n      volumeMounts: [{ name: flags, mountPath: ${flags} }]\n`,
      ),
    );
    await statusWhen('trapped', 'Running');
    const deleted = await podInit(stateRoot, ['delete', 'trapped']);
    expect(deleted).toMatchObject({ code: 0, stdout: 'pod "trapped" deleted\n' });
    // Already final when delete returned: no polling here.
    expect(rowOf((await podInit(stateRoot, ['get', 'trapped'])).stdout, 'trapped')?.STATUS).toBe('Completed');
    expect(fs.existsSync(path.join(flags, 'prestop'))).toBe(true);
    expect(fs.existsSync(path.join(flags, 'term'))).toBe(true);
    expect((await done).code).toBe(0);
  }, 90_000);

  it('--now is a grace of 1 s; -f FILE names the pod', async () => {
    const done = run(['-q'], stubborn('now'));
    await statusWhen('now', 'Running');
    const file = path.join(flags, 'now.yaml');
    fs.writeFileSync(file, stubborn('now'));
    const deleted = await podInit(stateRoot, ['delete', '-f', file, '--now']);
    expect(deleted).toMatchObject({ code: 0, stdout: 'pod "now" deleted\n' });
    expect((await metadataOf('now')).deletionGracePeriodSeconds).toBe(1);
    expect((await done).code).toBe(1);
  }, 90_000);

  it('a second delete with a shorter grace shortens it (--now on a Terminating pod)', async () => {
    const done = run(['-q'], stubborn('twice'));
    await statusWhen('twice', 'Running');
    const first = await podInit(stateRoot, ['delete', 'twice', '--wait=false']);
    expect(first).toMatchObject({ code: 0, stdout: 'pod "twice" deleted\n' });
    await statusWhen('twice', 'Terminating');
    expect((await metadataOf('twice')).deletionGracePeriodSeconds).toBe(120);
    const started = Date.now();
    const second = await podInit(stateRoot, ['delete', 'twice', '--now']);
    expect(second).toMatchObject({ code: 0, stdout: 'pod "twice" deleted\n' });
    expect(Date.now() - started).toBeLessThan(60_000); // not the 120 s of the first delete
    expect((await metadataOf('twice')).deletionGracePeriodSeconds).toBe(1);
    expect((await done).code).toBe(1);
  }, 90_000);

  it('deletes a pod in a crash loop (its container waiting in back-off) at once', async () => {
    const done = run(
      ['-q', '--restart-backoff', '30,60'],
      podManifest('looping', '  containers:\n    - { name: app, image: x, command: [sh, -c, "exit 1"] }\n'),
    );
    await statusWhen('looping', 'CrashLoopBackOff');
    const started = Date.now();
    const deleted = await podInit(stateRoot, ['delete', 'looping']);
    expect(deleted).toMatchObject({ code: 0, stdout: 'pod "looping" deleted\n' });
    expect(Date.now() - started).toBeLessThan(25_000); // not after the 30 s back-off
    expect(rowOf((await podInit(stateRoot, ['get', 'looping'])).stdout, 'looping')?.STATUS).toBe('Error');
    expect((await done).code).toBe(1);
  }, 90_000);

  it("kubectl's NotFound (exit 1), a finished pod, and bad flags (exit 2)", async () => {
    const missing = await podInit(stateRoot, ['delete', 'nosuch']);
    expect(missing).toEqual({ code: 1, stdout: '', stderr: 'Error from server (NotFound): pods "nosuch" not found\n' });
    const finished = await podInit(stateRoot, ['delete', 'grace']);
    expect(finished.code).toBe(0);
    expect(finished.stderr).toMatch(/^pod "grace" is not running: it has finished \(phase Failed\)/);
    const bad = await podInit(stateRoot, ['delete', 'x', '--grace-period', 'soon']);
    expect(bad).toMatchObject({
      code: 2,
      stderr: "pod-init: --grace-period must be an integer ≥ -1, received 'soon'\n",
    });
  }, 30_000);
});
