/**
 * What `apply` may change in a running pod, as the API server decides it (`ValidatePodUpdate`,
 * pkg/apis/core/validation/validation.go): only `spec.containers[*].image`,
 * `spec.initContainers[*].image`, `spec.activeDeadlineSeconds` (set, or lowered), `spec.tolerations`
 * (additions) and `spec.terminationGracePeriodSeconds` (from negative to 1); labels and annotations may
 * change. Anything else is refused in the API server's words, followed by a unified diff of the spec
 * (recent servers print one). With `{ commands: true }` a container's `command` and `args` count as
 * changeable too: pod-init's own extension on this host (apply-command.ts), which the API server refuses.
 * Pure: the caller reads the pods.
 * @module
 */

/** A pod as far as the comparison reads it. */
export interface ComparedPod {
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec: Record<string, unknown>;
}

/** The verdict on an update. */
export type PodUpdate =
  | { kind: 'unchanged' }
  /** Allowed by the API server; `changes` lists the field paths that differ. */
  | { kind: 'allowed'; changes: string[] }
  /** Refused: the API server's message (its first line), with the diff after it. */
  | { kind: 'forbidden'; message: string };

/** JSON with object keys sorted: two objects equal in content give the same text. */
export function canonicalJson(value: unknown, indent?: number): string {
  const sort = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sort);
    if (v !== null && typeof v === 'object')
      return Object.fromEntries(
        Object.keys(v)
          .sort()
          .map((k) => [k, sort((v as Record<string, unknown>)[k])]),
      );
    return v;
  };
  return JSON.stringify(sort(value), null, indent);
}

const same = (a: unknown, b: unknown): boolean => canonicalJson(a) === canonicalJson(b);

const forbiddenFields =
  'spec: Forbidden: pod updates may not change fields other than `spec.containers[*].image`,' +
  '`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),' +
  '`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)';

type Containers = Array<Record<string, unknown>>;

/** What comparePods lets change beyond the API server's rules. */
export interface CompareOptions {
  /** Containers' `command` and `args` (listed in `changes` as `spec.containers[0].command`, ...). */
  commands?: boolean;
}

/**
 * Decides an update of `current` (the running pod) to `next` (the applied manifest, defaulted).
 *
 * @example
 * comparePods(running, applied);
 * // { kind: 'forbidden', message: 'The Pod "web" is invalid: spec: Forbidden: pod updates may not change ...\n@@ ...' }
 * comparePods(running, withNewCommand, { commands: true }); // { kind: 'allowed', changes: ['spec.containers[0].command'] }
 */
