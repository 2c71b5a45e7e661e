/**
 * The runtime field table of every type in types.ts: which fields exist (anything else is an unknown field, as
 * `kubectl apply --validate=strict` reports) and what JSON shape each holds. The compiler checks that each entry has
 * exactly the keys of its interface, so the table and the types cannot drift apart.
 * @module
 */
import type * as K from './types';

/** The scalar shapes a field can hold; `int32`/`int64` are JSON integers, `bytes` is base64 text. */
export type ScalarKind =
  'string' | 'boolean' | 'int32' | 'int64' | 'quantity' | 'intOrString' | 'time' | 'bytes' | 'any';

/** A field's shape: a scalar, a named object type, a list of either (`X[]`) or a string-keyed map of scalars. */
export type FieldKind = ScalarKind | TypeName | `${ScalarKind | TypeName}[]` | `map<${ScalarKind}>`;

/** The object types of the table, by the names the API uses. */
export interface Kinds {
  AWSElasticBlockStoreVolumeSource: K.AWSElasticBlockStoreVolumeSource;
  Affinity: K.Affinity;
  AppArmorProfile: K.AppArmorProfile;
  AzureDiskVolumeSource: K.AzureDiskVolumeSource;
  AzureFileVolumeSource: K.AzureFileVolumeSource;
  CSIVolumeSource: K.CSIVolumeSource;
  Capabilities: K.Capabilities;
  CephFSVolumeSource: K.CephFSVolumeSource;
  CinderVolumeSource: K.CinderVolumeSource;
  ClusterTrustBundleProjection: K.ClusterTrustBundleProjection;
  ConfigMap: K.ConfigMap;
  ConfigMapEnvSource: K.ConfigMapEnvSource;
  ConfigMapKeySelector: K.ConfigMapKeySelector;
  ConfigMapProjection: K.ConfigMapProjection;
  ConfigMapVolumeSource: K.ConfigMapVolumeSource;
  Container: K.Container;
  ContainerExtendedResourceRequest: K.ContainerExtendedResourceRequest;
  ContainerPort: K.ContainerPort;
  ContainerResizePolicy: K.ContainerResizePolicy;
  ContainerRestartRule: K.ContainerRestartRule;
  ContainerRestartRuleOnExitCodes: K.ContainerRestartRuleOnExitCodes;
  ContainerState: K.ContainerState;
  ContainerStateRunning: K.ContainerStateRunning;
  ContainerStateTerminated: K.ContainerStateTerminated;
  ContainerStateWaiting: K.ContainerStateWaiting;
  ContainerStatus: K.ContainerStatus;
  ContainerUser: K.ContainerUser;
  DownwardAPIProjection: K.DownwardAPIProjection;
  DownwardAPIVolumeFile: K.DownwardAPIVolumeFile;
  DownwardAPIVolumeSource: K.DownwardAPIVolumeSource;
  EmptyDirVolumeSource: K.EmptyDirVolumeSource;
  EnvFromSource: K.EnvFromSource;
  EnvVar: K.EnvVar;
  EnvVarSource: K.EnvVarSource;
  EphemeralContainer: K.EphemeralContainer;
  EphemeralVolumeSource: K.EphemeralVolumeSource;
  ExecAction: K.ExecAction;
  FCVolumeSource: K.FCVolumeSource;
  FileKeySelector: K.FileKeySelector;
  FlexVolumeSource: K.FlexVolumeSource;
  FlockerVolumeSource: K.FlockerVolumeSource;
  GCEPersistentDiskVolumeSource: K.GCEPersistentDiskVolumeSource;
  GRPCAction: K.GRPCAction;
  GitRepoVolumeSource: K.GitRepoVolumeSource;
  GlusterfsVolumeSource: K.GlusterfsVolumeSource;
  HTTPGetAction: K.HTTPGetAction;
  HTTPHeader: K.HTTPHeader;
  HostAlias: K.HostAlias;
  HostIP: K.HostIP;
  HostPathVolumeSource: K.HostPathVolumeSource;
  ISCSIVolumeSource: K.ISCSIVolumeSource;
  ImageVolumeSource: K.ImageVolumeSource;
  ImageVolumeStatus: K.ImageVolumeStatus;
  KeyToPath: K.KeyToPath;
  LabelSelector: K.LabelSelector;
  LabelSelectorRequirement: K.LabelSelectorRequirement;
  Lifecycle: K.Lifecycle;
  LifecycleHandler: K.LifecycleHandler;
  LinuxContainerUser: K.LinuxContainerUser;
  LocalObjectReference: K.LocalObjectReference;
  ManagedFieldsEntry: K.ManagedFieldsEntry;
  NFSVolumeSource: K.NFSVolumeSource;
  NodeAffinity: K.NodeAffinity;
  NodeAllocatableResourceClaimStatus: K.NodeAllocatableResourceClaimStatus;
  NodeSelector: K.NodeSelector;
  NodeSelectorRequirement: K.NodeSelectorRequirement;
  NodeSelectorTerm: K.NodeSelectorTerm;
  ObjectFieldSelector: K.ObjectFieldSelector;
  ObjectMeta: K.ObjectMeta;
  OwnerReference: K.OwnerReference;
  PersistentVolumeClaimSpec: K.PersistentVolumeClaimSpec;
  PersistentVolumeClaimTemplate: K.PersistentVolumeClaimTemplate;
  PersistentVolumeClaimVolumeSource: K.PersistentVolumeClaimVolumeSource;
  PhotonPersistentDiskVolumeSource: K.PhotonPersistentDiskVolumeSource;
  Pod: K.Pod;
  PodAffinity: K.PodAffinity;
  PodAffinityTerm: K.PodAffinityTerm;
  PodAntiAffinity: K.PodAntiAffinity;
  PodCertificateProjection: K.PodCertificateProjection;
  PodCondition: K.PodCondition;
  PodDNSConfig: K.PodDNSConfig;
  PodDNSConfigOption: K.PodDNSConfigOption;
  PodExtendedResourceClaimStatus: K.PodExtendedResourceClaimStatus;
  PodIP: K.PodIP;
  PodOS: K.PodOS;
  PodReadinessGate: K.PodReadinessGate;
  PodResourceClaim: K.PodResourceClaim;
  PodResourceClaimStatus: K.PodResourceClaimStatus;
  PodSchedulingGate: K.PodSchedulingGate;
  PodSchedulingGroup: K.PodSchedulingGroup;
  PodSecurityContext: K.PodSecurityContext;
  PodSpec: K.PodSpec;
  PodStatus: K.PodStatus;
  PortworxVolumeSource: K.PortworxVolumeSource;
  PreferredSchedulingTerm: K.PreferredSchedulingTerm;
  Probe: K.Probe;
  ProjectedVolumeSource: K.ProjectedVolumeSource;
  QuobyteVolumeSource: K.QuobyteVolumeSource;
  RBDVolumeSource: K.RBDVolumeSource;
  ResourceClaim: K.ResourceClaim;
  ResourceFieldSelector: K.ResourceFieldSelector;
  ResourceHealth: K.ResourceHealth;
  ResourceRequirements: K.ResourceRequirements;
  ResourceStatus: K.ResourceStatus;
  SELinuxOptions: K.SELinuxOptions;
  ScaleIOVolumeSource: K.ScaleIOVolumeSource;
  SeccompProfile: K.SeccompProfile;
  Secret: K.Secret;
  SecretEnvSource: K.SecretEnvSource;
  SecretKeySelector: K.SecretKeySelector;
  SecretProjection: K.SecretProjection;
  SecretVolumeSource: K.SecretVolumeSource;
  SecurityContext: K.SecurityContext;
  ServiceAccountTokenProjection: K.ServiceAccountTokenProjection;
  SleepAction: K.SleepAction;
  StorageOSVolumeSource: K.StorageOSVolumeSource;
  Sysctl: K.Sysctl;
  TCPSocketAction: K.TCPSocketAction;
  Toleration: K.Toleration;
  TopologySpreadConstraint: K.TopologySpreadConstraint;
  TypedLocalObjectReference: K.TypedLocalObjectReference;
  TypedObjectReference: K.TypedObjectReference;
  Volume: K.Volume;
  VolumeDevice: K.VolumeDevice;
  VolumeMount: K.VolumeMount;
  VolumeMountStatus: K.VolumeMountStatus;
  VolumeProjection: K.VolumeProjection;
  VolumeResourceRequirements: K.VolumeResourceRequirements;
  VolumeStatus: K.VolumeStatus;
  VsphereVirtualDiskVolumeSource: K.VsphereVirtualDiskVolumeSource;
  WeightedPodAffinityTerm: K.WeightedPodAffinityTerm;
  WindowsSecurityContextOptions: K.WindowsSecurityContextOptions;
}

