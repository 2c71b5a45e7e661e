import { describe, expect, it } from 'vitest';
import { enforcementNotice, terminationReason } from '../../src/pod/pod-cgroups';

describe('terminationReason', () => {
  const oom = { oomKilled: () => true };
  const noOom = { oomKilled: () => false };
  it('is OOMKilled only for 137 with the kernel counter set', () => {
    expect(terminationReason(oom, 'c', 137)).toBe('OOMKilled');
    expect(terminationReason(noOom, 'c', 137)).toBe('Error');
    expect(terminationReason(oom, 'c', 1)).toBe('Error');
    expect(terminationReason(noOom, 'c', 0)).toBe('Completed');
  });
});

describe('enforcementNotice', () => {
  it('says nothing when everything is enforced, one line otherwise', () => {
    expect(enforcementNotice({ enforced: true, notEnforced: [] })).toBeUndefined();
    expect(enforcementNotice({ enforced: false, reason: 'rootless on cgroup v1', notEnforced: [] })).toBe(
      'cgroup limits are not applied: rootless on cgroup v1',
    );
    expect(enforcementNotice({ enforced: true, notEnforced: ['devices: x', 'hugetlb: y'] })).toBe(
      'cgroup limits partly applied: devices: x; hugetlb: y',
    );
  });
});
