/**
 * `pod-init volumes [-o json] [-n NS | -A] [--claims-dir DIR]`: the persistentVolumeClaim volumes kept on this
 * host (podman's `volume ls`), which outlive every pod that used them.
 * @module
 */
import type { Command } from 'commander';
import { PodOptionError } from '../errors';
import { age } from '../ops/age';
import { listClaims } from '../ops/claims';
import { alignColumns } from '../ops/pod-table';
import { runLocations } from './state-location';

/** Options of `pod-init volumes`. */
export interface VolumesOptions {
  output: 'table' | 'json';
  namespace: string;
  allNamespaces: boolean;
  claimsDir: string;
}

function volumesProgram(): Command {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { Command } = require('commander') as typeof import('commander');
  return new Command('pod-init volumes')
    .description('List the persistentVolumeClaim volumes kept on this host (a directory per namespace and claim).')
    .option('-o, --output <format>', 'json (default: a table)')
    .option('-n, --namespace <namespace>', 'the namespace', 'default')
    .option('-A, --all-namespaces', 'claims of every namespace')
    .option('--claims-dir <dir>', 'where claims are kept (default: /var/lib/pod-init/volumes as root)')
    .exitOverride()
    .showHelpAfterError('(run pod-init volumes --help for usage)');
}

/**
 * Parses `pod-init volumes`'s arguments (without `volumes`).
 *
 * @example
 * parseVolumesArgs(['-A', '-o', 'json']).allNamespaces; // true
 */
export function parseVolumesArgs(args: string[]): VolumesOptions {
  const program = volumesProgram();
  program.parse(args, { from: 'user' });
  const o = program.opts<{ output?: string; namespace: string; allNamespaces?: boolean; claimsDir?: string }>();
  if (o.output !== undefined && o.output !== 'json') throw new PodOptionError('--output', 'json', o.output);
  return {
    output: o.output === 'json' ? 'json' : 'table',
    namespace: o.namespace,
    allNamespaces: o.allNamespaces === true,
    claimsDir: o.claimsDir ?? runLocations(process.env, process.geteuid?.() ?? 0).claimsDir,
  };
}

/**
 * Prints the claims; resolves with the exit code (0, also when there are none).
 *
 * @example
 * process.exitCode = listVolumes(parseVolumesArgs([]), process.stdout, process.stderr);
 */
export function listVolumes(options: VolumesOptions, out: NodeJS.WritableStream, err: NodeJS.WritableStream): number {
  const claims = listClaims(options.claimsDir, options.allNamespaces ? undefined : options.namespace);
  if (options.output === 'json') {
    out.write(`${JSON.stringify(claims, null, 2)}\n`);
    return 0;
  }
  if (claims.length === 0) {
    err.write(options.allNamespaces ? 'No volumes found.\n' : `No volumes found in ${options.namespace} namespace.\n`);
    return 0;
  }
  const now = new Date();
  const head = [...(options.allNamespaces ? ['NAMESPACE'] : []), 'NAME', 'PATH', 'AGE'];
  const rows = claims.map((c) => [
    ...(options.allNamespaces ? [c.namespace] : []),
    c.name,
    c.path,
    age(c.created.toISOString(), now),
  ]);
  out.write(alignColumns([head, ...rows]));
  return 0;
}
