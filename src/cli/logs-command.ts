/**
 * `pod-init logs NAME [-c C] [-p] [--timestamps] [--tail N] [--since DURATION] [--all-containers]
 * [--prefix] [-f] [-n NS]`: kubectl's `logs` over the CRI files in the state directory (rotated ones
 * included, partial records joined), following across rotations until the instance ends.
 * @module
 */
import type { Command } from 'commander';
import { parseDuration } from '../duration';
import { PodOptionError } from '../errors';
import type { LogRecord } from '../ops/cri-records';
import { KubectlError, podNotFound } from '../ops/errors';
import { findPod, type ListedPod, type StateLocation } from '../ops/pod-list';
import { closeLog, defaultContainer, followLog, type LogTarget, logTarget, openLog } from '../ops/pod-logs';

/** Options of `pod-init logs`. */
export interface LogsOptions {
  name: string;
  namespace: string;
  container: string | undefined;
  /** 0: the current instance; 1 (`-p`): the one before; N (`--previous=N`): N instances back. */
  previous: number;
  timestamps: boolean;
  /** -1: all. */
  tail: number;
  /** `--since`, in milliseconds before now. */
  sinceMs: number | undefined;
  allContainers: boolean;
  prefix: boolean;
  follow: boolean;
}

function logsProgram(): Command {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { Command } = require('commander') as typeof import('commander');
  return new Command('pod-init logs')
    .usage('NAME [options]')
    .description("Print a container's logs as `kubectl logs` does, from the CRI log files (rotated ones included).")
    .argument('<name>', 'the pod (NAME or pod/NAME)')
    .option('-c, --container <name>', 'the container (default: the annotated default container, else the first)')
    .option(
      '-p, --previous',
      "the container's previous instance (the one that ended last); --previous=N: N instances back, =0 the current",
    )
    .option('--timestamps', 'each line after its RFC 3339 time')
    .option('--tail <lines>', 'the last N lines (-1: all)', '-1')
    .option('--since <duration>', 'only lines of the last DURATION (Go style: 5s, 2m, 3h)')
    .option('--all-containers', "every container's logs: init containers, then the others")
    .option('--prefix', 'each line after [pod/NAME/CONTAINER]')
    .option('-f, --follow', 'go on printing what is written, across rotations, until the instance ends')
    .option('-n, --namespace <namespace>', 'the namespace', 'default')
    .exitOverride()
    .showHelpAfterError('(run pod-init logs --help for usage)');
}

/**
 * Parses `pod-init logs`'s arguments (without `logs`).
 *
 * @example
 * parseLogsArgs(['web', '-c', 'app', '--tail', '10']).tail; // 10
 */
