// `pod-init logs` through the CLI against real pods run by `pod-init run`: the current and the previous
// instance after a restart, --tail, --timestamps, --prefix, partial records joined, kubectl's error
// words; -f sees lines written later and ends with the instance; rotated files are read, also by -f
// across rotations.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { podInit, rowOf, startPodInit } from '../helpers/ops-cli';
import { podCli, podManifest } from '../helpers/pod-cli';
import { privilegeSkipReason, titled } from '../helpers/privileges';
import { lineReader, pollUntil } from '../helpers/wait';

const reason = privilegeSkipReason();
const { stateRoot, run, cleanup } = podCli();
const flags = fs.mkdtempSync(path.join(stateRoot, '..', 'pod-init-logs-flags-'));
afterAll(() => {
  cleanup();
  fs.rmSync(flags, { recursive: true, force: true });
});

const flag = (name: string) => path.join(flags, name);
/** A shell loop that waits (in the container) until the test creates the flag. */
const waitFor = (name: string) => `while [ ! -e ${flag(name)} ]; do sleep 0.05; done`;
const release = (name: string) => fs.writeFileSync(flag(name), '');
const flagVolume = `  volumes: [{ name: flags, hostPath: { path: ${flags} } }]\n`;
const container = (script: string) =>
  `  containers:\n    - { name: app, image: x, command: [sh, -c, '${script}'], volumeMounts: [{ name: flags, mountPath: ${flags} }] }\n`;

const stateOf = (name: string) =>
  path.join(
    stateRoot,
    fs.readdirSync(stateRoot).find((d) => d.startsWith(`default_${name}_`))!,
  );

async function logsUntil(args: string[], pattern: RegExp, what: string): Promise<string> {
  return pollUntil(
    async () => {
      const r = await podInit(stateRoot, ['logs', ...args]);
      return pattern.test(r.stdout) ? r.stdout : undefined;
    },
    what,
    30_000,
  );
}

