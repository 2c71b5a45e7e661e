/**
 * Pod and container cgroups, v1 and v2, as the kubelet lays them out and sizes them.
 * @module
 */
export { cgroupAccess, type CgroupAccess } from './access';
export { applyWrites, enableControllers, limitWrites } from './apply';
export { attachDeviceProgram, attachedDevicePrograms } from './device-program';
export {
  defaultDeviceAllowList,
  deviceProgramRules,
  deviceRuleWrites,
  parseDeviceRule,
  type DeviceRule,
} from './devices';
export { v1Writes, v2Writes, type CgroupWrite } from './files';
export { killCgroup, type CgroupDirs } from './kill';
export {
  cgroupDirOf,
  layoutFromMounts,
  parseCgroupMounts,
  parseProcCgroup,
  podControllers,
  readCgroupLayout,
  readHugepageSizes,
  type CgroupLayout,
  type CgroupMount,
  type Controller,
  type Hierarchy,
  type ProcCgroupEntry,
} from './layout';
export {
  effectiveCgroupRoot,
  PodCgroups,
  type CgroupEnforcement,
  type CgroupUsage,
  type PodCgroupsOptions,
} from './manager';
export { podCgroupPath } from './paths';
export { podQOSClass } from './qos';
export {
  containerLimits,
  cpuSharesToWeight,
  hugepageSizeName,
  milliCPUToQuota,
  milliCPUToShares,
  podLimits,
  podTotals,
  sandboxLimits,
  type CgroupLimits,
  type ResourceOptions,
} from './resources';
export { podCgroupSpec, sandboxCgroupName, type ContainerCgroupSpec, type PodCgroupSpec } from './spec';
export { sweepLeftovers, type SweptPod } from './sweep';
