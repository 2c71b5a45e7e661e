/**
 * The subset of the Kubernetes v1 Pod the runner reads, after validation and defaulting. Structural,
 * so the full Kubernetes types (src/manifest) satisfy it.
 * @module
 */
import type { HookHandler } from './hooks';
import type { ContainerSecurityFields, PodSecurityFields } from './security/container-security';
import type { ProbeSpec } from './probes';
import type { ResourceFieldSpec } from './resource-field';
import type { VolumeMountSpec, VolumeSpec } from './volumes';

/** A v1 EnvVar (only value and fieldRef/resourceFieldRef/configMapKeyRef/secretKeyRef sources). */
export interface EnvVarSpec {
  name: string;
  value?: string;
  valueFrom?: {
    fieldRef?: { fieldPath: string };
    resourceFieldRef?: ResourceFieldSpec;
    configMapKeyRef?: { name: string; key: string; optional?: boolean };
    secretKeyRef?: { name: string; key: string; optional?: boolean };
  };
}

/** A v1 Container, as far as the runner uses it. */
export interface ContainerSpec {
  name: string;
  image?: string;
  /** `Always`, `IfNotPresent`, `Never`: for images pulled from a registry (src/image/ensure.ts). */
  imagePullPolicy?: string;
  command?: string[];
  args?: string[];
  workingDir?: string;
  env?: EnvVarSpec[];
  envFrom?: Array<{
    prefix?: string;
    configMapRef?: { name: string; optional?: boolean };
    secretRef?: { name: string; optional?: boolean };
  }>;
  restartPolicy?: string;
  /** KEP-5307 exit-code rules (src/pod/restart-rules.ts). */
  restartPolicyRules?: Array<{ action?: string; exitCodes?: { operator?: string; values?: number[] } }>;
  terminationMessagePath?: string;
  terminationMessagePolicy?: string;
  securityContext?: ContainerSecurityFields;
  resources?: { limits?: Record<string, string | number>; requests?: Record<string, string | number> };
  volumeMounts?: VolumeMountSpec[];
  ports?: Array<{ name?: string; containerPort: number }>;
  startupProbe?: ProbeSpec;
  livenessProbe?: ProbeSpec;
  readinessProbe?: ProbeSpec;
  lifecycle?: { postStart?: HookHandler; preStop?: HookHandler; stopSignal?: string };
}

/** A v1 Pod, as far as the runner uses it. */
export interface PodSpecObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    uid?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    creationTimestamp?: string;
    [key: string]: unknown;
  };
  spec: {
    containers: ContainerSpec[];
    initContainers?: ContainerSpec[];
    restartPolicy?: 'Always' | 'OnFailure' | 'Never';
    terminationGracePeriodSeconds?: number;
    activeDeadlineSeconds?: number;
    shareProcessNamespace?: boolean;
    hostNetwork?: boolean;
    hostPID?: boolean;
    hostIPC?: boolean;
    hostname?: string;
    subdomain?: string;
    nodeName?: string;
    serviceAccountName?: string;
    securityContext?: PodSecurityFields & {
      fsGroupChangePolicy?: string;
      sysctls?: Array<{ name: string; value: string }>;
    };
    volumes?: VolumeSpec[];
    /** Secrets (of the same input) whose docker configs authorize this pod's pulls. */
    imagePullSecrets?: Array<{ name?: string }>;
    [key: string]: unknown;
  };
  status?: unknown;
}

/** ConfigMaps and Secrets that came in the same file, by name (values decoded). */
export interface RelatedObjects {
  configMaps: Map<string, Record<string, string>>;
  secrets: Map<string, Record<string, string>>;
  /**
   * The same values as bytes, for the files of volumes: base64 data (a Secret's `data`, a ConfigMap's `binaryData`)
   * need not be UTF-8, and the kubelet writes the bytes as they are. Absent: the strings' UTF-8.
   */
  bytes?: {
    configMaps: Map<string, Record<string, Buffer>>;
    secrets: Map<string, Record<string, Buffer>>;
  };
}
