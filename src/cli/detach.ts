/**
 * `pod-init run -d FILE` (and `apply -f FILE` for a new pod): the pod is handed to a supervisor that
 * outlives the command — one per pod, the foreground `run` itself re-executed in a new session
 * (`setsid`: no controlling terminal, so a closed terminal sends it no SIGHUP, and a shell's job control
 * does not reach it). It stays the containers' parent, so it alone can reap them and learn their exit
 * codes; the pod's guard (pod-guard.ts) kills the pod if it dies, as for a foreground run.
 *
 * The launching command validates the manifest (a bad one exits 2 with nothing started), chooses the
 * pod's uid, makes its state directory and opens `supervisor.log` there for the supervisor's stdout and
 * stderr, then starts `pod-init run --supervise UID ARGS…` with the manifest text on its stdin and the
 * write end of a socket as fd 3. The supervisor writes one JSON line on fd 3 once the pod is admitted
 * (its sandbox started) or failed to be (`AlreadyExists`, a sandbox error): the command prints
 * `pod/NAME created`, or the error, from that line — never after a sleep. End of file without a line
 * means the supervisor died first; its log says why.
 * @module
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { print } from '../console-output';
import { loadPod } from '../manifest/load';
import { ensurePrivateDir } from '../pod/private-dir';
import type { RunOptions } from './run-args';
import { parseRunArgs } from './run-args';
import { readManifest, runPod } from './run-command';
import { stateLocation } from './state-location';

/** The supervisor's own log, in the pod's state directory. */
export const supervisorLogName = 'supervisor.log';

/** What the supervisor reports on its readiness fd. */
interface Readiness {
  ok?: true;
  error?: { name: string; message: string; hint?: string };
}

const readyFd = 3;

/**
 * Runs as the supervisor (`pod-init run --supervise UID ARGS…`, started by {@link runDetached} only):
 * the manifest text on stdin, the readiness socket on fd 3, stdout and stderr in supervisor.log.
 *
 * @example
 * process.exitCode = await supervise(uid, ['pod.yaml']);
 */
export async function supervise(uid: string, args: string[]): Promise<number> {
  let reported = false;
  const ready = (error?: Error): void => {
    if (reported) return;
    reported = true;
    const line: Readiness = error
      ? { error: { name: error.name, message: error.message, ...hintOf(error) } }
      : { ok: true };
    try {
      fs.writeSync(readyFd, `${JSON.stringify(line)}\n`);
      fs.closeSync(readyFd);
    } catch {
      // the launching command is gone (killed): the pod runs on, its status says how it goes
    }
  };
  print(process.stdout, `pod-init: supervisor pid ${process.pid} started ${new Date().toISOString()}\n`);
  try {
    const text = fs.readFileSync(0, 'utf8');
    const options = parseRunArgs(args);
    const code = await runPod({ ...options, detach: false, output: undefined }, { text, uid, ready });
    print(process.stdout, `pod-init: supervisor pid ${process.pid} exits ${code} ${new Date().toISOString()}\n`);
    return code;
  } catch (error) {
    ready(error as Error);
    throw error;
  }
}

function hintOf(error: Error): { hint?: string } {
  const hint = (error as { hint?: unknown }).hint;
  return typeof hint === 'string' ? { hint } : {};
}

/**
 * Starts the pod under a detached supervisor and resolves with the exit code once it is admitted
 * (`pod/NAME created`, 0) or refused (the error thrown, as a foreground run throws it). `args` are
 * `pod-init run`'s (with `-d`), passed on to the supervisor; `manifest`, the text when read already.
 *
 * @example
 * process.exitCode = await runDetached(parseRunArgs(['-d', 'pod.yaml']), ['-d', 'pod.yaml']);
 */
export async function runDetached(options: RunOptions, args: string[], manifest?: string): Promise<number> {
  const text = manifest ?? readManifest(options.file);
  // Validation here, in the command: a bad manifest exits 2 and nothing starts.
  const { pod, warnings } = loadPod(text, options.file === '-' ? '<stdin>' : options.file);
  for (const warning of warnings) print(process.stderr, `Warning: ${warning}\n`);
  const uid = randomUUID();
  const namespace = pod.metadata.namespace ?? 'default';
  const { stateRoot } = stateLocation(process.env, process.geteuid?.() ?? 0);
  const stateDir = path.join(stateRoot, `${namespace}_${pod.metadata.name}_${uid}`);
  const logFile = path.join(stateDir, supervisorLogName);
  let log: number;
  try {
    // The runner's own checks of a default root (runner.ts defaultRoot), before anything is written in it.
    if (!process.env.POD_INIT_STATE_DIR) ensurePrivateDir(stateRoot, process.geteuid?.() ?? 0);
    fs.mkdirSync(stateDir, { recursive: true, mode: 0o700 });
    log = fs.openSync(logFile, fs.constants.O_WRONLY | fs.constants.O_APPEND | fs.constants.O_CREAT, 0o600);
  } catch (error) {
    if (error instanceof Error && error.name === 'UnsafeDirectoryError') throw error;
    const e = error as NodeJS.ErrnoException;
    print(
      process.stderr,
      `pod-init: making the pod's state directory ${stateDir}: ${e.code ?? ''} ${e.syscall ?? ''} ${e.message}\n` +
        'hint: set POD_INIT_STATE_DIR (or XDG_RUNTIME_DIR) to a directory of yours\n',
    );
    return 1;
  }
  let child;
  try {
    child = spawn(process.execPath, [...process.execArgv, process.argv[1]!, 'run', '--supervise', uid, ...args], {
      detached: true, // setsid(): a session of its own, no controlling terminal
      stdio: ['pipe', log, log, 'pipe'],
    });
  } finally {
    fs.closeSync(log);
  }
  child.stdin!.on('error', () => undefined); // a supervisor that died early: its readiness says so
  child.stdin!.end(text);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let report = '';
  const readiness = child.stdio[readyFd] as NodeJS.ReadableStream;
  readiness.setEncoding('utf8');
  for await (const chunk of readiness) {
    report += chunk as string;
    if (report.includes('\n')) break;
  }
  (readiness as unknown as { destroy(): void }).destroy();
  const line = report.split('\n')[0] ?? '';
  let parsed: Readiness | undefined;
  try {
    parsed = line === '' ? undefined : (JSON.parse(line) as Readiness);
  } catch {
    parsed = undefined;
  }
  if (parsed?.ok) {
    child.unref();
    print(process.stdout, `pod/${pod.metadata.name} created\n`);
    return 0;
  }
  // Not admitted: the supervisor ends (or has ended) on its own; what it made is its to remove.
  await exited;
  const kept = fs.existsSync(path.join(stateDir, 'status.json'));
  let logText = '';
  try {
    logText = fs.readFileSync(logFile, 'utf8');
  } catch {
    // removed with the pod
  }
  if (!kept) fs.rmSync(stateDir, { recursive: true, force: true });
  if (parsed?.error?.name === 'PodAlreadyExistsError' || parsed?.error?.name === 'UnsafeDirectoryError') {
    const error = new Error(parsed.error.message); // cli.ts prints these as a foreground run's
    Object.defineProperty(error, 'name', { value: parsed.error.name });
    throw error;
  }
  const where = kept ? `\nhint: the supervisor's log: ${logFile}` : `\n${logText.trimEnd()}`;
  print(
    process.stderr,
    parsed?.error
      ? `pod-init: ${parsed.error.message}${parsed.error.hint ? `\nhint: ${parsed.error.hint}` : ''}${where}\n`
      : `pod-init: the pod's supervisor exited before the pod was admitted${where}\n`,
  );
  return 1;
}
