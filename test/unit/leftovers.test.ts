import { describe, expect, it } from 'vitest';
import type { PodCgroups } from '../../src/cgroups/manager';
import { sharesPidNamespace, untrackedLeftovers } from '../../src/pod/container/leftovers';

const enforced = { enforcement: { enforced: true, notEnforced: [] } } as unknown as PodCgroups;
const notEnforced = { enforcement: { enforced: false, reason: 'rootless', notEnforced: [] } } as unknown as PodCgroups;

describe('leftovers of a container', () => {
  it('shares a pid namespace with hostPID or shareProcessNamespace, not by default', () => {
    expect(sharesPidNamespace({ containers: [] })).toBe(false);
    expect(sharesPidNamespace({ containers: [], hostPID: true })).toBe(true);
    expect(sharesPidNamespace({ containers: [], shareProcessNamespace: true })).toBe(true);
  });

  it('cannot be found with hostPID and no enforced cgroups only', () => {
    expect(untrackedLeftovers({ containers: [], hostPID: true }, undefined)).toMatch(/hostPID without cgroups/);
    expect(untrackedLeftovers({ containers: [], hostPID: true }, notEnforced)).toMatch(/outlive/);
    expect(untrackedLeftovers({ containers: [], hostPID: true }, enforced)).toBeUndefined();
    // A shared pod pid namespace dies with the pause: nothing outlives the pod.
    expect(untrackedLeftovers({ containers: [], shareProcessNamespace: true }, undefined)).toBeUndefined();
  });
});
