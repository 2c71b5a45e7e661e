/**
 * `pod-init run FILE`: a v1 Pod manifest run in the foreground with the kubelet's lifecycle. Parses
 * and checks the flags and the manifest (nothing starts on a mistake: exit 2), streams prefixed logs
 * and events, writes the status file, and exits 0 when the pod Succeeded, 1 when it Failed.
 * @module
 */
import fs from 'node:fs';
import YAML from 'yaml';
import { writeFileAtomically } from '../atomic-file';
import { consoleLines, print } from '../console-output';
import { PodOptionError } from '../errors';
import { progressLine } from './pull-progress';
import { isRegistryImage } from '../image/ensure';
import { parseRunArgs, type RunOptions } from './run-args';
import { listenForApply } from './apply-listener';
import { takeDeleteRequest } from '../pod/delete-request';
import { type LoadedPod, loadPod, loadPods } from '../manifest/load';
import { readManifests } from './manifest-files';
import { runLocations } from './state-location';
import type { PodSpecObject, RelatedObjects } from '../pod/types';
import type { LogLine, PodEvent, PodRunnerOptions } from '../pod/runner';

export { parseRunArgs, type RunOptions } from './run-args';

/** The image names a registry (pulled, src/image/); an invalid name is the runner's to report. */
function namesRegistry(image: string, mirrors: ReadonlyMap<string, readonly string[]>): boolean {
  try {
    return isRegistryImage(image, mirrors);
  } catch {
    return true;
  }
}

/** Colours of the containers' log prefixes on a terminal. */
export const palette = [36, 35, 32, 33, 34, 31];

/** YAML that kubectl reads back as it was: YAML 1.1 quoting (`"yes"`, `"0644"` stay strings), no folding. */
export const toYaml = (object: unknown): string => YAML.stringify(object, { version: '1.1', lineWidth: 0 });

/**
 * The manifest's text: FILE, or stdin for `-`.
 *
 * @example
 * const text = readManifest('pod.yaml');
 */
export function readManifest(file: string): string {
  try {
    return file === '-' ? fs.readFileSync(0, 'utf8') : fs.readFileSync(file, 'utf8');
  } catch (error) {
    const why = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new PodOptionError('FILE', 'a readable manifest (YAML or JSON; - for stdin)', `${file} (${why})`);
  }
}

/**
 * A pod run by a detached supervisor (cli/detach.ts): the manifest text the launching command read
 * and checked, the uid it chose (its state directory is made already), and the readiness report.
 */
export interface Supervised {
  text: string;
  uid: string;
  /** Called once: without an error when the pod is admitted (its sandbox started), else with the error. */
  ready: (error?: Error) => void;
}

/**
 * `pod-init run ARGS`: in the foreground, detached (`-d`: cli/detach.ts), or as the supervisor a
 * detached run started (`--supervise UID`, internal). Resolves with the exit code.
 *
 * @example
 * process.exitCode = await runCommand(['pod.yaml', '-d']);
 */
export async function runCommand(args: string[]): Promise<number> {
  if (args[0] === '--supervise') return (await import('./detach')).supervise(args[1] ?? '', args.slice(2));
  const options = parseRunArgs(args);
  const inputs = readManifests(options.files);
  const { pods, warnings } = loadPods(inputs);
  if (pods.length > 1) return (await import('./run-pods')).runPods(options, args, pods, warnings);
  // One Pod (from one file or several): the detached supervisor reads it back from its stdin.
  const manifest = inputs.length === 1 ? inputs[0]!.text : pods[0]!.manifest;
  if (options.detach && !options.dryRun) return (await import('./detach')).runDetached(options, args, manifest);
  return runPod(options, undefined, { ...pods[0]!, warnings: [...pods[0]!.warnings, ...warnings] });
}

/**
 * Says once which images run on the host's filesystem (no --image, no registry), unless --quiet.
 *
 * @example
 * sayUnmappedImages(options, [pod]); // pod-init: no --image for "busybox": running on the host's filesystem
 */
export function sayUnmappedImages(options: RunOptions, pods: readonly PodSpecObject[]): void {
  const unmapped = [
    ...new Set(
      pods.flatMap((pod) => [...(pod.spec.initContainers ?? []), ...pod.spec.containers]).map((c) => c.image ?? ''),
    ),
  ].filter(
    (image) =>
      !options.images.has(image) &&
      !options.imagePull.localImages.has(image) &&
      !namesRegistry(image, options.imagePull.mirrors),
  );
  if (unmapped.length > 0 && !options.quiet)
    print(
      process.stderr,
      `pod-init: no --image for ${unmapped.map((i) => JSON.stringify(i)).join(', ')}: running on the host's filesystem\n`,
    );
}

/**
 * The runner's options from `pod-init run`'s, with the pod's related objects.
 *
 * @example
 * const runner = new PodRunner(pod, runnerOptions(options, related));
 */
