/**
 * `pod-init apply -f FILE|DIR|- ... [run's flags]`: kubectl's apply, each Pod of the inputs in turn (read and
 * validated as `run -f` reads them, all before any is applied), one line each. No live pod of that namespace
 * and name: `run -d` (`pod/NAME created`). A live one: the manifest is compared with its spec as the
 * API server compares an update (ops/pod-update.ts): the same → `pod/NAME unchanged`; a change it
 * forbids → its message and a diff, exit 1. New container images, commands or args → `pod/NAME
 * configured`: the pod's pod-init restarts those containers (apply-request.ts, runner.changeContainers),
 * as the kubelet does for a changed container hash. The API server refuses command and args changes in a
 * running pod: pod-init carries them out on this host and warns that a cluster would refuse them. The
 * other changes the API server allows (labels, annotations, a lower activeDeadlineSeconds, added
 * tolerations) are not carried out into a running pod yet: said so, exit 1, nothing changed (delete
 * and apply again). A pod that has finished is a record, not a running pod: apply starts a new
 * one, as `run` does. A refused Pod does not stop the others; the exit code is then 1.
 * @module
 */
import { PodOptionError } from '../errors';
import { KubectlError } from '../ops/errors';
import { findPod, type StateLocation } from '../ops/pod-list';
import { comparePods, type ComparedPod } from '../ops/pod-update';
import { applySignal, writeApplyRequest } from '../pod/apply-request';
import type { ContainerChange } from '../pod/container-changes';
import { type LoadedSetPod, loadPods } from '../manifest/load';
import { ownerPid } from '../pod/owners';
import { parseRunArgs, type RunOptions } from './run-args';
import { runDetached } from './detach';
import { readManifests } from './manifest-files';

/** Options of `pod-init apply`. */
export interface ApplyOptions {
  /** Every `-f` in order: a manifest, a directory of them, or `-` for stdin. */
  files: string[];
  /** `-n`: must match the manifest's namespace when both are given. */
  namespace: string | undefined;
  /** run's options (`-d` implied) and its arguments, for a pod that is created. */
  run: RunOptions;
  runArgs: string[];
}

/** Prints apply's help (commander's helpDisplayed: the CLI exits 0). */
function applyHelp(): never {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { Command } = require('commander') as typeof import('commander');
  new Command('pod-init apply')
    .usage('-f FILE|DIR|- ... [-n NS] [pod-init run options]')
    .description(
      'Create each Pod in the background (as pod-init run -d) or, when it runs, compare its manifest with it as the API server compares an update.',
    )
    .option('-f, --filename <file>', 'a Pod manifest (YAML or JSON; - for stdin) or a directory of them; repeatable')
    .option('-n, --namespace <namespace>', "must match the manifest's metadata.namespace")
    .addHelpText(
      'after',
      `
Prints, for each Pod, pod/NAME created, pod/NAME unchanged, or pod/NAME configured (new container images,
commands or args: those running containers are restarted, as the kubelet does for a changed container spec,
the others go on). The API server refuses command and args changes in a running pod (only image may change):
pod-init carries them out on this host, with a Warning that a cluster would refuse the same apply.
Any other change the API server forbids in a running pod is refused with its message and a diff of the
spec (exit 1); other allowed changes (labels, annotations, activeDeadlineSeconds, tolerations) are not
carried out yet (exit 1, nothing changed). A refused Pod does not stop the others (exit 1 at the end).
pod-init run's options (--image, --restart-backoff, ...) apply to a pod that is created.`,
    )
    .exitOverride()
    .parse(['--help'], { from: 'user' });
  throw new Error('unreachable: commander prints the help and throws');
}

/**
 * Parses `pod-init apply`'s arguments (without `apply`): `-f FILE|DIR|-` (`--filename`, repeatable), `-n NS`,
 * and any of `pod-init run`'s flags for a pod it creates.
 *
 * @example
 * parseApplyArgs(['-f', 'pod.yaml', '-f', 'more/']).files; // ['pod.yaml', 'more/']
 */
export function parseApplyArgs(args: string[]): ApplyOptions {
  if (args.includes('-h') || args.includes('--help')) applyHelp();
  const files: string[] = [];
  let namespace: string | undefined;
  const rest: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const m = /^(-f|--filename|-n|--namespace)(?:=(.*))?$/.exec(arg);
    if (m) {
      const value = m[2] ?? args[++i];
      if (value === undefined || value === '') throw new PodOptionError(m[1]!, 'a value', '');
      if (m[1] === '-f' || m[1] === '--filename') files.push(value);
      else namespace = value;
    } else rest.push(arg);
  }
  if (files.length === 0)
    throw new PodOptionError('--filename', 'the manifests to apply: pod-init apply -f FILE|DIR', 'missing');
  const runArgs = [...rest, '-d', ...files.flatMap((f) => ['-f', f])];
  const run = parseRunArgs(runArgs);
  if (run.dryRun)
    throw new PodOptionError('--dry-run', 'absent with apply (pod-init run --dry-run prints the pod)', true);
  return { files, namespace, run, runArgs };
}

