/**
 * `spec` checks (`ValidatePodSpec` and the pod-only parts of `ValidatePodCreate`), on a defaulted pod.
 * @module
 */
import { isIP } from 'node:net';
import { at, child, duplicate, forbidden, invalid, required, unsupported, type FieldError } from './field-error';
import { inclusiveRangeError, isDNS1123Label, isDNS1123Subdomain, isQualifiedName } from './formats';
import type { PodDNSConfig, PodSpec } from './types';
import { validateContainers, validateInitContainers, type ContainerContext } from './validate-container';
import { validateLabels } from './validate-meta';
import { validateResources } from './validate-resources';
import { validatePodSecurityContext } from './validate-security';
import { validateVolumes } from './validate-volumes';

const ipMessage = 'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)';

function validateDNS(spec: PodSpec, p: string): FieldError[] {
  const policy = spec.dnsPolicy ?? '';
  const policies = ['ClusterFirstWithHostNet', 'ClusterFirst', 'Default', 'None'];
  const errors: FieldError[] = [];
  if (policy === '') errors.push(required(child(p, 'dnsPolicy')));
  else if (!policies.includes(policy)) errors.push(unsupported(child(p, 'dnsPolicy'), policy, policies));
  const cfg: PodDNSConfig | undefined = spec.dnsConfig;
  const cp = child(p, 'dnsConfig');
  if (policy === 'None') {
    if (cfg === undefined) return [...errors, required(cp, 'must provide `dnsConfig` when `dnsPolicy` is None')];
    if ((cfg.nameservers ?? []).length === 0) {
      return [
        ...errors,
        required(child(cp, 'nameservers'), 'must provide at least one DNS nameserver when `dnsPolicy` is None'),
      ];
    }
  }
  if (cfg === undefined) return errors;
  const servers = cfg.nameservers ?? [];
  if (servers.length > 3)
    errors.push(invalid(child(cp, 'nameservers'), servers, 'must not have more than 3 nameservers'));
  servers.forEach((ns, i) => {
    if (isIP(ns) === 0) errors.push(invalid(at(child(cp, 'nameservers'), i), ns, ipMessage));
  });
  const searches = cfg.searches ?? [];
  if (searches.length > 32)
    errors.push(invalid(child(cp, 'searches'), searches, 'must not have more than 32 search paths'));
  if (searches.join(' ').length > 2048) {
    errors.push(
      invalid(
        child(cp, 'searches'),
        searches,
        'must not have more than 2048 characters (including spaces) in the search list',
      ),
    );
  }
  searches.forEach((search, i) => {
    if (search === '.') return;
    const trimmed = search.replace(/\.$/, '');
    // Relaxed search validation (GA in 1.34) also allows '_' inside labels.
    for (const msg of isDNS1123Subdomain(trimmed.replace(/_/g, 'a')))
      errors.push(invalid(at(child(cp, 'searches'), i), trimmed, msg));
  });
  (cfg.options ?? []).forEach((o, i) => {
    if ((o.name ?? '') === '') errors.push(required(at(child(cp, 'options'), i), 'must not be empty'));
  });
  return errors;
}

function validateNames(spec: PodSpec, p: string): FieldError[] {
  const errors: FieldError[] = [];
  for (const name of ['hostname', 'subdomain'] as const) {
    const value = spec[name] ?? '';
    if (value !== '') for (const msg of isDNS1123Label(value)) errors.push(invalid(child(p, name), value, msg));
  }
  for (const name of ['serviceAccountName', 'nodeName', 'priorityClassName'] as const) {
    const value = spec[name] ?? '';
    if (value !== '') for (const msg of isDNS1123Subdomain(value)) errors.push(invalid(child(p, name), value, msg));
  }
  (spec.hostAliases ?? []).forEach((alias, i) => {
    const ap = at(child(p, 'hostAliases'), i);
    if (isIP(alias.ip) === 0) errors.push(invalid(child(ap, 'ip'), alias.ip, ipMessage));
    (alias.hostnames ?? []).forEach((h, j) => {
      for (const msg of isDNS1123Subdomain(h)) errors.push(invalid(at(child(ap, 'hostnames'), j), h, msg));
    });
  });
  (spec.readinessGates ?? []).forEach((gate, i) => {
    const gp = child(at(child(p, 'readinessGates'), i), 'conditionType');
    for (const msg of isQualifiedName(gate.conditionType)) errors.push(invalid(gp, gate.conditionType, msg));
  });
  const gates = new Set<string>();
  (spec.schedulingGates ?? []).forEach((gate, i) => {
    const gp = at(child(p, 'schedulingGates'), i);
    for (const msg of isQualifiedName(gate.name)) errors.push(invalid(gp, gate.name, msg));
    if (gates.has(gate.name)) errors.push(duplicate(gp, gate.name));
    gates.add(gate.name);
  });
  return errors;
}

