/**
 * Fields that are valid Kubernetes but that pod-init does not implement (KUBERNETES.md priority P2 and the
 * scheduling/cluster plumbing it says to ignore). They are reported in one warning, by field path, never silently
 * dropped. Edit the tables here as features land.
 * @module
 */
import { at, child } from './field-error';
import type { Container, Pod, PodSecurityContext, SecurityContext, Volume } from './types';
import { volumeSources } from './validate-volumes';

/** Pod spec fields pod-init ignores whenever they are set. */
const podFields = [
  'nodeSelector',
  'nodeName',
  'affinity',
  'tolerations',
  'priority',
  'priorityClassName',
  'preemptionPolicy',
  'runtimeClassName',
  'overhead',
  'topologySpreadConstraints',
  'schedulingGates',
  'schedulingGroup',
  'resourceClaims',
  'readinessGates',
  'serviceAccountName',
  'serviceAccount',
  'automountServiceAccountToken',
  'resources',
  'hostnameOverride',
] as const;

/**
 * Pod security context fields not carried out. runAsUser/Group, runAsNonRoot, supplementalGroups(Policy),
 * fsGroup(ChangePolicy), sysctls and seccompProfile are (src/pod/security/).
 */
const podSecurityFields = ['windowsOptions'] as const satisfies readonly (keyof PodSecurityContext)[];

/**
 * Container security context fields not carried out. capabilities, privileged, allowPrivilegeEscalation,
 * readOnlyRootFilesystem, runAsUser/Group, runAsNonRoot and seccompProfile are; so is `procMount: Unmasked`,
 * which validation allows only with `hostUsers: false` (a user namespace of the pod's own, src/pod/userns-ranges.ts).
 */
const securityFields = ['windowsOptions'] as const satisfies readonly (keyof SecurityContext)[];

/** Security labels pod-init never applies: each gets a warning of its own. */
const labelFields = ['appArmorProfile', 'seLinuxOptions', 'seLinuxChangePolicy'] as const;

/** Container fields ignored whenever they are set. */
// imagePullPolicy is not warned: harmless here (an image is a local root, or pulled as the policy says).
// restartPolicy and restartPolicyRules are carried out (src/pod/restart-rules.ts, KEP-5307).
const containerFields = ['resizePolicy', 'volumeDevices'] as const;

/** The volume sources pod-init mounts; every other source is reported. */
const mountedSources = new Set([
  'emptyDir',
  'hostPath',
  'configMap',
  'secret',
  'downwardAPI',
  'projected',
  'persistentVolumeClaim',
]);

/** Projected sources only an API server can fill: each is skipped with a warning of its own. */
const serverSources = {
  serviceAccountToken: 'there is no API server to mint a service account token',
  clusterTrustBundle: 'there is no API server to read ClusterTrustBundles from',
  podCertificate: 'there is no API server to issue a pod certificate',
} as const;

const isSet = (value: unknown): boolean =>
  value !== undefined &&
  !(Array.isArray(value) && value.length === 0) &&
  !(typeof value === 'object' && value !== null && Object.keys(value).length === 0);

