/**
 * The command line: argv -> the API -> an exit code. Nothing else lives here.
 * @module
 */
import type { Command } from 'commander';
import { print, tolerateClosedConsole } from './console-output';
import { PodOptionError, PodSystemError } from './errors';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { version } = require('../package.json') as { version: string };

/** Exit codes of the CLI. */
export const exitCodes = { ok: 0, failed: 1, usage: 2 } as const;

/** commander, loaded when used: `pod-init run FILE` with plain arguments starts without it. */
function commander(): typeof import('commander') {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('commander') as typeof import('commander');
}

function program(): Command {
  const cli = new (commander().Command)('pod-init')
    .description('Kubernetes pods on one Linux host, without Docker; a correct PID 1 for containers.')
    .version(version, '-V, --version')
    .showHelpAfterError('(run pod-init --help for usage)')
    .exitOverride()
    .configureOutput({ writeOut: (s) => print(process.stdout, s), writeErr: (s) => print(process.stderr, s) })
    .addHelpText(
      'after',
      `
Exit codes: 0 success, 1 failure (or the pod already exists: nothing was started), 2 bad usage (nothing was started).

Init mode (the default command): pod-init [init] [options] -- CMD [ARGS...]
  run CMD as a correct PID 1: forward every signal, reap every zombie, exit with its code
  (pod-init init --help lists its options: -s, --no-subreaper, -g, -e CODE, --grace SECONDS, -p SIGNAL, -w, -v, -l)

Examples:
  pod-init -- node server.js     # as an image's ENTRYPOINT (tini's job)
  pod-init pause                 # be a pod's PID 1: reap orphans, exit 0 on SIGTERM/SIGINT/SIGHUP
  node pod-init.js               # the same as pause, when started as PID 1 with no arguments`,
    );

  cli.command('run [file]').description("run v1 Pod manifests with the kubelet's lifecycle (pod-init run --help)");
  cli
    .command('pull <image>')
    .description('pull an image from its registry into the image store (pod-init pull --help)');
  cli.command('load').description('load an OCI or docker save archive into the image store (pod-init load --help)');
  cli.command('images').description('list the images in the image store, as podman images (pod-init images --help)');
  cli
    .command('rmi')
    .description('remove images no running pod uses (--prune: all of them) from the image store (pod-init rmi --help)');

  cli.command('get').description('list pods as kubectl get pods does, from the state directory (pod-init get --help)');
  cli.command('logs').description("print a container's logs as kubectl logs does (pod-init logs --help)");
  cli
    .command('top')
    .description("show pods' CPU and memory as kubectl top pod does, from their cgroups (pod-init top --help)");
  cli.command('describe').description('show pods in detail as kubectl describe pod does (pod-init describe --help)');
  cli.command('delete').description('delete pods as kubectl delete does, gracefully (pod-init delete --help)');
  cli.command('prune').description('remove the logs and status of pods that have ended (pod-init prune --help)');
  cli.command('exec').description('run a command in a running container, as kubectl exec does (pod-init exec --help)');
  cli.command('cp').description('copy files into or out of a running container, without tar (pod-init cp --help)');
  cli.command('apply').description('create a pod in the background, or check a change to it (pod-init apply --help)');
  cli.command('events').description("list pods' events as kubectl get events does (pod-init events --help)");
  cli
    .command('volumes')
    .description('list the persistentVolumeClaim volumes kept on this host (pod-init volumes --help)');

  cli
    .command('pause')
    .description(
      "run pod-pause in place of this process (pause.c's job: hold namespaces, reap, exit 0 on TERM/INT/HUP)",
    )
    .action(() => execPause());

  return cli;
}

/** Becomes pod-pause with every signal blocked: a TERM sent right after the exec stays pending for it. */
function execPause(): never {
  // The addon only here: `pod-init run --dry-run` and `--help` start without it.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const addon: typeof import('./native') = require('./native');
  addon.native.execve(addon.pausePath, ['pod-pause'], [], true);
}

const helpTopics = new Set([
  'run',
  'pull',
  'load',
  'images',
  'rmi',
  'init',
  'pause',
  'get',
  'logs',
  'describe',
  'delete',
  'exec',
  'cp',
  'top',
  'prune',
  'volumes',
  'apply',
  'events',
]);

const subcommands = new Set([
  'pause',
  'run',
  'pull',
  'load',
  'images',
  'rmi',
  'get',
  'logs',
  'describe',
  'top',
  'prune',
  'delete',
  'exec',
  'cp',
  'apply',
  'events',
  'volumes',
  'help',
  '-h',
  '--help',
  '-V',
  '--version',
]);

