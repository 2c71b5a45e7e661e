// Masked and read-only paths, and /sys, as mount steps (src/pod/security/masked-paths.ts).
import { describe, expect, it } from 'vitest';
import {
  allMaskedPaths,
  maskSteps,
  possibleCpus,
  readOnlyPaths,
  sysSteps,
} from '../../../src/pod/security/masked-paths';
import {
  MS_BIND,
  MS_NODEV,
  MS_NOEXEC,
  MS_NOSUID,
  MS_RDONLY,
  MS_REC,
  MS_REMOUNT,
} from '../../../src/pod/security/mount-flags';

const kinds: Record<string, 'file' | 'dir'> = {
  '/proc/kcore': 'file',
  '/proc/keys': 'file',
  '/proc/interrupts': 'file',
  '/proc/acpi': 'dir',
  '/sys/firmware': 'dir',
  '/sys/devices/system/cpu/cpu1/thermal_throttle': 'dir',
  '/proc/sys': 'dir',
  '/proc/sysrq-trigger': 'file',
};
const kind = (p: string) => kinds[p];

describe('maskSteps', () => {
  const steps = maskSteps({ masked: allMaskedPaths('0-1'), readOnly: readOnlyPaths, kind });
  it('binds /dev/null over files, optional, guarded (the device 1:3, a target on procfs)', () => {
    for (const file of ['/proc/interrupts', '/proc/kcore', '/proc/keys'])
      expect(steps).toContainEqual({
        type: 'mount',
        source: '/dev/null',
        target: file,
        flags: MS_BIND,
        optional: true,
        guard: { source: 'dev-null', target: 'proc' },
      });
  });
  it('mounts ONE read-only tmpfs on the first directory (not optional) and binds it onto the others', () => {
    const tmpfs = steps.filter((s) => s.type === 'mount' && s.fstype === 'tmpfs');
    expect(tmpfs).toEqual([
      {
        type: 'mount',
        source: 'tmpfs',
        target: '/proc/acpi',
        fstype: 'tmpfs',
        flags: MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
        data: 'nr_blocks=1,nr_inodes=1,mode=0755',
        guard: { target: 'proc' },
      },
    ]);
    for (const dir of ['/sys/firmware', '/sys/devices/system/cpu/cpu1/thermal_throttle'])
      expect(steps).toContainEqual({
        type: 'mount',
        source: '/proc/acpi',
        target: dir,
        flags: MS_BIND,
        optional: true,
        guard: { source: 'tmpfs', target: 'sysfs' },
      });
  });
  it('leaves out what this kernel does not have', () => {
    const targets = steps.map((s) => s.target);
    for (const p of ['/proc/timer_stats', '/proc/asound', '/sys/devices/system/cpu/cpu0/thermal_throttle', '/proc/bus'])
      expect(targets).not.toContain(p);
  });
  it('binds read-only paths onto themselves and remounts them read-only', () => {
    expect(steps.slice(-4)).toEqual([
      {
        type: 'mount',
        source: '/proc/sys',
        target: '/proc/sys',
        flags: MS_BIND | MS_REC,
        optional: true,
        guard: { source: 'proc', target: 'proc' },
      },
      {
        type: 'mount',
        target: '/proc/sys',
        flags: MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
        optional: true,
        guard: { target: 'proc' },
      },
      {
        type: 'mount',
        source: '/proc/sysrq-trigger',
        target: '/proc/sysrq-trigger',
        flags: MS_BIND | MS_REC,
        optional: true,
        guard: { source: 'proc', target: 'proc' },
      },
      {
        type: 'mount',
        target: '/proc/sysrq-trigger',
        flags: MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
        optional: true,
        guard: { target: 'proc' },
      },
    ]);
  });
  it('has the kubelet lists, interrupts and thermal_throttle included', () => {
    expect(allMaskedPaths('0-1')).toEqual([
      '/proc/asound', '/proc/acpi', '/proc/interrupts', '/proc/kcore', '/proc/keys', '/proc/latency_stats',
      '/proc/timer_list', '/proc/timer_stats', '/proc/sched_debug', '/proc/scsi', '/sys/firmware',
      '/sys/devices/virtual/powercap', '/sys/devices/system/cpu/cpu0/thermal_throttle',
      '/sys/devices/system/cpu/cpu1/thermal_throttle',
    ]); // prettier-ignore
    expect(readOnlyPaths).toEqual(['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger']);
  });
});

describe('possibleCpus', () => {
  it.each([
    ['0-1\n', [0, 1]],
    ['0', [0]],
    ['0-2,5,7-8', [0, 1, 2, 5, 7, 8]],
    ['', []],
  ])('%j', (list, cpus) => {
    expect(possibleCpus(list)).toEqual(cpus);
  });
});

describe('sysSteps', () => {
  it('mounts a fresh read-only sysfs, or remounts the bound one read-only', () => {
    const flags = MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC;
    expect(sysSteps(true)).toEqual([
      { type: 'mount', source: 'sysfs', target: '/sys', fstype: 'sysfs', flags, optional: true },
    ]);
    expect(sysSteps(false)).toEqual([
      { type: 'mount', target: '/sys', flags: flags | MS_BIND | MS_REMOUNT, optional: true },
    ]);
  });
});
