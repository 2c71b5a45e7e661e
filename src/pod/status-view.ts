/**
 * The runner's records as {@link decide} sees them (reconcile.ts's PodView): per container whether it
 * runs, is started, and how its latest instance ended — with the kubelet's exceptions (a regular
 * init container of an earlier sandbox counts as never run; a changed definition restarts at once; without
 * init containers, a new sandbox starts every container of the old one).
 * @module
 */
import { type ContainerRecord, isRunning } from './records';
import type { ContainerView, PodView } from './reconcile';
import type { InstanceState } from './reduce';
import { restartFields } from './restart-rules';
// eslint-disable-next-line @typescript-eslint/no-unused-vars -- for {@link}
import type { decide } from './reconcile';

/**
 * The crash-loop backoff's key of a container: its name and spec (a changed spec starts afresh).
 *
 * @example
 * backoffKey(record); // 'web@{"name":"web",...}'
 */
export function backoffKey(r: Pick<ContainerRecord, 'spec'>): string {
  return `${r.spec.name}@${JSON.stringify(r.spec)}`;
}

/**
 * The view of the pod {@link decide} takes.
 *
 * @example
 * decide(reconcileView(records, { restartPolicy: 'Never', initialized: false, generation: 1 }), backoff, now);
 */
export function reconcileView(
  records: readonly ContainerRecord[],
  o: { restartPolicy: PodView['restartPolicy']; initialized: boolean; generation: number; blocked?: boolean },
): PodView {
  const withoutInit = records.every((r) => r.kind === 'regular');
  const view = (r: ContainerRecord): ContainerView => {
    const v: ContainerView = {
      name: r.spec.name,
      kind: r.kind,
      running: isRunning(r),
      started: isRunning(r) && r.current!.started !== false,
      backoffKey: backoffKey(r),
    };
    if (r.kind === 'regular' && r.spec.restartPolicy !== undefined) v.restart = restartFields(r.spec);
    const kill = (r.current as InstanceState | undefined)?.killRequest;
    if (v.running && kill !== undefined) v.kill = kill;
    // A regular init container that ran in an earlier sandbox counts as never run: it runs again.
    const earlier = r.kind === 'init' && r.current !== undefined && r.current.generation !== o.generation;
    // A container whose definition changed is started again at once, whatever the policy (kubelet's hash check).
    if (r.current?.finishedAt && !earlier && !r.definitionChanged)
      v.lastExit = { exitCode: r.current.exitCode ?? 0, finishedAt: r.current.finishedAt.getTime() };
    // Without init containers a new sandbox starts every regular container of the old one but one that
    // succeeded under OnFailure (its own restartPolicy, else the pod's), whatever its policy says of other
    // exits: computePodActions' sandbox branch (its containersToStart).
    const onFailure = (r.kind === 'regular' ? r.spec.restartPolicy : undefined) ?? o.restartPolicy;
    const succeeded = v.lastExit?.exitCode === 0 && onFailure === 'OnFailure';
    if (withoutInit && v.lastExit && r.current!.generation !== o.generation && !succeeded) v.sandboxChanged = true;
    return v;
  };
  return {
    restartPolicy: o.restartPolicy,
    init: records.filter((r) => r.kind !== 'regular').map(view),
    regular: records.filter((r) => r.kind === 'regular').map(view),
    initialized: o.initialized,
    ...(o.blocked ? { blocked: true } : {}),
  };
}