function containerPaths(c: Container, p: string, regular: boolean): string[] {
  const out: string[] = [];
  for (const f of containerFields) if (isSet(c[f])) out.push(child(p, f));
  for (const f of ['stdin', 'stdinOnce', 'tty'] as const) if (c[f] === true) out.push(child(p, f));
  const res = c.resources;
  // cpu, memory and hugepages are cgroup limits (src/cgroups); ephemeral-storage and extended resources are not.
  for (const kind of ['limits', 'requests'] as const)
    for (const name of Object.keys(res?.[kind] ?? {}))
      if (name !== 'cpu' && name !== 'memory' && !name.startsWith('hugepages-'))
        out.push(child(child(child(p, 'resources'), kind), name));
  if (isSet(res?.claims)) out.push(child(child(p, 'resources'), 'claims'));
  // A regular container's hostPort is published (rootless: through the pod's helper, src/net/rootless-network.ts).
  if (!regular)
    (c.ports ?? []).forEach((port, i) => {
      if ((port.hostPort ?? 0) !== 0) out.push(child(at(child(p, 'ports'), i), 'hostPort'));
      if ((port.hostIP ?? '') !== '') out.push(child(at(child(p, 'ports'), i), 'hostIP'));
    });
  for (const probe of ['livenessProbe', 'readinessProbe', 'startupProbe'] as const) {
    if (c[probe]?.grpc !== undefined) out.push(child(child(p, probe), 'grpc'));
  }
  for (const hook of ['postStart', 'preStop'] as const) {
    if (c.lifecycle?.[hook]?.tcpSocket !== undefined) out.push(child(child(child(p, 'lifecycle'), hook), 'tcpSocket'));
  }
  (c.env ?? []).forEach((env, i) => {
    if (env.valueFrom?.fileKeyRef !== undefined)
      out.push(child(child(at(child(p, 'env'), i), 'valueFrom'), 'fileKeyRef'));
  });
  (c.volumeMounts ?? []).forEach((m, i) => {
    const mp = at(child(p, 'volumeMounts'), i);
    if (m.mountPropagation !== undefined && m.mountPropagation !== 'None') out.push(child(mp, 'mountPropagation'));
  });
  for (const f of securityFields) if (isSet(c.securityContext?.[f])) out.push(child(child(p, 'securityContext'), f));
  return out;
}

/** The names of the volumes some container of the pod mounts. */
function mountedVolumes(pod: Pod): Set<string> {
  const spec = pod.spec;
  const containers = [...(spec?.initContainers ?? []), ...(spec?.containers ?? [])];
  return new Set(containers.flatMap((c) => (c.volumeMounts ?? []).map((m) => m.name)));
}

/** The source of a volume pod-init cannot mount, if it has one. */
const unmountableSource = (v: Volume) => volumeSources.find((s) => v[s] !== undefined && !mountedSources.has(s));

function volumePaths(v: Volume, p: string, mounted: ReadonlySet<string>): string[] {
  const out: string[] = [];
  // One that a container mounts is not ignored: that container waits (unmountableVolumeWarnings).
  const source = unmountableSource(v);
  if (source !== undefined && !mounted.has(v.name)) out.push(child(p, source));
  if (/^HugePages/.test(v.emptyDir?.medium ?? '')) out.push(child(child(p, 'emptyDir'), 'medium'));
  return out;
}

/**
 * The field paths of a (decoded, not yet defaulted) pod that pod-init does not implement.
 *
 * @example
 * unsupportedFields({ spec: { nodeSelector: { disk: 'ssd' }, containers: [{ name: 'c', tty: true }] } });
 * // ['spec.nodeSelector', 'spec.containers[0].tty']
 */
export function unsupportedFields(pod: Pod): string[] {
  const spec = pod.spec;
  if (spec === undefined) return [];
  const out: string[] = [];
  for (const f of podFields) if (isSet(spec[f])) out.push(child('spec', f));
  if (spec.enableServiceLinks === true) out.push('spec.enableServiceLinks');
  if (spec.schedulerName !== undefined && spec.schedulerName !== 'default-scheduler') out.push('spec.schedulerName');
  for (const f of podSecurityFields) if (isSet(spec.securityContext?.[f])) out.push(child('spec.securityContext', f));
  (spec.initContainers ?? []).forEach((c, i) => out.push(...containerPaths(c, at('spec.initContainers', i), false)));
  (spec.containers ?? []).forEach((c, i) => out.push(...containerPaths(c, at('spec.containers', i), true)));
  const mounted = mountedVolumes(pod);
  (spec.volumes ?? []).forEach((v, i) => out.push(...volumePaths(v, at('spec.volumes', i), mounted)));
  return out;
}

