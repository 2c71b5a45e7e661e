/**
 * `pod-init delete [pod] NAME... | -f FILE|DIR|- ... [--grace-period N] [--now] [--force] [--wait=false] [-n NS]`:
 * kubectl's delete of pods run by `pod-init run`; `-f` (repeatable) names every Pod of its inputs, read as
 * `run -f` reads them (manifest-files.ts). The pod's own pod-init deletes it (SIGTERM, preStop,
 * the grace, SIGKILL); this command only asks it (delete-request.ts) and, with --wait (the default, as
 * kubectl's), waits until that pod-init has finished.
 * @module
 */
import type { Command } from 'commander';
import { PodOptionError } from '../errors';
import { parseManifestSet } from '../manifest';
import { KubectlError, podNotFound } from '../ops/errors';
import { findPod, type StateLocation } from '../ops/pod-list';
import { writeDeleteRequest } from '../pod/delete-request';
import { isFinalStatus } from '../pod/final-status';
import { isProcessRunning, ownedPods, ownerProcess } from '../pod/owners';
import { readManifests } from './manifest-files';

/** Options of `pod-init delete`. */
export interface DeleteOptions {
  /** The pods, each with its namespace. */
  pods: Array<{ namespace: string; name: string }>;
  /** Seconds; undefined: the pod's terminationGracePeriodSeconds. */
  gracePeriod: number | undefined;
  wait: boolean;
}

const podResources = new Set(['pods', 'pod', 'po']);

function deleteProgram(): Command {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { Command } = require('commander') as typeof import('commander');
  return new Command('pod-init delete')
    .usage('[pod] NAME... [options] | -f FILE|DIR|- ... [options]')
    .description("Delete pods as `kubectl delete pod` does: the pod's pod-init stops it gracefully.")
    .argument('[args...]', '`pod` (optional), then pod names')
    .option(
      '-f, --filename <file>',
      'a manifest, or a directory of them (repeatable): every Pod in them (its metadata.name and namespace)',
      (value: string, previous: string[]) => [...previous, value],
      [] as string[],
    )
    .option('--grace-period <seconds>', "seconds for the pod to stop (-1: the pod's own; 0 means 1 unless --force)")
    .option('--now', 'the same as --grace-period=1')
    .option('--force', 'with --grace-period=0: kill at once')
    .option('--wait [bool]', 'wait until the pod has finished (true|false)', 'true')
    .option('-n, --namespace <namespace>', 'the namespace', 'default')
    .exitOverride()
    .showHelpAfterError('(run pod-init delete --help for usage)');
}

function parseBool(option: string, value: string | boolean): boolean {
  if (value === true || value === 'true') return true;
  if (value === 'false') return false;
  throw new PodOptionError(option, 'true or false', value);
}

/**
 * Parses `pod-init delete`'s arguments (without `delete`); the grace as kubectl computes it.
 *
 * @example
 * parseDeleteArgs(['web', '--now']); // { pods: [{ namespace: 'default', name: 'web' }], gracePeriod: 1, wait: true }
 */
