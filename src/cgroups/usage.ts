/**
 * What a pod's containers use, read from their cgroups as cAdvisor reads them for the kubelet's metrics
 * (`kubectl top`): CPU time consumed (v1 `cpuacct.usage`, v2 `cpu.stat` usage_usec) and the memory
 * working set (usage minus inactive file pages: v1 `memory.usage_in_bytes` − `total_inactive_file`, v2
 * `memory.current` − `inactive_file`). Reads files only; prints nothing.
 * @module
 */
import fs from 'node:fs';
import path from 'node:path';
import type { CgroupLayout, Hierarchy } from './layout';
import { sandboxCgroupName } from './spec';

/** One container's counters at one moment. */
export interface UsageSample {
  /** CPU time consumed so far, in nanoseconds (undefined: no cpu accounting here). */
  cpuNs?: number;
  /** Memory working set in bytes (undefined: no memory controller here). */
  workingSetBytes?: number;
}

const qosSegments = ['', 'burstable', 'besteffort'];

/**
 * The pod cgroup directory of pod `uid` in `hierarchy`: `kubepods[/burstable|/besteffort]/pod<uid>`
 * under the hierarchy's root or one level below it (a `--cgroup-root` of one segment); undefined when
 * the pod has none there.
 *
 * @example
 * podCgroupDir(layout.controllers.memory!, 'c0ffee'); // '/sys/fs/cgroup/memory/kubepods/besteffort/podc0ffee'
 */
export function podCgroupDir(hierarchy: Hierarchy, uid: string): string | undefined {
  const bases = [hierarchy.mountPoint];
  try {
    for (const entry of fs.readdirSync(hierarchy.mountPoint, { withFileTypes: true }))
      if (entry.isDirectory() && entry.name !== 'kubepods') bases.push(path.join(hierarchy.mountPoint, entry.name));
  } catch {
    return undefined;
  }
  for (const base of bases)
    for (const qos of qosSegments) {
      const dir = path.join(base, 'kubepods', qos, `pod${uid}`);
      if (fs.existsSync(dir)) return dir;
    }
  return undefined;
}

function readNumber(file: string): number | undefined {
  try {
    const n = Number(fs.readFileSync(file, 'utf8').trim());
    return Number.isFinite(n) ? n : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A value of a flat-keyed cgroup file (`memory.stat`, `cpu.stat`): `key value` lines.
 *
 * @example
 * statValue('usage_usec 1500\nuser_usec 1000\n', 'usage_usec'); // 1500
 */
export function statValue(text: string, key: string): number | undefined {
  for (const line of text.split('\n')) {
    const [k, v] = line.split(' ');
    if (k === key && v !== undefined) return Number(v);
  }
  return undefined;
}

function readStat(file: string, key: string): number | undefined {
  try {
    return statValue(fs.readFileSync(file, 'utf8'), key);
  } catch {
    return undefined;
  }
}

function cpuNs(hierarchy: Hierarchy, dir: string): number | undefined {
  if (hierarchy.version === 1) return readNumber(path.join(dir, 'cpuacct.usage'));
  const usec = readStat(path.join(dir, 'cpu.stat'), 'usage_usec');
  return usec === undefined ? undefined : usec * 1000;
}

function workingSet(hierarchy: Hierarchy, dir: string): number | undefined {
  const v1 = hierarchy.version === 1;
  const usage = readNumber(path.join(dir, v1 ? 'memory.usage_in_bytes' : 'memory.current'));
  if (usage === undefined) return undefined;
  const inactive = readStat(path.join(dir, 'memory.stat'), v1 ? 'total_inactive_file' : 'inactive_file') ?? 0;
  return Math.max(0, usage - inactive); // cAdvisor's workingSet: never below zero
}

/**
 * The counters of each container cgroup of pod `uid` (by container name; the sandbox's `sandbox.pause`
 * left out, as metrics-server leaves the pause out). An empty map when the pod has no cgroups here.
 *
 * @example
 * const before = sampleContainers(readCgroupLayout(), uid);
 * before.get('web')?.workingSetBytes; // 5242880
 */
export function sampleContainers(layout: CgroupLayout, uid: string): Map<string, UsageSample> {
  const samples = new Map<string, UsageSample>();
  const read = (hierarchy: Hierarchy | undefined, fill: (sample: UsageSample, dir: string) => void) => {
    if (hierarchy === undefined) return;
    const pod = podCgroupDir(hierarchy, uid);
    if (pod === undefined) return;
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(pod, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      if (!entry.isDirectory() || entry.name === sandboxCgroupName) continue;
      const sample = samples.get(entry.name) ?? {};
      fill(sample, path.join(pod, entry.name));
      samples.set(entry.name, sample);
    }
  };
  const cpu = layout.controllers.cpuacct;
  read(cpu, (s, dir) => {
    const ns = cpuNs(cpu!, dir);
    if (ns !== undefined) s.cpuNs = ns;
  });
  const memory = layout.controllers.memory;
  read(memory, (s, dir) => {
    const bytes = workingSet(memory!, dir);
    if (bytes !== undefined) s.workingSetBytes = bytes;
  });
  return samples;
}
