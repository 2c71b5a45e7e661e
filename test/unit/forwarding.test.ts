// Which links learned routes from router advertisements (src/net/forwarding.ts): those get accept_ra=2 before
// IPv6 forwarding is turned on for --egress, so they keep accepting advertisements.
import { describe, expect, it } from 'vitest';
import { raLinks } from '../../src/net/forwarding';

describe('raLinks', () => {
  it('names the links of routes flagged RTF_ADDRCONF in /proc/net/ipv6_route, each once', () => {
    const text = [
      // default via fe80::1 dev eth0 proto ra (RTF_GATEWAY|RTF_ADDRCONF|RTF_DEFAULT|RTF_UP|RTF_EXPIRES)
      '00000000000000000000000000000000 00 00000000000000000000000000000000 00 fe800000000000000000000000000001 00000400 00000001 00000000 00450003     eth0',
      // 2001:db8::/64 dev eth0 proto ra (prefix route: RTF_ADDRCONF|RTF_UP|RTF_EXPIRES)
      '20010db8000000000000000000000000 40 00000000000000000000000000000000 00 00000000000000000000000000000000 00000100 00000001 00000000 00440001     eth0',
      // fd00::/64 dev eth1 proto kernel; default via fd00::1 dev eth1 static
      'fd000000000000000000000000000000 40 00000000000000000000000000000000 00 00000000000000000000000000000000 00000100 00000001 00000000 00000001     eth1',
      '00000000000000000000000000000000 00 00000000000000000000000000000000 00 fd000000000000000000000000000001 00000400 00000001 00000000 00000003     eth1',
      '',
    ].join('\n');
    expect(raLinks(text)).toEqual(['eth0']);
    expect(raLinks('')).toEqual([]);
  });
});
