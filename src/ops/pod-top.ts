/**
 * `kubectl top pod`'s table from two samples of the pods' cgroups (src/cgroups/usage.ts): CPU in
 * millicores over the window between them, memory working set in MiB, as kubectl prints
 * metrics-server's numbers (`%dm`, `%dMi`, integer division). Pure: the samples come in.
 * @module
 */
import type { UsageSample } from '../cgroups/usage';
import { alignColumns } from './pod-table';

/** One pod's containers, sampled twice `windowMs` apart. */
export interface PodUsage {
  namespace: string;
  name: string;
  /** Container name → [first sample, second sample]; only containers running in both. */
  containers: Map<string, [UsageSample, UsageSample]>;
  windowMs: number;
}

/** How the table is laid out. */
export interface TopOptions {
  containers: boolean;
  allNamespaces: boolean;
  noHeaders: boolean;
  sortBy?: 'cpu' | 'memory';
  sum: boolean;
}

interface Row {
  namespace: string;
  pod: string;
  container?: string;
  milliCpu: number;
  bytes: number;
}

function milliCpu([a, b]: [UsageSample, UsageSample], windowMs: number): number {
  if (a.cpuNs === undefined || b.cpuNs === undefined || windowMs <= 0) return 0;
  return Math.max(0, Math.floor((b.cpuNs - a.cpuNs) / (windowMs * 1000)));
}

const mi = (bytes: number) => `${Math.floor(bytes / (1024 * 1024))}Mi`;

/**
 * The table `pod-init top` prints.
 *
 * @example
 * formatTop([{ namespace: 'default', name: 'web', containers, windowMs: 1000 }], options);
 * // 'NAME   CPU(cores)   MEMORY(bytes)\nweb    12m          5Mi\n'
 */
export function formatTop(pods: readonly PodUsage[], options: TopOptions): string {
  const rows: Row[] = [];
  for (const pod of pods) {
    const containers = [...pod.containers].map(([container, samples]) => ({
      namespace: pod.namespace,
      pod: pod.name,
      container,
      milliCpu: milliCpu(samples, pod.windowMs),
      bytes: samples[1].workingSetBytes ?? 0,
    }));
    if (options.containers) rows.push(...containers);
    else
      rows.push({
        namespace: pod.namespace,
        pod: pod.name,
        milliCpu: containers.reduce((s, c) => s + c.milliCpu, 0),
        bytes: containers.reduce((s, c) => s + c.bytes, 0),
      });
  }
  if (options.sortBy === 'cpu') rows.sort((a, b) => b.milliCpu - a.milliCpu);
  if (options.sortBy === 'memory') rows.sort((a, b) => b.bytes - a.bytes);
  const header = [
    ...(options.allNamespaces ? ['NAMESPACE'] : []),
    ...(options.containers ? ['POD', 'NAME'] : ['NAME']),
    'CPU(cores)',
    'MEMORY(bytes)',
  ];
  const table = rows.map((r) => [
    ...(options.allNamespaces ? [r.namespace] : []),
    ...(options.containers ? [r.pod, r.container!] : [r.pod]),
    `${r.milliCpu}m`,
    mi(r.bytes),
  ]);
  if (options.sum && rows.length > 0) {
    const lead = header.length - 2;
    table.push([...Array<string>(lead).fill(''), '________', '________']);
    table.push([
      ...Array<string>(lead).fill(''),
      `${rows.reduce((s, r) => s + r.milliCpu, 0)}m`,
      mi(rows.reduce((s, r) => s + r.bytes, 0)),
    ]);
  }
  return alignColumns(options.noHeaders ? table : [header, ...table]);
}
