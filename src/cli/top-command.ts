/**
 * `pod-init top [pod|pods] [NAME...] [--containers] [-n NS | -A] [--sort-by cpu|memory] [--sum]
 * [--no-headers] [--window DURATION]`: `kubectl top pod` over this host's pods, read from their cgroups
 * (no metrics server: CPU is measured over `--window`, default 1s).
 * @module
 */
import type { Command } from 'commander';
import { readCgroupLayout } from '../cgroups/layout';
import { sampleContainers, type UsageSample } from '../cgroups/usage';
import { parseDuration } from '../duration';
import { PodOptionError } from '../errors';
import { age } from '../ops/age';
import { podNotFound } from '../ops/errors';
import { type ListedPod, listPods, type StateLocation } from '../ops/pod-list';
import { formatTop, type PodUsage, type TopOptions } from '../ops/pod-top';

/** Options of `pod-init top`. */
export interface TopCommandOptions extends TopOptions {
  names: string[];
  namespace: string;
  windowMs: number;
}

const podResources = new Set(['pod', 'pods', 'po']);

function topProgram(): Command {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { Command } = require('commander') as typeof import('commander');
  return new Command('pod-init top')
    .usage('[pod] [NAME...] [options]')
    .description("Show pods' CPU and memory as `kubectl top pod` does, read from their cgroups.")
    .argument('[args...]', '`pod` (optional), then pod names')
    .option('--containers', 'a row per container')
    .option('-n, --namespace <namespace>', 'the namespace', 'default')
    .option('-A, --all-namespaces', 'pods of every namespace (a NAMESPACE column first)')
    .option('--sort-by <field>', 'cpu or memory (highest first)')
    .option('--sum', 'a line with the totals')
    .option('--no-headers', 'no header line')
    .option('--window <duration>', 'how long CPU use is measured (Go duration)', '1s')
    .exitOverride()
    .showHelpAfterError('(run pod-init top --help for usage)');
}

/**
 * Parses `pod-init top`'s arguments (without `top`).
 *
 * @example
 * parseTopArgs(['pod', 'web', '--containers']); // { names: ['web'], containers: true, windowMs: 1000, ... }
 */
export function parseTopArgs(args: string[]): TopCommandOptions {
  const program = topProgram();
  program.parse(args, { from: 'user' });
  const o = program.opts<{
    containers?: boolean;
    namespace: string;
    allNamespaces?: boolean;
    sortBy?: string;
    sum?: boolean;
    headers: boolean;
    window: string;
  }>();
  let names = program.args;
  if (names.length > 0 && podResources.has(names[0]!)) names = names.slice(1);
  if (o.sortBy !== undefined && o.sortBy !== 'cpu' && o.sortBy !== 'memory')
    throw new PodOptionError('--sort-by', 'cpu or memory', o.sortBy);
  const windowMs = parseDuration(o.window);
  if (windowMs === undefined || windowMs <= 0 || windowMs > 60_000)
    throw new PodOptionError('--window', 'a Go duration between 1ms and 1m (e.g. 500ms, 2s)', o.window);
  if (o.allNamespaces && names.length > 0)
    throw new PodOptionError('NAME', 'absent with --all-namespaces (a name is looked up in one namespace)', names[0]);
  return {
    names,
    namespace: o.namespace,
    allNamespaces: o.allNamespaces === true,
    containers: o.containers === true,
    noHeaders: !o.headers,
    ...(o.sortBy === undefined ? {} : { sortBy: o.sortBy as 'cpu' | 'memory' }),
    sum: o.sum === true,
    windowMs,
  };
}

/**
 * Runs `pod-init top`: samples every running pod's cgroups twice, `windowMs` apart, and prints the
 * table; resolves with the exit code (1 when a named pod is missing or has no metrics, as kubectl).
 *
 * @example
 * process.exitCode = await topPods(parseTopArgs(['--containers']), location, process.stdout, process.stderr);
 */
export async function topPods(
  options: TopCommandOptions,
  location: StateLocation,
  out: NodeJS.WritableStream,
  err: NodeJS.WritableStream,
): Promise<number> {
  const all = listPods(location, options.allNamespaces ? undefined : options.namespace);
  let pods: ListedPod[] = all;
  const problems: string[] = [];
  if (options.names.length > 0) {
    pods = [];
    for (const name of options.names) {
      const found = all.find((p) => p.pod.metadata.name === name);
      if (found) pods.push(found);
      else problems.push(podNotFound(name).message);
    }
  }
  const running = pods.filter((p) => p.live && p.pod.status?.phase === 'Running');
  const now = new Date();
  const unavailable = (p: ListedPod) =>
    `error: Metrics not available for pod ${p.pod.metadata.namespace ?? 'default'}/${p.pod.metadata.name}, age: ${age(p.pod.metadata.creationTimestamp, now)}`;
  // A pod named but not running has no metrics, as metrics-server has none for it.
  if (options.names.length > 0) for (const p of pods) if (!running.includes(p)) problems.push(unavailable(p));
  const layout = readCgroupLayout();
  const first = running.map((p) => sampleContainers(layout, p.pod.metadata.uid ?? ''));
  if (running.length > 0) await new Promise((resolve) => setTimeout(resolve, options.windowMs));
  const usage: PodUsage[] = [];
  running.forEach((p, i) => {
    const second = sampleContainers(layout, p.pod.metadata.uid ?? '');
    const containers = new Map<string, [UsageSample, UsageSample]>();
    for (const [name, before] of first[i]!) {
      const after = second.get(name);
      if (after !== undefined && after.workingSetBytes !== undefined) containers.set(name, [before, after]);
    }
    const namespace = p.pod.metadata.namespace ?? 'default';
    if (containers.size === 0) problems.push(unavailable(p));
    else usage.push({ namespace, name: p.pod.metadata.name, containers, windowMs: options.windowMs });
  });
  if (usage.length > 0) out.write(formatTop(usage, options));
  else if (options.names.length === 0 && problems.length === 0)
    err.write(
      options.allNamespaces ? 'No resources found\n' : `No resources found in ${options.namespace} namespace.\n`,
    );
  for (const line of problems) err.write(`${line}\n`);
  return problems.length > 0 ? 1 : 0;
}
