// `pod-init exec` through the CLI against a real pod run by `pod-init run` with a busybox root of its
// own (--image): exit codes passed through (0, 1, 42) and runc's 126/127 with the reason; kubectl's
// NotFound; the command lands in the container's root, not the host's, with its env, working dir,
// user, cgroup, CapEff, NoNewPrivs and Seccomp; -i hands stdin over with its EOF, without -i it is
// /dev/null; -t gives a pty of the container's devpts (size at start and after a resize, Ctrl-C reaching
// the command, the client's terminal restored), driven by a pty on the test side; kill -9 of the client
// leaves nothing of the command in the container (negative control: the library without the guard).
// All of it through the `pod-init` command npm links (bin/pod-init): exec runs in its native client, no
// Node between the caller and the command (negative control: POD_INIT_NATIVE_EXEC=0, the Node CLI);
// whatever that client does not take falls back to the Node CLI with the same words and exit codes
// (compared case by case); `npm install -g` of the package reaches it through npm's symlinks. -i, -t and
// kill -9 run with a PATH whose `node` refuses to start: only the native client can pass them.
import { spawn as cpSpawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeImage, staticBusybox } from '../helpers/image';
import { podInit, podInitBin, startPodInit } from '../helpers/ops-cli';
import { podCli, podManifest } from '../helpers/pod-cli';
import { privilegeSkipReason, titled } from '../helpers/privileges';
import { stateLocation } from '../../src/cli/state-location';
import { pollUntil, readAll, waitForLine } from '../helpers/wait';

const reason = privilegeSkipReason();
const busybox = staticBusybox();
if (!busybox && process.env.POD_INIT_REQUIRE_PRIVILEGES === '1') throw new Error('busybox-static is needed');
const skip = reason ?? (busybox ? undefined : 'no static busybox (apt-get install busybox-static)');

const repo = path.resolve(__dirname, '../..');
const cli = podInitBin;
const ptyClient = path.join(repo, 'test/helpers/pty-client.py');

const manifest = podManifest(
  'web',
  `  securityContext: { runAsUser: 1000, runAsGroup: 3000 }
  containers:
    - name: app
      image: bb
      command: [sleep, "100000"]
      env: [{ name: PATH, value: /bin }, { name: GREETING, value: hello }, { name: SPACED, value: "two  spaces\\nand \\"quotes\\"" }]
      workingDir: /bin
`,
);

// Two containers, no default-container annotation: kubectl's "Defaulted container" note.
const duoManifest = podManifest(
  'duo',
  `  containers:
    - name: a
      image: bb
      command: [sleep, "100000"]
      env: [{ name: PATH, value: /bin }]
    - name: b
      image: bb
      command: [sleep, "100000"]
      env: [{ name: PATH, value: /bin }]
`,
);

/** The Node CLI's exec, for comparisons: the native client is off. */
const nodeCli = { POD_INIT_NATIVE_EXEC: '0' };

/** The executable of a process (its /proc/PID/exe). */
function exeOf(pid: number): string {
  return fs.readlinkSync(`/proc/${pid}/exe`);
}

/** A process's parent pid (field 4 of /proc/PID/stat). */
function parentOf(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
}

/** The container's recorded process (pid) and cgroups, from its exec.json in the state root. */
function containerSpec(stateRoot: string): { pid: number; cgroups?: string[] } {
  const dir = fs.readdirSync(stateRoot).find((d) => d.startsWith('default_web_'))!;
  return JSON.parse(fs.readFileSync(path.join(stateRoot, dir, 'app', 'exec.json'), 'utf8')) as {
    pid: number;
    cgroups?: string[];
  };
}

function statusLines(text: string): Record<string, string> {
  const keys = ['CapEff', 'CapBnd', 'NoNewPrivs', 'Seccomp', 'Uid', 'Gid'];
  return Object.fromEntries(
    text
      .split('\n')
      .map((l) => l.split(':\t'))
      .filter(([k]) => keys.includes(k!))
      .map(([k, v]) => [k!, v!.trim()]),
  );
}

