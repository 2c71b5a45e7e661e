/**
 * `pod-init describe pod [NAME...] [-n NS]`: kubectl's describe of pods over the state directory, with
 * their events from events.jsonl; no daemon.
 * @module
 */
import path from 'node:path';
import type { Command } from 'commander';
import { PodOptionError } from '../errors';
import { podNotFound } from '../ops/errors';
import { describePod, type DescribedPod } from '../ops/describe-pod';
import { type ListedPod, listPods, type StateLocation } from '../ops/pod-list';
import { readEvents } from '../pod/event-log';

/** Options of `pod-init describe`. */
export interface DescribeOptions {
  /** Empty: every pod of the namespace. */
  names: string[];
  namespace: string;
}

const podResources = new Set(['pods', 'pod', 'po']);

function describeProgram(): Command {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { Command } = require('commander') as typeof import('commander');
  return new Command('pod-init describe')
    .usage('pod [NAME...] [options]')
    .description('Show pods in detail as `kubectl describe pod` does, with their events, from the state directory.')
    .argument('<resource>', '`pod` (or pods, po, pod/NAME)')
    .argument('[names...]', 'pod names (none: every pod of the namespace)')
    .option('-n, --namespace <namespace>', 'the namespace', 'default')
    .exitOverride()
    .showHelpAfterError('(run pod-init describe --help for usage)');
}

/**
 * Parses `pod-init describe`'s arguments (without `describe`).
 *
 * @example
 * parseDescribeArgs(['pod', 'web']); // { names: ['web'], namespace: 'default' }
 */
export function parseDescribeArgs(args: string[]): DescribeOptions {
  const program = describeProgram();
  program.parse(args, { from: 'user' });
  const [resource, names] = program.processedArgs as [string, string[]];
  const namespace = program.opts<{ namespace: string }>().namespace;
  const slash = /^(pods?|po)\/(.+)$/.exec(resource);
  if (slash) return { names: [slash[2]!, ...names], namespace };
  if (!podResources.has(resource)) throw new PodOptionError('RESOURCE', 'pod (the only kind pod-init runs)', resource);
  return { names, namespace };
}

/**
 * Runs `pod-init describe`: prints each pod (kubectl's blank lines between them), then NotFound for the
 * missing ones; resolves with the exit code (1 when one is missing).
 *
 * @example
 * process.exitCode = describePods(parseDescribeArgs(['pod', 'web']), location, process.stdout, process.stderr);
 */
export function describePods(
  options: DescribeOptions,
  location: StateLocation,
  out: NodeJS.WritableStream,
  err: NodeJS.WritableStream,
  now = new Date(),
): number {
  const all = listPods(location, options.namespace);
  const found: ListedPod[] = [];
  let missing = 0;
  for (const name of options.names) {
    const pod = all.find((p) => p.pod.metadata.name === name);
    if (pod) found.push(pod);
    else {
      err.write(`${podNotFound(name).message}\n`);
      missing++;
    }
  }
  const pods = options.names.length === 0 ? all : found;
  if (options.names.length === 0 && pods.length === 0)
    err.write(`No resources found in ${options.namespace} namespace.\n`);
  out.write(
    pods
      .map((p) => describePod(p.pod as unknown as DescribedPod, readEvents(path.join(p.dir, 'events.jsonl')), now))
      .join('\n\n'),
  );
  return missing > 0 ? 1 : 0;
}
