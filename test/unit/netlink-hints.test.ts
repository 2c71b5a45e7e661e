import { describe, expect, it } from 'vitest';
import { hintFor } from '../../src/errors';
import { parseInterfaceAddress } from '../../src/net/netlink';

describe('netlink refusals', () => {
  const base = { errno: 0, description: '' };
  it('get a hint by errno and netlink operation', () => {
    expect(hintFor({ ...base, code: 'EEXIST', syscall: 'netlink RTM_NEWADDR' })).toMatch(/already exists/);
    expect(hintFor({ ...base, code: 'EPERM', syscall: 'netlink RTM_NEWLINK (veth)' })).toMatch(/CAP_NET_ADMIN/);
    expect(hintFor({ ...base, code: 'ENODEV', syscall: 'netlink RTM_GETLINK' })).toMatch(/No link of that name/);
    expect(hintFor({ ...base, code: 'EOPNOTSUPP', syscall: 'netlink RTM_NEWLINK (bridge)' })).toMatch(/modprobe/);
    expect(hintFor({ ...base, code: 'ENETUNREACH', syscall: 'netlink RTM_NEWROUTE' })).toMatch(/add the address/);
    expect(hintFor({ ...base, code: 'EINVAL', syscall: 'netlink RTM_NEWLINK (veth)' })).toMatch(/ns\/net/);
    // Not a netlink operation: none of these.
    expect(hintFor({ ...base, code: 'EEXIST', syscall: 'mkdir' })).toBeUndefined();
  });

  it('take an interface address with its prefix', () => {
    expect(parseInterfaceAddress('cidr', '10.88.0.2/16')).toEqual({ address: '10.88.0.2', prefix: 16 });
    expect(parseInterfaceAddress('cidr', 'fd00::2/64')).toEqual({ address: 'fd00::2', prefix: 64 });
    expect(() => parseInterfaceAddress('cidr', '10.88.0.2/33')).toThrow('cidr must be an address with a prefix');
    expect(() => parseInterfaceAddress('cidr', '10.88.0.2')).toThrow(/received '10.88.0.2'/);
  });
});
