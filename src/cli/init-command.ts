/**
 * `pod-init [init] [options] -- CMD [ARGS...]`: a container's PID 1. The options are checked here,
 * then Node replaces itself (execve, same pid) with pod-pause's init mode (native/init.c), so the
 * forwarding, reaping and exit code are native and Node's ~40 MB do not stay resident.
 * @module
 */
import { Command, Option } from 'commander';
import { PodOptionError } from '../errors';
import { native, pausePath } from '../native';
import { signalNumber } from '../process/signals';

/** Options of the init mode, as parsed from the command line. */
export interface InitOptions {
  /** Become a child subreaper when not PID 1 (default true; `--no-subreaper` turns it off). */
  subreaper: boolean;
  /** Forward signals to CMD's process group instead of CMD alone. */
  killGroup: boolean;
  /** Exit codes that become 0. */
  remapExit: number[];
  /** Seconds to wait for every descendant after SIGTERM/SIGINT before SIGKILL; undefined: exit with CMD. */
  grace: number | undefined;
  /** Signal for pod-init itself when its parent dies (tini's -p). */
  parentDeathSignal: number | undefined;
  /** Log each zombie reaped (tini's -w). */
  warnOnReap: boolean;
  /** 0 quiet, 1 info, 2 debug; always on stderr. */
  verbosity: number;
  /** The command and its arguments. */
  command: string[];
}

const license = `pod-init is licensed under the Apache License, Version 2.0.
Its init mode is inspired by tini (MIT), dumb-init (MIT), catatonit and Kubernetes' pause.c (Apache-2.0);
no code of theirs is included.
`;

function initProgram(): Command {
  return new Command('pod-init')
    .usage('[init] [options] -- CMD [ARGS...]')
    .description('Run CMD as a correct PID 1: forward every signal, reap every zombie, exit with its code.')
    .argument('<command...>', 'the command to run and its arguments')
    .option('-s, --subreaper', 'be a child subreaper when not PID 1 (the default; for tini users)')
    .option('--no-subreaper', 'do not become a subreaper when not PID 1')
    .option('-g, --kill-group', "forward signals to CMD's process group, not CMD alone")
    .option('-e, --remap-exit <code>', 'exit code CODE becomes 0 (repeatable)', (v, prev: string[]) => [...prev, v], [])
    .option(
      '--grace <seconds>',
      'on SIGTERM/SIGINT: forward, wait up to SECONDS for every descendant, SIGKILL the rest',
    )
    .addOption(new Option('-p, --pdeath-signal <signal>', 'signal pod-init gets when its parent dies (tini -p)'))
    .option('-w, --warn-on-reap', 'log every zombie reaped')
    .option('-v, --verbose', 'more logging, on stderr (repeat for more)', (_v, prev: number) => prev + 1, 0)
    .option('-l, --license', 'show the license and exit')
    .passThroughOptions()
    .exitOverride()
    .showHelpAfterError('(run pod-init --help for usage)')
    .addHelpText(
      'after',
      `
Exit status: CMD's exit code; 128+n when signal n killed it; 127 when CMD was not found, 126 when it
could not be executed; 2 for bad usage.

Through Node (pod-init, node pod-init.js), CMD starts with no signal blocked or ignored: Node resets
the mask and the ignored signals it inherited (nohup's SIGHUP, say) before pod-init runs. The native
init passes them on as it got them: pod-pause init [options] -- CMD (build/Release/pod-pause).

Examples:
  pod-init -- node server.js                 # as an image's ENTRYPOINT
  pod-init -g --grace 10 -- sh -c 'nginx'    # TERM the whole group, 10 s to finish, then SIGKILL`,
    );
}

/**
 * Parses the init mode's arguments (without a leading `init`). Throws {@link PodOptionError} naming
 * the flag for bad values; returns undefined for `--license` (printed).
 *
 * @example
 * parseInitArgs(['-g', '-e', '143', '--', 'java', '-jar', 'app.jar']);
 * // { killGroup: true, remapExit: [143], command: ['java', '-jar', 'app.jar'], ... }
 */
export function parseInitArgs(args: string[]): InitOptions | undefined {
  if (args.includes('-l') || args.includes('--license')) {
    const end = args.indexOf('--');
    const flags = end < 0 ? args : args.slice(0, end);
    if (flags.includes('-l') || flags.includes('--license')) {
      process.stdout.write(license);
      return undefined;
    }
  }
  const program = initProgram();
  program.parse(args, { from: 'user' });
  const o = program.opts<{
    subreaper: boolean;
    killGroup?: boolean;
    remapExit: string[];
    grace?: string;
    pdeathSignal?: string;
    warnOnReap?: boolean;
    verbose: number;
  }>();
  const remapExit = o.remapExit.map((code) => {
    if (!/^\d+$/.test(code) || Number(code) > 255)
      throw new PodOptionError('--remap-exit', 'an exit code from 0 to 255', code);
    return Number(code);
  });
  let grace: number | undefined;
  if (o.grace !== undefined) {
    grace = Number(o.grace);
    if (o.grace.trim() === '' || !Number.isFinite(grace) || grace < 0 || grace > 86400)
      throw new PodOptionError('--grace', 'seconds from 0 to 86400', o.grace);
  }
  return {
    subreaper: o.subreaper !== false,
    killGroup: o.killGroup ?? false,
    remapExit,
    grace,
    parentDeathSignal: o.pdeathSignal === undefined ? undefined : signalNumber(o.pdeathSignal, '--pdeath-signal'),
    warnOnReap: o.warnOnReap ?? false,
    verbosity: o.verbose,
    command: program.args,
  };
}

/** The argv of pod-pause's init mode for these options. */
export function initArgv(options: InitOptions): string[] {
  const argv = ['pod-init', 'init'];
  if (!options.subreaper) argv.push('--no-subreaper');
  if (options.killGroup) argv.push('-g');
  for (const code of options.remapExit) argv.push('-e', String(code));
  if (options.grace !== undefined) argv.push('--grace', String(options.grace));
  if (options.parentDeathSignal !== undefined) argv.push('-p', String(options.parentDeathSignal));
  if (options.warnOnReap) argv.push('-w');
  for (let i = 0; i < options.verbosity; i++) argv.push('-v');
  return [...argv, '--', ...options.command];
}

/** Replaces this process with pod-pause's init mode. Returns only by throwing. */
export function execInit(options: InitOptions): never {
  const env = Object.entries(process.env)
    .filter((entry): entry is [string, string] => entry[1] !== undefined)
    .map(([k, v]) => `${k}=${v}`);
  native.execve(pausePath, initArgv(options), env);
}
