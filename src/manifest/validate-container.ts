/**
 * Container checks (`validateContainerCommon`, `validateContainers`, `validateInitContainers`): name, image, ports,
 * env, mounts, resources and the fields allowed for regular containers, init containers and sidecars.
 * @module
 */
import path from 'node:path';
import {
  at,
  child,
  duplicate,
  forbidden,
  invalid,
  notFound,
  required,
  tooMany,
  unsupported,
  type FieldError,
} from './field-error';
import { isDNS1123Label, isValidPortName, isValidPortNum } from './formats';
import type { Container, Volume } from './types';
import { validateEnv, validateEnvFrom } from './validate-env';
import { validateLifecycle, validateProbe } from './validate-handlers';
import { validateResources } from './validate-resources';
import { validateSecurityContext } from './validate-security';
import { localDescendingPath } from './validate-volumes';
import { specialTargetProblem } from '../pod/special-targets';

/** What container checks need to know about the pod around them. */
export interface ContainerContext {
  volumes: ReadonlyMap<string, Volume>;
  claims: ReadonlySet<string>;
  grace: number;
  restartPolicy: string;
  os: string | undefined;
  /** `spec.hostUsers` (default true): `procMount: Unmasked` needs false. */
  hostUsers: boolean;
}

const protocols = ['TCP', 'UDP', 'SCTP'];

function validatePorts(c: Container, p: string): FieldError[] {
  const errors: FieldError[] = [];
  const names = new Set<string>();
  const seen = new Map<string, number>();
  (c.ports ?? []).forEach((port, i) => {
    const pp = at(p, i);
    if ((port.name ?? '') !== '') {
      const msgs = isValidPortName(port.name!);
      if (msgs.length > 0) for (const msg of msgs) errors.push(invalid(child(pp, 'name'), port.name, msg));
      else if (names.has(port.name!)) errors.push(duplicate(child(pp, 'name'), port.name));
      else names.add(port.name!);
    }
    if (port.containerPort === 0) errors.push(required(child(pp, 'containerPort')));
    else
      for (const msg of isValidPortNum(port.containerPort))
        errors.push(invalid(child(pp, 'containerPort'), port.containerPort, msg));
    const hostPort = port.hostPort ?? 0;
    if (hostPort !== 0)
      for (const msg of isValidPortNum(hostPort)) errors.push(invalid(child(pp, 'hostPort'), hostPort, msg));
    const protocol = port.protocol ?? '';
    if (protocol === '') errors.push(required(child(pp, 'protocol')));
    else if (!protocols.includes(protocol)) errors.push(unsupported(child(pp, 'protocol'), protocol, protocols));
    // The API server only warns here ("duplicate port definition"); two listeners cannot share a port, so pod-init refuses.
    const key = `${port.containerPort}/${protocol}`;
    if (seen.has(key)) errors.push(duplicate(pp, key));
    else seen.set(key, i);
  });
  return errors;
}

