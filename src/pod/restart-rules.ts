/**
 * Whether a container that exited restarts, as the kubelet decides it with ContainerRestartRules
 * (KEP-5307, `podutil.ContainerShouldRestart`; KUBERNETES.md B.3): the first of the container's
 * `restartPolicyRules` whose exit codes match decides; else the container's own `restartPolicy`; a
 * container without one follows the pod's.
 * @module
 */

/** One `restartPolicyRules` entry (validation allows only `action: Restart`, with `exitCodes`). */
export interface RestartRule {
  action?: string;
  exitCodes?: { operator?: string; values?: readonly number[] };
}

/** The fields of a container that bear on its restart. */
export interface ContainerRestart {
  restartPolicy?: string;
  restartPolicyRules?: readonly RestartRule[];
}

/**
 * The first rule whose exit codes match `exitCode` (`FindMatchingContainerRestartRule`).
 *
 * @example
 * matchingRule({ restartPolicy: 'Never', restartPolicyRules: [{ action: 'Restart', exitCodes: { operator: 'In', values: [42] } }] }, 42);
 * // { action: 'Restart', exitCodes: { operator: 'In', values: [42] } }
 */
export function matchingRule(c: ContainerRestart, exitCode: number): RestartRule | undefined {
  return (c.restartPolicyRules ?? []).find((rule) => {
    const codes = rule.exitCodes;
    if (codes === undefined) return false;
    const listed = (codes.values ?? []).includes(exitCode);
    if (codes.operator === 'In') return listed;
    if (codes.operator === 'NotIn') return !listed;
    return false;
  });
}

/**
 * Whether the container restarts after exiting with `exitCode`.
 *
 * @example
 * containerShouldRestart({ restartPolicy: 'Always' }, 'Never', 0); // true
 * containerShouldRestart({}, 'OnFailure', 0); // false
 */
export function containerShouldRestart(
  c: ContainerRestart,
  podPolicy: 'Always' | 'OnFailure' | 'Never',
  exitCode: number,
): boolean {
  const policy = c.restartPolicy ?? podPolicy;
  if (c.restartPolicy !== undefined && matchingRule(c, exitCode)?.action === 'Restart') return true;
  if (policy === 'Always') return true;
  return policy === 'OnFailure' && exitCode !== 0;
}

/**
 * A container spec's restart fields, to hand to {@link containerShouldRestart}.
 *
 * @example
 * restartFields({ name: 'web', restartPolicy: 'Never' }); // { restartPolicy: 'Never' }
 */
export function restartFields(c: ContainerRestart): ContainerRestart {
  return {
    ...(c.restartPolicy !== undefined ? { restartPolicy: c.restartPolicy } : {}),
    ...(c.restartPolicyRules !== undefined ? { restartPolicyRules: c.restartPolicyRules } : {}),
  };
}
