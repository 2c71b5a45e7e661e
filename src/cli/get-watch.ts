/**
 * `pod-init get [pods] [NAME...] -w`: kubectl's watch over the state directory. The current pods first
 * (the table with its header), then a row each time a pod's row changes — a new pod, a phase, a
 * restart, readiness — until Ctrl-C or the reader goes away. No server timeout ends it (kubectl's does,
 * silently: kubernetes#42552), and a row that would read the same as the last one printed for that pod
 * (only its AGE or "(5s ago)" moved on) is not printed again. `-o name|json|yaml` print the object
 * (yaml documents separated by `---`) on each change instead.
 * @module
 */
import YAML from 'yaml';
import { podNotFound } from '../ops/errors';
import { listPods, type StateLocation } from '../ops/pod-list';
import { podColumns, type PodObject } from '../ops/pod-status-text';
import { formatPods } from '../ops/pod-table';
import type { GetOptions } from './get-command';
import { watchUntilClosed } from './state-watch';

/** What a row says, but the time that passes (AGE, the "(5s ago)" of RESTARTS). */
function rowSignature(pod: PodObject, now: Date): string {
  const c = podColumns(pod, now);
  return JSON.stringify([
    c.ready,
    c.status,
    c.restarts.replace(/ \(.*\)$/, ''),
    pod.status?.podIP ?? '',
    pod.status?.conditions?.map((x) => [x.type, x.status]) ?? [],
  ]);
}

/** The table's first line for `options` (its header), and the row of one pod without it. */
function tableLines(pod: PodObject, options: GetOptions, now: Date): [string, string] {
  const text = formatPods([pod], {
    output: options.output,
    allNamespaces: options.allNamespaces,
    now,
  });
  const [header, row] = text.split('\n');
  return [header!, row!];
}

function objectText(pod: PodObject, options: GetOptions, first: boolean): string {
  if (options.output === 'name') return `pod/${pod.metadata.name}\n`;
  if (options.output === 'json') return JSON.stringify(pod, null, 4) + '\n';
  return (first ? '' : '---\n') + YAML.stringify(pod);
}

/**
 * Runs `pod-init get -w`: resolves with the exit code when the output closes (1 at once when a named
 * pod is missing, as kubectl's NotFound).
 *
 * @example
 * process.exitCode = await watchPods(parseGetArgs(['pods', '-w']), location, process.stdout, process.stderr);
 */
export async function watchPods(
  options: GetOptions,
  location: StateLocation,
  out: NodeJS.WritableStream,
  err: NodeJS.WritableStream,
): Promise<number> {
  const wanted = (pod: PodObject) => options.names.length === 0 || options.names.includes(pod.metadata.name);
  const initial = listPods(location, options.allNamespaces ? undefined : options.namespace);
  const missing = options.names.filter((n) => !initial.some((p) => p.pod.metadata.name === n));
  if (missing.length > 0) {
    for (const name of missing) err.write(`${podNotFound(name).message}\n`);
    return 1;
  }
  const printed = new Map<string, string>();
  const table = options.output === 'table' || options.output === 'wide';
  let headerShown = false;
  let objects = 0;
  const show = (): void => {
    const now = new Date();
    for (const { pod } of listPods(location, options.allNamespaces ? undefined : options.namespace)) {
      if (!wanted(pod)) continue;
      const key = `${pod.metadata.namespace ?? 'default'}/${pod.metadata.name}`;
      const signature = table ? rowSignature(pod, now) : JSON.stringify(pod);
      if (printed.get(key) === signature) continue;
      printed.set(key, signature);
      if (table) {
        const [header, row] = tableLines(pod, options, now);
        if (!headerShown) out.write(`${header}\n`);
        headerShown = true;
        out.write(`${row}\n`);
      } else out.write(objectText(pod, options, objects++ === 0));
    }
  };
  show();
  await watchUntilClosed(location.stateRoot, out, show);
  return 0;
}