describe.skipIf(reason)(titled('pod-init logs', reason), () => {
  it('the current and the previous instance, --tail, --timestamps, --prefix, long lines whole', async () => {
    const script =
      `if [ -e ${flag('prev-ran2')} ]; then echo instance 3; head -c 40000 /dev/zero | tr "\\\\0" a; echo; ` +
      `i=0; while [ $i -lt 50 ]; do i=$((i+1)); echo line $i; done; ${waitFor('prev-end')}; exit 0; fi; ` +
      `if [ -e ${flag('prev-ran')} ]; then touch ${flag('prev-ran2')}; echo instance 2; exit 1; fi; ` +
      `touch ${flag('prev-ran')}; echo instance 1; echo oops >&2; exit 1`;
    const done = run(
      ['-q', '--restart-backoff', '0.2,1'],
      podManifest('prev', `  restartPolicy: OnFailure\n${flagVolume}${container(script)}`),
    );
    const current = await logsUntil(['prev'], /^line 50$/m, 'the second instance to write line 50');
    const lines = current.trimEnd().split('\n');
    expect(lines[0]).toBe('instance 3');
    expect(lines[1]).toBe('a'.repeat(40000)); // joined from 16 KiB partial records:
    const raw = fs.readFileSync(path.join(stateOf('prev'), 'app', '2.log'), 'utf8');
    expect(raw.split('\n').filter((l) => / stdout P a+$/.test(l)).length).toBeGreaterThanOrEqual(2);
    expect(lines).toHaveLength(52);

    const previous = await podInit(stateRoot, ['logs', 'prev', '--previous']);
    expect(previous).toMatchObject({ code: 0, stdout: 'instance 2\n' });
    expect(await podInit(stateRoot, ['logs', 'prev', '--previous=true'])).toMatchObject(previous);
    // Beyond kubectl (kubectl#1622): older instances by how far back, 0 the current one.
    expect(await podInit(stateRoot, ['logs', 'prev', '--previous=2'])).toMatchObject({
      code: 0,
      stdout: 'instance 1\noops\n',
    });
    expect((await podInit(stateRoot, ['logs', 'prev', '--previous=0'])).stdout).toBe(current);
    expect((await podInit(stateRoot, ['logs', 'prev', '--previous=false'])).stdout).toBe(current);
    expect(await podInit(stateRoot, ['logs', 'prev', '--previous=3'])).toMatchObject({
      code: 1,
      stderr:
        'Error from server (BadRequest): terminated container "app" 3 instances back in pod "prev" not found (it has restarted 2 times)\n',
    });
    const badBack = await podInit(stateRoot, ['logs', 'prev', '--previous=last']);
    expect(badBack.code).toBe(2);
    expect(badBack.stderr).toContain('--previous');
    expect((await podInit(stateRoot, ['logs', 'pod/prev', '--tail', '3'])).stdout).toBe('line 48\nline 49\nline 50\n');
    expect((await podInit(stateRoot, ['logs', 'prev', '--tail', '0'])).stdout).toBe('');
    const stamped = await podInit(stateRoot, ['logs', 'prev', '--tail', '1', '--timestamps']);
    expect(stamped.stdout).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z line 50\n$/);
    expect((await podInit(stateRoot, ['logs', 'prev', '-c', 'app', '--tail', '1', '--prefix'])).stdout).toBe(
      '[pod/prev/app] line 50\n',
    );
    expect((await podInit(stateRoot, ['logs', 'prev', '--since', '1h'])).stdout).toBe(current);
    release('prev-end');
    expect((await done).code).toBe(0);
  }, 60_000);

  it("kubectl's words: no such pod, container or previous instance (exit 1); bad flags (exit 2)", async () => {
    expect(await podInit(stateRoot, ['logs', 'nosuch'])).toMatchObject({
      code: 1,
      stderr: 'Error from server (NotFound): pods "nosuch" not found\n',
    });
    const once = await run(
      ['-q'],
      podManifest(
        'once',
        '  restartPolicy: Never\n  containers:\n    - { name: app, image: x, command: [echo, hi] }\n',
      ),
    );
    expect(once.code).toBe(0);
    expect(await podInit(stateRoot, ['logs', 'once'])).toMatchObject({ code: 0, stdout: 'hi\n' });
    expect(await podInit(stateRoot, ['logs', 'once', '-p'])).toMatchObject({
      code: 1,
      stderr: 'Error from server (BadRequest): previous terminated container "app" in pod "once" not found\n',
    });
    expect(await podInit(stateRoot, ['logs', 'once', '-c', 'web'])).toMatchObject({
      code: 1,
      stderr: 'Error from server (BadRequest): container web is not valid for pod once\n',
    });
    const bad = await podInit(stateRoot, ['logs', 'once', '--since', 'soon']);
    expect(bad).toMatchObject({
      code: 2,
      stderr: "pod-init: --since must be a duration such as 5s, 2m or 3h, received 'soon'\n",
    });
  }, 60_000);

  it('the default container (with a note), and --all-containers --prefix', async () => {
    const two = await run(
      ['-q'],
      podManifest(
        'two',
        '  restartPolicy: Never\n  initContainers:\n    - { name: setup, image: x, command: [echo, S] }\n' +
          '  containers:\n    - { name: a, image: x, command: [echo, A] }\n    - { name: b, image: x, command: [echo, B] }\n',
      ),
    );
    expect(two.code).toBe(0);
    expect(await podInit(stateRoot, ['logs', 'two'])).toMatchObject({
      code: 0,
      stdout: 'A\n',
      stderr: 'Defaulted container "a" out of: a, b, setup\n',
    });
    expect(await podInit(stateRoot, ['logs', 'two', '-c', 'b'])).toMatchObject({ code: 0, stdout: 'B\n', stderr: '' });
    expect((await podInit(stateRoot, ['logs', 'two', '--all-containers', '--prefix'])).stdout).toBe(
      '[pod/two/setup] S\n[pod/two/a] A\n[pod/two/b] B\n',
    );
  }, 60_000);

  it('-f prints a line written later, and ends when the instance ends', async () => {
    const script = `echo first; ${waitFor('follow-1')}; echo second; ${waitFor('follow-2')}; exit 0`;
    const done = run(['-q'], podManifest('follow', `  restartPolicy: Never\n${flagVolume}${container(script)}`));
    await logsUntil(['follow'], /^first$/m, 'the first line');
    const follower = startPodInit(stateRoot, ['logs', 'follow', '-f']);
    const out = lineReader(follower.stdout);
    const exited = new Promise<number | null>((resolve) => follower.on('exit', resolve));
    try {
      await out.waitFor(/^first$/);
      release('follow-1');
      await out.waitFor(/^second$/);
      // Still following: the instance runs.
      expect(rowOf((await podInit(stateRoot, ['get', 'follow'])).stdout, 'follow')).toMatchObject({
        STATUS: 'Running',
      });
      expect(follower.exitCode).toBe(null);
      release('follow-2');
      expect(await exited).toBe(0);
      expect(out.lines).toEqual(['first', 'second']);
    } finally {
      follower.kill('SIGKILL');
    }
    expect((await done).code).toBe(0);
  }, 60_000);

  it('reads rotated files, and -f follows across rotations', async () => {
    const script =
      `echo start; ${waitFor('rot-1')}; i=0; while [ $i -lt 300 ]; do i=$((i+1)); echo rotated line $i; done; ` +
      `${waitFor('rot-2')}; exit 0`;
    const done = run(
      ['-q', '--container-log-max-size', '8Ki', '--container-log-max-files', '5'],
      podManifest('rotating', `  restartPolicy: Never\n${flagVolume}${container(script)}`),
    );
    await logsUntil(['rotating'], /^start$/m, 'the first line');
    const follower = startPodInit(stateRoot, ['logs', 'rotating', '-f']);
    const out = lineReader(follower.stdout);
    const exited = new Promise<number | null>((resolve) => follower.on('exit', resolve));
    const expected = ['start', ...Array.from({ length: 300 }, (_, i) => `rotated line ${i + 1}`)];
    try {
      await out.waitFor(/^start$/);
      release('rot-1');
      await out.waitFor(/^rotated line 300$/);
      // It did rotate (the negative control: one file would make this test prove nothing).
      const files = fs.readdirSync(path.join(stateOf('rotating'), 'app'));
      expect(files.filter((f) => /^0\.log\.\d{8}-\d{6}(\.gz)?$/.test(f)).length).toBeGreaterThanOrEqual(2);
      expect(out.lines).toEqual(expected);
      expect((await podInit(stateRoot, ['logs', 'rotating'])).stdout).toBe(expected.join('\n') + '\n');
      expect((await podInit(stateRoot, ['logs', 'rotating', '--tail', '2'])).stdout).toBe(
        'rotated line 299\nrotated line 300\n',
      );
      release('rot-2');
      expect(await exited).toBe(0);
    } finally {
      follower.kill('SIGKILL');
    }
    expect((await done).code).toBe(0);
  }, 60_000);
});