/** Pids in the container's cgroup (its pids hierarchy) whose command line is `sleep <arg>`. */
function sleepersIn(cgroups: string[], arg: string): number[] {
  const pids = cgroups.flatMap((dir) => {
    try {
      return fs.readFileSync(path.join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number);
    } catch {
      return [];
    }
  });
  return [...new Set(pids)].filter((pid) => {
    try {
      return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8') === `sleep\0${arg}\0`;
    } catch {
      return false;
    }
  });
}

/**
 * A PATH whose `node` refuses to run (then the rest of PATH): an exec that succeeds with it ran in the native
 * client, whose fallback to the Node CLI would have failed (exit 99, "fell back to node").
 */
function nodelessPath(dir: string): string {
  const bin = path.join(dir, 'no-node');
  fs.mkdirSync(bin, { recursive: true });
  fs.writeFileSync(path.join(bin, 'node'), '#!/bin/sh\necho "pod-init exec fell back to node" >&2\nexit 99\n', {
    mode: 0o755,
  });
  return `${bin}:${process.env.PATH ?? ''}`;
}

/** Runs `pod-init exec ARGS` with `input` on its stdin (a pipe), to its end (in the native client: `PATH`). */
async function execWithInput(stateRoot: string, args: string[], input: string, PATH = process.env.PATH) {
  const child = cpSpawn(cli, ['exec', ...args], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, POD_INIT_STATE_DIR: stateRoot, PATH },
  });
  child.stdin.end(input);
  const [stdout, stderr, code] = await Promise.all([
    readAll(child.stdout),
    readAll(child.stderr),
    new Promise<number | null>((resolve) => child.on('exit', resolve)),
  ]);
  return { code, stdout, stderr };
}

/** Runs `pod-init exec ARGS` on a terminal of its own (test/helpers/pty-client.py drives it). */
async function execOnTerminal(stateRoot: string, plan: object, args: string[], PATH = process.env.PATH) {
  const child = cpSpawn('python3', [ptyClient, JSON.stringify(plan), cli, 'exec', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, POD_INIT_STATE_DIR: stateRoot, PATH },
  });
  const [stdout, stderr, code] = await Promise.all([
    readAll(child.stdout),
    readAll(child.stderr),
    new Promise<number | null>((resolve) => child.on('exit', resolve)),
  ]);
  return { code, stdout: stdout.replace(/\r\n/g, '\n'), stderr };
}