export function comparePods(current: ComparedPod, next: ComparedPod, options: CompareOptions = {}): PodUpdate {
  const changes: string[] = [];
  if (!same(current.metadata.labels ?? {}, next.metadata.labels ?? {})) changes.push('metadata.labels');
  if (!same(current.metadata.annotations ?? {}, next.metadata.annotations ?? {})) changes.push('metadata.annotations');
  if (same(current.spec, next.spec)) return changes.length === 0 ? { kind: 'unchanged' } : { kind: 'allowed', changes };
  const invalid = (text: string) => `The Pod "${next.metadata.name}" is invalid: ${text}`;
  for (const field of ['containers', 'initContainers'] as const) {
    const a = (current.spec[field] as Containers | undefined) ?? [];
    const b = (next.spec[field] as Containers | undefined) ?? [];
    if (a.length !== b.length)
      return {
        kind: 'forbidden',
        message: invalid(`spec.${field}: Forbidden: pod updates may not add or remove containers`),
      };
  }
  // The current spec with every allowed change of `next` carried over: equal to `next` iff only those changed.
  const patched = structuredClone(current.spec);
  for (const field of ['containers', 'initContainers'] as const) {
    const a = (patched[field] as Containers | undefined) ?? [];
    const b = (next.spec[field] as Containers | undefined) ?? [];
    a.forEach((c, i) => {
      if (c.image !== b[i]!.image) {
        changes.push(`spec.${field}[${i}].image`);
        c.image = b[i]!.image;
      }
      if (options.commands)
        for (const key of ['command', 'args'] as const)
          if (!same(c[key], b[i]![key])) {
            changes.push(`spec.${field}[${i}].${key}`);
            c[key] = b[i]![key]; // undefined: absent from the canonical JSON
          }
    });
  }
  const deadline = { was: current.spec.activeDeadlineSeconds, now: next.spec.activeDeadlineSeconds };
  if (deadline.was !== deadline.now) {
    if (deadline.now === undefined)
      return {
        kind: 'forbidden',
        message: invalid(
          'spec.activeDeadlineSeconds: Invalid value: "null": must not update from a positive integer to nil value',
        ),
      };
    if (typeof deadline.was === 'number' && typeof deadline.now === 'number' && deadline.now > deadline.was)
      return {
        kind: 'forbidden',
        message: invalid(
          `spec.activeDeadlineSeconds: Invalid value: ${deadline.now}: must be less than or equal to previous value`,
        ),
      };
    changes.push('spec.activeDeadlineSeconds');
    patched.activeDeadlineSeconds = deadline.now;
  }
  const tolerations = {
    was: (current.spec.tolerations as unknown[] | undefined) ?? [],
    now: (next.spec.tolerations as unknown[] | undefined) ?? [],
  };
  if (
    !same(tolerations.was, tolerations.now) &&
    tolerations.was.every((t) => tolerations.now.some((u) => same(t, u)))
  ) {
    changes.push('spec.tolerations');
    patched.tolerations = next.spec.tolerations;
  }
  const grace = { was: current.spec.terminationGracePeriodSeconds, now: next.spec.terminationGracePeriodSeconds };
  if (typeof grace.was === 'number' && grace.was < 0 && grace.now === 1) {
    changes.push('spec.terminationGracePeriodSeconds');
    patched.terminationGracePeriodSeconds = 1;
  }
  if (same(patched, next.spec)) return { kind: 'allowed', changes };
  return {
    kind: 'forbidden',
    message: `${invalid(forbiddenFields)}\n${unifiedDiff(canonicalJson(patched, 2).split('\n'), canonicalJson(next.spec, 2).split('\n'))}`,
  };
}

/**
 * A unified diff of two line lists (3 lines of context, `@@ -a,b +c,d @@` hunks), as `diff -u` without
 * its file header.
 *
 * @example
 * unifiedDiff(['a', 'b'], ['a', 'c']); // '@@ -1,2 +1,2 @@\n a\n-b\n+c\n'
 */
export function unifiedDiff(a: readonly string[], b: readonly string[], context = 3): string {
  // Longest common subsequence table, from the ends.
  const n = a.length;
  const m = b.length;
  const lcs: number[][] = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--)
    for (let j = m - 1; j >= 0; j--)
      lcs[i]![j] = a[i] === b[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
  const ops: Array<{ op: ' ' | '-' | '+'; line: string; i: number; j: number }> = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] === b[j]) ops.push({ op: ' ', line: a[i]!, i: i++, j: j++ });
    else if (i < n && (j === m || lcs[i + 1]![j]! >= lcs[i]![j + 1]!)) ops.push({ op: '-', line: a[i]!, i: i++, j });
    else ops.push({ op: '+', line: b[j]!, i, j: j++ });
  }
  let text = '';
  let k = 0;
  while (k < ops.length) {
    if (ops[k]!.op === ' ') {
      k++;
      continue;
    }
    const start = Math.max(0, k - context);
    let end = k;
    // Extend over changes closer together than twice the context.
    for (;;) {
      while (end < ops.length && ops[end]!.op !== ' ') end++;
      let next = end;
      while (next < ops.length && ops[next]!.op === ' ') next++;
      if (next < ops.length && next - end <= 2 * context) end = next;
      else break;
    }
    const stop = Math.min(ops.length, end + context);
    const hunk = ops.slice(start, stop);
    const oldLines = hunk.filter((o) => o.op !== '+').length;
    const newLines = hunk.filter((o) => o.op !== '-').length;
    text += `@@ -${hunk[0]!.i + 1},${oldLines} +${hunk[0]!.j + 1},${newLines} @@\n`;
    for (const o of hunk) text += `${o.op}${o.line}\n`;
    k = stop;
  }
  return text;
}