export function parseLogsArgs(args: string[]): LogsOptions {
  const program = logsProgram();
  // kubectl's `--previous=true|false`, and beyond kubectl `--previous=N` (kubectl#1622): how far back.
  let back: number | undefined;
  args = args.filter((arg) => {
    const m = /^--previous=(.*)$/.exec(arg);
    if (!m) return true;
    const value = m[1]!;
    back = value === 'true' ? 1 : value === 'false' ? 0 : /^\d+$/.test(value) ? Number(value) : NaN;
    if (!Number.isSafeInteger(back))
      throw new PodOptionError('--previous', 'true, false or a number of instances back (0 or more)', value);
    return false;
  });
  program.parse(args, { from: 'user' });
  const o = program.opts<{
    container?: string;
    previous?: boolean;
    timestamps?: boolean;
    tail: string;
    since?: string;
    allContainers?: boolean;
    prefix?: boolean;
    follow?: boolean;
    namespace: string;
  }>();
  const tail = /^-?\d+$/.test(o.tail) ? Number(o.tail) : NaN;
  if (!Number.isSafeInteger(tail) || tail < -1) throw new PodOptionError('--tail', 'an integer of -1 or more', o.tail);
  let sinceMs: number | undefined;
  if (o.since !== undefined) {
    sinceMs = parseDuration(o.since);
    if (sinceMs === undefined) throw new PodOptionError('--since', 'a duration such as 5s, 2m or 3h', o.since);
  }
  if (o.allContainers && o.container !== undefined)
    throw new PodOptionError('--container', 'absent with --all-containers', o.container);
  return {
    name: program.args[0]!.replace(/^(pods?|po)\//, ''),
    namespace: o.namespace,
    container: o.container,
    previous: back ?? (o.previous === true ? 1 : 0),
    timestamps: o.timestamps === true,
    tail,
    sinceMs,
    allContainers: o.allContainers === true,
    prefix: o.prefix === true,
    follow: o.follow === true,
  };
}

function targets(listed: ListedPod, options: LogsOptions, err: NodeJS.WritableStream): LogTarget[] {
  if (!options.allContainers) {
    let container = options.container;
    if (container === undefined) {
      const chosen = defaultContainer(listed);
      if (chosen.note !== undefined) err.write(`${chosen.note}\n`);
      container = chosen.name;
    }
    return [logTarget(listed, { container, previous: options.previous })];
  }
  const spec = listed.pod.spec ?? {};
  const names = [...(spec.initContainers ?? []), ...(spec.containers ?? [])].map((c) => c.name);
  const found: LogTarget[] = [];
  for (const container of names) {
    try {
      found.push(logTarget(listed, { container, previous: options.previous }));
    } catch (error) {
      // A container that never started has no logs: the others are still shown.
      if (!(error instanceof KubectlError)) throw error;
    }
  }
  return found;
}

/** Whether the instance of `target` still runs, from the pod's current status.json. */
function instanceRuns(location: StateLocation, listed: ListedPod, target: LogTarget): boolean {
  const now = findPod(location, listed.pod.metadata.namespace ?? 'default', listed.pod.metadata.name);
  if (now === undefined || now.dir !== listed.dir || !now.live) return false;
  const s = now.pod.status ?? {};
  const status = [...(s.initContainerStatuses ?? []), ...(s.containerStatuses ?? [])].find(
    (c) => c.name === target.container,
  );
  return (status?.restartCount ?? 0) === target.instance && status?.state?.running !== undefined;
}

/**
 * Runs `pod-init logs`; resolves with the exit code (1 with kubectl's message when the pod, the
 * container or the instance is not there).
 *
 * @example
 * process.exitCode = await podLogs(parseLogsArgs(['web', '-f']), location, process.stdout, process.stderr);
 */
export async function podLogs(
  options: LogsOptions,
  location: StateLocation,
  out: NodeJS.WritableStream,
  err: NodeJS.WritableStream,
): Promise<number> {
  try {
    const listed = findPod(location, options.namespace, options.name);
    if (listed === undefined) throw podNotFound(options.name);
    const chosen = targets(listed, options, err);
    const since = options.sinceMs === undefined ? undefined : new Date(Date.now() - options.sinceMs);
    const print = (target: LogTarget, lines: LogRecord[]) => {
      const prefix = options.prefix ? `[pod/${options.name}/${target.container}] ` : '';
      let text = '';
      for (const l of lines) {
        if (since !== undefined && Date.parse(l.time) < since.getTime()) continue;
        text += `${prefix}${options.timestamps ? `${l.time} ` : ''}${l.line}\n`;
      }
      if (text !== '') out.write(text);
    };
    const opened = chosen.map((target) => ({
      target,
      log: openLog(target.file, { tail: options.tail, ...(since ? { since } : {}) }),
    }));
    for (const { target, log } of opened) print(target, log.lines);
    if (!options.follow || options.previous) {
      for (const { log } of opened) closeLog(log.cursor);
      return 0;
    }
    await Promise.all(
      opened.map(({ target, log }) =>
        followLog(log.cursor, listed.dir, {
          running: () => instanceRuns(location, listed, target),
          onLines: (lines) => print(target, lines),
        }),
      ),
    );
    return 0;
  } catch (error) {
    if (!(error instanceof KubectlError)) throw error;
    err.write(`${error.message}\n`);
    return 1;
  }
}
