/**
 * `pod-init exec [-i] [-t] NAME [-c C] [-n NS] -- CMD [ARGS...]`: kubectl's exec against a pod on this
 * host (src/ops/exec.ts does the entering). Files and pipes are handed to the command as they are
 * (exact stdin EOF, no over-read: the command reads the caller's own file); a terminal never is
 * (TIOCSTI could type into it): it is relayed. `-t` gives the command a pty of the container's devpts,
 * with the local terminal raw, its size copied at start and on every SIGWINCH, and restored at the end.
 * @module
 */
import fs from 'node:fs';
import tty from 'node:tty';
import { PodOptionError } from '../errors';
import { native } from '../native';
import type { StdioOption } from '../process/spawn';
import { ExecStartError, execInPod, type ExecSession } from '../ops/exec';
import type { StateLocation } from '../ops/pod-list';
import { KubectlError } from '../ops/errors';

/** Options of `pod-init exec`. */
export interface ExecArgs {
  name: string;
  namespace: string;
  container: string | undefined;
  stdin: boolean;
  tty: boolean;
  quiet: boolean;
  command: string[];
  help: boolean;
}

const usage = `Usage: pod-init exec [-i] [-t] NAME [-c CONTAINER] [-n NAMESPACE] -- COMMAND [ARGS...]

Run a command in a running container of a pod on this host, as kubectl exec does: in the container's
namespaces (its root filesystem included), cgroups, user, capabilities, seccomp and environment.

Options:
  -i, --stdin                 pass stdin to the command (without it, its stdin is /dev/null)
  -t, --tty                   a pty of the container's for the command (raw local terminal, size follows it)
  -c, --container <name>      the container (default: the annotated default container, else the first)
  -n, --namespace <namespace> the pod's namespace (default "default")
  -q, --quiet                 print nothing of pod-init's own (the "Defaulted container" note)
  -h, --help                  this text

Exit codes: the command's (128+N when signal N ended it); 127 not found, 126 not executable, 125 the
command could not be started; 1 no such pod or container; 2 bad usage.
`;

function value(args: string[], i: number, flag: string): string {
  const v = args[i];
  if (v === undefined || v === '--') throw new PodOptionError(flag, 'a value after it', 'nothing');
  return v;
}

/**
 * Parses `pod-init exec`'s arguments (without `exec`).
 *
 * @example
 * parseExecArgs(['-it', 'web', '-c', 'app', '--', 'sh']); // { name: 'web', stdin: true, tty: true, ... }
 */
export function parseExecArgs(args: string[]): ExecArgs {
  const dash = args.indexOf('--');
  const options = dash < 0 ? args : args.slice(0, dash);
  const parsed: ExecArgs = {
    name: '',
    namespace: 'default',
    container: undefined,
    stdin: false,
    tty: false,
    quiet: false,
    command: dash < 0 ? [] : args.slice(dash + 1),
    help: false,
  };
  const positional: string[] = [];
  for (let i = 0; i < options.length; i++) {
    const arg = options[i]!;
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined]; // prettier-ignore
    const take = () => inline ?? value(options, ++i, flag);
    if (flag === '-h' || flag === '--help') parsed.help = true;
    else if (flag === '--stdin') parsed.stdin = true;
    else if (flag === '--tty') parsed.tty = true;
    else if (flag === '--quiet') parsed.quiet = true;
    else if (flag === '-c' || flag === '--container') parsed.container = take();
    else if (flag === '-n' || flag === '--namespace') parsed.namespace = take();
    else if (/^-[itq]+$/.test(flag)) {
      if (flag.includes('i')) parsed.stdin = true;
      if (flag.includes('t')) parsed.tty = true;
      if (flag.includes('q')) parsed.quiet = true;
    } else if (/^-[cn]./.test(flag)) {
      if (flag[1] === 'c') parsed.container = flag.slice(2);
      else parsed.namespace = flag.slice(2);
    } else if (flag.startsWith('-')) throw new PodOptionError(flag, `one of the options of pod-init exec --help`, flag);
    else positional.push(arg);
  }
  if (parsed.help) return parsed;
  if (positional.length === 0)
    throw new PodOptionError('NAME', 'the pod to exec into (pod-init exec NAME -- CMD)', 'nothing');
  if (positional.length > 1 || (dash < 0 && positional.length > 0 && parsed.command.length === 0))
    throw new PodOptionError(
      'COMMAND',
      'one pod name, then -- and the command (pod-init exec NAME -- CMD [ARGS...])',
      positional.join(' '),
    );
  if (parsed.command.length === 0)
    throw new PodOptionError('COMMAND', 'at least one word after -- (you must specify at least one command for the container)', 'nothing'); // prettier-ignore
  parsed.name = positional[0]!.replace(/^(pods?|po)\//, '');
  return parsed;
}

