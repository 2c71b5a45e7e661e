/**
 * The cgroup v2 device allow list: a BPF_PROG_TYPE_CGROUP_DEVICE program built from {@link DeviceRule}s
 * (native/device_filter.cc), loaded and attached to a cgroup v2 directory with `BPF_F_ALLOW_MULTI` (the programs of
 * a cgroup and its ancestors must all allow). The program stays attached after its fd is closed and goes with the
 * cgroup's removal. Needs CAP_SYS_ADMIN (or CAP_BPF with CAP_NET_ADMIN) in the initial user namespace: root only.
 * @module
 */
import { native } from '../native';
import type { DeviceRule } from './devices';

/**
 * Loads a device program for `rules` and attaches it to the cgroup v2 directory `dir`. Throws a PodSystemError
 * (`syscall` `bpf(BPF_PROG_LOAD)` or `bpf(BPF_PROG_ATTACH)`, with a hint) when the kernel refuses.
 *
 * @example
 * attachDeviceProgram('/sys/fs/cgroup/kubepods/podu/app', deviceProgramRules(false)!);
 */
export function attachDeviceProgram(dir: string, rules: readonly DeviceRule[]): void {
  const fd = native.loadDeviceFilter(rules);
  try {
    native.attachDeviceFilter(dir, fd);
  } finally {
    native.close(fd);
  }
}

/**
 * How many device programs are attached to `dir` itself (not its ancestors), by `BPF_PROG_QUERY`.
 *
 * @example
 * attachedDevicePrograms('/sys/fs/cgroup/kubepods/podu/app'); // 1
 */
export function attachedDevicePrograms(dir: string): number {
  return native.deviceFilterCount(dir);
}
