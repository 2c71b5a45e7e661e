import { describe, expect, it } from 'vitest';
import { defaultDeviceAllowList, deviceProgramRules, parseDeviceRule } from '../../src/cgroups/devices';

describe('parseDeviceRule (devices.allow syntax, for the v2 device program)', () => {
  it('parses type, major:minor with wildcards and access', () => {
    expect(parseDeviceRule('c 1:3 rwm')).toEqual({ type: 'c', major: 1, minor: 3, access: 'rwm' });
    expect(parseDeviceRule('c 136:* rwm')).toEqual({ type: 'c', major: 136, minor: null, access: 'rwm' });
    expect(parseDeviceRule('b *:* m')).toEqual({ type: 'b', major: null, minor: null, access: 'm' });
    expect(parseDeviceRule('a')).toEqual({ type: 'a', major: null, minor: null, access: 'rwm' });
    expect(parseDeviceRule('c 10:200')).toEqual({ type: 'c', major: 10, minor: 200, access: 'rwm' });
  });

  it('refuses what the kernel would, saying what was expected', () => {
    expect(() => parseDeviceRule('x 1:3 r')).toThrow('device rule "x 1:3 r": expected "a|b|c major:minor [rwm]"');
    expect(() => parseDeviceRule('c 1 r')).toThrow('expected major:minor, each a number or *');
    expect(() => parseDeviceRule('c 1:3 rx')).toThrow('access must be one or more of r, w, m');
    expect(() => parseDeviceRule('c 1:3 rr')).toThrow('access must be one or more of r, w, m');
    expect(() => parseDeviceRule('c 4096:0 r')).toThrow('major must be * or a number from 0 to 4095');
    expect(() => parseDeviceRule('c 1:-1 r')).toThrow('minor must be * or a number from 0 to 1048575');
  });

  it('the program gets runc’s list for a default container and nothing (no program) for a privileged one', () => {
    const rules = deviceProgramRules(false)!;
    expect(rules).toHaveLength(defaultDeviceAllowList.length);
    expect(rules[0]).toEqual({ type: 'c', major: null, minor: null, access: 'm' });
    expect(rules).toContainEqual({ type: 'c', major: 10, minor: 200, access: 'rwm' });
    expect(rules.some((r) => r.type === 'b' && r.access !== 'm')).toBe(false);
    expect(deviceProgramRules(true)).toBeUndefined();
  });
});
