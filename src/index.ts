/**
 * pod-init: Kubernetes pods on one Linux host, without Docker. Public re-exports only.
 * @module
 */
export { PodOptionError, PodSystemError, setupSteps, type SetupStep, type SystemErrorFields } from './errors';
export { type NamespaceKind, namespaceId, namespaceIds, namespaceKinds, podNamespaceKinds } from './process/namespaces';
export { pausePath } from './native';
export { type ExitStatus, exitStatusCode, PodProcess } from './process/process';
export { type MemberOptions, Sandbox, type SandboxOptions } from './sandbox';
export { Keeper, type KeeperOptions } from './keeper';
export { realtimeSignals, type Signal, type SignalName, signalName, signalNumber } from './process/signals';
export {
  type IdMapping,
  type JoinableProcess,
  type JoinTarget,
  type MountGuard,
  type MountStep,
  spawn,
  type SpawnOptions,
  type StdioOption,
  type UserNamespaceOptions,
} from './process/spawn';
export { type InitOptions, initArgv, parseInitArgs } from './cli/init-command';
export { type OrphanReaper, reapOrphans, type ReapOrphansOptions } from './process/reaper';
export * as syscalls from './process/syscalls';
export { loadPod, ManifestError } from './manifest/load';
export { PodAlreadyExistsError } from './pod/pod-names';
export { kubeletLogRotation, type LogRotation } from './pod/log-rotation';
export { type LogLine, type PodEvent, PodRunner, type PodRunnerOptions } from './pod/runner';
export { parseRunArgs, runPod, type RunOptions } from './cli/run-command';
export {
  allCapabilities,
  type Capability,
  capabilitiesOf,
  capabilityMask,
  type CapabilitySets,
} from './security/capabilities';
export {
  compileSeccomp,
  loadLocalhostProfile,
  parseSeccompProfile,
  runtimeDefaultProfile,
  type SeccompFilter,
  type SeccompProfile,
  SeccompProfileError,
} from './security/seccomp';
export { defaultCapabilities } from './pod/security/capabilities';
export { age, humanDuration } from './ops/age';
export { CriRecordJoiner, type LogRecord } from './ops/cri-records';
export { type DescribedPod, describePod, foldEvents, rfc1123z } from './ops/describe-pod';
export { KubectlError, podNotFound } from './ops/errors';
export { type ExecOptions, type ExecSession, ExecStartError, execInPod } from './ops/exec';
export { type ExecSpec, readExecSpec } from './pod/exec-spec';
export { type CopyOptions, type CopyResult, checkContainerPath, copyFromPod, copyToPod } from './ops/copy';
export { findPod, type ListedPod, listPods, type StateLocation } from './ops/pod-list';
export { comparePods, type ComparedPod, type PodUpdate, unifiedDiff } from './ops/pod-update';
export {
  closeLog,
  defaultContainer,
  followLog,
  type FollowOptions,
  type LogCursor,
  type LogFilter,
  type LogTarget,
  logTarget,
  type OpenLog,
  openLog,
  readOn,
  type TargetOptions,
} from './ops/pod-logs';
export { type PodColumns, podColumns, type PodObject } from './ops/pod-status-text';
export { alignColumns, formatPods, type GetOutput, type PodTableOptions } from './ops/pod-table';
export { formatTop, type PodUsage, type TopOptions } from './ops/pod-top';
export { podCgroupDir, sampleContainers, type UsageSample } from './cgroups/usage';
export { tabwrite } from './ops/tab-writer';
export { takeDeleteRequest, writeDeleteRequest } from './pod/delete-request';
export { applySignal, takeApplyChanges, takeApplyRequest, writeApplyRequest } from './pod/apply-request';
export { type ContainerChange } from './pod/container-changes';
export { EventLog, type LoggedEvent, readEvents } from './pod/event-log';
export { stateLocation } from './cli/state-location';
export { Ipam, IpamExhaustedError, type IpamOptions, type Lease, defaultIpv4Cidr, defaultIpv6Cidr } from './net/ipam';
export { checkPodCidr, readHostRoutes, type HostRoute } from './net/host-routes';
export { type Link, type LinkChange, RouteSocket, type VethOptions } from './net/netlink';
export { defaultBridge, PodNetwork, type PodNetworkOptions, sweepPodNetworks, vethName } from './net/pod-network';
export { formatMapping, portsConflict } from './net/port-mappings';
export { HostPortInUseError, portHolder } from './net/host-ports';
export { nodePortsMessage, PodPorts, type PodPortsOptions, sweepPodPorts } from './net/pod-ports';
export { linkSysctl, setLinkSysctl } from './net/sysctl';
export { hostSide, parsePublish, podPortMappings, type PortMapping } from './net/publish-spec';
export {
  chooseRootlessHelper,
  type RootlessHelper,
  RootlessNetwork,
  type RootlessNetworkOptions,
  tunProblem,
} from './net/rootless-network';