function validateMounts(c: Container, ctx: ContainerContext, p: string): FieldError[] {
  const errors: FieldError[] = [];
  const mountPaths = new Set<string>();
  (c.volumeMounts ?? []).forEach((m, i) => {
    const mp = at(p, i);
    if (m.name === '') errors.push(required(child(mp, 'name')));
    const volume = ctx.volumes.get(m.name);
    if (volume === undefined) errors.push(notFound(child(mp, 'name'), m.name));
    if (m.mountPath === '') errors.push(required(child(mp, 'mountPath')));
    else if (!path.isAbsolute(m.mountPath))
      errors.push(invalid(child(mp, 'mountPath'), m.mountPath, 'must be an absolute path'));
    else errors.push(...specialTarget(m.mountPath, c, child(mp, 'mountPath')));
    if (mountPaths.has(m.mountPath)) errors.push(invalid(child(mp, 'mountPath'), m.mountPath, 'must be unique'));
    mountPaths.add(m.mountPath);
    const subPath = m.subPath ?? '';
    const subPathExpr = m.subPathExpr ?? '';
    // subPath and subPathExpr on an image volume are allowed since Kubernetes 1.33 (KEP-4639 beta).
    if (subPath !== '') errors.push(...localDescendingPath(subPath, child(mp, 'subPath')));
    if (subPathExpr !== '') {
      if (subPath !== '')
        errors.push(invalid(child(mp, 'subPathExpr'), subPathExpr, 'subPathExpr and subPath are mutually exclusive'));
      errors.push(...localDescendingPath(subPathExpr, child(mp, 'subPathExpr')));
    }
    const propagation = m.mountPropagation;
    const propagations = ['Bidirectional', 'HostToContainer', 'None'];
    if (propagation !== undefined) {
      if (!propagations.includes(propagation))
        errors.push(unsupported(child(mp, 'mountPropagation'), propagation, propagations));
      if (propagation === 'Bidirectional' && c.securityContext?.privileged !== true) {
        errors.push(
          forbidden(
            child(mp, 'mountPropagation'),
            'Bidirectional mount propagation is available only to privileged containers',
          ),
        );
      }
    }
    const rro = m.recursiveReadOnly;
    if (rro !== undefined && rro !== 'Disabled') {
      const rp = child(mp, 'recursiveReadOnly');
      if (rro !== 'Enabled' && rro !== 'IfPossible')
        errors.push(unsupported(rp, rro, ['Disabled', 'IfPossible', 'Enabled']));
      else {
        if (m.readOnly !== true) errors.push(forbidden(rp, 'may only be specified when readOnly is true'));
        if (propagation !== undefined && propagation !== 'None')
          errors.push(forbidden(rp, 'may only be specified when mountPropagation is None or not specified'));
      }
    }
  });
  return errors;
}

/** A mount target over /proc, /sys (not privileged) or /dev/pts (src/pod/special-targets.ts): escape E7. */
function specialTarget(target: string, c: Container, p: string): FieldError[] {
  const problem = specialTargetProblem(target, c.securityContext?.privileged === true);
  return problem === undefined ? [] : [invalid(p, target, problem)];
}

/** The checks every kind of container gets (`validateContainerCommon`). */
function validateCommon(c: Container, ctx: ContainerContext, p: string): FieldError[] {
  const errors: FieldError[] = [];
  if (c.name === '') errors.push(required(child(p, 'name')));
  else for (const msg of isDNS1123Label(c.name)) errors.push(invalid(child(p, 'name'), c.name, msg));
  const image = c.image ?? '';
  if (image === '') errors.push(required(child(p, 'image')));
  else if (image.trim() !== image)
    errors.push(invalid(child(p, 'image'), image, 'must not have leading or trailing whitespace'));
  const tmp = c.terminationMessagePolicy ?? '';
  if (tmp === '') errors.push(required(child(p, 'terminationMessagePolicy')));
  else if (!['File', 'FallbackToLogsOnError'].includes(tmp))
    errors.push(unsupported(child(p, 'terminationMessagePolicy'), tmp, ['File', 'FallbackToLogsOnError']));
  errors.push(...validatePorts(c, child(p, 'ports')));
  errors.push(...validateEnv(c.env ?? [], child(p, 'env')), ...validateEnvFrom(c.envFrom ?? [], child(p, 'envFrom')));
  errors.push(...validateMounts(c, ctx, child(p, 'volumeMounts')));
  if (c.terminationMessagePath !== undefined && path.isAbsolute(c.terminationMessagePath))
    errors.push(...specialTarget(c.terminationMessagePath, c, child(p, 'terminationMessagePath')));
  (c.volumeDevices ?? []).forEach((d, i) => {
    const dp = at(child(p, 'volumeDevices'), i);
    const volume = ctx.volumes.get(d.name);
    if (d.name === '') errors.push(required(child(dp, 'name')));
    if (volume === undefined) errors.push(notFound(child(dp, 'name'), d.name));
    else if (volume.persistentVolumeClaim === undefined && volume.ephemeral === undefined) {
      errors.push(
        invalid(
          child(dp, 'name'),
          d.name,
          'can only use volume source type of PersistentVolumeClaim or Ephemeral for block mode',
        ),
      );
    }
    if (d.devicePath === '') errors.push(required(child(dp, 'devicePath')));
  });
  const pull = c.imagePullPolicy ?? '';
  if (pull === '') errors.push(required(child(p, 'imagePullPolicy')));
  else if (!['Always', 'IfNotPresent', 'Never'].includes(pull))
    errors.push(unsupported(child(p, 'imagePullPolicy'), pull, ['Always', 'IfNotPresent', 'Never']));
  errors.push(...validateResources(c.resources ?? {}, child(p, 'resources'), ctx.claims));
  const resized = new Set<string>();
  (c.resizePolicy ?? []).forEach((rp, i) => {
    const path_ = child(p, 'resizePolicy');
    if (resized.has(rp.resourceName)) errors.push(duplicate(at(path_, i), rp.resourceName));
    resized.add(rp.resourceName);
    if (rp.resourceName === '') errors.push(required(path_));
    else if (!['cpu', 'memory'].includes(rp.resourceName))
      errors.push(unsupported(path_, rp.resourceName, ['cpu', 'memory']));
    if (!['NotRequired', 'RestartContainer'].includes(rp.restartPolicy))
      errors.push(unsupported(path_, rp.restartPolicy, ['NotRequired', 'RestartContainer']));
    if (ctx.restartPolicy === 'Never' && rp.restartPolicy !== 'NotRequired') {
      errors.push(invalid(path_, rp.restartPolicy, "must be 'NotRequired' when `restartPolicy` is 'Never'"));
    }
  });
  if (c.securityContext !== undefined)
    errors.push(...validateSecurityContext(c.securityContext, child(p, 'securityContext'), ctx.hostUsers));
  return errors;
}