/**
 * Runs `pod-init apply`: every Pod of the inputs in turn; resolves with the exit code (1 when any was refused).
 *
 * @example
 * process.exitCode = await applyPod(parseApplyArgs(['-f', 'pods/']), location, process.stdout, process.stderr);
 */
export async function applyPod(
  options: ApplyOptions,
  location: StateLocation,
  out: NodeJS.WritableStream,
  err: NodeJS.WritableStream,
): Promise<number> {
  const inputs = readManifests(options.files);
  const { pods, warnings } = loadPods(inputs);
  for (const { pod } of pods)
    if (pod.metadata.namespace === undefined && options.namespace !== undefined && options.namespace !== 'default')
      throw new PodOptionError(
        '--namespace',
        "the manifest's metadata.namespace (pod-init takes a new pod's namespace from its manifest)",
        options.namespace,
      );
  for (const warning of warnings) err.write(`Warning: ${warning}\n`);
  // One Pod of one input: the supervisor reads that input as written (as `run -d` gives it).
  if (pods.length === 1 && inputs.length === 1) return applyOne(options, location, out, err, pods[0]!, inputs[0]!.text);
  let code = 0;
  for (const one of pods) {
    try {
      code = Math.max(code, await applyOne(options, location, out, err, one, one.manifest));
    } catch (error) {
      // AlreadyExists and the like: said for this pod, the others go on (as run -d with several Pods).
      err.write(`pod-init: pod/${one.pod.metadata.name}: ${(error as Error).message}\n`);
      code = Math.max(code, 1);
    }
  }
  return code;
}

/** Applies one Pod (`text`: its manifest for a supervisor); resolves with its exit code. */
async function applyOne(
  options: ApplyOptions,
  location: StateLocation,
  out: NodeJS.WritableStream,
  err: NodeJS.WritableStream,
  { pod }: LoadedSetPod,
  text: string,
): Promise<number> {
  const inManifest = pod.metadata.namespace;
  if (inManifest !== undefined && options.namespace !== undefined && inManifest !== options.namespace) {
    err.write(
      `error: the namespace from the provided object "${inManifest}" does not match the namespace "${options.namespace}". You must pass '--namespace=${inManifest}' to perform this operation.\n`,
    );
    return 1;
  }
  const namespace = inManifest ?? 'default';
  const found = findPod(location, namespace, pod.metadata.name);
  if (found === undefined || !found.live) return runDetached(options.run, options.runArgs, text);
  const current = found.pod as unknown as ComparedPod;
  const next = pod as unknown as ComparedPod;
  // Command and args too (pod-init's extension); anything else refused in the API server's own words.
  const verdict = comparePods(current, next, { commands: true });
  if (verdict.kind === 'unchanged') {
    out.write(`pod/${pod.metadata.name} unchanged\n`);
    return 0;
  }
  if (verdict.kind === 'forbidden') {
    const strict = comparePods(current, next);
    const message = strict.kind === 'forbidden' ? strict.message : verdict.message;
    err.write(`${new KubectlError(message).message.trimEnd()}\n`);
    return 1;
  }
  const containersOnly = verdict.changes.every((c) =>
    /^spec\.(initContainers|containers)\[\d+\]\.(image|command|args)$/.test(c),
  );
  const owner = ownerPid(location.ownersDir, found.pod.metadata.uid ?? '');
  if (!containersOnly || owner === undefined) {
    err.write(
      `error: pod-init does not carry out these changes to a running pod yet (${verdict.changes.join(', ')}): nothing was changed\n` +
        `hint: pod-init delete ${pod.metadata.name} --wait, then apply again\n`,
    );
    return 1;
  }
  // The pod's pod-init restarts the containers whose image, command or args changed (runner.changeContainers).
  const changes: Record<string, ContainerChange> = {};
  for (const c of [...(pod.spec.initContainers ?? []), ...pod.spec.containers])
    changes[c.name] = { image: c.image ?? '', command: c.command ?? null, args: c.args ?? null };
  try {
    writeApplyRequest(found.dir, changes);
    process.kill(owner, applySignal);
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    err.write(
      `error: applying pod "${pod.metadata.name}": ${[e.code, e.syscall, e.message].filter(Boolean).join(' ')}\n` +
        'hint: only the user who runs a pod (or root) may change it\n',
    );
    return 1;
  }
  const beyond = verdict.changes.filter((c) => /\.(command|args)$/.test(c));
  if (beyond.length > 0)
    err.write(
      `Warning: ${beyond.join(', ')}: the API server refuses this change to a running pod (only image may change); pod-init carries it out on this host, a cluster would refuse this apply\n`,
    );
  out.write(`pod/${pod.metadata.name} configured\n`);
  return 0;
}
