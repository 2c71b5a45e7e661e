/**
 * The masked and read-only paths of a container (SECURITY.md §2.2; the kubelet's lists, K1
 * `ConvertToRuntimeMaskedPaths`/`ReadonlyPaths`, applied as runc's `maskPaths`/`readonlyPath`), and
 * the read-only /sys of a non-privileged container (§2.3), as mount steps run after pivot_root, on
 * container paths.
 *
 * - Masked files: `/dev/null` (the container's, a bind of the host's c 1:3) bound over them.
 * - Masked directories: ONE read-only tmpfs (`nr_blocks=1,nr_inodes=1`), mounted on the first masked
 *   directory this kernel has and bound from there onto the others (runc's answer to kubernetes#138512,
 *   many thermal_throttle masks on many-CPU nodes): one superblock per container, not one per path. The
 *   first mount is not optional (the planner saw the directory on the same kernel), so a failure stops
 *   the start instead of leaving every directory unmasked; the binds are optional.
 * - Read-only paths: bound onto themselves and remounted read-only (the spawn layer keeps the
 *   nosuid/nodev/noexec the kernel locked on the mount).
 *
 * Every step is guarded (`MountStep.guard`, CVE-2025-31133/CVE-2025-52881): the child opens the
 * `/dev/null` it binds, the shared tmpfs, the /proc path bound onto itself and each target with
 * openat2 without following symlinks, checks them by fd (the device 1:3; on tmpfs, procfs or sysfs)
 * and mounts through the fds, so a /dev/null that a volume or a container made a symlink or another
 * file, or a target that is not on the kernel filesystem it names, stops the start (`mask-source`,
 * `mask-target`) instead of becoming a bind of the attacker's choice.
 *
 * Paths the host's kernel lacks are left out at plan time (the container's /proc and /sys show the
 * same kernel); every step is `optional` anyway, a path that vanished is skipped.
 * `privileged: true` and `procMount: Unmasked` get none of this (the kubelet sends empty lists).
 * @module
 */
import fs from 'node:fs';
import type { MountGuard, MountStep } from '../../process/spawn';
import { MS_BIND, MS_NODEV, MS_NOEXEC, MS_NOSUID, MS_RDONLY, MS_REC, MS_REMOUNT } from './mount-flags';

/** The kubelet's masked paths (1.34+, with /proc/interrupts), without the per-CPU thermal_throttle directories. */
export const maskedPaths: readonly string[] = [
  '/proc/asound',
  '/proc/acpi',
  '/proc/interrupts',
  '/proc/kcore',
  '/proc/keys',
  '/proc/latency_stats',
  '/proc/timer_list',
  '/proc/timer_stats',
  '/proc/sched_debug',
  '/proc/scsi',
  '/sys/firmware',
  '/sys/devices/virtual/powercap',
];

/** The kubelet's read-only paths. */
export const readOnlyPaths: readonly string[] = [
  '/proc/bus',
  '/proc/fs',
  '/proc/irq',
  '/proc/sys',
  '/proc/sysrq-trigger',
];

/** What a path is on this kernel: `file`, `dir`, or undefined when it does not exist. */
export type PathKind = (p: string) => 'file' | 'dir' | undefined;

/** The host's view (the container's /proc and /sys are of the same kernel). */
export const hostPathKind: PathKind = (p) => {
  const stat = fs.statSync(p, { throwIfNoEntry: false });
  return stat === undefined ? undefined : stat.isDirectory() ? 'dir' : 'file';
};

/**
 * The CPUs of a `/sys/devices/system/cpu/possible` list (`0-3,8`).
 *
 * @example
 * possibleCpus('0-2,5\n'); // [0, 1, 2, 5]
 */
export function possibleCpus(list: string): number[] {
  const cpus: number[] = [];
  for (const part of list.trim().split(',').filter(Boolean)) {
    const [from, to] = part.split('-').map(Number);
    for (let n = from!; n <= (to ?? from!); n++) cpus.push(n);
  }
  return cpus;
}

/**
 * The masked paths with the thermal_throttle directory of each possible CPU (kubernetes PR #131018).
 *
 * @example
 * allMaskedPaths('0-1').slice(-2); // ['/sys/devices/system/cpu/cpu0/thermal_throttle', '…/cpu1/thermal_throttle']
 */
export function allMaskedPaths(possible: string): string[] {
  const thermal = possibleCpus(possible).map((n) => `/sys/devices/system/cpu/cpu${n}/thermal_throttle`);
  return [...maskedPaths, ...thermal];
}

