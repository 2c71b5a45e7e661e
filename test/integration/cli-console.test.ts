// The console of `pod-init run` is not the pod's business (issue 11 §2): a stdout that goes away
// (`| head -3`, `--help | head -1`) stops the printing and nothing else; SIGHUP (the terminal closed)
// deletes the pod gracefully, as SIGTERM does.
import { spawn as cpSpawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { podManifest } from '../helpers/pod-cli';
import { privilegeSkipReason, titled } from '../helpers/privileges';
import { lineReader, pollUntil, readAll } from '../helpers/wait';

const cli = path.resolve(__dirname, '../../pod-init.js');
const reason = privilegeSkipReason();

/** `pod-init ARGS` with the manifest on stdin, its state under `stateRoot`. */
function start(args: string[], stateRoot: string, manifest = ''): ChildProcess {
  const child = cpSpawn(process.execPath, [cli, ...args], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, POD_INIT_STATE_DIR: stateRoot },
  });
  child.stdin!.end(manifest);
  return child;
}

const exited = (child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> =>
  child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve({ code: child.exitCode, signal: child.signalCode })
    : new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));

/** The one pod state directory under `root` (namespace_name_uid). */
function podDir(root: string): string | undefined {
  const dirs = fs.readdirSync(root).filter((d) => !d.startsWith('.'));
  return dirs.length === 1 ? path.join(root, dirs[0]!) : undefined;
}

describe('a closed console (no privileges needed)', () => {
  it('pod-init --help with its stdout closed: exit 0, no stack trace', async () => {
    const stateRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'pod-init-console-'));
    try {
      const child = start(['--help'], stateRoot);
      // The reader is gone before pod-init writes anything (Node's start alone takes longer than exec).
      child.stdout!.destroy();
      const [stderr, end] = await Promise.all([readAll(child.stderr), exited(child)]);
      expect(stderr).toBe('');
      expect(end).toEqual({ code: 0, signal: null });
    } finally {
      fs.rmSync(stateRoot, { recursive: true, force: true });
    }
  });
});

describe.skipIf(reason)(titled('pod-init run and its console', reason), () => {
  let stateRoot: string;
  let dir: string;
  const children = new Set<ChildProcess>();
  beforeAll(() => {
    stateRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'pod-init-console-'));
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pod-init-console-files-'));
  });
  afterAll(() => {
    for (const child of children) child.kill('SIGKILL'); // its pod dies with it (die-with-parent)
    fs.rmSync(stateRoot, { recursive: true, force: true });
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('run | head -3: printing stops, the pod runs to its own end, exit 0, its state cleaned up', async () => {
    const root = path.join(stateRoot, 'head');
    const done = path.join(dir, 'done');
    const manifest = podManifest(
      'head',
      `  restartPolicy: Never
  containers:
    - name: c
      image: busybox
      command: [sh, -c, 'i=0; until [ -e /signal/done ]; do echo line $i; i=$((i+1)); sleep 0.05; done; echo bye']
      volumeMounts: [{ name: signal, mountPath: /signal }]
  volumes: [{ name: signal, hostPath: { path: ${dir} } }]
`,
    );
    const child = start(['run', '-'], root, manifest);
    children.add(child);
    const stderr = readAll(child.stderr);
    const end = exited(child);
    const out = lineReader(child.stdout);
    await out.waitFor(/c \| line 2/);
    child.stdout!.destroy(); // what `head -3` does after its lines
    // pod-init goes on writing lines into the closed pipe (EPIPE): 20 more lines in the CRI log.
    const log = await pollUntil(() => {
      const d = podDir(root);
      const file = d && path.join(d, 'c', '0.log');
      return file && fs.existsSync(file) && (fs.readFileSync(file, 'utf8').match(/line \d+/g)?.length ?? 0) > 25
        ? file
        : undefined;
    }, 'the container to write 25 lines');
    // Without the fix pod-init has died by now; its pod with it.
    expect(child.exitCode).toBeNull();
    fs.writeFileSync(done, '');
    expect(await end).toEqual({ code: 0, signal: null });
    const text = await stderr;
    expect(text).not.toMatch(/EPIPE|\n\s+at /);
    const state = path.dirname(path.dirname(log));
    expect(fs.readFileSync(log, 'utf8')).toMatch(/ stdout F bye\n/);
    expect(fs.readdirSync(state).sort()).toEqual(['c', 'events.jsonl', 'status.json']);
    const status = JSON.parse(fs.readFileSync(path.join(state, 'status.json'), 'utf8')) as {
      status: { phase: string };
    };
    expect(status.status.phase).toBe('Succeeded');
  });

  it('SIGHUP deletes the pod gracefully, as SIGTERM does (its TERM trap runs, exit 0: Succeeded)', async () => {
    const manifest = podManifest(
      'hangup',
      `  containers:\n    - name: c\n      image: x\n      command: [sh, -c, 'trap "echo got TERM; exit 0" TERM; echo up; while :; do sleep 0.1; done']\n`,
    );
    const child = start(['run', '-', '-o', 'json'], path.join(stateRoot, 'hup'), manifest);
    children.add(child);
    const stdout = readAll(child.stdout);
    const err = lineReader(child.stderr);
    const end = exited(child);
    await err.waitFor(/c \| up/);
    child.kill('SIGHUP');
    expect(await end).toEqual({ code: 0, signal: null });
    await err.ended;
    const text = err.lines.join('\n');
    expect(text).toMatch(/pod-init: SIGHUP: deleting the pod gracefully/);
    expect(text).toMatch(/Normal\s+Killing\s+pod\/hangup \(c\): Stopping container c/);
    expect(text).toContain('c | got TERM');
    const final = JSON.parse(await stdout) as { status: { phase: string } };
    expect(final.status.phase).toBe('Succeeded');
  });
});
