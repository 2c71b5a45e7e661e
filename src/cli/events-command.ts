/**
 * `pod-init events [-w] [-n NS | -A]`: `kubectl get events`' table over the pods' events.jsonl files
 * (event-log.ts) — `LAST SEEN TYPE REASON OBJECT MESSAGE`, `-A` a NAMESPACE column first; identical
 * events folded with kubectl's `2m (x5 over 10m)`; oldest first by their last time. Events live as
 * long as their pod's state directory (the API server drops them after an hour); the pods read are
 * `pod-init get`'s (the live run of a name, else its newest). `-w` prints, after them, each event as it
 * comes (a repeated one again with its new count).
 * @module
 */
import path from 'node:path';
import type { Command } from 'commander';
import { age } from '../ops/age';
import { foldEvents, type FoldedEvent } from '../ops/describe-pod';
import { listPods, type StateLocation } from '../ops/pod-list';
import { alignColumns } from '../ops/pod-table';
import { readEvents } from '../pod/event-log';
import { watchUntilClosed } from './state-watch';

/** Options of `pod-init events`. */
export interface EventsOptions {
  namespace: string;
  allNamespaces: boolean;
  watch: boolean;
}

function eventsProgram(): Command {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { Command } = require('commander') as typeof import('commander');
  return new Command('pod-init events')
    .description("List the pods' events as `kubectl get events` does, read from the state directory.")
    .option('-n, --namespace <namespace>', 'the namespace', 'default')
    .option('-A, --all-namespaces', 'events of every namespace (a NAMESPACE column first)')
    .option('-w, --watch', 'after listing, print each new event (until Ctrl-C)')
    .exitOverride()
    .showHelpAfterError('(run pod-init events --help for usage)');
}

/**
 * Parses `pod-init events`' arguments (without `events`).
 *
 * @example
 * parseEventsArgs(['-A', '-w']); // { namespace: 'default', allNamespaces: true, watch: true }
 */
export function parseEventsArgs(args: string[]): EventsOptions {
  const program = eventsProgram();
  program.parse(args, { from: 'user' });
  const o = program.opts<{ namespace: string; allNamespaces?: boolean; watch?: boolean }>();
  return { namespace: o.namespace, allNamespaces: o.allNamespaces === true, watch: o.watch === true };
}

/** One folded event of one pod. */
interface PodEvent extends FoldedEvent {
  namespace: string;
  pod: string;
}

/** Every pod's folded events, oldest first by their last time. */
export function collectEvents(location: StateLocation, namespace: string | undefined): PodEvent[] {
  const events: PodEvent[] = [];
  for (const { pod, dir } of listPods(location, namespace))
    for (const e of foldEvents(readEvents(path.join(dir, 'events.jsonl'))))
      events.push({ ...e, namespace: pod.metadata.namespace ?? 'default', pod: pod.metadata.name });
  return events.sort((a, b) => Date.parse(a.last) - Date.parse(b.last));
}

/** kubectl's LAST SEEN: `12s`, or `2m (x5 over 10m)` for a repeated event. */
function lastSeen(e: FoldedEvent, now: Date): string {
  return e.count > 1 ? `${age(e.last, now)} (x${e.count} over ${age(e.first, now)})` : age(e.last, now);
}

/**
 * The table of `events` (header included).
 *
 * @example
 * formatEvents(collectEvents(location, 'default'), false, new Date());
 * // 'LAST SEEN   TYPE     REASON    OBJECT    MESSAGE\n5s          Normal   Started   pod/web   Started container app\n'
 */
export function formatEvents(events: readonly PodEvent[], allNamespaces: boolean, now: Date): string {
  const header = ['LAST SEEN', 'TYPE', 'REASON', 'OBJECT', 'MESSAGE'];
  const rows = events.map((e) => [lastSeen(e, now), e.type, e.reason, `pod/${e.pod}`, e.message.trim()]);
  return alignColumns(
    allNamespaces ? [['NAMESPACE', ...header], ...rows.map((r, i) => [events[i]!.namespace, ...r])] : [header, ...rows],
  );
}

/**
 * Runs `pod-init events`; resolves with the exit code (with -w, when the output closes).
 *
 * @example
 * process.exitCode = await listEvents(parseEventsArgs([]), location, process.stdout, process.stderr);
 */
export async function listEvents(
  options: EventsOptions,
  location: StateLocation,
  out: NodeJS.WritableStream,
  err: NodeJS.WritableStream,
): Promise<number> {
  const namespace = options.allNamespaces ? undefined : options.namespace;
  const events = collectEvents(location, namespace);
  if (events.length > 0) out.write(formatEvents(events, options.allNamespaces, new Date()));
  else if (!options.watch)
    err.write(
      options.allNamespaces ? 'No resources found\n' : `No resources found in ${options.namespace} namespace.\n`,
    );
  if (!options.watch) return 0;
  const key = (e: PodEvent) => JSON.stringify([e.namespace, e.pod, e.type, e.reason, e.message]);
  const printed = new Map(events.map((e) => [key(e), e.count]));
  let headerShown = events.length > 0;
  const show = (): void => {
    const fresh = collectEvents(location, namespace).filter((e) => printed.get(key(e)) !== e.count);
    if (fresh.length === 0) return;
    for (const e of fresh) printed.set(key(e), e.count);
    const lines = formatEvents(fresh, options.allNamespaces, new Date()).split('\n');
    out.write(`${lines.slice(headerShown ? 1 : 0).join('\n')}`);
    headerShown = true;
  };
  await watchUntilClosed(location.stateRoot, out, show);
  return 0;
}
