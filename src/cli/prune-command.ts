/**
 * `pod-init prune [-n NS | -A]`: removes what finished pods keep — their state directories, with their
 * logs and last status (podman's `pod prune`; kubectl has no such verb because the API server deletes
 * a pod's object on delete, while pod-init keeps it so that `logs` and `describe` work after the end).
 * Pods whose pod-init died are first swept as the next `pod-init run` would (status NodeLost, mounts
 * detached, their cgroups emptied and removed, said on stderr); live pods are never touched.
 * @module
 */
import fs from 'node:fs';
import type { Command } from 'commander';
import { readCgroupLayout } from '../cgroups/layout';
import { sweepLeftovers } from '../cgroups/sweep';
import { isPodGone } from '../pod/owners';
import { isFinalStatus } from '../pod/final-status';
import { mountsUnder, sweepStaleState } from '../pod/sweep-state';
import { listPodRuns, type StateLocation } from '../ops/pod-list';

/** Options of `pod-init prune`. */
export interface PruneOptions {
  namespace: string;
  allNamespaces: boolean;
}

function pruneProgram(): Command {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { Command } = require('commander') as typeof import('commander');
  return new Command('pod-init prune')
    .description(
      'Remove the state (logs, last status) of pods that have ended; pods whose pod-init died are swept first.',
    )
    .option('-n, --namespace <namespace>', 'the namespace', 'default')
    .option('-A, --all-namespaces', 'pods of every namespace')
    .exitOverride()
    .showHelpAfterError('(run pod-init prune --help for usage)');
}

/**
 * Parses `pod-init prune`'s arguments (without `prune`).
 *
 * @example
 * parsePruneArgs(['-A']); // { namespace: 'default', allNamespaces: true }
 */
export function parsePruneArgs(args: string[]): PruneOptions {
  const program = pruneProgram();
  program.parse(args, { from: 'user' });
  const o = program.opts<{ namespace: string; allNamespaces?: boolean }>();
  return { namespace: o.namespace, allNamespaces: o.allNamespaces === true };
}

/**
 * Runs `pod-init prune`: prints `pod/NAME pruned` per removed run (a name run several times has one
 * per run); resolves with the exit code.
 *
 * @example
 * process.exitCode = await prunePods(parsePruneArgs([]), location, process.stdout, process.stderr);
 */
export async function prunePods(
  options: PruneOptions,
  location: StateLocation,
  out: NodeJS.WritableStream,
  err: NodeJS.WritableStream,
  cgroupRoot = '/',
): Promise<number> {
  // A pod whose pod-init died: made final (NodeLost) with its mounts detached, as a new run sweeps it.
  sweepStaleState(location.stateRoot, location.ownersDir, (message) => err.write(`pod-init: ${message}\n`));
  if (process.geteuid?.() === 0) {
    const swept = await sweepLeftovers(readCgroupLayout(), cgroupRoot, (uid) => !isPodGone(location.ownersDir, uid));
    for (const pod of swept)
      err.write(`pod-init: Removed the cgroups of pod ${pod.podUid}, left behind by a pod-init that is gone\n`);
  }
  const runs = listPodRuns(location, options.allNamespaces ? undefined : options.namespace);
  const ended = runs.filter((r) => !r.live && isFinalStatus(r.pod as never));
  ended.sort((a, b) => a.dir.localeCompare(b.dir));
  let status = 0;
  for (const run of ended) {
    // Never a recursive removal through a mount (a volume's files are not the state's).
    const mounted = mountsUnder(run.dir);
    if (mounted.length > 0) {
      err.write(`pod-init: kept ${run.dir}: ${mounted[0]} is mounted there (unmount it, then prune again)\n`);
      status = 1;
      continue;
    }
    fs.rmSync(run.dir, { recursive: true, force: true });
    const namespace = run.pod.metadata.namespace ?? 'default';
    out.write(`pod/${run.pod.metadata.name} pruned${options.allNamespaces ? ` (namespace ${namespace})` : ''}\n`);
  }
  return status;
}
