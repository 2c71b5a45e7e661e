/**
 * Writing one cgroup's limits into its directory of one hierarchy, and enabling v2 controllers down a path. Kept
 * apart from the manager so the v2 file writes can be checked against a directory tree laid out as cgroup2's.
 * @module
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { deviceProgramRules, deviceRuleWrites, type DeviceRule } from './devices';
import { v1Writes, v2Writes, type CgroupWrite } from './files';
import type { CgroupLayout, Controller, Hierarchy } from './layout';
import type { CgroupLimits } from './resources';
import { readCgroupFile, writeCgroupFile } from './tree';

/** The v2 controllers pod-init enables in `cgroup.subtree_control` (the others are core files). */
export const v2EnabledControllers: readonly Controller[] = ['memory', 'cpu', 'pids', 'hugetlb'];

/** The v2 device note for rootless pod-init (a delegated subtree), shown once per pod. */
export const v2DevicesRootlessNote =
  'devices: cgroup v2 device rules are a BPF program, which only root can attach (not enforced rootless)';

/**
 * The writes that go into `h` for a cgroup with `limits`; `devices` is set for containers (privileged or not).
 * Returns notes for what cannot be enforced, and on v2 the rules of the device program to attach (`deviceRules`:
 * every non-privileged container's v2 directory gets one, also on a hybrid host where v1 enforces them too).
 *
 * @example
 * limitWrites(layout, layout.controllers.memory!, limits, { privileged: false }).writes;
 * limitWrites(layout, layout.unified!, limits, { privileged: false }).deviceRules?.length; // 11
 */
export function limitWrites(
  layout: CgroupLayout,
  h: Hierarchy,
  limits: CgroupLimits,
  devices?: { privileged: boolean },
): { writes: CgroupWrite[]; notes: string[]; deviceRules?: DeviceRule[] } {
  const notes: string[] = [];
  const all = h.version === 1 ? v1Writes(limits) : v2Writes(limits);
  const writes = all.filter((w) => layout.controllers[w.controller] === h);
  for (const w of all) {
    // A controller that is nowhere: say so, unless the write only pins an unused size to 0 or is optional.
    if (
      layout.controllers[w.controller] === undefined &&
      h === layout.hierarchies[0] &&
      !w.ifExists &&
      w.value !== '0'
    ) {
      notes.push(`${w.controller}: no ${w.controller} controller on this host (not enforced)`);
    }
  }
  if (devices !== undefined && h.version === 1 && layout.controllers.devices === h) {
    for (const [file, value] of deviceRuleWrites(devices.privileged))
      writes.push({ controller: 'devices', file, value });
  }
  const deviceRules = devices !== undefined && h.version === 2 ? deviceProgramRules(devices.privileged) : undefined;
  return { writes, notes, ...(deviceRules === undefined ? {} : { deviceRules }) };
}

/**
 * Writes into `dir`; a missing file that is not optional is a note (the controller is not enabled there).
 *
 * @example
 * const notes = applyWrites('/sys/fs/cgroup/kubepods/podu/app', writes);
 */
export function applyWrites(dir: string, writes: readonly CgroupWrite[]): string[] {
  const notes: string[] = [];
  for (const w of writes) {
    if (!fs.existsSync(path.join(dir, w.file))) {
      if (!w.ifExists) notes.push(`${w.controller}: ${w.file} does not exist in ${path.dirname(dir)} (not enforced)`);
      continue;
    }
    writeCgroupFile(dir, w.file, w.value);
  }
  return notes;
}

/**
 * v2: enables `controllers` in `cgroup.subtree_control` of every directory from `mountPoint` down to `dir`
 * (inclusive), skipping those already enabled — in one write per directory (the kernel applies all or none), and
 * one by one after a failure to say which controller could not be enabled. Returns notes.
 *
 * @example
 * enableControllers('/sys/fs/cgroup', '/sys/fs/cgroup/kubepods/burstable/podu', ['memory', 'cpu', 'pids']);
 */
export function enableControllers(mountPoint: string, dir: string, controllers: readonly Controller[]): string[] {
  const chain: string[] = [];
  for (let d = dir; d === mountPoint || d.startsWith(`${mountPoint}/`); d = path.dirname(d)) {
    chain.unshift(d);
    if (d === mountPoint) break;
  }
  const notes: string[] = [];
  let wanted = controllers.filter((c) => v2EnabledControllers.includes(c));
  for (const d of chain) {
    const enabled = (readCgroupFile(d, 'cgroup.subtree_control') ?? '').split(/\s+/);
    const missing = wanted.filter((c) => !enabled.includes(c));
    if (missing.length === 0) continue;
    try {
      writeCgroupFile(d, 'cgroup.subtree_control', missing.map((c) => `+${c}`).join(' '));
      continue;
    } catch {
      // find out which one fails
    }
    for (const c of missing) {
      try {
        writeCgroupFile(d, 'cgroup.subtree_control', `+${c}`);
      } catch (error) {
        notes.push(`${c}: cannot enable it in ${d}/cgroup.subtree_control (${(error as NodeJS.ErrnoException).code})`);
        wanted = wanted.filter((w) => w !== c);
      }
    }
  }
  return notes;
}