export function parseDeleteArgs(args: string[]): DeleteOptions {
  const program = deleteProgram();
  program.parse(args, { from: 'user' });
  const o = program.opts<{
    filename: string[];
    gracePeriod?: string;
    now?: boolean;
    force?: boolean;
    wait: string | boolean;
    namespace: string;
  }>();
  let names = program.args;
  if (names.length > 0 && names.every((n) => n.includes('/'))) {
    for (const n of names) if (!/^(pods?|po)\/./.test(n)) throw new PodOptionError('NAME', 'a pod (pod/NAME)', n);
    names = names.map((n) => n.slice(n.indexOf('/') + 1));
  } else if (names.length > 0 && podResources.has(names[0]!)) names = names.slice(1);
  let pods = names.map((name) => ({ namespace: o.namespace, name }));
  if (o.filename.length > 0) {
    if (names.length > 0)
      throw new PodOptionError('NAME', 'absent with --filename (the manifest names the pod)', names[0]);
    // Only the names are needed: the Pods are not validated (as kubectl's delete -f does not).
    pods = parseManifestSet(readManifests(o.filename)).pods.map(({ pod, where }) => {
      const name = pod.metadata?.name;
      if (typeof name !== 'string' || name === '')
        throw new PodOptionError('--filename', 'Pods with metadata.name', where);
      return { namespace: pod.metadata?.namespace || o.namespace, name };
    });
  }
  if (pods.length === 0) throw new PodOptionError('NAME', 'one or more pod names, or -f FILE', '');
  let grace: number | undefined;
  if (o.gracePeriod !== undefined) {
    const n = Number(o.gracePeriod);
    if (!/^-?\d+$/.test(o.gracePeriod) || n < -1)
      throw new PodOptionError('--grace-period', 'an integer ≥ -1', o.gracePeriod);
    if (o.now && n !== -1) throw new PodOptionError('--now', 'absent with --grace-period (they set the same)', true);
    grace = n === -1 ? undefined : n;
  }
  if (o.now) grace = 1;
  // kubectl: 0 without --force becomes 1 (no accidental kill); --force alone means 0.
  if (grace === 0 && !o.force) grace = 1;
  if (o.force && grace === undefined) grace = 0;
  return { pods, gracePeriod: grace, wait: parseBool('--wait', o.wait) };
}

/** Resolves once `done()` holds, polling (a pod-init ends when its pod has finished). */
async function until(done: () => boolean): Promise<void> {
  while (!done()) await new Promise((resolve) => setTimeout(resolve, 100));
}

/**
 * Runs `pod-init delete`: asks each pod's pod-init to delete it, prints `pod "NAME" deleted`, waits
 * (--wait) until they have finished; resolves with the exit code (1 when a pod is missing or could not
 * be asked, after the others).
 *
 * @example
 * process.exitCode = await deletePods(parseDeleteArgs(['web']), location, process.stdout, process.stderr);
 */
export async function deletePods(
  options: DeleteOptions,
  location: StateLocation,
  out: NodeJS.WritableStream,
  err: NodeJS.WritableStream,
): Promise<number> {
  let failed = false;
  const waiting: Array<{ pid: number; started: string; uid: string }> = [];
  for (const { namespace, name } of options.pods) {
    const found = findPod(location, namespace, name);
    const uid = found?.pod.metadata.uid;
    const owner = uid === undefined ? undefined : ownerProcess(location.ownersDir, uid);
    const pid = owner?.pid;
    if (found === undefined || uid === undefined) {
      err.write(`${podNotFound(name).message}\n`);
      failed = true;
      continue;
    }
    if (pid === undefined) {
      // Its pod-init is gone: nothing runs. Its logs and last status stay until `pod-init prune`.
      const phase = found.pod.status?.phase ?? 'Unknown';
      const finished = isFinalStatus(found.pod as never);
      const why = finished ? `it has finished (phase ${phase})` : 'its pod-init is gone (killed or crashed)';
      err.write(
        `pod "${name}" is not running: ${why}; its logs and status stay readable` +
          `${finished ? '' : '\nhint: pod-init prune removes what it left (cgroups, mounts) and its state'}\n`,
      );
      continue;
    }
    try {
      writeDeleteRequest(found.dir, options.gracePeriod);
      process.kill(pid, 'SIGTERM');
    } catch (error) {
      const e = error as NodeJS.ErrnoException;
      err.write(
        `${new KubectlError(`error: deleting pod "${name}": ${e.code ?? ''} ${e.syscall ?? ''} ${e.message}`.replace(/ +/g, ' ')).message}\n` +
          'hint: only the user who runs a pod (or root) may delete it\n',
      );
      failed = true;
      continue;
    }
    out.write(`pod "${name}" deleted\n`);
    waiting.push({ ...owner!, uid });
  }
  // Until each pod's pod-init has exited (a detached supervisor included), not only released the pod —
  // unless it runs other pods too (`run -f a.yaml -f b.yaml`): then until it has released this one.
  const doneWith = (o: { pid: number; started: string; uid: string }) =>
    !isProcessRunning(o.pid, o.started) ||
    (ownerProcess(location.ownersDir, o.uid) === undefined && ownedPods(location.ownersDir, o.pid).length > 0);
  if (options.wait) await until(() => waiting.every(doneWith));
  return failed ? 1 : 0;
}
