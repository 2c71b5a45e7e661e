// `pod-init describe` through the CLI against real pods run by `pod-init run`: a running pod (its
// container Running, its events so far, persisted by the runner in events.jsonl), then the same pod
// finished (Terminated with its exit code, the Killing event of its deletion), and NotFound.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { podInit } from '../helpers/ops-cli';
import { podCli, podManifest } from '../helpers/pod-cli';
import { privilegeSkipReason, titled } from '../helpers/privileges';
import { pollUntil } from '../helpers/wait';

const reason = privilegeSkipReason();
const { stateRoot, run, cleanup } = podCli();
afterAll(cleanup);

/** The lines of `pod-init describe pod NAME` once `match` holds. */
function describedWhen(name: string, match: (text: string) => boolean, what: string) {
  let last = '';
  return pollUntil(
    async () => {
      last = (await podInit(stateRoot, ['describe', 'pod', name])).stdout;
      return match(last) ? last : undefined;
    },
    what,
    30_000,
  ).catch((error: Error) => {
    throw new Error(`${error.message}; last output:\n${last}`);
  });
}

describe.skipIf(reason)(titled('pod-init describe', reason), () => {
  it('a running pod, then finished: states, exit code, conditions and events with ages', async () => {
    const done = run(
      ['-q'],
      podManifest(
        'shown',
        '  terminationGracePeriodSeconds: 30\n' +
          '  volumes: [{ name: scratch, emptyDir: {} }]\n' +
          '  containers:\n' +
          '    - name: app\n' +
          '      image: x\n' +
          `      command: [sh, -c, "trap 'exit 7' TERM; while true; do sleep 0.1; done"]\n` +
          '      env: [{ name: GREETING, value: hello }]\n' +
          '      volumeMounts: [{ name: scratch, mountPath: /scratch }]\n',
      ),
    );
    const running = await describedWhen('shown', (t) => /\n {4}State: +Running\n/.test(t), 'State: Running');
    expect(running).toMatch(/^Name: +shown\nNamespace: +default\n/);
    expect(running).toMatch(/\nStatus: +Running\n/);
    expect(running).toMatch(/\n {6}Started: +\w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d [+-]\d{4}\n/);
    expect(running).toMatch(/\n {4}Ready: +True\n {4}Restart Count: +0\n/);
    expect(running).toMatch(/\n {6}GREETING: +hello\n/);
    expect(running).toContain('\n      /scratch from scratch (rw)\n');
    expect(running).toMatch(/\n {2}Ready +True \n/);
    expect(running).toMatch(/\n {4}Type: +EmptyDir /);
    expect(running).toMatch(/\n {2}Type +Reason +Age +From +Message\n/);
    expect(running).toMatch(/\n {2}Normal +Started +\d+s +pod-init +Started container app\n/);
    expect(
      fs.existsSync(
        path.join(
          stateRoot,
          fs.readdirSync(stateRoot).find((d) => d.includes('_shown_'))!,
          'events.jsonl',
        ),
      ),
    ).toBe(true);

    expect((await podInit(stateRoot, ['delete', 'pod', 'shown'])).code).toBe(0);
    expect((await done).code).toBe(1);
    const finished = (await podInit(stateRoot, ['describe', 'pods', 'shown'])).stdout;
    expect(finished).toMatch(/\nStatus: +Failed\n/);
    expect(finished).toMatch(/\n {4}State: +Terminated\n {6}Reason: +Error\n {6}Exit Code: +7\n/);
    expect(finished).toMatch(/\n {6}Finished: +\w{3}, /);
    expect(finished).toMatch(/\n {2}Normal +Killing +\d+s +pod-init +Stopping container app\n/);
  }, 60_000);

  it("kubectl's NotFound (exit 1) and a kind it does not run (exit 2)", async () => {
    const missing = await podInit(stateRoot, ['describe', 'pod', 'nosuch']);
    expect(missing).toEqual({ code: 1, stdout: '', stderr: 'Error from server (NotFound): pods "nosuch" not found\n' });
    const bad = await podInit(stateRoot, ['describe', 'deployment', 'web']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe("pod-init: RESOURCE must be pod (the only kind pod-init runs), received 'deployment'\n");
  });
});
