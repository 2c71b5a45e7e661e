/**
 * Probe workers, as the kubelet's prober runs them (pkg/kubelet/prober/worker.go; KUBERNETES.md B.8):
 * one per probe of a container instance; the first attempt at `initialDelaySeconds` after the start,
 * then one every `periodSeconds` (never two at once); a result counts once it repeats
 * `failureThreshold` (failure) or `successThreshold` (success) times in a row; errors are discarded.
 * Starting results: readiness failure, liveness success, startup unknown. Timers only, no polling.
 * @module
 */
import { type ProbeHandler, type ProbeOutcome } from './probe-handlers';

/** A v1 Probe with the API server's defaults applied. */
export interface ProbeSpec extends ProbeHandler {
  initialDelaySeconds?: number;
  periodSeconds?: number;
  timeoutSeconds?: number;
  successThreshold?: number;
  failureThreshold?: number;
  terminationGracePeriodSeconds?: number;
}

/** Which probe. */
export type ProbeKind = 'startup' | 'liveness' | 'readiness';

/** A probe's settled result. */
export type ProbeResult = 'success' | 'failure' | 'unknown';

/** The result a worker starts with (worker.go newWorker). */
export const initialResult: Readonly<Record<ProbeKind, ProbeResult>> = {
  startup: 'unknown',
  liveness: 'success',
  readiness: 'failure',
};

/** What the worker tells its owner. */
export interface ProbeCallbacks {
  /** One attempt failed (the kubelet records an Unhealthy event for each). */
  onFailedAttempt(outcome: ProbeOutcome): void;
  /** A warning (a redirect to another host: ProbeWarning). */
  onWarning(outcome: ProbeOutcome): void;
  /** The attempt could not be made (prober error): reported, then discarded. */
  onError(outcome: ProbeOutcome): void;
  /** The settled result changed. */
  onResult(result: ProbeResult, outcome: ProbeOutcome): void;
}

/**
 * Runs one probe of one container instance until stopped.
 *
 * @example
 * const worker = new ProbeWorker('readiness', spec, () => runProbe(spec, target, 1000), callbacks);
 * worker.start(startedAt);
 * worker.stop();
 */
export class ProbeWorker {
  readonly kind: ProbeKind;
  #result: ProbeResult;
  #last: 'success' | 'failure' | undefined;
  #streak = 0;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  #running = false;
  readonly #spec: ProbeSpec;
  readonly #attempt: () => Promise<ProbeOutcome>;
  readonly #callbacks: ProbeCallbacks;

  constructor(kind: ProbeKind, spec: ProbeSpec, attempt: () => Promise<ProbeOutcome>, callbacks: ProbeCallbacks) {
    this.kind = kind;
    this.#result = initialResult[kind];
    this.#spec = spec;
    this.#attempt = attempt;
    this.#callbacks = callbacks;
  }

  /** The settled result. */
  get result(): ProbeResult {
    return this.#result;
  }

  /** Schedules the first attempt at `startedAt + initialDelaySeconds` (now when that has passed). */
  start(startedAt: number, now = Date.now()): void {
    const first = startedAt + (this.#spec.initialDelaySeconds ?? 0) * 1000;
    this.#schedule(Math.max(0, first - now));
  }

  /** One attempt now (readiness right after the startup probe succeeds), then the period again. */
  probeNow(): void {
    if (this.#running || this.#stopped) return;
    clearTimeout(this.#timer);
    this.#schedule(0);
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
  }

  #schedule(ms: number): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => void this.#tick(), ms);
  }

  async #tick(): Promise<void> {
    this.#running = true;
    let outcome: ProbeOutcome;
    try {
      outcome = await this.#attempt();
    } catch (error) {
      outcome = { result: 'error', output: error instanceof Error ? error.message : String(error) };
    }
    this.#running = false;
    if (this.#stopped) return;
    this.#record(outcome);
    if (!this.#stopped) this.#schedule((this.#spec.periodSeconds ?? 10) * 1000);
  }

  #record(outcome: ProbeOutcome): void {
    if (outcome.result === 'error') {
      this.#callbacks.onError(outcome); // worker.go: errors do not count
      return;
    }
    if (outcome.result === 'warning') this.#callbacks.onWarning(outcome);
    const raw = outcome.result === 'failure' ? 'failure' : 'success';
    if (raw === 'failure') this.#callbacks.onFailedAttempt(outcome);
    this.#streak = raw === this.#last ? this.#streak + 1 : 1;
    this.#last = raw;
    const threshold = raw === 'failure' ? (this.#spec.failureThreshold ?? 3) : (this.#spec.successThreshold ?? 1);
    if (this.#streak < threshold || this.#result === raw) return;
    this.#result = raw;
    this.#callbacks.onResult(raw, outcome);
  }
}