/**
 * One warning per volume of a type pod-init cannot mount that a container mounts: what really
 * happens, as with a kubelet that lacks the volume plugin — the container never starts.
 *
 * @example
 * unmountableVolumeWarnings(pod);
 * // ['spec.volumes[0].nfs: pod-init cannot mount this volume type: container "db" would wait in ContainerCreating (FailedMount)']
 */
export function unmountableVolumeWarnings(pod: Pod): string[] {
  const spec = pod.spec;
  const containers = [...(spec?.initContainers ?? []), ...(spec?.containers ?? [])];
  const warnings: string[] = [];
  (spec?.volumes ?? []).forEach((v, i) => {
    const source = unmountableSource(v);
    const users = containers.filter((c) => (c.volumeMounts ?? []).some((m) => m.name === v.name)).map((c) => c.name);
    if (source === undefined || users.length === 0) return;
    const who = users.map((n) => JSON.stringify(n)).join(', ');
    warnings.push(
      `${child(at('spec.volumes', i), source)}: pod-init cannot mount this volume type: ` +
        `${users.length === 1 ? 'container' : 'containers'} ${who} would wait in ContainerCreating (FailedMount)`,
    );
  });
  return warnings;
}

/**
 * The one warning that lists every unimplemented field of the pod, or none when there is nothing to report.
 *
 * @example
 * unsupportedWarning({ spec: { containers: [], affinity: {nodeAffinity: {}} } });
 * // ['valid in Kubernetes but not implemented by pod-init (ignored): spec.affinity']
 */
export function unsupportedWarning(pod: Pod): string[] {
  const fields = unsupportedFields(pod);
  const summary =
    fields.length === 0 ? [] : [`valid in Kubernetes but not implemented by pod-init (ignored): ${fields.join(', ')}`];
  return [...summary, ...unmountableVolumeWarnings(pod), ...labelWarnings(pod), ...projectedWarnings(pod)];
}

/**
 * One warning per projected volume source that needs an API server (serviceAccountToken, clusterTrustBundle,
 * podCertificate): the volume is mounted without its files.
 *
 * @example
 * projectedWarnings({ spec: { containers: [], volumes: [{ name: 'v', projected: { sources: [{ serviceAccountToken: { path: 't' } }] } }] } });
 * // ['spec.volumes[0].projected.sources[0].serviceAccountToken: skipped: there is no API server to mint a service account token']
 */
export function projectedWarnings(pod: Pod): string[] {
  const out: string[] = [];
  (pod.spec?.volumes ?? []).forEach((v, i) => {
    (v.projected?.sources ?? []).forEach((source, j) => {
      const p = at(child(child(at('spec.volumes', i), 'projected'), 'sources'), j);
      for (const [kind, why] of Object.entries(serverSources))
        if (source[kind as keyof typeof serverSources] !== undefined) out.push(`${child(p, kind)}: skipped: ${why}`);
    });
  });
  return out;
}

/**
 * One warning per AppArmor or SELinux setting: pod-init applies neither, whatever the host has.
 *
 * @example
 * labelWarnings({ spec: { containers: [{ name: 'c', securityContext: { appArmorProfile: { type: 'RuntimeDefault' } } }] } });
 * // ['spec.containers[0].securityContext.appArmorProfile: not applied: pod-init sets no AppArmor profile or SELinux label']
 */
export function labelWarnings(pod: Pod): string[] {
  const spec = pod.spec;
  if (spec === undefined) return [];
  const paths: string[] = [];
  const scan = (sc: object | undefined, p: string) => {
    for (const f of labelFields) if (isSet((sc as Record<string, unknown> | undefined)?.[f])) paths.push(child(p, f));
  };
  scan(spec.securityContext, 'spec.securityContext');
  (spec.initContainers ?? []).forEach((c, i) =>
    scan(c.securityContext, child(at('spec.initContainers', i), 'securityContext')),
  );
  (spec.containers ?? []).forEach((c, i) =>
    scan(c.securityContext, child(at('spec.containers', i), 'securityContext')),
  );
  return paths.map((p) => `${p}: not applied: pod-init sets no AppArmor profile or SELinux label`);
}
