// Capability sets as containerd's CRI plugin computes them (src/pod/security/capabilities.ts): the
// default 14, add/drop in containerd's order (ALL add, ALL drop, single adds, single drops), privileged.
import { describe, expect, it } from 'vitest';
import {
  capabilityFromName,
  statusMask,
  containerCapabilities,
  statusCapabilities,
  unknownCapabilityMessage,
} from '../../../src/pod/security/capabilities';

const eff = (changes: Parameters<typeof containerCapabilities>[0], privileged = false) =>
  statusMask(containerCapabilities(changes, privileged).effective);

describe('containerCapabilities', () => {
  it.each([
    ['no changes: containerd/moby default', undefined, false, '00000000a80425fb'],
    ['drop ALL', { drop: ['ALL'] }, false, '0000000000000000'],
    [
      'drop ALL, add NET_BIND_SERVICE (single adds come after ALL drop)',
      { drop: ['ALL'], add: ['NET_BIND_SERVICE'] },
      false,
      '0000000000000400',
    ],
    ['add ALL', { add: ['ALL'] }, false, '000001ffffffffff'],
    ['add ALL, drop CHOWN', { add: ['ALL'], drop: ['CHOWN'] }, false, '000001fffffffffe'],
    ['add and drop the same: the drop wins', { add: ['NET_ADMIN'], drop: ['NET_ADMIN'] }, false, '00000000a80425fb'],
    ['add NET_ADMIN, lower case accepted', { add: ['net_admin'] }, false, '00000000a80435fb'],
    ['drop NET_RAW and MKNOD', { drop: ['NET_RAW', 'MKNOD'] }, false, '00000000a00405fb'],
    ['add ALL and drop ALL: nothing', { add: ['ALL'], drop: ['all'] }, false, '0000000000000000'],
    ['privileged: every capability, whatever was dropped', { drop: ['ALL'] }, true, '000001ffffffffff'],
  ] as const)('%s', (_name, changes, privileged, mask) => {
    expect(eff(changes, privileged)).toBe(mask);
  });

  it('sets bounding = permitted = effective, inheritable and ambient empty', () => {
    const sets = containerCapabilities({ add: ['SYS_TIME'] }, false);
    expect(sets.bounding).toEqual(sets.effective);
    expect(sets.permitted).toEqual(sets.effective);
    expect(sets.effective).toContain('CAP_SYS_TIME');
    expect(sets.inheritable).toEqual([]);
    expect(sets.ambient).toEqual([]);
  });
});

describe('capability names', () => {
  it('maps manifest names to capabilities', () => {
    expect(capabilityFromName('SYS_ADMIN')).toBe('CAP_SYS_ADMIN');
    expect(capabilityFromName('CAP_SYS_ADMIN')).toBeUndefined();
    expect(capabilityFromName('NOPE')).toBeUndefined();
  });
  it('explains unknown names, and the CAP_ prefix mistake', () => {
    expect(unknownCapabilityMessage('ALL')).toBeUndefined();
    expect(unknownCapabilityMessage('chown')).toBeUndefined();
    expect(unknownCapabilityMessage('CAP_NET_RAW')).toBe(
      'unknown capability: the name is without the CAP_ prefix: "NET_RAW"',
    );
    expect(unknownCapabilityMessage('FLY')).toMatch(/^unknown capability: not a capability of this kernel \(CHOWN, /);
  });
});

describe('the runtime\'s own capabilities as "all"', () => {
  const status = 'CapInh:\t0000000000000000\nCapEff:\t000001fffeffffff\nCapBnd:\t000001ffffffffff\n';
  it('reads a /proc/<pid>/status line', () => {
    expect(statusCapabilities(status, 'CapEff')).toHaveLength(40);
    expect(statusCapabilities(status, 'CapEff')).not.toContain('CAP_SYS_RESOURCE');
    expect(statusCapabilities(status, 'CapPrm')).toEqual([]);
  });
  it('privileged and add: [ALL] get what the runtime has, a single add is not limited', () => {
    const available = statusCapabilities(status, 'CapEff');
    expect(statusMask(containerCapabilities(undefined, true, available).bounding)).toBe('000001fffeffffff');
    expect(statusMask(containerCapabilities({ add: ['ALL'] }, false, available).effective)).toBe('000001fffeffffff');
    expect(containerCapabilities({ add: ['SYS_RESOURCE'] }, false, available).effective).toContain('CAP_SYS_RESOURCE');
  });
});
