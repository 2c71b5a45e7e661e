// The pod's resolv.conf as the kubelet forms it (dns.go GetPodDNS; cases after its dns_test.go).
import { describe, expect, it } from 'vitest';
import { onlyLoopbackNameservers, parseResolvConf, podDNS, resolvConfText } from '../../src/pod/dns';

const host = parseResolvConf(
  '# generated\nnameserver 10.0.0.2\nnameserver 10.0.0.3\nsearch corp.example. lab.example\noptions ndots:2 timeout:3\n',
);

describe('parseResolvConf', () => {
  it('accumulates nameservers; the last search and options lines win; comments skipped', () => {
    const conf = parseResolvConf(
      'nameserver 1.1.1.1\n; a comment\nsearch a.example b.example\nnameserver 8.8.8.8\n#nameserver 9.9.9.9\nsearch c.example. .\noptions rotate\noptions ndots:1\nnameserver\n',
    );
    expect(conf).toEqual({ nameservers: ['1.1.1.1', '8.8.8.8'], searches: ['c.example'], options: ['ndots:1'] });
  });

  it('an empty file says nothing', () => {
    expect(parseResolvConf('')).toEqual({ nameservers: [], searches: [], options: [] });
  });
});

describe('podDNS', () => {
  it("ClusterFirst falls back to Default with the kubelet's MissingClusterDNS warning (no cluster DNS here)", () => {
    const { conf, warnings } = podDNS({ dnsPolicy: 'ClusterFirst' }, host);
    expect(conf).toEqual(host);
    expect(warnings).toEqual([
      {
        reason: 'MissingClusterDNS',
        message:
          'pod-init has no cluster DNS (no ClusterDNS IP configured) and cannot create Pod using "ClusterFirst" policy. Falling back to "Default" policy.',
      },
    ]);
  });

  it('ClusterFirst on the host network is Default, without a warning; ClusterFirstWithHostNet warns', () => {
    expect(podDNS({ dnsPolicy: 'ClusterFirst', hostNetwork: true }, host)).toEqual({ conf: host, warnings: [] });
    expect(podDNS({ dnsPolicy: 'ClusterFirstWithHostNet', hostNetwork: true }, host).warnings[0]?.reason).toBe(
      'MissingClusterDNS',
    );
  });

  it("Default is the host's file; None is only dnsConfig", () => {
    expect(podDNS({ dnsPolicy: 'Default' }, host)).toEqual({ conf: host, warnings: [] });
    const none = podDNS(
      {
        dnsPolicy: 'None',
        dnsConfig: {
          nameservers: ['192.0.2.1'],
          searches: ['ns1.svc.example'],
          options: [{ name: 'ndots', value: '5' }],
        },
      },
      host,
    );
    expect(none).toEqual({
      conf: { nameservers: ['192.0.2.1'], searches: ['ns1.svc.example'], options: ['ndots:5'] },
      warnings: [],
    });
  });

  it("dnsConfig is appended: duplicates dropped, options merged by name with the pod's value winning", () => {
    const { conf } = podDNS(
      {
        dnsPolicy: 'Default',
        dnsConfig: {
          nameservers: ['10.0.0.3', '192.0.2.9'],
          searches: ['lab.example', 'extra.example'],
          options: [{ name: 'ndots', value: '5' }, { name: 'edns0' }],
        },
      },
      host,
    );
    expect(conf).toEqual({
      nameservers: ['10.0.0.2', '10.0.0.3', '192.0.2.9'],
      searches: ['corp.example', 'lab.example', 'extra.example'],
      options: ['ndots:5', 'timeout:3', 'edns0'],
    });
  });

  it('more than 3 nameservers: the first 3, and a DNSConfigForming warning naming the line', () => {
    const { conf, warnings } = podDNS(
      { dnsPolicy: 'Default', dnsConfig: { nameservers: ['192.0.2.1', '192.0.2.2'] } },
      host,
    );
    expect(conf.nameservers).toEqual(['10.0.0.2', '10.0.0.3', '192.0.2.1']);
    expect(warnings).toEqual([
      {
        reason: 'DNSConfigForming',
        message:
          'Nameserver limits were exceeded, some nameservers have been omitted, the applied nameserver line is: 10.0.0.2 10.0.0.3 192.0.2.1',
      },
    ]);
  });

  it('search limits: 32 domains, none over 253 characters, a line of at most 2048 characters', () => {
    const many = Array.from({ length: 40 }, (_, i) => `d${i}.example`);
    const first = podDNS({ dnsPolicy: 'None', dnsConfig: { nameservers: ['192.0.2.1'], searches: many } }, host);
    expect(first.conf.searches).toEqual(many.slice(0, 32));
    expect(first.warnings[0]?.message).toMatch(
      /^Search Line limits were exceeded, some search paths have been omitted, the applied search line is: d0\.example d1\.example/,
    );
    const long = 'x'.repeat(254);
    expect(
      podDNS({ dnsPolicy: 'None', dnsConfig: { nameservers: ['192.0.2.1'], searches: ['a.example', long] } }, host).conf
        .searches,
    ).toEqual(['a.example']);
    const wide = Array.from({ length: 10 }, (_, i) => `${String(i).repeat(250)}.ex`); // 253 chars each
    const cut = podDNS({ dnsPolicy: 'None', dnsConfig: { nameservers: ['192.0.2.1'], searches: wide } }, host).conf
      .searches;
    expect(cut).toHaveLength(8); // 8 × 254 - 1 = 2031 ≤ 2048 < 9 × 254 - 1
    const exact = podDNS(
      { dnsPolicy: 'None', dnsConfig: { nameservers: ['192.0.2.1'], searches: wide.slice(0, 8) } },
      host,
    );
    expect(exact.warnings).toEqual([]); // negative control: within every limit, no warning
  });
});

describe('resolvConfText and loopback resolvers', () => {
  it("writes search, one nameserver line each, options — the CRI runtimes' format", () => {
    expect(
      resolvConfText({ nameservers: ['10.0.0.2', '10.0.0.3'], searches: ['a.example'], options: ['ndots:2'] }),
    ).toBe('search a.example\nnameserver 10.0.0.2\nnameserver 10.0.0.3\noptions ndots:2\n');
    expect(resolvConfText({ nameservers: [], searches: [], options: [] })).toBe('');
  });

  it('knows a resolver a pod with its own network cannot reach', () => {
    expect(onlyLoopbackNameservers(parseResolvConf('nameserver 127.0.0.53\n'))).toBe(true);
    expect(onlyLoopbackNameservers(parseResolvConf('nameserver 127.0.0.53\nnameserver 10.0.0.2\n'))).toBe(false);
    expect(onlyLoopbackNameservers(parseResolvConf(''))).toBe(false);
  });
});
