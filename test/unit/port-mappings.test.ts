// The NodePorts rule between pods and how a mapping is shown (src/net/port-mappings.ts; parsing and gathering
// are publish-spec.test.ts's), and the nft script of a pod's table (src/net/nft.ts): pure functions.
import { describe, expect, it } from 'vitest';
import { guardTableScript, podTableName, podTableScript } from '../../src/net/nft';
import { formatMapping, parsePublish, portsConflict } from '../../src/net/port-mappings';

describe('portsConflict (the scheduler NodePorts rule), formatMapping', () => {
  it('shows the host side, then the pod port', () => {
    expect(formatMapping(parsePublish('127.0.0.1:5353:53/udp'))).toBe('127.0.0.1:5353/udp -> 53');
  });

  it('same protocol and port, and the same address or either the wildcard', () => {
    expect(portsConflict(parsePublish('8080:80'), parsePublish('127.0.0.1:8080:81'))).toBe(true);
    expect(portsConflict(parsePublish('127.0.0.1:8080:80'), parsePublish('127.0.0.1:8080:81'))).toBe(true);
    expect(portsConflict(parsePublish('127.0.0.1:8080:80'), parsePublish('127.0.0.2:8080:81'))).toBe(false);
    expect(portsConflict(parsePublish('8080:80'), parsePublish('8080:80/udp'))).toBe(false);
    expect(portsConflict(parsePublish('8080:80'), parsePublish('8081:80'))).toBe(false);
  });
});

describe('nft scripts', () => {
  const options = {
    podUid: 'uid-1',
    address: '10.88.0.2',
    bridge: 'pod-init0',
    mappings: [parsePublish('8080:80'), parsePublish('127.0.0.1:5353:53/udp')],
    egress: false,
  };

  it("a pod's table: DNAT in prerouting and output, masquerade of 127/8 and hairpin", () => {
    const table = podTableName('uid-1');
    expect(table).toMatch(/^pod_init_[0-9a-f]{10}$/);
    const script = podTableScript(options);
    expect(script.split('\n')[0]).toEqual(`table inet ${table} {`);
    const dnat = [
      'meta nfproto ipv4 fib daddr type local tcp dport 8080 dnat ip to 10.88.0.2:80',
      'ip daddr 127.0.0.1 udp dport 5353 dnat ip to 10.88.0.2:53',
    ];
    for (const hook of ['prerouting', 'output'])
      expect(script).toContain(
        `  chain ${hook} {\n    type nat hook ${hook} priority -100; policy accept;\n    ${dnat.join('\n    ')}\n  }`,
      );
    expect(script).toContain('oifname "pod-init0" ip daddr 10.88.0.2 ip saddr 127.0.0.0/8 masquerade');
    expect(script).toContain('oifname "pod-init0" ip daddr 10.88.0.2 iifname "pod-init0" ct status dnat masquerade');
    expect(script).not.toContain('oifname != "pod-init0"');
    expect(script).not.toContain('ip6');
  });

  it('with an IPv6 address: wildcard ports on IPv6 too (but [::1]), IPv6 host addresses, hairpin and egress', () => {
    const script = podTableScript({
      ...options,
      address6: 'fd70::2',
      mappings: [...options.mappings, parsePublish('[fd00::2]:8443:443')],
      egress: true,
    });
    const dnat = [
      'meta nfproto ipv4 fib daddr type local tcp dport 8080 dnat ip to 10.88.0.2:80',
      'meta nfproto ipv6 ip6 daddr != ::1 fib daddr type local tcp dport 8080 dnat ip6 to [fd70::2]:80',
      'ip daddr 127.0.0.1 udp dport 5353 dnat ip to 10.88.0.2:53',
      'ip6 daddr fd00::2 tcp dport 8443 dnat ip6 to [fd70::2]:443',
    ];
    for (const hook of ['prerouting', 'output'])
      expect(script).toContain(
        `  chain ${hook} {\n    type nat hook ${hook} priority -100; policy accept;\n    ${dnat.join('\n    ')}\n  }`,
      );
    expect(script).toContain('oifname "pod-init0" ip6 daddr fd70::2 iifname "pod-init0" ct status dnat masquerade');
    expect(script).toContain('ip6 saddr fd70::2 oifname != "pod-init0" masquerade');
    // An IPv6 host address without a pod IPv6 address has nowhere to go.
    expect(() => podTableScript({ ...options, mappings: [parsePublish('[fd00::2]:8443:443')] })).toThrow(
      'an IPv6 host address (fd00::2) for a pod without an IPv6 address',
    );
    expect(() => podTableScript({ ...options, address6: 'fd70::2; flush ruleset' })).toThrow('not an IPv6 address');
  });

  it('egress masquerades what the pod sends out of other interfaces; no ports, no DNAT chains', () => {
    const script = podTableScript({ ...options, mappings: [], egress: true });
    expect(script).toContain('ip saddr 10.88.0.2 oifname != "pod-init0" masquerade');
    expect(script).not.toContain('dnat to');
    expect(script).not.toContain('chain prerouting');
  });

  it('the guard drops what comes from the bridge to 127.0.0.0/8, before routing', () => {
    expect(guardTableScript('pod-init0')).toContain(
      'type filter hook prerouting priority -300; policy accept;\n    iifname "pod-init0" ip daddr 127.0.0.0/8 counter drop',
    );
  });

  it('refuses what would not be an address or an interface name in the script', () => {
    expect(() => podTableScript({ ...options, address: '10.88.0.2; flush ruleset' })).toThrow('not an IPv4 address');
    expect(() => podTableScript({ ...options, bridge: 'a" b' })).toThrow('not an interface name');
  });
});
