import { describe, expect, it } from 'vitest';
import { PodOptionError } from '../../src/errors';
import { addressValue, formatAddress, formatCidr, lastAddress, overlaps, parseCidr } from '../../src/net/cidr';
import { checkPodCidr, parseIpv4Routes, parseIpv6Routes, routeClash } from '../../src/net/host-routes';

describe('addresses and ranges', () => {
  it('converts addresses both ways, IPv6 in its shortest form', () => {
    expect(addressValue('10.0.0.1')).toBe(0x0a000001n);
    expect(formatAddress(4, 0x0a000001n)).toBe('10.0.0.1');
    for (const text of [
      'fd00::1',
      '::',
      '::1',
      'fd70:6f64:696e::2',
      '1:0:0:2::3',
      'fe80::fc00:ff:fe00:1',
      '1:2:3:4:5:6:7:8',
    ]) {
      expect(formatAddress(6, addressValue(text))).toBe(text);
    }
    expect(formatAddress(6, addressValue('::ffff:10.0.0.1'))).toBe('::ffff:a00:1');
    expect(formatAddress(6, addressValue('1:0:0:2:0:0:0:3'))).toBe('1:0:0:2::3');
  });

  it('parses ranges, refusing host bits and nonsense with the option named', () => {
    expect(parseCidr('10.88.0.0/16', '--cidr')).toEqual({ family: 4, network: 0x0a580000n, prefix: 16 });
    expect(formatCidr(parseCidr('fd70:6f64:696e::/64', 'x'))).toBe('fd70:6f64:696e::/64');
    expect(() => parseCidr('10.88.0.5/16', '--cidr')).toThrow(
      "--cidr must be a network address with no host bits (10.88.0.0/16?), received '10.88.0.5/16'",
    );
    for (const bad of ['10.88.0.0', '10.88.0.0/33', 'fd00::/129', 'nonsense/8', '/8', '10.88.0.0/x']) {
      expect(() => parseCidr(bad, '--cidr')).toThrow(PodOptionError);
    }
  });

  it('knows the last address and overlaps', () => {
    expect(formatAddress(4, lastAddress(parseCidr('10.88.0.0/16', 'x')))).toBe('10.88.255.255');
    expect(formatAddress(6, lastAddress(parseCidr('fd00::/64', 'x')))).toBe('fd00::ffff:ffff:ffff:ffff');
    const c = (text: string) => parseCidr(text, 'x');
    expect(overlaps(c('10.88.0.0/16'), c('10.88.4.0/24'))).toBe(true);
    expect(overlaps(c('10.88.4.0/24'), c('10.88.0.0/16'))).toBe(true);
    expect(overlaps(c('10.88.0.0/16'), c('10.89.0.0/16'))).toBe(false);
    expect(overlaps(c('10.0.0.0/8'), c('fd00::/8'))).toBe(false);
  });
});

describe('host routes', () => {
  const ipv4 = [
    'Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT',
    'eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0',
    'eth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0',
    'docker0\t000058AC\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0',
  ].join('\n');
  const ipv6 = [
    'fd000000000000000000000000000000 40 00000000000000000000000000000000 00 00000000000000000000000000000000 00000100 00000002 00000000 00000001     eth0',
    '00000000000000000000000000000000 00 00000000000000000000000000000000 00 fd000000000000000000000000000001 00000400 00000002 00000000 00000003     eth0',
    '00000000000000000000000000000001 80 00000000000000000000000000000000 00 00000000000000000000000000000000 00000000 00000002 00000000 80200001       lo',
  ].join('\n');
  const routes = [...parseIpv4Routes(ipv4), ...parseIpv6Routes(ipv6)];

  it('parses /proc/net/route (little-endian hex) and /proc/net/ipv6_route', () => {
    expect(routes.map((route) => `${formatCidr(route.destination)} dev ${route.device}`)).toEqual([
      '0.0.0.0/0 dev eth0',
      '192.0.2.0/24 dev eth0',
      '172.88.0.0/16 dev docker0',
      'fd00::/64 dev eth0',
      '::/0 dev eth0',
      '::1/128 dev lo',
    ]);
  });

  it('names the route a range clashes with, ignoring default routes, loopback and our own bridge', () => {
    const c = (text: string) => parseCidr(text, 'x');
    expect(routeClash(c('10.88.0.0/16'), routes)).toBeUndefined();
    expect(routeClash(c('192.0.0.0/16'), routes)).toBe('192.0.2.0/24 dev eth0');
    expect(routeClash(c('fd00::/16'), routes)).toBe('fd00::/64 dev eth0');
    expect(routeClash(c('fd70:6f64:696e::/64'), routes)).toBeUndefined();
    expect(routeClash(c('172.88.0.0/16'), routes, 'docker0')).toBeUndefined();
    expect(() => checkPodCidr('192.0.2.0/25', '--cidr', routes)).toThrow(
      "--cidr must be a range no host route overlaps (192.0.2.0/24 dev eth0 does; choose another), received '192.0.2.0/25'",
    );
  });
});