export function runnerOptions(options: RunOptions, related: RelatedObjects): PodRunnerOptions {
  // The runner reads no environment: its locations come from here ($POD_INIT_STATE_DIR, XDG_*, $PATH).
  const { imageStoreDir, ...locations } = runLocations(process.env, process.geteuid?.() ?? 0);
  return {
    related,
    ...locations,
    backoff: options.backoff,
    images: options.images,
    allowedUnsafeSysctls: options.allowedUnsafeSysctls,
    ...(options.seccompProfileRoot !== undefined ? { seccompProfileRoot: options.seccompProfileRoot } : {}),
    logRotation: options.logRotation,
    noNewPrivilegesByDefault: !options.allowPrivilegeEscalation,
    ...(options.podPidsLimit !== undefined ? { podPidsLimit: options.podPidsLimit } : {}),
    ...(options.cgroupRoot !== undefined ? { cgroupRoot: options.cgroupRoot } : {}),
    ...(options.podNetwork !== undefined ? { podNetwork: options.podNetwork } : {}),
    ...(options.publish.length > 0 ? { publish: options.publish } : {}),
    ...(options.hostLoopback ? { hostLoopback: true } : {}),
    ...(options.podCidr !== undefined ? { podCidr: options.podCidr } : {}),
    ...(options.egress ? { egress: true } : {}),
    ...(options.hosts ? { hosts: true } : {}),
    imagePull: {
      storeDir: imageStoreDir,
      ...options.imagePull,
      // One line updated in place while layers arrive; nothing when stderr is not a terminal or with -q.
      ...(process.stderr.isTTY && !options.quiet ? { onProgress: progressLine(process.stderr) } : {}),
    },
  };
}

/**
 * Runs the pod; resolves with the exit code.
 *
 * @example
 * process.exitCode = await runPod(parseRunArgs(['pod.yaml']));
 */
export async function runPod(options: RunOptions, supervised?: Supervised, loaded?: LoadedPod): Promise<number> {
  const { pod, related, warnings } =
    loaded ?? loadPod(supervised?.text ?? readManifest(options.file), options.file === '-' ? '<stdin>' : options.file);
  if (supervised) pod.metadata.uid = supervised.uid;
  const out = options.output ? process.stderr : process.stdout;
  const tty = out.isTTY === true;
  for (const warning of warnings) print(process.stderr, `Warning: ${warning}\n`);
  if (options.dryRun) {
    // kubectl's --dry-run=client -o yaml: the object as it would be created; nothing starts.
    print(process.stdout, options.output === 'json' ? JSON.stringify(pod, null, 2) + '\n' : toYaml(pod));
    return 0;
  }

  // The runner (and the native addon under it) only now: --dry-run and a bad manifest do without.
  const { PodRunner } = await import('../pod/runner');
  sayUnmappedImages(options, [pod]);
  const runner = new PodRunner(pod, runnerOptions(options, related));
  const names = [...(pod.spec.initContainers ?? []), ...pod.spec.containers].map((c) => c.name);
  const width = Math.max(...names.map((n) => n.length));
  const color = (name: string, text: string) =>
    tty ? `\x1b[${palette[names.indexOf(name) % palette.length]}m${text}\x1b[0m` : text;
  const shown = consoleLines(
    out,
    (n) =>
      `pod-init: ${n} log lines not shown: the console fell behind (the CRI logs under ${runner.stateDir} have them)\n`,
  );
  if (!options.quiet) {
    // A supervisor's console is its log file: the containers' lines are in their CRI logs already.
    if (!supervised)
      runner.on('log', (l: LogLine) => shown.write(`${color(l.container, l.container.padEnd(width))} | ${l.line}\n`));
    runner.on('event', (e: PodEvent) => {
      const object = e.container ? `pod/${pod.metadata.name} (${e.container})` : `pod/${pod.metadata.name}`;
      print(
        out,
        `${tty ? '\x1b[2m' : ''}event: ${e.type.padEnd(7)} ${e.reason.padEnd(10)} ${object}: ${e.message}${tty ? '\x1b[0m' : ''}\n`,
      );
    });
  }
  if (options.statusFile) {
    const file = options.statusFile;
    runner.on('status', (object) => writeFileAtomically(file, JSON.stringify(object, null, 2) + '\n'));
  }

  let interrupts = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    interrupts++;
    if (!options.quiet)
      print(
        out,
        `pod-init: ${signal}: deleting the pod${interrupts > 1 ? ' now' : ' gracefully (again to kill now)'}\n`,
      );
    // `pod-init delete` says its grace in a request file before its SIGTERM (delete-request.ts).
    const requested = takeDeleteRequest(runner.stateDir);
    runner.delete(requested ?? (interrupts > 1 && signal === 'SIGINT' ? 0 : undefined));
  };
  // SIGHUP (the terminal closed) deletes the pod like SIGTERM; the console may be gone by then. A
  // supervisor has no terminal (its own session): a SIGHUP someone sends it is said and ignored.
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
  const onHangUp = () => print(out, 'pod-init: SIGHUP ignored: a detached pod is deleted with pod-init delete\n');
  for (const signal of signals) process.on(signal, supervised && signal === 'SIGHUP' ? onHangUp : onSignal);
  // `pod-init apply` of new images, commands or args: a request file, then SIGUSR2 (apply-request.ts).
  const stopApply = listenForApply([runner], process.stderr);
  const timer = options.timeoutMs === undefined ? undefined : setTimeout(() => runner.delete(), options.timeoutMs);
  try {
    if (supervised) {
      await runner.start().catch((error: Error) => {
        supervised.ready(error);
        throw error;
      });
      supervised.ready();
    } else await runner.start();
    const final = await runner.finished;
    shown.flush();
    if (options.output === 'json') print(process.stdout, JSON.stringify(final, null, 2) + '\n');
    if (options.output === 'yaml') print(process.stdout, toYaml(final));
    const phase = (final.status as { phase?: string }).phase;
    await runner.closed; // the pod's veth goes after its end is reported, before pod-init exits
    return phase === 'Succeeded' ? 0 : 1;
  } finally {
    if (timer) clearTimeout(timer);
    stopApply();
    for (const signal of signals) process.off(signal, supervised && signal === 'SIGHUP' ? onHangUp : onSignal);
  }
}
