/**
 * The probe workers of a started container instance (KUBERNETES.md B.8): the startup probe first;
 * liveness and readiness once it has succeeded (at once without one); during the pod's termination only
 * readiness. Their failed attempts are events; their settled results go to `onResult`.
 * @module
 */
import type { Say } from '../events';
import type { Instance } from '../records';
import { runProbe } from '../probe-handlers';
import { type ProbeKind, type ProbeResult, type ProbeSpec, ProbeWorker } from '../probes';
import type { ContainerSpec } from '../types';

const title = { startup: 'Startup', liveness: 'Liveness', readiness: 'Readiness' } as const;

/** The probe workers of one instance. */
export type ProbeWorkers = Partial<Record<ProbeKind, ProbeWorker>>;

/**
 * Makes and starts the instance's probe workers (its `started` and `ready` before any result are
 * reduce.ts's initialHealth).
 *
 * @example
 * const workers = startProbes(spec, instance, { terminating: false, say, onResult: (kind, result) => observe(...) });
 */
export function startProbes(
  spec: ContainerSpec,
  instance: Instance,
  ctx: { terminating: boolean; say: Say; onResult: (kind: ProbeKind, result: ProbeResult) => void },
): ProbeWorkers {
  const target = instance.target!;
  const say = ctx.say;
  const make = (kind: ProbeKind, probe: ProbeSpec | undefined) =>
    probe &&
    new ProbeWorker(kind, probe, () => runProbe(probe, target, (probe.timeoutSeconds ?? 1) * 1000), {
      onFailedAttempt: (o) => say('Warning', 'Unhealthy', `${title[kind]} probe failed: ${o.output}`, spec.name),
      onWarning: (o) => say('Warning', 'ProbeWarning', `${title[kind]} probe warning: ${o.output}`, spec.name),
      onError: (o) =>
        say(
          'Warning',
          'Unhealthy',
          `${title[kind]} probe errored and resulted in unknown state: ${o.output}`,
          spec.name,
        ),
      onResult: (result) => ctx.onResult(kind, result),
    });
  const probes: ProbeWorkers = {};
  for (const [kind, probe] of [
    ['startup', spec.startupProbe],
    ['liveness', spec.livenessProbe],
    ['readiness', spec.readinessProbe],
  ] as const) {
    const worker = make(kind, probe);
    if (worker) probes[kind] = worker;
  }
  const startedAt = instance.startedAt.getTime();
  // During the pod's termination only readiness is probed (B.8).
  if (ctx.terminating) {
    delete probes.startup;
    delete probes.liveness;
  }
  if (probes.startup) probes.startup.start(startedAt);
  else {
    probes.liveness?.start(startedAt);
    probes.readiness?.start(startedAt);
  }
  return probes;
}

/**
 * The startup probe succeeded: it stops, liveness and readiness begin (readiness at once: its initial
 * delay has passed, or it waits for it).
 *
 * @example
 * afterStartup(workers, instance.startedAt);
 */
export function afterStartup(probes: ProbeWorkers, started: Date): void {
  probes.startup?.stop();
  const startedAt = started.getTime();
  probes.liveness?.start(startedAt);
  probes.readiness?.start(startedAt);
}

/**
 * Liveness and startup stop (a failed probe's kill, the pod's termination); readiness goes on probing
 * until the container is gone.
 *
 * @example
 * stopHealthProbes(workers);
 */
export function stopHealthProbes(probes: ProbeWorkers | undefined): void {
  probes?.liveness?.stop();
  probes?.startup?.stop();
}