/** The host's `/sys/devices/system/cpu/possible` (empty when unreadable). */
export function hostPossibleCpus(): string {
  try {
    return fs.readFileSync('/sys/devices/system/cpu/possible', 'utf8');
  } catch {
    return '';
  }
}

/** The kernel filesystem a masked or read-only path must be on (what its guard checks). */
function targetFs(p: string): MountGuard['target'] {
  return p.startsWith('/sys/') ? 'sysfs' : 'proc';
}

/**
 * The masking and read-only steps (see the module's description), to run after pivot_root.
 *
 * @example
 * maskSteps({ masked: ['/proc/kcore', '/proc/acpi'], readOnly: ['/proc/sys'], kind: hostPathKind });
 * // [{ type: 'mount', source: '/dev/null', target: '/proc/kcore', flags: MS_BIND, optional: true, guard: { source: 'dev-null', target: 'proc' } },
 * //  { type: 'mount', source: 'tmpfs', target: '/proc/acpi', fstype: 'tmpfs', flags: MS_RDONLY|…, data: 'nr_blocks=1,nr_inodes=1,mode=0755', guard: { target: 'proc' } },
 * //  { type: 'mount', source: '/proc/sys', target: '/proc/sys', flags: MS_BIND|MS_REC, optional: true, guard: { target: 'proc', source: 'proc' } },
 * //  { type: 'mount', target: '/proc/sys', flags: MS_BIND|MS_REMOUNT|MS_RDONLY|MS_NOSUID|MS_NODEV|MS_NOEXEC, optional: true, guard: { target: 'proc' } }]
 */
export function maskSteps(options: {
  masked: readonly string[];
  readOnly: readonly string[];
  kind: PathKind;
}): MountStep[] {
  const steps: MountStep[] = [];
  let sharedDir: string | undefined;
  for (const p of options.masked) {
    const kind = options.kind(p);
    const target = targetFs(p);
    if (kind === 'file')
      steps.push({
        type: 'mount',
        source: '/dev/null',
        target: p,
        flags: MS_BIND,
        optional: true,
        guard: { source: 'dev-null', target },
      });
    else if (kind === 'dir' && sharedDir === undefined) {
      sharedDir = p;
      steps.push({
        type: 'mount',
        source: 'tmpfs',
        target: p,
        fstype: 'tmpfs',
        flags: MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
        data: 'nr_blocks=1,nr_inodes=1,mode=0755',
        guard: { target },
      });
    } else if (kind === 'dir')
      steps.push({
        type: 'mount',
        source: sharedDir,
        target: p,
        flags: MS_BIND,
        optional: true,
        guard: { source: 'tmpfs', target },
      });
  }
  for (const p of options.readOnly) {
    if (options.kind(p) === undefined) continue;
    const guard: MountGuard = { target: targetFs(p) };
    steps.push({
      type: 'mount',
      source: p,
      target: p,
      flags: MS_BIND | MS_REC,
      optional: true,
      guard: { ...guard, source: 'proc' },
    });
    steps.push({
      type: 'mount',
      target: p,
      flags: MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
      optional: true,
      guard,
    });
  }
  return steps;
}

/**
 * A non-privileged container's /sys: a fresh sysfs, read-only (nosuid, nodev, noexec) over whatever the
 * root has there (the host's /sys, bound in host mode), so nothing of the host's /sys — nor its cgroup
 * hierarchies under /sys/fs/cgroup — is writable; /sys/fs/cgroup is then sysfs's own empty, read-only
 * directory. A fresh sysfs needs the mounter to own the network namespace: a rootless pod on the host's
 * network cannot, and gets its /sys bind remounted read-only instead (`canMountSysfs: false`).
 *
 * @example
 * sysSteps(true); // [{ type: 'mount', source: 'sysfs', target: '/sys', fstype: 'sysfs', flags: MS_RDONLY|MS_NOSUID|MS_NODEV|MS_NOEXEC, optional: true }]
 */
export function sysSteps(canMountSysfs: boolean): MountStep[] {
  const flags = MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC;
  if (canMountSysfs)
    return [{ type: 'mount', source: 'sysfs', target: '/sys', fstype: 'sysfs', flags, optional: true }];
  return [{ type: 'mount', target: '/sys', flags: flags | MS_BIND | MS_REMOUNT, optional: true }];
}
