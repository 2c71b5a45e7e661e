/**
 * `pod-init get [pods] [NAME...] [-o wide|json|yaml|name] [-n NS | -A]`: kubectl's `get pods` over the
 * state directory, with no daemon (OPERATIONS.md §4).
 * @module
 */
import type { Command } from 'commander';
import { PodOptionError } from '../errors';
import { KubectlError, podNotFound } from '../ops/errors';
import { type ListedPod, listPods, type StateLocation } from '../ops/pod-list';
import { formatPods, type GetOutput } from '../ops/pod-table';

/** Options of `pod-init get`. */
export interface GetOptions {
  names: string[];
  output: GetOutput;
  namespace: string;
  allNamespaces: boolean;
  /** `-w`: after the list, a row per change, until the output closes or the command is interrupted. */
  watch: boolean;
}

const outputs = ['wide', 'json', 'yaml', 'name'] as const;
const podResources = new Set(['pods', 'pod', 'po']);

function getProgram(): Command {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { Command } = require('commander') as typeof import('commander');
  return new Command('pod-init get')
    .usage('[pods] [NAME...] [options]')
    .description("Show pods as `kubectl get pods` does, read from the state directory (pod-init run's pods).")
    .argument('[args...]', '`pods` (optional), then pod names')
    .option('-o, --output <format>', `one of ${outputs.join(', ')} (default: the table)`)
    .option('-n, --namespace <namespace>', 'the namespace', 'default')
    .option('-A, --all-namespaces', 'pods of every namespace (a NAMESPACE column first)')
    .option('-w, --watch', 'after listing, print a row for each pod that changes (until Ctrl-C)')
    .exitOverride()
    .showHelpAfterError('(run pod-init get --help for usage)');
}

/**
 * Parses `pod-init get`'s arguments (without `get`).
 *
 * @example
 * parseGetArgs(['pods', 'web', '-o', 'json']); // { names: ['web'], output: 'json', namespace: 'default', ... }
 */
export function parseGetArgs(args: string[]): GetOptions {
  const program = getProgram();
  program.parse(args, { from: 'user' });
  const o = program.opts<{ output?: string; namespace: string; allNamespaces?: boolean; watch?: boolean }>();
  let names = program.args;
  if (names.length > 0 && names[0]!.includes('/')) names = names.map((n) => n.replace(/^(pods?|po)\//, ''));
  else if (names.length > 0 && podResources.has(names[0]!)) names = names.slice(1);
  if (o.output !== undefined && !(outputs as readonly string[]).includes(o.output))
    throw new PodOptionError('--output', `one of ${outputs.join(', ')}`, o.output);
  if (o.allNamespaces && names.length > 0)
    throw new PodOptionError('NAME', 'absent with --all-namespaces (a name is looked up in one namespace)', names[0]);
  return {
    names,
    output: (o.output ?? 'table') as GetOutput,
    namespace: o.namespace,
    allNamespaces: o.allNamespaces === true,
    watch: o.watch === true,
  };
}

/**
 * Runs `pod-init get`: prints the pods, resolves with the exit code (1 when a named pod is missing:
 * the others are printed, then the NotFound lines, as kubectl does).
 *
 * @example
 * process.exitCode = await getPods(parseGetArgs(['pods']), location, process.stdout, process.stderr);
 */
export function getPods(
  options: GetOptions,
  location: StateLocation,
  out: NodeJS.WritableStream,
  err: NodeJS.WritableStream,
  now = new Date(),
): number {
  const all = listPods(location, options.allNamespaces ? undefined : options.namespace);
  const missing: KubectlError[] = [];
  let pods: ListedPod[] = all;
  if (options.names.length > 0) {
    pods = [];
    for (const name of options.names) {
      const found = all.find((p) => p.pod.metadata.name === name);
      if (found) pods.push(found);
      else missing.push(podNotFound(name));
    }
  }
  if (pods.length > 0 || (options.names.length === 0 && ['json', 'yaml'].includes(options.output)))
    out.write(
      formatPods(
        pods.map((p) => p.pod),
        { output: options.output, allNamespaces: options.allNamespaces, single: options.names.length === 1, now },
      ),
    );
  else if (options.names.length === 0)
    err.write(
      options.allNamespaces ? 'No resources found\n' : `No resources found in ${options.namespace} namespace.\n`,
    );
  for (const error of missing) err.write(`${error.message}\n`);
  return missing.length > 0 ? 1 : 0;
}
