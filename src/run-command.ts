/**
 * `pod-init run FILE`: a v1 Pod manifest run in the foreground with the kubelet's lifecycle. Parses
 * and checks the flags and the manifest (nothing starts on a mistake: exit 2), streams prefixed logs
 * and events, writes the status file, and exits 0 when the pod Succeeded, 1 when it Failed.
 * @module
 */
import fs from 'node:fs';
import path from 'node:path';
import { Command, Option } from 'commander';
import YAML from 'yaml';
import { parseDuration } from './duration';
import { PodOptionError } from './errors';
import { loadPod } from './pod/load';
import { type LogLine, type PodEvent, PodRunner } from './pod/runner';

/** Options of `pod-init run`. */
export interface RunOptions {
  file: string;
  output: 'json' | 'yaml' | undefined;
  quiet: boolean;
  statusFile: string | undefined;
  timeoutMs: number | undefined;
  backoff: { initialMs: number; maxMs: number };
  /** `--image NAME=DIR`: root filesystems by image name. */
  images: Map<string, string>;
}

function runProgram(): Command {
  return new Command('pod-init run')
    .usage('[options] FILE')
    .description('Run a v1 Pod manifest (YAML or JSON, - for stdin) in the foreground, as the kubelet would.')
    .argument('<file>', 'the manifest: one Pod, plus the ConfigMaps and Secrets it references')
    .addOption(new Option('-o, --output <format>', 'print the final Pod object on stdout').choices(['json', 'yaml']))
    .option('-q, --quiet', 'do not stream logs and events')
    .option('--status-file <file>', 'keep the current Pod object (JSON) in FILE, replaced atomically at every change')
    .option('--timeout <duration>', 'delete the pod gracefully after DURATION (Go style: 30s, 2m, 1m30s)')
    .option('--restart-backoff <initial[,max]>', 'crash-loop backoff in seconds', '10,300')
    .option(
      '--image <name=dir>',
      'a root filesystem directory for an image name (repeatable); other images run on the host filesystem',
      (v: string, prev: string[]) => [...prev, v],
      [],
    )
    .exitOverride()
    .showHelpAfterError('(run pod-init run --help for usage)')
    .addHelpText(
      'after',
      `
Logs are prefixed with the container's name; events use the kubelet's reasons (Created, Started,
Killing, BackOff, ...). With -o, logs and events go to stderr. SIGINT or SIGTERM deletes the pod
gracefully (SIGTERM, grace period, SIGKILL); a second SIGINT kills at once.

Exit status: 0 the pod Succeeded, 1 it Failed, 2 invalid manifest or usage (nothing was started).

Example:
  pod-init run examples/pod.yaml -o json --timeout 1m > final.json`,
    );
}

/**
 * Parses `pod-init run`'s arguments. Throws PodOptionError naming the flag.
 *
 * @example
 * parseRunArgs(['pod.yaml', '--timeout', '30s']).timeoutMs; // 30000
 */
export function parseRunArgs(args: string[]): RunOptions {
  const program = runProgram();
  program.parse(args, { from: 'user' });
  const o = program.opts<{
    image: string[];
    output?: 'json' | 'yaml';
    quiet?: boolean;
    statusFile?: string;
    timeout?: string;
    restartBackoff: string;
  }>();
  let timeoutMs: number | undefined;
  if (o.timeout !== undefined) {
    timeoutMs = parseDuration(o.timeout);
    if (timeoutMs === undefined)
      throw new PodOptionError('--timeout', 'a duration such as 30s, 2m or 1m30s', o.timeout);
  }
  const parts = o.restartBackoff.split(',');
  const [initial, max] = parts.map(Number);
  if (
    parts.length > 2 ||
    !Number.isFinite(initial) ||
    initial! < 0 ||
    (max !== undefined && (!Number.isFinite(max) || max < initial!))
  )
    throw new PodOptionError('--restart-backoff', 'INITIAL[,MAX] in seconds, MAX >= INITIAL >= 0', o.restartBackoff);
  const images = new Map<string, string>();
  for (const mapping of o.image) {
    const at = mapping.indexOf('=');
    const dir = at > 0 ? path.resolve(mapping.slice(at + 1)) : '';
    if (at <= 0 || !fs.statSync(dir, { throwIfNoEntry: false })?.isDirectory())
      throw new PodOptionError('--image', 'NAME=DIR with an existing directory', mapping);
    images.set(mapping.slice(0, at), dir);
  }
  return {
    images,
    file: program.args[0]!,
    output: o.output,
    quiet: o.quiet ?? false,
    statusFile: o.statusFile,
    timeoutMs,
    backoff: { initialMs: initial! * 1000, maxMs: (max ?? Math.max(300, initial!)) * 1000 },
  };
}