/** The size to start the pty with: the local terminal's, else 24 × 80. */
function terminalSize(): { rows: number; cols: number } {
  for (const stream of [process.stdout, process.stderr]) {
    if (stream.isTTY && stream.rows > 0 && stream.columns > 0) return { rows: stream.rows, cols: stream.columns };
  }
  return { rows: 24, cols: 80 };
}

/** Writes all of `data` to a non-blocking fd (the pty master), waiting out EAGAIN. */
function writeAll(fd: number, data: Buffer, done: (error?: Error) => void): void {
  fs.write(fd, data, 0, data.length, null, (error, written) => {
    if (error && (error as NodeJS.ErrnoException).code === 'EAGAIN') return void setImmediate(() => writeAll(fd, data, done));
    if (error) return done(error);
    if (written < data.length) return writeAll(fd, data.subarray(written), done);
    done();
  }); // prettier-ignore
}

/** Resolves when `stream` has ended (or failed), or after `ms`: a background child may hold it open. */
function endOf(stream: NodeJS.ReadableStream | null | undefined, ms: number): Promise<void> {
  if (!stream) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    const done = () => {
      clearTimeout(timer);
      resolve();
    };
    stream.once('end', done);
    stream.once('close', done);
    stream.once('error', done);
  });
}

const forwarded = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'] as const;

/** Ctrl-C and friends sent to pod-init itself go to the command, which decides (kubectl's pod-side end). */
function forwardSignals(session: ExecSession): () => void {
  const handlers = forwarded.map((signal) => {
    const handler = () => void session.process.kill(signal);
    process.on(signal, handler);
    return [signal, handler] as const;
  });
  return () => handlers.forEach(([signal, handler]) => process.off(signal, handler));
}

async function runWithPty(session: ExecSession, stdin: boolean, err: NodeJS.WritableStream): Promise<number> {
  const master = session.ptyMaster!;
  const input = process.stdin;
  const raw = stdin && input.isTTY;
  const restore = () => {
    if (raw && input.isTTY) input.setRawMode(false);
  };
  process.once('exit', restore); // every way out, uncaught errors included
  if (raw) input.setRawMode(true);
  const output = new tty.ReadStream(master);
  output.on('error', () => undefined); // EIO: every slave fd is closed, the end
  output.pipe(process.stdout, { end: false });
  const resize = () => {
    const { rows, cols } = terminalSize();
    try {
      native.setWinsize(master, rows, cols);
    } catch {
      // closed meanwhile
    }
  };
  process.stdout.on('resize', resize);
  if (stdin) {
    input.on('data', (chunk: Buffer) => writeAll(master, chunk, () => undefined));
    // Stdin that is no terminal ends: the pty's end-of-file character is the command's EOF.
    input.on('end', () => writeAll(master, Buffer.from([4]), () => undefined));
  }
  const stop = forwardSignals(session);
  const code = await session.exitCode;
  await endOf(output, 500);
  stop();
  process.stdout.off('resize', resize);
  output.destroy();
  if (stdin) input.pause();
  restore();
  process.off('exit', restore);
  void err;
  return code;
}