/** One of the object types in {@link Kinds}. */
export type TypeName = keyof Kinds;

/** A required field (not optional in types.ts) is marked `!`: decoding fills in its Go zero value when absent. */
type Entry<T> = { [F in keyof Required<T>]: undefined extends T[F] ? FieldKind : `!${FieldKind}` };
type Schema = { [T in TypeName]: Entry<Kinds[T]> };

/** A Container's fields, which an EphemeralContainer shares. */
const containerFields = {
  name: '!string',
  image: 'string',
  command: 'string[]',
  args: 'string[]',
  workingDir: 'string',
  ports: 'ContainerPort[]',
  envFrom: 'EnvFromSource[]',
  env: 'EnvVar[]',
  resources: 'ResourceRequirements',
  resizePolicy: 'ContainerResizePolicy[]',
  restartPolicy: 'string',
  restartPolicyRules: 'ContainerRestartRule[]',
  volumeMounts: 'VolumeMount[]',
  volumeDevices: 'VolumeDevice[]',
  livenessProbe: 'Probe',
  readinessProbe: 'Probe',
  startupProbe: 'Probe',
  lifecycle: 'Lifecycle',
  terminationMessagePath: 'string',
  terminationMessagePolicy: 'string',
  imagePullPolicy: 'string',
  securityContext: 'SecurityContext',
  stdin: 'boolean',
  stdinOnce: 'boolean',
  tty: 'boolean',
} satisfies Entry<K.Container>;

