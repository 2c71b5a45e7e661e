/**
 * The API server's defaults for a Pod (`pkg/apis/core/v1/defaults.go` and the `+default` markers of k8s.io/api),
 * applied to a copy. KUBERNETES.md §A.2/A.3 names the ones pod-init depends on: namespace `default`, `restartPolicy`
 * Always, `terminationGracePeriodSeconds` 30, probe timings (timeout 1, period 10, success 1, failure 3),
 * `terminationMessagePath` /dev/termination-log with policy File, container port protocol TCP; and the
 * ServiceAccount admission plugin's `serviceAccountName: default`.
 * @module
 */
import type {
  Container,
  HTTPGetAction,
  LifecycleHandler,
  ObjectFieldSelector,
  Pod,
  PodSpec,
  Probe,
  ResourceList,
  ResourceRequirements,
  Volume,
} from './types';
import { volumeSources } from './validate-volumes';

/**
 * The pull policy the API server picks when none is given: `Always` for a `:latest` tag or no tag at all,
 * `IfNotPresent` otherwise (a digest without a tag counts as no tag).
 *
 * @example
 * defaultPullPolicy('nginx'); // 'Always'
 * defaultPullPolicy('nginx:1.27'); // 'IfNotPresent'
 * defaultPullPolicy('registry:5000/app@sha256:abc'); // 'IfNotPresent'
 */
export function defaultPullPolicy(image: string): 'Always' | 'IfNotPresent' {
  const [name = '', digest] = image.split('@');
  const last = name.slice(name.lastIndexOf('/') + 1);
  const colon = last.indexOf(':');
  const tag = colon >= 0 ? last.slice(colon + 1) : digest === undefined ? 'latest' : '';
  return tag === 'latest' ? 'Always' : 'IfNotPresent';
}

/**
 * `SetDefaults_Pod`: a container's requests, where a resource has a limit but no request, default to that limit (for
 * containers of a Pod, not of templates). Returns the defaulted requests; the input is not changed.
 *
 * @example
 * requestsDefaultedToLimits({ limits: { cpu: '1', memory: '1Gi' }, requests: { cpu: '500m' } });
 * // { cpu: '500m', memory: '1Gi' }
 */
export function requestsDefaultedToLimits(resources: ResourceRequirements | undefined): ResourceList {
  return { ...resources?.limits, ...resources?.requests };
}

function defaultHTTPGet(http: HTTPGetAction | undefined): void {
  if (http === undefined) return;
  if ((http.path ?? '') === '') http.path = '/';
  if ((http.scheme ?? '') === '') http.scheme = 'HTTP';
}

/** `SetDefaults_ObjectFieldSelector`, for env vars, downwardAPI volumes and projected downwardAPI sources. */
function defaultFieldRef(fieldRef: ObjectFieldSelector | undefined): void {
  if (fieldRef !== undefined && (fieldRef.apiVersion ?? '') === '') fieldRef.apiVersion = 'v1';
}

function defaultProbe(probe: Probe | undefined): void {
  if (probe === undefined) return;
  // Zero means unset for these int32 fields, so an explicit 0 gets the default too.
  if ((probe.timeoutSeconds ?? 0) === 0) probe.timeoutSeconds = 1;
  if ((probe.periodSeconds ?? 0) === 0) probe.periodSeconds = 10;
  if ((probe.successThreshold ?? 0) === 0) probe.successThreshold = 1;
  if ((probe.failureThreshold ?? 0) === 0) probe.failureThreshold = 3;
  defaultHTTPGet(probe.httpGet);
  if (probe.grpc !== undefined) probe.grpc.service ??= '';
}

function defaultHook(hook: LifecycleHandler | undefined): void {
  defaultHTTPGet(hook?.httpGet);
}

function defaultContainer(c: Container, hostNetwork: boolean, isPodContainer: boolean): void {
  if ((c.imagePullPolicy ?? '') === '') c.imagePullPolicy = defaultPullPolicy(c.image ?? '');
  if ((c.terminationMessagePath ?? '') === '') c.terminationMessagePath = '/dev/termination-log';
  if ((c.terminationMessagePolicy ?? '') === '') c.terminationMessagePolicy = 'File';
  c.resources ??= {};
  if (isPodContainer && c.resources.limits !== undefined) c.resources.requests = requestsDefaultedToLimits(c.resources);
  for (const port of c.ports ?? []) {
    if ((port.protocol ?? '') === '') port.protocol = 'TCP';
    if (hostNetwork && (port.hostPort ?? 0) === 0) port.hostPort = port.containerPort;
  }
  for (const env of c.env ?? []) {
    const from = env.valueFrom;
    defaultFieldRef(from?.fieldRef);
    if (from?.fileKeyRef !== undefined) from.fileKeyRef.optional ??= false;
  }
  defaultProbe(c.livenessProbe);
  defaultProbe(c.readinessProbe);
  defaultProbe(c.startupProbe);
  defaultHook(c.lifecycle?.postStart);
  defaultHook(c.lifecycle?.preStop);
}

