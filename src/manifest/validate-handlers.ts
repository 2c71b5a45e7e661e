/**
 * Probe and lifecycle hook checks (`validateProbe`, `validateHandler`, `validateLifecycle`): exactly one handler,
 * its port, path and scheme, and the probe timings as the API server requires them after defaulting.
 * @module
 */
import { child, forbidden, invalid, required, unsupported, type FieldError } from './field-error';
import { isHTTPHeaderName, isValidPortName, isValidPortNum } from './formats';
import type { HTTPGetAction, IntOrString, Lifecycle, LifecycleHandler, Probe } from './types';

/** The signals `lifecycle.stopSignal` accepts for Linux. */
const linuxSignals = [
  ...'ABRT ALRM BUS CHLD CLD CONT FPE HUP ILL INT IO IOT KILL PIPE POLL PROF PWR QUIT SEGV STKFLT STOP SYS TERM TRAP TSTP TTIN TTOU URG USR1 USR2 VTALRM WINCH XCPU XFSZ RTMIN'
    .split(' ')
    .map((s) => `SIG${s}`),
  ...Array.from({ length: 15 }, (_, i) => `SIGRTMIN+${i + 1}`),
  ...Array.from({ length: 14 }, (_, i) => `SIGRTMAX-${14 - i}`),
  'SIGRTMAX',
];

/**
 * `ValidatePortNumOrName`: a number 1-65535 or an IANA service name.
 *
 * @example
 * validatePortNumOrName(0, 'httpGet.port'); // httpGet.port: Invalid value: 0: must be between 1 and 65535, inclusive
 */
export function validatePortNumOrName(port: IntOrString, path: string): FieldError[] {
  const msgs = typeof port === 'number' ? isValidPortNum(port) : isValidPortName(port);
  return msgs.map((msg) => invalid(path, port, msg));
}

function validateHTTPGet(http: HTTPGetAction, path: string): FieldError[] {
  const errors: FieldError[] = [];
  if ((http.path ?? '') === '') errors.push(required(child(path, 'path')));
  errors.push(...validatePortNumOrName(http.port, child(path, 'port')));
  if (!['HTTP', 'HTTPS'].includes(http.scheme ?? ''))
    errors.push(unsupported(child(path, 'scheme'), http.scheme ?? '', ['HTTP', 'HTTPS']));
  for (const header of http.httpHeaders ?? []) {
    for (const msg of isHTTPHeaderName(header.name)) errors.push(invalid(child(path, 'httpHeaders'), header.name, msg));
  }
  return errors;
}

type Handler = Probe & LifecycleHandler;

/** `validateHandler`: the first handler counts, every further one is forbidden, none is required. */
function validateHandler(
  handler: Handler,
  kinds: readonly (keyof Handler)[],
  grace: number,
  path: string,
): FieldError[] {
  const errors: FieldError[] = [];
  let count = 0;
  for (const kind of kinds) {
    if (handler[kind] === undefined) continue;
    const p = child(path, kind);
    if (count++ > 0) {
      errors.push(forbidden(p, 'may not specify more than 1 handler type'));
      continue;
    }
    if (kind === 'exec' && (handler.exec?.command ?? []).length === 0) errors.push(required(child(p, 'command')));
    if (kind === 'httpGet') errors.push(...validateHTTPGet(handler.httpGet!, p));
    if (kind === 'tcpSocket') errors.push(...validatePortNumOrName(handler.tcpSocket!.port, child(p, 'port')));
    if (kind === 'grpc') errors.push(...validatePortNumOrName(handler.grpc!.port, child(p, 'port')));
    if (kind === 'sleep') {
      const seconds = handler.sleep!.seconds;
      if (seconds < 0 || seconds > grace) {
        errors.push(invalid(p, seconds, `must be non-negative and less than terminationGracePeriodSeconds (${grace})`));
      }
    }
  }
  if (count === 0) errors.push(required(path, 'must specify a handler type'));
  return errors;
}

/**
 * Validates one probe. `kind` decides the extra rules: liveness and startup probes need `successThreshold: 1`,
 * readiness probes may not set `terminationGracePeriodSeconds`.
 *
 * @example
 * validateProbe({ exec: { command: ['true'] }, successThreshold: 2, timeoutSeconds: 1, periodSeconds: 10, failureThreshold: 3 }, 'liveness', 30, 'livenessProbe');
 * // livenessProbe.successThreshold: Invalid value: 2: must be 1
 */
export function validateProbe(
  probe: Probe,
  kind: 'liveness' | 'readiness' | 'startup',
  grace: number,
  path: string,
): FieldError[] {
  const errors = validateHandler(probe, ['exec', 'httpGet', 'tcpSocket', 'grpc'], grace, path);
  for (const name of [
    'initialDelaySeconds',
    'timeoutSeconds',
    'periodSeconds',
    'successThreshold',
    'failureThreshold',
  ] as const) {
    const value = probe[name] ?? 0;
    if (value < 0) errors.push(invalid(child(path, name), value, 'must be greater than or equal to 0'));
  }
  const tgps = probe.terminationGracePeriodSeconds;
  if (tgps !== undefined && tgps <= 0)
    errors.push(invalid(child(path, 'terminationGracePeriodSeconds'), tgps, 'must be greater than 0'));
  if (kind === 'readiness' && tgps !== undefined) {
    errors.push(invalid(child(path, 'terminationGracePeriodSeconds'), tgps, 'must not be set for readinessProbes'));
  }
  if (kind !== 'readiness' && (probe.successThreshold ?? 1) !== 1) {
    errors.push(invalid(child(path, 'successThreshold'), probe.successThreshold, 'must be 1'));
  }
  return errors;
}

/**
 * Validates `lifecycle`: each hook has one handler (exec, httpGet, tcpSocket or sleep, whose seconds must fit in the
 * grace period), and `stopSignal` is a Linux signal on a pod that states its OS.
 *
 * @example
 * validateLifecycle({ preStop: { sleep: { seconds: 40 } } }, 30, undefined, 'lifecycle');
 * // lifecycle.preStop.sleep: Invalid value: 40: must be non-negative and less than terminationGracePeriodSeconds (30)
 */
export function validateLifecycle(
  lifecycle: Lifecycle,
  grace: number,
  os: string | undefined,
  path: string,
): FieldError[] {
  const errors: FieldError[] = [];
  for (const hook of ['postStart', 'preStop'] as const) {
    const handler = lifecycle[hook];
    if (handler !== undefined)
      errors.push(...validateHandler(handler, ['exec', 'httpGet', 'tcpSocket', 'sleep'], grace, child(path, hook)));
  }
  if (lifecycle.stopSignal !== undefined) {
    const p = child(path, 'stopSignal');
    if (os === undefined) errors.push(forbidden(p, 'may not be set for containers with empty `spec.os.name`'));
    else if (os === 'linux' && !linuxSignals.includes(lifecycle.stopSignal))
      errors.push(unsupported(p, lifecycle.stopSignal, linuxSignals));
  }
  return errors;
}
