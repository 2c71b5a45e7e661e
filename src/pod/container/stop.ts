/**
 * Stopping containers the kubelet's way (KUBERNETES.md B.10): `killContainer` for one (a `Killing`
 * event, the preStop hook within the grace, the stop signal, SIGKILL once the grace is over), and the
 * pod's order at its termination (every container at once; a sidecar's signal waits for the regular
 * containers and the sidecars after it).
 * @module
 */
import type { Say } from '../events';
import { runHook } from '../hooks';
import { type ContainerRecord, isRunning } from '../records';
import type { Signal } from '../../process/signals';

/** What {@link killContainer} needs besides the container. */
export interface KillContext {
  /** `name_namespace(uid)`, for the hook's messages. */
  podRef: string;
  /** The image's StopSignal (its config), if any: lifecycle.stopSignal wins over it. */
  imageStopSignal?: string;
  say: Say;
  /** The kills begun, by instance id (one per instance). */
  kills: Map<string, Promise<void>>;
}

/**
 * The kubelet's killContainer (B.10): a `Killing` event, the preStop hook within the grace, then (for a
 * sidecar) `waitFor` the containers it serves, then the stop signal (lifecycle.stopSignal, else the
 * image's, else SIGTERM) and SIGKILL once the grace is over — at least 2 s after the signal. One kill
 * per instance: a second call (a deletion during a probe's kill) waits for the first. Resolves once the
 * instance has exited.
 *
 * @example
 * await killContainer(record, Date.now() + 30_000, 'Stopping container web', { podRef, say, kills });
 */
export function killContainer(
  r: ContainerRecord,
  deadline: number,
  message: string,
  ctx: KillContext,
  waitFor?: () => Promise<unknown>,
): Promise<void> {
  const instance = r.current;
  const proc = instance?.process;
  if (!instance || !proc || !isRunning(r)) return Promise.resolve();
  const begun = ctx.kills.get(instance.id);
  if (begun !== undefined) return begun;
  const killing = (async () => {
    ctx.say('Normal', 'Killing', message, r.spec.name);
    const until = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)).unref());
    const preStop = r.spec.lifecycle?.preStop;
    try {
      if (preStop && instance.target && deadline > Date.now()) {
        const subject = { container: r.spec.name, pod: ctx.podRef };
        const hook = runHook(preStop, instance.target, subject, deadline - Date.now());
        const outcome = await Promise.race([hook, proc.exited.then(() => ({ ok: true }) as const)]);
        if (!outcome.ok) ctx.say('Warning', 'FailedPreStopHook', outcome.message, r.spec.name);
      }
      if (waitFor && deadline > Date.now()) await Promise.race([waitFor(), until(deadline - Date.now())]);
    } catch (error) {
      ctx.say('Warning', 'FailedPreStopHook', (error as Error).message, r.spec.name);
    }
    try {
      // lifecycle.stopSignal > the image's StopSignal > SIGTERM (containerd's order)
      proc.kill((r.spec.lifecycle?.stopSignal ?? ctx.imageStopSignal ?? 'SIGTERM') as Signal);
    } catch {
      proc.kill('SIGTERM'); // a stop signal this host does not know
    }
    const kill = setTimeout(() => proc.kill('SIGKILL'), Math.max(deadline - Date.now(), 2000));
    await proc.exited;
    clearTimeout(kill);
  })();
  ctx.kills.set(instance.id, killing);
  return killing;
}

/**
 * The pod's termination order (B.10): killContainer for every running container at once — preStop
 * hooks, sidecars' too, start now — but a sidecar's stop signal waits for every regular container and
 * every later sidecar. `kill` is {@link killContainer} bound to the pod; resolves once all have exited.
 *
 * @example
 * await stopContainers(records.filter(isRunning), deadline, (r, message, waitFor) => killContainer(r, deadline, message, ctx, waitFor));
 */
export function stopContainers(
  running: readonly ContainerRecord[],
  kill: (r: ContainerRecord, message: string, waitFor?: () => Promise<unknown>) => Promise<void>,
): Promise<unknown> {
  const exited = (r: ContainerRecord) => r.current?.process?.exited ?? Promise.resolve();
  const regular = running.filter((r) => r.kind !== 'sidecar');
  const sidecars = running.filter((r) => r.kind === 'sidecar');
  return Promise.all([
    ...regular.map((r) => kill(r, `Stopping container ${r.spec.name}`)),
    ...sidecars.map((r, i) =>
      kill(r, `Stopping container ${r.spec.name}`, () =>
        Promise.all([...regular, ...sidecars.slice(i + 1)].map(exited)),
      ),
    ),
  ]);
}