function defaultVolume(v: Volume): void {
  if (volumeSources.every((f) => v[f] === undefined)) v.emptyDir = {};
  if (v.hostPath !== undefined) v.hostPath.type ??= '';
  if (v.secret !== undefined) v.secret.defaultMode ??= 0o644;
  if (v.configMap !== undefined) v.configMap.defaultMode ??= 0o644;
  if (v.downwardAPI !== undefined) {
    v.downwardAPI.defaultMode ??= 0o644;
    for (const item of v.downwardAPI.items ?? []) defaultFieldRef(item.fieldRef);
  }
  if (v.projected !== undefined) {
    v.projected.defaultMode ??= 0o644;
    for (const source of v.projected.sources ?? []) {
      if (source.serviceAccountToken !== undefined) source.serviceAccountToken.expirationSeconds ??= 3600;
      for (const item of source.downwardAPI?.items ?? []) defaultFieldRef(item.fieldRef);
    }
  }
  if (v.image !== undefined && (v.image.pullPolicy ?? '') === '')
    v.image.pullPolicy = defaultPullPolicy(v.image.reference ?? '');
  const claimSpec = v.ephemeral?.volumeClaimTemplate?.spec;
  if (claimSpec !== undefined) claimSpec.volumeMode ??= 'Filesystem';
  // Declarative (+default) markers of the cloud volume types.
  if (v.rbd !== undefined) {
    if ((v.rbd.pool ?? '') === '') v.rbd.pool = 'rbd';
    if ((v.rbd.user ?? '') === '') v.rbd.user = 'admin';
    if ((v.rbd.keyring ?? '') === '') v.rbd.keyring = '/etc/ceph/keyring';
  }
  if (v.iscsi !== undefined && (v.iscsi.iscsiInterface ?? '') === '') v.iscsi.iscsiInterface = 'default';
  if (v.azureDisk !== undefined) {
    v.azureDisk.cachingMode ??= 'ReadWrite';
    v.azureDisk.fsType ??= 'ext4';
    v.azureDisk.readOnly ??= false;
    v.azureDisk.kind ??= 'Shared';
  }
  if (v.scaleIO !== undefined) {
    if ((v.scaleIO.storageMode ?? '') === '') v.scaleIO.storageMode = 'ThinProvisioned';
    if ((v.scaleIO.fsType ?? '') === '') v.scaleIO.fsType = 'xfs';
  }
}

function defaultSpec(spec: PodSpec): void {
  if ((spec.dnsPolicy ?? '') === '') spec.dnsPolicy = 'ClusterFirst';
  if ((spec.restartPolicy ?? '') === '') spec.restartPolicy = 'Always';
  spec.securityContext ??= {};
  spec.terminationGracePeriodSeconds ??= 30;
  // Convert_v1_Pod_To_core_Pod (since 1.27): a negative grace period is accepted and read as 1, not rejected.
  if (spec.terminationGracePeriodSeconds < 0) spec.terminationGracePeriodSeconds = 1;
  if ((spec.schedulerName ?? '') === '') spec.schedulerName = 'default-scheduler';
  spec.enableServiceLinks ??= true;
  // The ServiceAccount admission plugin names the namespace's `default` account when none is given (the
  // deprecated `serviceAccount` stands in for an unset name); v1 mirrors the name into `serviceAccount`.
  if ((spec.serviceAccountName ?? '') === '')
    spec.serviceAccountName = (spec.serviceAccount ?? '') !== '' ? spec.serviceAccount : 'default';
  spec.serviceAccount = spec.serviceAccountName;
  const hostNetwork = spec.hostNetwork === true;
  for (const c of spec.containers ?? []) defaultContainer(c, hostNetwork, true);
  for (const c of spec.initContainers ?? []) defaultContainer(c, hostNetwork, true);
  for (const c of spec.ephemeralContainers ?? []) defaultContainer(c, false, false);
  for (const v of spec.volumes ?? []) defaultVolume(v);
}

/**
 * Returns a deep copy of the pod with the API server's defaults filled in, as `kubectl get pod -o yaml` would show
 * them after `kubectl apply`. Values already set are kept (an explicit `0` for a probe timing counts as unset, as
 * in Kubernetes); a negative `terminationGracePeriodSeconds` becomes 1, as the API server converts it. Not applied:
 * pod-level `resources` defaulting and the rounding of quantities to milli units.
 *
 * @example
 * const pod = applyDefaults({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image: 'busybox' }] } });
 * pod.metadata?.namespace; // 'default'
 * pod.spec?.restartPolicy; // 'Always'
 * pod.spec?.containers[0]?.imagePullPolicy; // 'Always' (no tag means :latest)
 */
export function applyDefaults(pod: Pod): Pod {
  const copy = structuredClone(pod);
  copy.metadata ??= {};
  if ((copy.metadata.namespace ?? '') === '') copy.metadata.namespace = 'default';
  if (copy.spec !== undefined) defaultSpec(copy.spec);
  return copy;
}