/** `pod-init [init] [options] -- CMD`: anything that is not another subcommand. */
function isInitMode(args: string[]): boolean {
  return args.length > 0 && !subcommands.has(args[0]!);
}

/**
 * Runs the CLI with `args` (without `node` and the script) and resolves with the exit code.
 *
 * @example
 * process.exitCode = await main(['pause']);
 */
export async function main(args: string[]): Promise<number> {
  if (args.length === 0 && process.pid === 1) execPause();
  // `pod-init … | head`: a console that goes away stops the printing, not pod-init (console-output.ts).
  tolerateClosedConsole(process.stdout);
  tolerateClosedConsole(process.stderr);
  // `pod-init help CMD` is `pod-init CMD --help`, as with git and kubectl.
  if (args[0] === 'help' && args[1] !== undefined && helpTopics.has(args[1])) args = [args[1], '--help'];
  try {
    // Each mode loads only what it uses: `pod-init -- CMD` is on a container's start path, and the
    // manifest layer (yaml alone ~45 ms) is not needed there.
    if (args[0] === 'run') {
      return await (await import('./cli/run-command')).runCommand(args.slice(1));
    }
    if (args[0] === 'pull') {
      const { parsePullArgs, runPull } = await import('./cli/pull-command');
      return await runPull(parsePullArgs(args.slice(1)));
    }
    if (args[0] === 'load') {
      const { parseLoadArgs, runLoad } = await import('./cli/load-command');
      return await runLoad(parseLoadArgs(args.slice(1)));
    }
    if (args[0] === 'images' || args[0] === 'rmi') {
      const { parseImagesArgs, runImagesVerb } = await import('./cli/images-command');
      return await runImagesVerb(parseImagesArgs(args[0], args.slice(1)), process.stdout, process.stderr);
    }
    if (args[0] === 'volumes') {
      const { listVolumes, parseVolumesArgs } = await import('./cli/volumes-command');
      return listVolumes(parseVolumesArgs(args.slice(1)), process.stdout, process.stderr);
    }
    if (args[0] === 'exec') {
      const { execCommand, parseExecArgs } = await import('./cli/exec-command');
      const { stateLocation } = await import('./cli/state-location');
      const location = stateLocation(process.env, process.geteuid?.() ?? 0);
      return await execCommand(parseExecArgs(args.slice(1)), location, process.stdout, process.stderr);
    }
    if (args[0] === 'cp') {
      const { cpCommand, parseCpArgs } = await import('./cli/cp-command');
      const { stateLocation } = await import('./cli/state-location');
      const location = stateLocation(process.env, process.geteuid?.() ?? 0);
      return await cpCommand(parseCpArgs(args.slice(1)), location, process.stdout, process.stderr);
    }
    if (['get', 'logs', 'describe', 'delete', 'top', 'prune', 'apply', 'events'].includes(args[0]!))
      return await (await import('./cli/ops-commands')).runOpsCommand(args);
    if (isInitMode(args)) {
      const { execInit, parseInitArgs } = await import('./cli/init-command');
      const options = parseInitArgs(args[0] === 'init' ? args.slice(1) : args);
      if (options !== undefined) execInit(options);
      return exitCodes.ok;
    }
    await program().parseAsync(args, { from: 'user' });
    return exitCodes.ok;
  } catch (error) {
    if (error instanceof commander().CommanderError) {
      if (
        error.code === 'commander.helpDisplayed' ||
        error.code === 'commander.version' ||
        error.code === 'commander.help'
      )
        return exitCodes.ok;
      return exitCodes.usage;
    }
    if (
      error instanceof Error &&
      (error.name === 'ManifestError' || error.name === 'UnsafeDirectoryError' || error.name === 'HostPortInUseError')
    ) {
      print(process.stderr, `pod-init: ${error.message}\n`);
      return exitCodes.usage;
    }
    if (error instanceof PodOptionError) {
      print(process.stderr, `pod-init: ${error.message}\n`);
      return exitCodes.usage;
    }
    if (error instanceof Error && error.name === 'PodAlreadyExistsError') {
      // kubectl's "Error from server (AlreadyExists): pods "web" already exists", and its exit code.
      print(
        process.stderr,
        `pod-init: ${error.message}\nhint: a pod-init on this host runs a pod of this namespace and name; delete it first (pod-init delete NAME, or Ctrl-C to its pod-init run)\n`,
      );
      return exitCodes.failed;
    }
    if (error instanceof PodSystemError) {
      print(process.stderr, `pod-init: ${error.message}\n${error.hint ? `hint: ${error.hint}\n` : ''}`);
      return exitCodes.failed;
    }
    throw error;
  }
}