describe.skipIf(skip)(titled('pod-init exec', skip), () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pod-init-exec-'));
  const image = path.join(dir, 'image');
  const { stateRoot, run, cleanup } = podCli();
  const exec = (args: string[]) => podInit(stateRoot, ['exec', ...args]);
  const nativeOnly = nodelessPath(dir);
  let pod: ReturnType<typeof run>;
  let duo: ReturnType<typeof run> | undefined;
  beforeAll(async () => {
    makeImage(
      image,
      busybox!,
      ['sh', 'cat', 'ls', 'id', 'pwd', 'sleep', 'tty', 'stty', 'wc', 'test', 'true', 'false'],
      {
        IN_IMAGE: 'yes\n',
      },
    );
    fs.chmodSync(path.join(image, 'IN_IMAGE'), 0o644); // not executable: exec of it is 126
    pod = run(['-q', '--image', `bb=${image}`], manifest);
    duo = run(['-q', '--image', `bb=${image}`], duoManifest);
    await pollUntil(async () => (await exec(['web', '--', 'true'])).code === 0, 'exec into web works', 30_000);
    await pollUntil(async () => (await exec(['duo', '-c', 'b', '--', 'true'])).code === 0, 'exec into duo works', 30_000); // prettier-ignore
  }, 60_000);
  afterAll(async () => {
    // A clean end (a killed pod-init leaves its cgroups to the next run's sweep).
    await podInit(stateRoot, ['delete', 'web', '--now']);
    await podInit(stateRoot, ['delete', 'duo', '--now']);
    await Promise.all([pod, duo]);
    cleanup();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('passes exit codes through: 0, 1, 42; 127 and 126 with the reason on stderr', async () => {
    expect(await exec(['web', '--', 'true'])).toMatchObject({ code: 0, stdout: '', stderr: '' });
    expect(await exec(['web', '--', 'false'])).toMatchObject({ code: 1, stderr: '' });
    expect((await exec(['web', '--', 'sh', '-c', 'exit 42'])).code).toBe(42);
    expect(await exec(['web', '--', 'nosuch'])).toMatchObject({
      code: 127,
      stderr: 'pod-init: exec: "nosuch": executable file not found in $PATH\n',
    });
    expect(await exec(['web', '--', '/IN_IMAGE'])).toMatchObject({
      code: 126,
      stderr: 'pod-init: exec: "/IN_IMAGE": permission denied\n',
    });
  }, 60_000);

  it("says kubectl's NotFound for an unknown pod and names a bad container (exit 1); bad usage is exit 2", async () => {
    expect(await exec(['nope', '--', 'true'])).toMatchObject({
      code: 1,
      stdout: '',
      stderr: 'Error from server (NotFound): pods "nope" not found\n',
    });
    expect(await exec(['web', '-n', 'other', '--', 'true'])).toMatchObject({ code: 1 });
    expect(await exec(['web', '-c', 'nosuch', '--', 'true'])).toMatchObject({
      code: 1,
      stderr: 'Error from server (BadRequest): container nosuch is not valid for pod web\n',
    });
    const usage = await exec(['web']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/^pod-init: COMMAND .*--/);
    expect(usage.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect((await exec(['--bogus', 'web', '--', 'true'])).code).toBe(2);
  }, 60_000);

  it("lands in the container's own root with its env, working dir and user, not the host's", async () => {
    // The host has /usr/bin; the image has only /bin and /IN_IMAGE.
    expect(fs.existsSync('/usr/bin') && !fs.existsSync('/IN_IMAGE')).toBe(true);
    const seen = await exec(['web', '--', 'sh', '-c', 'ls /; cat /IN_IMAGE; test -e /usr/bin || echo no-usr; echo $GREETING; pwd; id']); // prettier-ignore
    expect(seen.code).toBe(0);
    const lines = seen.stdout.split('\n');
    expect(lines).toContain('IN_IMAGE');
    expect(lines).toContain('yes');
    expect(lines).toContain('no-usr');
    expect(lines).toContain('hello');
    expect(lines).toContain('/bin');
    expect(seen.stdout).toMatch(/^uid=1000 gid=3000/m);
  }, 60_000);

  it("has the container's confinement: CapEff, CapBnd, NoNewPrivs, Seccomp, ids and cgroup equal its process's", async () => {
    const { pid } = containerSpec(stateRoot);
    const container = statusLines(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    const host = statusLines(fs.readFileSync('/proc/self/status', 'utf8'));
    const seen = await exec(['web', '--', 'sh', '-c', 'cat /proc/self/status; echo CGROUP; cat /proc/self/cgroup']);
    expect(seen.code).toBe(0);
    const [status, cgroup] = seen.stdout.split('CGROUP\n') as [string, string];
    expect(statusLines(status)).toEqual(container);
    expect(container.Seccomp).toBe('2');
    expect(container.NoNewPrivs).toBe('1');
    // Negative control: what the host's root (this test) has is different.
    expect(container.CapEff).not.toBe(host.CapEff);
    expect(host.Seccomp).toBe('0');
    expect(cgroup).toBe(fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8'));
    expect(cgroup).not.toBe(fs.readFileSync('/proc/self/cgroup', 'utf8'));
  }, 60_000);

  it('-i hands stdin over and its EOF reaches the command; without -i stdin is /dev/null', async () => {
    expect(await execWithInput(stateRoot, ['-i', 'web', '--', 'wc', '-c'], 'abcdef', nativeOnly)).toMatchObject({
      code: 0,
      stdout: '6\n',
    });
    expect(
      await execWithInput(stateRoot, ['-i', 'web', '--', 'sh', '-c', 'cat; echo eof-seen'], 'x\n', nativeOnly),
    ).toMatchObject({
      code: 0,
      stdout: 'x\neof-seen\n',
    });
    expect(
      await execWithInput(stateRoot, ['web', '--', 'sh', '-c', 'cat; echo done'], 'not for it\n', nativeOnly),
    ).toMatchObject({
      code: 0,
      stdout: 'done\n',
    });
  }, 60_000);

  it('a command writing more than a pipe holds into a piped stdout gets it all (a blocking pipe, not EAGAIN)', async () => {
    // Node makes its own stdio pipes non-blocking; a command sharing that description got EAGAIN once the
    // pipe was full (`tar cf - | tar xf -` broke). 4 MB through a 64 KiB pipe fills it many times.
    const r = await exec(['web', '--', 'busybox', 'head', '-c', '4000000', '/dev/zero']);
    expect(r.stderr).toBe('');
    expect([r.code, r.stdout.length]).toEqual([0, 4_000_000]);
    // The same into a shell's pipe (a FIFO, handed over as a description of its own), as `| tar xf -` is.
    const shell = cpSpawn('sh', ['-c', `"${cli}" exec web -- busybox head -c 4000000 /dev/zero | wc -c`], {
      env: { ...process.env, POD_INIT_STATE_DIR: stateRoot },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const [out, err] = await Promise.all([readAll(shell.stdout), readAll(shell.stderr)]);
    expect([err, out.trim()]).toEqual(['', '4000000']);
  }, 60_000);

  it("-t: a pty of the container's, the size at start and after a resize, Ctrl-C reaches the command, the terminal restored", async () => {
    const script =
      'trap "echo WINCH \\$(stty size)" WINCH; trap "echo GOT-INT; exit 7" INT; ' +
      'echo first $(stty size) $(tty); ls /dev/pts; echo READY; while true; do sleep 0.05; done';
    const plan = {
      rows: 40,
      cols: 132,
      steps: [
        { after: 'READY', resize: [50, 100] },
        { after: 'WINCH', send: '\u0003' },
      ],
    };
    const result = await execOnTerminal(stateRoot, plan, ['-it', 'web', '--', 'sh', '-c', script], nativeOnly);
    expect(result.stdout).toMatch(/^first 40 132 \/dev\/pts\/(\d+)$/m);
    const n = /\/dev\/pts\/(\d+)/.exec(result.stdout)![1];
    // The pty is the container's own devpts: its /dev/pts lists it.
    expect(result.stdout).toMatch(new RegExp(`^${n}\\s+ptmx$`, 'm'));
    expect(result.stdout).toMatch(/^WINCH 50 100$/m);
    expect(result.stdout).toMatch(/GOT-INT/);
    expect(result.code).toBe(7);
    expect(result.stderr).toContain('pty-client: terminal settings restored');
  }, 60_000);

  it('-t without a terminal on stdin: the command still gets a pty; kubectl warns with -it', async () => {
    expect(await exec(['-t', 'web', '--', 'tty'])).toMatchObject({ code: 0, stdout: expect.stringMatching(/^\/dev\/pts\/\d+\r?\n$/) }); // prettier-ignore
    const warned = await exec(['-it', 'web', '--', 'tty']);
    expect(warned.stderr).toBe('Unable to use a TTY - input is not a terminal or the right kind of file\n');
    expect(warned).toMatchObject({ code: 1, stdout: 'not a tty\n' });
  }, 60_000);

  it('runs in the native client: the command is its child, no Node in between (POD_INIT_NATIVE_EXEC=0: Node)', async () => {
    const { cgroups } = containerSpec(stateRoot);
    for (const [arg, env, parentExe] of [
      ['1004', {}, fs.realpathSync(cli)],
      ['1005', nodeCli, fs.realpathSync(process.execPath)], // negative control: the Node CLI
    ] as const) {
      const client = startPodInit(stateRoot, ['exec', 'web', '--', 'sleep', arg], env);
      const exited = new Promise<number | null>((resolve) => client.on('exit', resolve));
      const [pid] = await pollUntil(() => { const p = sleepersIn(cgroups!, arg); return p.length === 1 ? p : undefined; }, `sleep ${arg} running`, 30_000); // prettier-ignore
      expect(parentOf(pid!)).toBe(client.pid);
      expect(exeOf(client.pid!)).toBe(parentExe);
      if (env === nodeCli) {
        client.kill('SIGKILL'); // its guard ends the sleep (the Node CLI forwards signals only once it runs)
        await exited;
      } else {
        // Signals are forwarded from before the command exists: SIGTERM ends it, 128 + 15 is the client's code.
        client.kill('SIGTERM');
        expect(await exited).toBe(143);
      }
      await pollUntil(() => sleepersIn(cgroups!, arg).length === 0, `sleep ${arg} gone`);
    }
  }, 60_000);

  it("falls back to the Node CLI for all it does not take: the same words and exit codes as the Node CLI's", async () => {
    const cases = [
      ['web', '--', 'true'],
      ['web', '--', 'sh', '-c', 'echo out; echo err >&2; exit 3'],
      ['web', '--', 'sh', '-c', 'env | sort; printf "[%s]" "$SPACED"'],
      ['nope', '--', 'true'],
      ['-n', 'other', 'web', '--', 'true'],
      ['web', '-c', 'nosuch', '--', 'true'],
      ['web'],
      ['web', '--'],
      ['--bogus', 'web', '--', 'true'],
      ['-c'],
      ['-h'],
      ['web', '--', 'nosuch'],
      ['web', '--', '/IN_IMAGE'],
      ['-it', 'web', '--', 'tty'],
      ['-t', '-q', 'web', '--', 'sh', '-c', 'test -t 0 && echo pty'],
      ['duo', '--', 'true'], // the note, printed once
      ['duo', '--', 'nosuch'], // the note by the client, then the Node CLI's 127 (run with --quiet)
      ['-q', 'duo', '--', 'true'],
      ['pods/duo', '--container=b', '--', 'sh', '-c', 'echo $HOSTNAME'],
    ];
    for (const args of cases) {
      const [native, node] = await Promise.all([exec(args), podInit(stateRoot, ['exec', ...args], nodeCli)]);
      expect({ args, ...native }).toEqual({ args, ...node });
    }
    // The PATH the native-only tests use really stops the fallback: a case for Node fails with it.
    expect(await podInit(stateRoot, ['exec', 'nope', '--', 'true'], { PATH: nativeOnly })).toEqual({ code: 99, stdout: '', stderr: 'pod-init exec fell back to node\n' }); // prettier-ignore
    expect((await exec(['duo', '--', 'nosuch'])).stderr).toBe(
      'Defaulted container "a" out of: a, b\npod-init: exec: "nosuch": executable file not found in $PATH\n',
    );
  }, 120_000);

  it("is reached through npm's links: `npm install -g` of the package (the Node CLI for other verbs, exec natively)", async () => {
    const prefix = fs.mkdtempSync(path.join(os.tmpdir(), 'pod-init-global-'));
    try {
      const npm = cpSpawn('npm', ['install', '-g', '--prefix', prefix, '--ignore-scripts', '--offline', '--no-audit', '--no-fund', repo], { stdio: ['ignore', 'pipe', 'pipe'] }); // prettier-ignore
      const [, npmErr, npmCode] = await Promise.all([readAll(npm.stdout), readAll(npm.stderr), new Promise((resolve) => npm.on('exit', resolve))]); // prettier-ignore
      expect(npmCode, npmErr).toBe(0);
      const linked = path.join(prefix, 'bin', 'pod-init');
      expect(fs.lstatSync(linked).isSymbolicLink()).toBe(true);
      const { version } = JSON.parse(fs.readFileSync(path.join(repo, 'package.json'), 'utf8')) as { version: string };
      const run = async (args: string[]) => {
        const child = cpSpawn(linked, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, POD_INIT_STATE_DIR: stateRoot } }); // prettier-ignore
        const [stdout, stderr, code] = await Promise.all([readAll(child.stdout), readAll(child.stderr), new Promise((resolve) => child.on('exit', resolve))]); // prettier-ignore
        return { stdout, stderr, code };
      };
      expect(await run(['--version'])).toEqual({ stdout: `${version}\n`, stderr: '', code: 0 });
      expect(await run(['exec', 'web', '--', 'sh', '-c', 'echo $GREETING'])).toEqual({ stdout: 'hello\n', stderr: '', code: 0 }); // prettier-ignore
      expect((await run(['get', 'web'])).stdout).toMatch(/^web\s+1\/1\s+Running/m);
    } finally {
      fs.rmSync(prefix, { recursive: true, force: true });
    }
  }, 60_000);

  it('kill -9 of the client leaves nothing of the command running in the container', async () => {
    const { cgroups } = containerSpec(stateRoot);
    expect(cgroups?.length).toBeGreaterThan(0);
    // In the native client (its guard): with a PATH whose node refuses, a fallback could not have run it.
    const client = startPodInit(stateRoot, ['exec', 'web', '--', 'sh', '-c', 'sleep 1001 & sleep 1002 & wait'], { PATH: nativeOnly }); // prettier-ignore
    const exited = new Promise((resolve) => client.on('exit', resolve));
    await pollUntil(() => sleepersIn(cgroups!, '1001').length + sleepersIn(cgroups!, '1002').length === 2, 'both sleeps running', 30_000); // prettier-ignore
    client.kill('SIGKILL');
    await exited;
    await pollUntil(() => sleepersIn(cgroups!, '1001').length + sleepersIn(cgroups!, '1002').length === 0, 'the sleeps gone', 10_000); // prettier-ignore
  }, 60_000);

  it('negative control: without the guard (the library, dieWithCaller: false) the command outlives a killed client', async () => {
    const { cgroups } = containerSpec(stateRoot);
    const location = stateLocation({ POD_INIT_STATE_DIR: stateRoot }, 0);
    const script =
      `require(${JSON.stringify(path.join(repo, 'dist/index.js'))})` +
      `.execInPod(${JSON.stringify(location)}, { name: 'web', command: ['sleep', '1003'], dieWithCaller: false })` +
      `.then((s) => console.log('started', s.process.pid))`;
    const client = cpSpawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = new Promise((resolve) => client.on('exit', resolve));
    const pid = Number((await waitForLine(client.stdout, /^started \d+$/)).split(' ')[1]);
    client.kill('SIGKILL');
    await exited;
    // Its client is gone and it runs on, reparented inside the container: what the guard above prevents.
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').slice(fs.readFileSync(`/proc/${pid}/stat`, 'utf8').lastIndexOf(')') + 2).split(' '); // prettier-ignore
    expect(stat[0]).not.toBe('Z');
    expect(Number(stat[1])).not.toBe(client.pid);
    expect(sleepersIn(cgroups!, '1003')).toEqual([pid]);
    process.kill(pid, 'SIGKILL'); // clean up by hand
    await pollUntil(() => sleepersIn(cgroups!, '1003').length === 0, 'the leftover sleep killed');
  }, 60_000);
});