/** Probes and hooks, allowed for regular containers and sidecars. */
function validateHandlers(c: Container, ctx: ContainerContext, p: string): FieldError[] {
  const errors: FieldError[] = [];
  if (c.lifecycle !== undefined)
    errors.push(...validateLifecycle(c.lifecycle, ctx.grace, ctx.os, child(p, 'lifecycle')));
  if (c.livenessProbe !== undefined)
    errors.push(...validateProbe(c.livenessProbe, 'liveness', ctx.grace, child(p, 'livenessProbe')));
  if (c.readinessProbe !== undefined)
    errors.push(...validateProbe(c.readinessProbe, 'readiness', ctx.grace, child(p, 'readinessProbe')));
  if (c.startupProbe !== undefined)
    errors.push(...validateProbe(c.startupProbe, 'startup', ctx.grace, child(p, 'startupProbe')));
  return errors;
}

/** At most 20 rules per container, 255 exit codes per rule (ContainerRestartRules validation). */
const MAX_RESTART_RULES = 20;
const MAX_EXIT_CODES = 255;

/**
 * `restartPolicyRules` (KEP-5307): only with the container's own `restartPolicy`; action `Restart` (pod-init does
 * not implement KEP-5532's `RestartAllContainers` and rejects it as an API server without that feature does);
 * `exitCodes` with operator `In`/`NotIn`. `policyPath` is the container's `restartPolicy` path.
 */
function validateRestartRules(c: Container, p: string, policyPath: string): FieldError[] {
  const rules = c.restartPolicyRules ?? [];
  if (rules.length === 0) return [];
  const errors: FieldError[] = [];
  if (c.restartPolicy === undefined)
    errors.push(required(policyPath, 'must specify restartPolicy when restart rules are used'));
  if (rules.length > MAX_RESTART_RULES) errors.push(tooMany(p, rules.length, MAX_RESTART_RULES));
  rules.forEach((rule, i) => {
    const rp = at(p, i);
    const action = rule.action ?? '';
    if (action !== 'Restart') errors.push(unsupported(child(rp, 'action'), action, ['Restart']));
    const codes = rule.exitCodes;
    if (codes === undefined) {
      errors.push(required(child(rp, 'exitCodes'), 'must be specified'));
      return;
    }
    const operator = codes.operator ?? '';
    if (!['In', 'NotIn'].includes(operator))
      errors.push(unsupported(child(child(rp, 'exitCodes'), 'operator'), operator, ['In', 'NotIn']));
    const values = codes.values ?? [];
    if (values.length > MAX_EXIT_CODES)
      errors.push(tooMany(child(child(rp, 'exitCodes'), 'values'), values.length, MAX_EXIT_CODES));
  });
  return errors;
}

