/**
 * `pod-init run` with several Pods in its input (`-f a.yaml -f b.yaml`, `-f DIR`, a file with two Pods): they
 * run together, as `podman kube play` runs them. Every Pod was validated before this module is reached (one bad
 * Pod: exit 2, nothing started). Each Pod has its own {@link PodRunner} and state directory, with the ConfigMaps
 * and Secrets of its namespace; log lines are prefixed `POD/CONTAINER |`, events name their pod already.
 * SIGINT, SIGTERM and SIGHUP delete every pod gracefully (`pod-init delete NAME` only its own pod); `-o json|yaml`
 * and `--dry-run` print a `v1.List` of the Pods; the exit code is 0 only when every pod Succeeded. With `-d`,
 * each Pod gets its own supervisor (detach.ts), started one after the other.
 * @module
 */
import { writeFileAtomically } from '../atomic-file';
import { consoleLines, print } from '../console-output';
import { PodOptionError } from '../errors';
import { listenForApply } from './apply-listener';
import { takeDeleteRequest } from '../pod/delete-request';
import type { LoadedSetPod } from '../manifest/load';
import type { LogLine, PodEvent, PodRunner } from '../pod/runner';
import type { RunOptions } from './run-args';
import { palette, runnerOptions, sayUnmappedImages, toYaml } from './run-command';

/**
 * The Pods as kubectl prints several objects: a `v1.List`.
 *
 * @example
 * podList([web, db]); // { apiVersion: 'v1', kind: 'List', metadata: { resourceVersion: '' }, items: [web, db] }
 */
export function podList(items: readonly object[]): object {
  return { apiVersion: 'v1', kind: 'List', metadata: { resourceVersion: '' }, items };
}

function printObject(options: RunOptions, object: object): void {
  print(process.stdout, options.output === 'json' ? JSON.stringify(object, null, 2) + '\n' : toYaml(object));
}

/** `-d` with several Pods: one supervisor per Pod, each given its Pod and the objects of its namespace. */
async function runDetachedPods(options: RunOptions, args: string[], pods: readonly LoadedSetPod[]): Promise<number> {
  const { runDetached } = await import('./detach');
  let code = 0;
  for (const pod of pods) {
    try {
      code = Math.max(code, await runDetached(options, args, pod.manifest));
    } catch (error) {
      // AlreadyExists and the like: said for this pod, the others go on (as kubectl create -f does).
      print(process.stderr, `pod-init: pod/${pod.pod.metadata.name}: ${(error as Error).message}\n`);
      code = Math.max(code, 1);
    }
  }
  return code;
}

/**
 * Runs several validated Pods together; resolves with the exit code (0: every pod Succeeded).
 *
 * @example
 * const { pods, warnings } = loadPods(readManifests(options.files));
 * process.exitCode = await runPods(options, args, pods, warnings);
 */
export async function runPods(
  options: RunOptions,
  args: string[],
  pods: readonly LoadedSetPod[],
  warnings: readonly string[],
): Promise<number> {
  if (options.publish.length > 0)
    throw new PodOptionError(
      '--publish',
      'absent with several Pods (each would publish the same host port): run them one per pod-init run',
      options.publish.length,
    );
  for (const warning of warnings) print(process.stderr, `Warning: ${warning}\n`);
  if (options.dryRun) {
    for (const pod of pods) for (const warning of pod.warnings) print(process.stderr, `Warning: ${warning}\n`);
    printObject(options, podList(pods.map((p) => p.pod)));
    return 0;
  }
  if (options.detach) return runDetachedPods(options, args, pods);
  for (const pod of pods) for (const warning of pod.warnings) print(process.stderr, `Warning: ${warning}\n`);

  const { PodRunner } = await import('../pod/runner');
  sayUnmappedImages(
    options,
    pods.map((p) => p.pod),
  );
  const runners: PodRunner[] = pods.map((p) => new PodRunner(p.pod, runnerOptions(options, p.related)));
  const out = options.output ? process.stderr : process.stdout;
  const tty = out.isTTY === true;
  const prefixes = pods.flatMap((p) =>
    [...(p.pod.spec.initContainers ?? []), ...p.pod.spec.containers].map((c) => `${p.pod.metadata.name}/${c.name}`),
  );
  const width = Math.max(...prefixes.map((n) => n.length));
  const color = (prefix: string, text: string) =>
    tty ? `\x1b[${palette[prefixes.indexOf(prefix) % palette.length]}m${text}\x1b[0m` : text;
  const shown = consoleLines(
    out,
    (n) => `pod-init: ${n} log lines not shown: the console fell behind (the pods' CRI logs have them)\n`,
  );
  const statuses: object[] = pods.map((p) => p.pod);
  runners.forEach((runner, i) => {
    const name = pods[i]!.pod.metadata.name;
    if (!options.quiet) {
      runner.on('log', (l: LogLine) => {
        const prefix = `${name}/${l.container}`;
        shown.write(`${color(prefix, prefix.padEnd(width))} | ${l.line}\n`);
      });
      runner.on('event', (e: PodEvent) => {
        const object = e.container ? `pod/${name} (${e.container})` : `pod/${name}`;
        print(
          out,
          `${tty ? '\x1b[2m' : ''}event: ${e.type.padEnd(7)} ${e.reason.padEnd(10)} ${object}: ${e.message}${tty ? '\x1b[0m' : ''}\n`,
        );
      });
    }
    if (options.statusFile) {
      const file = options.statusFile;
      runner.on('status', (object: object) => {
        statuses[i] = object;
        writeFileAtomically(file, JSON.stringify(podList(statuses), null, 2) + '\n');
      });
    }
  });

  let interrupts = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    // `pod-init delete NAME` names its pod in a request file before its SIGTERM: that pod only.
    const requested = runners.map((r) => ({ runner: r, grace: takeDeleteRequest(r.stateDir) }));
    const named = requested.filter((r) => r.grace !== undefined);
    if (named.length > 0) {
      for (const { runner, grace } of named) runner.delete(grace ?? undefined);
      return;
    }
    interrupts++;
    if (!options.quiet)
      print(
        out,
        `pod-init: ${signal}: deleting the pods${interrupts > 1 ? ' now' : ' gracefully (again to kill now)'}\n`,
      );
    for (const runner of runners) runner.delete(interrupts > 1 && signal === 'SIGINT' ? 0 : undefined);
  };
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
  for (const signal of signals) process.on(signal, onSignal);
  const stopApply = listenForApply(runners, process.stderr);
  const deleteAll = () => runners.forEach((r) => r.delete());
  const timer = options.timeoutMs === undefined ? undefined : setTimeout(deleteAll, options.timeoutMs);
  try {
    const started = await Promise.allSettled(runners.map((r) => r.start()));
    const refused = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (refused !== undefined) {
      // One pod could not start (AlreadyExists, a sandbox error): the others are deleted, then the error said.
      runners.forEach((r, i) => started[i]!.status === 'fulfilled' && r.delete());
      await Promise.all(runners.map((r, i) => (started[i]!.status === 'fulfilled' ? r.closed : undefined)));
      throw refused.reason;
    }
    const finals = await Promise.all(runners.map((r) => r.finished));
    shown.flush();
    if (options.output !== undefined) printObject(options, podList(finals));
    await Promise.all(runners.map((r) => r.closed));
    return finals.every((f) => (f.status as { phase?: string }).phase === 'Succeeded') ? 0 : 1;
  } finally {
    if (timer) clearTimeout(timer);
    stopApply();
    for (const signal of signals) process.off(signal, onSignal);
  }
}
