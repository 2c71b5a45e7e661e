/**
 * `pod-init get`'s output formats, as kubectl prints them: the table (`NAME READY STATUS RESTARTS
 * AGE`, `-o wide` adds `IP NODE NOMINATED NODE READINESS GATES`, `-A` a leading `NAMESPACE`; columns
 * three spaces apart), `-o name` (`pod/web`), `-o json|yaml` (the Pod, or a `List` of them).
 * @module
 */
import { age } from './age';
import { podColumns, type PodObject } from './pod-status-text';

/** `-o`: the table by default. */
export type GetOutput = 'table' | 'wide' | 'json' | 'yaml' | 'name';

/** How to print. */
export interface PodTableOptions {
  output: GetOutput;
  /** `-A`: a NAMESPACE column first. */
  allNamespaces?: boolean;
  /** A single pod asked for by name: json and yaml print the Pod itself rather than a List. */
  single?: boolean;
  now: Date;
}

/** Aligns rows in columns three spaces apart (kubectl's tabwriter), no trailing spaces. */
export function alignColumns(rows: readonly string[][]): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows
    .map((row) => row.map((cell, i) => (i < row.length - 1 ? cell.padEnd(widths[i]! + 3) : cell)).join('') + '\n')
    .join('');
}

function readinessGates(pod: PodObject): string {
  const gates = pod.spec?.readinessGates ?? [];
  if (gates.length === 0) return '<none>';
  const met = gates.filter((g) =>
    pod.status?.conditions?.some((c) => c.type === g.conditionType && c.status === 'True'),
  ).length;
  return `${met}/${gates.length}`;
}

function tableRows(pods: readonly PodObject[], options: PodTableOptions): string[][] {
  const wide = options.output === 'wide';
  const header = ['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE'];
  if (wide) header.push('IP', 'NODE', 'NOMINATED NODE', 'READINESS GATES');
  if (options.allNamespaces) header.unshift('NAMESPACE');
  const rows = [header];
  for (const pod of pods) {
    const c = podColumns(pod, options.now);
    const row = [pod.metadata.name, c.ready, c.status, c.restarts, age(pod.metadata.creationTimestamp, options.now)];
    if (wide)
      row.push(
        pod.status?.podIP || '<none>',
        pod.spec?.nodeName || '<none>',
        pod.status?.nominatedNodeName || '<none>',
        readinessGates(pod),
      );
    if (options.allNamespaces) row.unshift(pod.metadata.namespace ?? 'default');
    rows.push(row);
  }
  return rows;
}

/**
 * The pods in the format `-o` asks for.
 *
 * @example
 * formatPods([pod], { output: 'table', now: new Date() });
 * // 'NAME   READY   STATUS    RESTARTS   AGE\nweb    1/1     Running   0          12s\n'
 * formatPods([pod], { output: 'name', now: new Date() }); // 'pod/web\n'
 */
export function formatPods(pods: readonly PodObject[], options: PodTableOptions): string {
  switch (options.output) {
    case 'name':
      return pods.map((p) => `pod/${p.metadata.name}\n`).join('');
    case 'json':
    case 'yaml': {
      const object =
        options.single && pods.length === 1
          ? pods[0]
          : { apiVersion: 'v1', items: pods, kind: 'List', metadata: { resourceVersion: '' } };
      if (options.output === 'json') return JSON.stringify(object, null, 4) + '\n';
      // yaml only when asked for (~45 ms to load): `get` starts without it.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      return (require('yaml') as typeof import('yaml')).stringify(object);
    }
    default:
      return alignColumns(tableRows(pods, options));
  }
}