/** Field name to {@link FieldKind}, for each object type. */
export const schema = {
  AWSElasticBlockStoreVolumeSource: { volumeID: '!string', fsType: 'string', partition: 'int32', readOnly: 'boolean' },
  Affinity: { nodeAffinity: 'NodeAffinity', podAffinity: 'PodAffinity', podAntiAffinity: 'PodAntiAffinity' },
  AppArmorProfile: { type: '!string', localhostProfile: 'string' },
  AzureDiskVolumeSource: {
    diskName: '!string',
    diskURI: '!string',
    cachingMode: 'string',
    fsType: 'string',
    readOnly: 'boolean',
    kind: 'string',
  },
  AzureFileVolumeSource: { secretName: '!string', shareName: '!string', readOnly: 'boolean' },
  CSIVolumeSource: {
    driver: '!string',
    readOnly: 'boolean',
    fsType: 'string',
    volumeAttributes: 'map<string>',
    nodePublishSecretRef: 'LocalObjectReference',
  },
  Capabilities: { add: 'string[]', drop: 'string[]' },
  CephFSVolumeSource: {
    monitors: '!string[]',
    path: 'string',
    user: 'string',
    secretFile: 'string',
    secretRef: 'LocalObjectReference',
    readOnly: 'boolean',
  },
  CinderVolumeSource: { volumeID: '!string', fsType: 'string', readOnly: 'boolean', secretRef: 'LocalObjectReference' },
  ClusterTrustBundleProjection: {
    name: 'string',
    signerName: 'string',
    labelSelector: 'LabelSelector',
    optional: 'boolean',
    path: '!string',
  },
  ConfigMap: {
    apiVersion: 'string',
    kind: 'string',
    metadata: 'ObjectMeta',
    immutable: 'boolean',
    data: 'map<string>',
    binaryData: 'map<bytes>',
  },
  ConfigMapEnvSource: { name: 'string', optional: 'boolean' },
  ConfigMapKeySelector: { name: 'string', key: '!string', optional: 'boolean' },
  ConfigMapProjection: { name: 'string', items: 'KeyToPath[]', optional: 'boolean' },
  ConfigMapVolumeSource: { name: 'string', items: 'KeyToPath[]', defaultMode: 'int32', optional: 'boolean' },
  Container: containerFields,
  ContainerExtendedResourceRequest: { containerName: '!string', resourceName: '!string', requestName: '!string' },
  ContainerPort: { name: 'string', hostPort: 'int32', containerPort: '!int32', protocol: 'string', hostIP: 'string' },
  ContainerResizePolicy: { resourceName: '!string', restartPolicy: '!string' },
  ContainerRestartRule: { action: 'string', exitCodes: 'ContainerRestartRuleOnExitCodes' },
  ContainerRestartRuleOnExitCodes: { operator: 'string', values: 'int32[]' },
  ContainerState: {
    waiting: 'ContainerStateWaiting',
    running: 'ContainerStateRunning',
    terminated: 'ContainerStateTerminated',
  },
  ContainerStateRunning: { startedAt: 'time' },
  ContainerStateTerminated: {
    exitCode: '!int32',
    signal: 'int32',
    reason: 'string',
    message: 'string',
    startedAt: 'time',
    finishedAt: 'time',
    containerID: 'string',
  },
  ContainerStateWaiting: { reason: 'string', message: 'string' },
  ContainerStatus: {
    name: '!string',
    state: 'ContainerState',
    lastState: 'ContainerState',
    ready: '!boolean',
    restartCount: '!int32',
    image: '!string',
    imageID: '!string',
    containerID: 'string',
    started: 'boolean',
    allocatedResources: 'map<quantity>',
    resources: 'ResourceRequirements',
    volumeMounts: 'VolumeMountStatus[]',
    user: 'ContainerUser',
    allocatedResourcesStatus: 'ResourceStatus[]',
    stopSignal: 'string',
  },
  ContainerUser: { linux: 'LinuxContainerUser' },
  DownwardAPIProjection: { items: 'DownwardAPIVolumeFile[]' },
  DownwardAPIVolumeFile: {
    path: '!string',
    fieldRef: 'ObjectFieldSelector',
    resourceFieldRef: 'ResourceFieldSelector',
    mode: 'int32',
  },
  DownwardAPIVolumeSource: { items: 'DownwardAPIVolumeFile[]', defaultMode: 'int32' },
  EmptyDirVolumeSource: { medium: 'string', sizeLimit: 'quantity' },
  EnvFromSource: { prefix: 'string', configMapRef: 'ConfigMapEnvSource', secretRef: 'SecretEnvSource' },
  EnvVar: { name: '!string', value: 'string', valueFrom: 'EnvVarSource' },
  EnvVarSource: {
    fieldRef: 'ObjectFieldSelector',
    resourceFieldRef: 'ResourceFieldSelector',
    configMapKeyRef: 'ConfigMapKeySelector',
    secretKeyRef: 'SecretKeySelector',
    fileKeyRef: 'FileKeySelector',
  },
  EphemeralContainer: { ...containerFields, targetContainerName: 'string' },
  EphemeralVolumeSource: { volumeClaimTemplate: 'PersistentVolumeClaimTemplate' },
  ExecAction: { command: 'string[]' },
  FCVolumeSource: { targetWWNs: 'string[]', lun: 'int32', fsType: 'string', readOnly: 'boolean', wwids: 'string[]' },
  FileKeySelector: { volumeName: '!string', path: '!string', key: '!string', optional: 'boolean' },
  FlexVolumeSource: {
    driver: '!string',
    fsType: 'string',
    secretRef: 'LocalObjectReference',
    readOnly: 'boolean',
    options: 'map<string>',
  },
  FlockerVolumeSource: { datasetName: 'string', datasetUUID: 'string' },
  GCEPersistentDiskVolumeSource: { pdName: '!string', fsType: 'string', partition: 'int32', readOnly: 'boolean' },
  GRPCAction: { port: '!int32', service: 'string' },
  GitRepoVolumeSource: { repository: '!string', revision: 'string', directory: 'string' },
  GlusterfsVolumeSource: { endpoints: '!string', path: '!string', readOnly: 'boolean' },
  HTTPGetAction: {
    path: 'string',
    port: '!intOrString',
    host: 'string',
    scheme: 'string',
    httpHeaders: 'HTTPHeader[]',
  },
  HTTPHeader: { name: '!string', value: '!string' },
  HostAlias: { ip: '!string', hostnames: 'string[]' },
  HostIP: { ip: '!string' },
  HostPathVolumeSource: { path: '!string', type: 'string' },
  ISCSIVolumeSource: {
    targetPortal: '!string',
    iqn: '!string',
    lun: '!int32',
    iscsiInterface: 'string',
    fsType: 'string',
    readOnly: 'boolean',
    portals: 'string[]',
    chapAuthDiscovery: 'boolean',
    chapAuthSession: 'boolean',
    secretRef: 'LocalObjectReference',
    initiatorName: 'string',
  },
  ImageVolumeSource: { reference: 'string', pullPolicy: 'string' },
  ImageVolumeStatus: { imageRef: 'string' },
  KeyToPath: { key: '!string', path: '!string', mode: 'int32' },
  LabelSelector: { matchLabels: 'map<string>', matchExpressions: 'LabelSelectorRequirement[]' },
  LabelSelectorRequirement: { key: '!string', operator: '!string', values: 'string[]' },
  Lifecycle: { postStart: 'LifecycleHandler', preStop: 'LifecycleHandler', stopSignal: 'string' },
  LifecycleHandler: {
    exec: 'ExecAction',
    httpGet: 'HTTPGetAction',
    tcpSocket: 'TCPSocketAction',
    sleep: 'SleepAction',
  },
  LinuxContainerUser: { uid: '!int64', gid: '!int64', supplementalGroups: 'int64[]' },
  LocalObjectReference: { name: 'string' },
  ManagedFieldsEntry: {
    manager: 'string',
    operation: 'string',
    apiVersion: 'string',
    time: 'time',
    fieldsType: 'string',
    fieldsV1: 'any',
    subresource: 'string',
  },
  NFSVolumeSource: { server: '!string', path: '!string', readOnly: 'boolean' },
  NodeAffinity: {
    requiredDuringSchedulingIgnoredDuringExecution: 'NodeSelector',
    preferredDuringSchedulingIgnoredDuringExecution: 'PreferredSchedulingTerm[]',
  },
  NodeAllocatableResourceClaimStatus: {
    resourceClaimName: '!string',
    containers: 'string[]',
    resources: '!map<quantity>',
  },
  NodeSelector: { nodeSelectorTerms: '!NodeSelectorTerm[]' },
  NodeSelectorRequirement: { key: '!string', operator: '!string', values: 'string[]' },
  NodeSelectorTerm: { matchExpressions: 'NodeSelectorRequirement[]', matchFields: 'NodeSelectorRequirement[]' },
  ObjectFieldSelector: { apiVersion: 'string', fieldPath: '!string' },
  ObjectMeta: {
    name: 'string',
    generateName: 'string',
    namespace: 'string',
    selfLink: 'string',
    uid: 'string',
    resourceVersion: 'string',
    generation: 'int64',
    creationTimestamp: 'time',
    deletionTimestamp: 'time',
    deletionGracePeriodSeconds: 'int64',
    labels: 'map<string>',
    annotations: 'map<string>',
    ownerReferences: 'OwnerReference[]',
    finalizers: 'string[]',
    managedFields: 'ManagedFieldsEntry[]',
  },
  OwnerReference: {
    apiVersion: '!string',
    kind: '!string',
    name: '!string',
    uid: '!string',
    controller: 'boolean',
    blockOwnerDeletion: 'boolean',
  },
  PersistentVolumeClaimSpec: {
    accessModes: 'string[]',
    selector: 'LabelSelector',
    resources: 'VolumeResourceRequirements',
    volumeName: 'string',
    storageClassName: 'string',
    volumeMode: 'string',
    dataSource: 'TypedLocalObjectReference',
    dataSourceRef: 'TypedObjectReference',
    volumeAttributesClassName: 'string',
  },
  PersistentVolumeClaimTemplate: { metadata: 'ObjectMeta', spec: '!PersistentVolumeClaimSpec' },
  PersistentVolumeClaimVolumeSource: { claimName: '!string', readOnly: 'boolean' },
  PhotonPersistentDiskVolumeSource: { pdID: '!string', fsType: 'string' },
  Pod: { apiVersion: 'string', kind: 'string', metadata: 'ObjectMeta', spec: 'PodSpec', status: 'PodStatus' },
  PodAffinity: {
    requiredDuringSchedulingIgnoredDuringExecution: 'PodAffinityTerm[]',
    preferredDuringSchedulingIgnoredDuringExecution: 'WeightedPodAffinityTerm[]',
  },
  PodAffinityTerm: {
    labelSelector: 'LabelSelector',
    namespaces: 'string[]',
    topologyKey: '!string',
    namespaceSelector: 'LabelSelector',
    matchLabelKeys: 'string[]',
    mismatchLabelKeys: 'string[]',
  },
  PodAntiAffinity: {
    requiredDuringSchedulingIgnoredDuringExecution: 'PodAffinityTerm[]',
    preferredDuringSchedulingIgnoredDuringExecution: 'WeightedPodAffinityTerm[]',
  },
  PodCertificateProjection: {
    signerName: 'string',
    keyType: 'string',
    maxExpirationSeconds: 'int32',
    credentialBundlePath: 'string',
    keyPath: 'string',
    certificateChainPath: 'string',
    userAnnotations: 'map<string>',
  },
  PodCondition: {
    type: '!string',
    observedGeneration: 'int64',
    status: '!string',
    lastProbeTime: 'time',
    lastTransitionTime: 'time',
    reason: 'string',
    message: 'string',
  },
  PodDNSConfig: { nameservers: 'string[]', searches: 'string[]', options: 'PodDNSConfigOption[]' },
  PodDNSConfigOption: { name: 'string', value: 'string' },
  PodExtendedResourceClaimStatus: {
    requestMappings: '!ContainerExtendedResourceRequest[]',
    resourceClaimName: '!string',
  },
  PodIP: { ip: '!string' },
  PodOS: { name: '!string' },
  PodReadinessGate: { conditionType: '!string' },
  PodResourceClaim: { name: '!string', resourceClaimName: 'string', resourceClaimTemplateName: 'string' },
  PodResourceClaimStatus: { name: '!string', resourceClaimName: 'string' },
  PodSchedulingGate: { name: '!string' },
  PodSchedulingGroup: { podGroupName: 'string' },
  PodSecurityContext: {
    seLinuxOptions: 'SELinuxOptions',
    windowsOptions: 'WindowsSecurityContextOptions',
    runAsUser: 'int64',
    runAsGroup: 'int64',
    runAsNonRoot: 'boolean',
    supplementalGroups: 'int64[]',
    supplementalGroupsPolicy: 'string',
    fsGroup: 'int64',
    sysctls: 'Sysctl[]',
    fsGroupChangePolicy: 'string',
    seccompProfile: 'SeccompProfile',
    appArmorProfile: 'AppArmorProfile',
    seLinuxChangePolicy: 'string',
  },
  PodSpec: {
    volumes: 'Volume[]',
    initContainers: 'Container[]',
    containers: '!Container[]',
    ephemeralContainers: 'EphemeralContainer[]',
    restartPolicy: 'string',
    terminationGracePeriodSeconds: 'int64',
    activeDeadlineSeconds: 'int64',
    dnsPolicy: 'string',
    nodeSelector: 'map<string>',
    serviceAccountName: 'string',
    serviceAccount: 'string',
    automountServiceAccountToken: 'boolean',
    nodeName: 'string',
    hostNetwork: 'boolean',
    hostPID: 'boolean',
    hostIPC: 'boolean',
    shareProcessNamespace: 'boolean',
    securityContext: 'PodSecurityContext',
    imagePullSecrets: 'LocalObjectReference[]',
    hostname: 'string',
    subdomain: 'string',
    affinity: 'Affinity',
    schedulerName: 'string',
    tolerations: 'Toleration[]',
    hostAliases: 'HostAlias[]',
    priorityClassName: 'string',
    priority: 'int32',
    dnsConfig: 'PodDNSConfig',
    readinessGates: 'PodReadinessGate[]',
    runtimeClassName: 'string',
    enableServiceLinks: 'boolean',
    preemptionPolicy: 'string',
    overhead: 'map<quantity>',
    topologySpreadConstraints: 'TopologySpreadConstraint[]',
    setHostnameAsFQDN: 'boolean',
    os: 'PodOS',
    hostUsers: 'boolean',
    schedulingGates: 'PodSchedulingGate[]',
    resourceClaims: 'PodResourceClaim[]',
    resources: 'ResourceRequirements',
    hostnameOverride: 'string',
    schedulingGroup: 'PodSchedulingGroup',
  },
  PodStatus: {
    observedGeneration: 'int64',
    phase: 'string',
    conditions: 'PodCondition[]',
    message: 'string',
    reason: 'string',
    nominatedNodeName: 'string',
    hostIP: 'string',
    hostIPs: 'HostIP[]',
    podIP: 'string',
    podIPs: 'PodIP[]',
    startTime: 'time',
    initContainerStatuses: 'ContainerStatus[]',
    containerStatuses: 'ContainerStatus[]',
    qosClass: 'string',
    ephemeralContainerStatuses: 'ContainerStatus[]',
    resize: 'string',
    resourceClaimStatuses: 'PodResourceClaimStatus[]',
    extendedResourceClaimStatus: 'PodExtendedResourceClaimStatus',
    allocatedResources: 'map<quantity>',
    resources: 'ResourceRequirements',
    nodeAllocatableResourceClaimStatuses: 'NodeAllocatableResourceClaimStatus[]',
  },
  PortworxVolumeSource: { volumeID: '!string', fsType: 'string', readOnly: 'boolean' },
  PreferredSchedulingTerm: { weight: '!int32', preference: '!NodeSelectorTerm' },
  Probe: {
    exec: 'ExecAction',
    httpGet: 'HTTPGetAction',
    tcpSocket: 'TCPSocketAction',
    grpc: 'GRPCAction',
    initialDelaySeconds: 'int32',
    timeoutSeconds: 'int32',
    periodSeconds: 'int32',
    successThreshold: 'int32',
    failureThreshold: 'int32',
    terminationGracePeriodSeconds: 'int64',
  },
  ProjectedVolumeSource: { sources: 'VolumeProjection[]', defaultMode: 'int32' },
  QuobyteVolumeSource: {
    registry: '!string',
    volume: '!string',
    readOnly: 'boolean',
    user: 'string',
    group: 'string',
    tenant: 'string',
  },
  RBDVolumeSource: {
    monitors: '!string[]',
    image: '!string',
    fsType: 'string',
    pool: 'string',
    user: 'string',
    keyring: 'string',
    secretRef: 'LocalObjectReference',
    readOnly: 'boolean',
  },
  ResourceClaim: { name: '!string', request: 'string' },
  ResourceFieldSelector: { containerName: 'string', resource: '!string', divisor: 'quantity' },
  ResourceHealth: { resourceID: '!string', health: 'string', message: 'string' },
  ResourceRequirements: { limits: 'map<quantity>', requests: 'map<quantity>', claims: 'ResourceClaim[]' },
  ResourceStatus: { name: '!string', resources: 'ResourceHealth[]' },
  SELinuxOptions: { user: 'string', role: 'string', type: 'string', level: 'string' },
  ScaleIOVolumeSource: {
    gateway: '!string',
    system: '!string',
    secretRef: 'LocalObjectReference',
    sslEnabled: 'boolean',
    protectionDomain: 'string',
    storagePool: 'string',
    storageMode: 'string',
    volumeName: 'string',
    fsType: 'string',
    readOnly: 'boolean',
  },
  SeccompProfile: { type: '!string', localhostProfile: 'string' },
  Secret: {
    apiVersion: 'string',
    kind: 'string',
    metadata: 'ObjectMeta',
    immutable: 'boolean',
    data: 'map<bytes>',
    stringData: 'map<string>',
    type: 'string',
  },
  SecretEnvSource: { name: 'string', optional: 'boolean' },
  SecretKeySelector: { name: 'string', key: '!string', optional: 'boolean' },
  SecretProjection: { name: 'string', items: 'KeyToPath[]', optional: 'boolean' },
  SecretVolumeSource: { secretName: 'string', items: 'KeyToPath[]', defaultMode: 'int32', optional: 'boolean' },
  SecurityContext: {
    capabilities: 'Capabilities',
    privileged: 'boolean',
    seLinuxOptions: 'SELinuxOptions',
    windowsOptions: 'WindowsSecurityContextOptions',
    runAsUser: 'int64',
    runAsGroup: 'int64',
    runAsNonRoot: 'boolean',
    readOnlyRootFilesystem: 'boolean',
    allowPrivilegeEscalation: 'boolean',
    procMount: 'string',
    seccompProfile: 'SeccompProfile',
    appArmorProfile: 'AppArmorProfile',
  },
  ServiceAccountTokenProjection: { audience: 'string', expirationSeconds: 'int64', path: '!string' },
  SleepAction: { seconds: '!int64' },
  StorageOSVolumeSource: {
    volumeName: 'string',
    volumeNamespace: 'string',
    fsType: 'string',
    readOnly: 'boolean',
    secretRef: 'LocalObjectReference',
  },
  Sysctl: { name: '!string', value: '!string' },
  TCPSocketAction: { port: '!intOrString', host: 'string' },
  Toleration: { key: 'string', operator: 'string', value: 'string', effect: 'string', tolerationSeconds: 'int64' },
  TopologySpreadConstraint: {
    maxSkew: '!int32',
    topologyKey: '!string',
    whenUnsatisfiable: '!string',
    labelSelector: 'LabelSelector',
    minDomains: 'int32',
    nodeAffinityPolicy: 'string',
    nodeTaintsPolicy: 'string',
    matchLabelKeys: 'string[]',
  },
  TypedLocalObjectReference: { apiGroup: 'string', kind: '!string', name: '!string' },
  TypedObjectReference: { apiGroup: 'string', kind: '!string', name: '!string', namespace: 'string' },
  Volume: {
    name: '!string',
    hostPath: 'HostPathVolumeSource',
    emptyDir: 'EmptyDirVolumeSource',
    gcePersistentDisk: 'GCEPersistentDiskVolumeSource',
    awsElasticBlockStore: 'AWSElasticBlockStoreVolumeSource',
    gitRepo: 'GitRepoVolumeSource',
    secret: 'SecretVolumeSource',
    nfs: 'NFSVolumeSource',
    iscsi: 'ISCSIVolumeSource',
    glusterfs: 'GlusterfsVolumeSource',
    persistentVolumeClaim: 'PersistentVolumeClaimVolumeSource',
    rbd: 'RBDVolumeSource',
    flexVolume: 'FlexVolumeSource',
    cinder: 'CinderVolumeSource',
    cephfs: 'CephFSVolumeSource',
    flocker: 'FlockerVolumeSource',
    downwardAPI: 'DownwardAPIVolumeSource',
    fc: 'FCVolumeSource',
    azureFile: 'AzureFileVolumeSource',
    configMap: 'ConfigMapVolumeSource',
    vsphereVolume: 'VsphereVirtualDiskVolumeSource',
    quobyte: 'QuobyteVolumeSource',
    azureDisk: 'AzureDiskVolumeSource',
    photonPersistentDisk: 'PhotonPersistentDiskVolumeSource',
    projected: 'ProjectedVolumeSource',
    portworxVolume: 'PortworxVolumeSource',
    scaleIO: 'ScaleIOVolumeSource',
    storageos: 'StorageOSVolumeSource',
    csi: 'CSIVolumeSource',
    ephemeral: 'EphemeralVolumeSource',
    image: 'ImageVolumeSource',
  },
  VolumeDevice: { name: '!string', devicePath: '!string' },
  VolumeMount: {
    name: '!string',
    readOnly: 'boolean',
    recursiveReadOnly: 'string',
    mountPath: '!string',
    subPath: 'string',
    mountPropagation: 'string',
    subPathExpr: 'string',
  },
  VolumeMountStatus: {
    name: '!string',
    mountPath: '!string',
    readOnly: 'boolean',
    recursiveReadOnly: 'string',
    volumeStatus: 'VolumeStatus',
  },
  VolumeProjection: {
    secret: 'SecretProjection',
    downwardAPI: 'DownwardAPIProjection',
    configMap: 'ConfigMapProjection',
    serviceAccountToken: 'ServiceAccountTokenProjection',
    clusterTrustBundle: 'ClusterTrustBundleProjection',
    podCertificate: 'PodCertificateProjection',
  },
  VolumeResourceRequirements: { limits: 'map<quantity>', requests: 'map<quantity>' },
  VolumeStatus: { image: 'ImageVolumeStatus' },
  VsphereVirtualDiskVolumeSource: {
    volumePath: '!string',
    fsType: 'string',
    storagePolicyName: 'string',
    storagePolicyID: 'string',
  },
  WeightedPodAffinityTerm: { weight: '!int32', podAffinityTerm: '!PodAffinityTerm' },
  WindowsSecurityContextOptions: {
    gmsaCredentialSpecName: 'string',
    gmsaCredentialSpec: 'string',
    runAsUserName: 'string',
    hostProcess: 'boolean',
  },
} satisfies Schema;