/**
 * How one of our stdio fds reaches the command. Node made its stdio pipes and sockets non-blocking
 * (O_NONBLOCK belongs to the open file description, which `inherit` would share), and a command writing
 * into a full one got EAGAIN (`tar: write error`). So a pipe is handed over as a description of its own,
 * opened again through /proc; a socket (which /proc cannot reopen: Node's own `child_process` pipes are
 * socketpairs) is relayed through Node; a terminal too (a process holding it could inject keystrokes);
 * anything else (a file, /dev/null) is inherited as it is.
 */
function handOver(fd: number): StdioOption | 'relay' {
  let stat: fs.Stats;
  try {
    stat = fs.fstatSync(fd);
  } catch {
    return 'inherit';
  }
  if (tty.isatty(fd) || stat.isSocket()) return 'relay';
  if (!stat.isFIFO()) return 'inherit';
  try {
    return fs.openSync(`/proc/self/fd/${fd}`, fd === 0 ? fs.constants.O_RDONLY : fs.constants.O_WRONLY);
  } catch {
    return 'relay';
  }
}

function stdioFor(args: ExecArgs): {
  stdio: [StdioOption, StdioOption, StdioOption];
  relay: [boolean, boolean, boolean];
} {
  const ways = [args.stdin ? handOver(0) : 'ignore', handOver(1), handOver(2)] as const;
  const relay = ways.map((way) => way === 'relay') as [boolean, boolean, boolean];
  const stdio = ways.map((way) => (way === 'relay' ? 'pipe' : way)) as [StdioOption, StdioOption, StdioOption];
  return { stdio, relay };
}

/** Closes the descriptions {@link handOver} opened (the command has its own copies by now). */
function closeOwn(stdio: readonly StdioOption[]): void {
  for (const option of stdio) if (typeof option === 'number') fs.closeSync(option);
}

async function runPlain(session: ExecSession, relay: [boolean, boolean, boolean]): Promise<number> {
  const child = session.process;
  if (relay[0] && child.stdin) {
    child.stdin.on('error', () => undefined);
    process.stdin.pipe(child.stdin);
  }
  if (relay[1]) child.stdout!.pipe(process.stdout, { end: false });
  if (relay[2]) child.stderr!.pipe(process.stderr, { end: false });
  const stop = forwardSignals(session);
  const code = await session.exitCode;
  await Promise.all([relay[1] ? endOf(child.stdout, 500) : undefined, relay[2] ? endOf(child.stderr, 500) : undefined]);
  stop();
  if (relay[0]) {
    process.stdin.unpipe();
    process.stdin.pause();
  }
  return code;
}

/**
 * Runs `pod-init exec`; resolves with the exit code (the command's, or 1, 2, 125–127).
 *
 * @example
 * process.exitCode = await execCommand(parseExecArgs(['web', '--', 'ls']), location, process.stdout, process.stderr);
 */
export async function execCommand(
  args: ExecArgs,
  location: StateLocation,
  out: NodeJS.WritableStream,
  err: NodeJS.WritableStream,
): Promise<number> {
  if (args.help) {
    out.write(usage);
    return 0;
  }
  let useTty = args.tty;
  if (useTty && args.stdin && !tty.isatty(0)) {
    // kubectl's words; it goes on without a terminal.
    if (!args.quiet) err.write('Unable to use a TTY - input is not a terminal or the right kind of file\n');
    useTty = false;
  }
  const plain = useTty ? undefined : stdioFor(args);
  let session: ExecSession;
  try {
    session = await execInPod(location, {
      namespace: args.namespace,
      name: args.name,
      ...(args.container !== undefined ? { container: args.container } : {}),
      command: args.command,
      ...(plain === undefined ? { tty: terminalSize() } : { stdio: plain.stdio }),
      ...(args.quiet ? {} : { onNote: (note: string) => err.write(`${note}\n`) }),
    });
  } catch (error) {
    if (error instanceof KubectlError) {
      err.write(`${error.message}\n`);
      return 1;
    }
    if (error instanceof ExecStartError) {
      err.write(`pod-init: ${error.message}\n`);
      return error.exitCode;
    }
    throw error;
  } finally {
    if (plain !== undefined) closeOwn(plain.stdio);
  }
  return plain === undefined ? runWithPty(session, args.stdin, err) : runPlain(session, plain.relay);
}