function validateHostNamespaces(spec: PodSpec, p: string): FieldError[] {
  const errors: FieldError[] = [];
  if (spec.hostNetwork === true) {
    const cp = child(p, 'containers');
    spec.containers.forEach((c, i) => {
      (c.ports ?? []).forEach((port, j) => {
        if ((port.hostPort ?? 0) !== port.containerPort) {
          const hp = child(at(child(at(cp, i), 'ports'), j), 'hostPort');
          errors.push(invalid(hp, port.hostPort ?? 0, 'must match `containerPort` when `hostNetwork` is true'));
        }
      });
    });
  }
  if (spec.hostUsers === false) {
    for (const name of ['hostNetwork', 'hostPID', 'hostIPC'] as const) {
      if (spec[name] === true) errors.push(forbidden(child(p, name), 'when `pod.Spec.HostUsers` is false'));
    }
  }
  return errors;
}

/**
 * Validates the `spec` of a defaulted pod (see defaults.ts): volumes, containers, init containers, and the
 * pod-level fields.
 *
 * @example
 * validatePodSpec(applyDefaults(pod).spec!, 'spec');
 */
export function validatePodSpec(spec: PodSpec, p: string): FieldError[] {
  const errors: FieldError[] = [];
  // No range check: defaulting already read a negative grace period as 1, as the API server does.
  const grace = spec.terminationGracePeriodSeconds;
  if (grace === undefined) errors.push(required(child(p, 'terminationGracePeriodSeconds')));
  const hasServiceAccount = (spec.serviceAccountName ?? '') !== '';
  const { errors: volumeErrors, byName } = validateVolumes(spec.volumes ?? [], child(p, 'volumes'), hasServiceAccount);
  errors.push(...volumeErrors);
  const claims = new Set<string>();
  (spec.resourceClaims ?? []).forEach((claim, i) => {
    const np = child(at(child(p, 'resourceClaims'), i), 'name');
    if (claim.name === '') errors.push(required(np));
    else if (claims.has(claim.name)) errors.push(duplicate(np, claim.name));
    else for (const msg of isDNS1123Label(claim.name)) errors.push(invalid(np, claim.name, msg));
    claims.add(claim.name);
  });
  const ctx: ContainerContext = {
    volumes: byName,
    claims,
    grace: grace ?? 30,
    restartPolicy: spec.restartPolicy ?? 'Always',
    os: spec.os?.name,
    hostUsers: spec.hostUsers !== false,
  };
  errors.push(...validateContainers(spec.containers, ctx, child(p, 'containers')));
  errors.push(...validateInitContainers(spec.initContainers ?? [], spec.containers, ctx, child(p, 'initContainers')));
  if ((spec.ephemeralContainers ?? []).length > 0)
    errors.push(forbidden(child(p, 'ephemeralContainers'), 'cannot be set on create'));
  if (spec.resources !== undefined) errors.push(...validateResources(spec.resources, child(p, 'resources'), claims));
  errors.push(...validateHostNamespaces(spec, p));
  const restart = spec.restartPolicy ?? '';
  if (restart === '') errors.push(required(child(p, 'restartPolicy')));
  else if (!['Always', 'OnFailure', 'Never'].includes(restart)) {
    errors.push(unsupported(child(p, 'restartPolicy'), restart, ['Always', 'OnFailure', 'Never']));
  }
  errors.push(...validateDNS(spec, p));
  errors.push(...validateLabels(spec.nodeSelector, child(p, 'nodeSelector')));
  if (spec.securityContext !== undefined) {
    errors.push(...validatePodSecurityContext(spec.securityContext, spec, child(p, 'securityContext')));
  }
  errors.push(...validateNames(spec, p));
  const deadline = spec.activeDeadlineSeconds;
  if (deadline !== undefined && (deadline < 1 || deadline > 2147483647)) {
    errors.push(invalid(child(p, 'activeDeadlineSeconds'), deadline, inclusiveRangeError(1, 2147483647)));
  }
  if (spec.os !== undefined && spec.os.name !== 'linux') {
    // The API server accepts "windows" too; pod-init runs Linux pods only.
    errors.push(unsupported(child(child(p, 'os'), 'name'), spec.os.name, ['linux']));
  }
  if (spec.preemptionPolicy !== undefined && !['PreemptLowerPriority', 'Never'].includes(spec.preemptionPolicy)) {
    errors.push(unsupported(child(p, 'preemptionPolicy'), spec.preemptionPolicy, ['PreemptLowerPriority', 'Never']));
  }
  if ((spec.nodeName ?? '') !== '' && (spec.schedulingGates ?? []).length > 0) {
    errors.push(forbidden(child(p, 'nodeName'), 'cannot be set until all schedulingGates have been cleared'));
  }
  return errors;
}