/** Host ports must not collide within one list (`checkHostPortConflicts`); `first` is the index of containers[0]. */
function hostPortConflicts(containers: readonly Container[], p: string, first = 0): FieldError[] {
  const errors: FieldError[] = [];
  const used = new Set<string>();
  containers.forEach((c, ci) => {
    (c.ports ?? []).forEach((port, pi) => {
      if ((port.hostPort ?? 0) === 0) return;
      const key = `${port.protocol ?? ''}/${port.hostIP ?? ''}/${port.hostPort}`;
      if (used.has(key)) errors.push(duplicate(child(at(child(at(p, first + ci), 'ports'), pi), 'hostPort'), key));
      used.add(key);
    });
  });
  return errors;
}

/**
 * Validates `spec.containers`: at least one, unique names, and the per-container rules.
 *
 * @example
 * validateContainers([{ name: 'web', image: 'nginx' }, { name: 'web', image: 'nginx' }], ctx, 'spec.containers');
 * // includes spec.containers[1].name: Duplicate value: "web"
 */
export function validateContainers(containers: readonly Container[], ctx: ContainerContext, p: string): FieldError[] {
  if (containers.length === 0) return [required(p)];
  const errors: FieldError[] = [];
  const names = new Set<string>();
  containers.forEach((c, i) => {
    const cp = at(p, i);
    errors.push(...validateCommon(c, ctx, cp));
    if (names.has(c.name)) errors.push(duplicate(child(cp, 'name'), c.name));
    names.add(c.name);
    errors.push(...validateHandlers(c, ctx, cp));
    if ((c.restartPolicy as string | undefined) === '') errors.push(required(child(cp, 'restartPolicy')));
    else if (c.restartPolicy !== undefined && !['Always', 'OnFailure', 'Never'].includes(c.restartPolicy)) {
      errors.push(unsupported(child(cp, 'restartPolicy'), c.restartPolicy, ['Always', 'OnFailure', 'Never']));
    }
    errors.push(...validateRestartRules(c, child(cp, 'restartPolicyRules'), child(cp, 'restartPolicy')));
  });
  return [...errors, ...hostPortConflicts(containers, p)];
}

/**
 * Validates `spec.initContainers`: names unique across init and regular containers, `restartPolicy` only `Always`
 * (a sidecar), and probes and lifecycle hooks only on sidecars.
 *
 * @example
 * validateInitContainers([{ name: 'setup', image: 'busybox', restartPolicy: 'OnFailure' }], [], ctx, 'spec.initContainers');
 * // spec.initContainers[0].restartPolicy: Unsupported value: "OnFailure": supported values: "Always"
 */
export function validateInitContainers(
  inits: readonly Container[],
  regular: readonly Container[],
  ctx: ContainerContext,
  p: string,
): FieldError[] {
  const errors: FieldError[] = [];
  const names = new Set(regular.map((c) => c.name));
  inits.forEach((c, i) => {
    const cp = at(p, i);
    errors.push(...validateCommon(c, ctx, cp));
    if (c.restartPolicy !== undefined && c.restartPolicy !== 'Always') {
      errors.push(unsupported(child(cp, 'restartPolicy'), c.restartPolicy, ['Always']));
    }
    if (names.has(c.name)) errors.push(duplicate(child(cp, 'name'), c.name));
    else if (c.name !== '') names.add(c.name);
    // Init containers run one by one, so their host ports are checked one container at a time.
    errors.push(...hostPortConflicts([c], p, i));
    if (c.restartPolicy === 'Always') {
      errors.push(...validateHandlers(c, ctx, cp));
    } else {
      for (const name of ['lifecycle', 'livenessProbe', 'readinessProbe', 'startupProbe'] as const) {
        if (c[name] !== undefined)
          errors.push(forbidden(child(cp, name), 'may not be set for init containers without restartPolicy=Always'));
      }
    }
    errors.push(...validateRestartRules(c, child(cp, 'restartPolicyRules'), child(cp, 'restartPolicy')));
  });
  return errors;
}
