// Container-level restartPolicy and restartPolicyRules (KEP-5307, podutil.ContainerShouldRestart): the
// first matching rule, else the container's policy, else the pod's. One row per rule.
import { describe, expect, it } from 'vitest';
import { type ContainerRestart, containerShouldRestart, matchingRule } from '../../src/pod/restart-rules';

const restartIn = (...values: number[]) => ({ action: 'Restart', exitCodes: { operator: 'In', values } });
const restartNotIn = (...values: number[]) => ({ action: 'Restart', exitCodes: { operator: 'NotIn', values } });

describe('containerShouldRestart', () => {
  const rows: Array<[string, ContainerRestart, 'Always' | 'OnFailure' | 'Never', number, boolean]> = [
    ['no container policy: the pod Never', {}, 'Never', 1, false],
    ['no container policy: the pod OnFailure, exit 0', {}, 'OnFailure', 0, false],
    ['no container policy: the pod OnFailure, exit 1', {}, 'OnFailure', 1, true],
    ['no container policy: the pod Always', {}, 'Always', 0, true],
    ['container Always overrides pod Never', { restartPolicy: 'Always' }, 'Never', 0, true],
    ['container Never overrides pod Always', { restartPolicy: 'Never' }, 'Always', 1, false],
    ['container OnFailure, exit 0', { restartPolicy: 'OnFailure' }, 'Always', 0, false],
    ['container OnFailure, exit 3', { restartPolicy: 'OnFailure' }, 'Never', 3, true],
    ['In rule matches', { restartPolicy: 'Never', restartPolicyRules: [restartIn(42)] }, 'Never', 42, true],
    [
      'In rule does not match: the container policy',
      { restartPolicy: 'Never', restartPolicyRules: [restartIn(42)] },
      'Always',
      1,
      false,
    ],
    ['NotIn rule matches', { restartPolicy: 'Never', restartPolicyRules: [restartNotIn(0, 1)] }, 'Never', 2, true],
    [
      'NotIn rule does not match',
      { restartPolicy: 'Never', restartPolicyRules: [restartNotIn(0, 1)] },
      'Never',
      1,
      false,
    ],
    ['an In rule on exit 0', { restartPolicy: 'Never', restartPolicyRules: [restartIn(0)] }, 'Never', 0, true],
    ['rules without a container policy are not used', { restartPolicyRules: [restartIn(42)] }, 'Never', 42, false],
  ];
  for (const [name, container, pod, code, want] of rows)
    it(name, () => expect(containerShouldRestart(container, pod, code)).toBe(want));
});

describe('matchingRule', () => {
  it('the first rule whose exit codes match decides', () => {
    const rules = [restartIn(1), restartNotIn(7), restartIn(2)];
    expect(matchingRule({ restartPolicy: 'Never', restartPolicyRules: rules }, 2)).toBe(rules[1]);
    expect(matchingRule({ restartPolicy: 'Never', restartPolicyRules: rules }, 1)).toBe(rules[0]);
    expect(matchingRule({ restartPolicy: 'Never', restartPolicyRules: rules }, 7)).toBeUndefined();
  });
});