function writeAtomically(file: string, content: string): void {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  fs.writeFileSync(tmp, content);
  fs.renameSync(tmp, file);
}

const palette = [36, 35, 32, 33, 34, 31];

/**
 * Runs the pod; resolves with the exit code.
 *
 * @example
 * process.exitCode = await runPod(parseRunArgs(['pod.yaml']));
 */
export async function runPod(options: RunOptions): Promise<number> {
  const text = options.file === '-' ? fs.readFileSync(0, 'utf8') : fs.readFileSync(options.file, 'utf8');
  const { pod, related, warnings } = loadPod(text, options.file === '-' ? '<stdin>' : options.file);
  const out = options.output ? process.stderr : process.stdout;
  const tty = out.isTTY === true;
  for (const warning of warnings) process.stderr.write(`Warning: ${warning}\n`);

  const unmapped = [
    ...new Set([...(pod.spec.initContainers ?? []), ...pod.spec.containers].map((c) => c.image ?? '')),
  ].filter((image) => !options.images.has(image));
  if (unmapped.length > 0 && !options.quiet)
    process.stderr.write(
      `pod-init: no --image for ${unmapped.map((i) => JSON.stringify(i)).join(', ')}: running on the host's filesystem\n`,
    );
  const runner = new PodRunner(pod, { related, backoff: options.backoff, images: options.images });
  const names = [...(pod.spec.initContainers ?? []), ...pod.spec.containers].map((c) => c.name);
  const width = Math.max(...names.map((n) => n.length));
  const color = (name: string, text: string) =>
    tty ? `\x1b[${palette[names.indexOf(name) % palette.length]}m${text}\x1b[0m` : text;
  if (!options.quiet) {
    runner.on('log', (l: LogLine) => out.write(`${color(l.container, l.container.padEnd(width))} | ${l.line}\n`));
    runner.on('event', (e: PodEvent) => {
      const object = e.container ? `pod/${pod.metadata.name} (${e.container})` : `pod/${pod.metadata.name}`;
      out.write(
        `${tty ? '\x1b[2m' : ''}event: ${e.type.padEnd(7)} ${e.reason.padEnd(10)} ${object}: ${e.message}${tty ? '\x1b[0m' : ''}\n`,
      );
    });
  }
  if (options.statusFile) {
    const file = options.statusFile;
    runner.on('status', (object) => writeAtomically(file, JSON.stringify(object, null, 2) + '\n'));
  }

  let interrupts = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    interrupts++;
    if (!options.quiet)
      out.write(
        `pod-init: ${signal}: deleting the pod${interrupts > 1 ? ' now' : ' gracefully (again to kill now)'}\n`,
      );
    runner.delete(interrupts > 1 && signal === 'SIGINT' ? 0 : undefined);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const timer = options.timeoutMs === undefined ? undefined : setTimeout(() => runner.delete(), options.timeoutMs);
  try {
    await runner.start();
    const final = await runner.finished;
    if (options.output === 'json') process.stdout.write(JSON.stringify(final, null, 2) + '\n');
    if (options.output === 'yaml') process.stdout.write(YAML.stringify(final));
    const phase = (final.status as { phase?: string }).phase;
    return phase === 'Succeeded' ? 0 : 1;
  } finally {
    if (timer) clearTimeout(timer);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
