import { describe, expect, it } from 'vitest';
import { PodOptionError } from '../../src/errors';
import { hostSide, parsePublish, podPortMappings } from '../../src/net/publish-spec';

describe('--publish [HOSTIP:]HOSTPORT:PODPORT[/udp]', () => {
  it('parses a host address, the protocol (TCP by default, either case) and both ports', () => {
    expect(parsePublish('127.0.0.1:8080:80')).toEqual({
      protocol: 'tcp',
      hostIP: '127.0.0.1',
      hostPort: 8080,
      podPort: 80,
    });
    expect(parsePublish('5353:53/udp')).toEqual({ protocol: 'udp', hostIP: '0.0.0.0', hostPort: 5353, podPort: 53 });
    expect(parsePublish('1:65535/TCP')).toEqual({ protocol: 'tcp', hostIP: '0.0.0.0', hostPort: 1, podPort: 65535 });
  });

  it('refuses anything else, naming the flag, the value and the syntax', () => {
    for (const bad of [
      '8080',
      '0:80',
      '8080:0',
      '65536:80',
      '8080:80/sctp',
      'localhost:8080:80',
      '::1:8080:80',
      '1.2.3:8080:80',
      '8080:80:90',
      ' 8080:80',
      '',
    ]) {
      expect(() => parsePublish(bad), bad).toThrow(PodOptionError);
    }
    expect(() => parsePublish('8080')).toThrow(
      "--publish must be [HOSTIP:]HOSTPORT:PODPORT[/tcp|/udp] with ports 1-65535 and an IPv4 or [IPv6] HOSTIP (e.g. 127.0.0.1:8080:80, [fd00::2]:8080:80), received '8080'",
    );
    for (const bad of ['fd00::2:8080:80', '[127.0.0.1]:8080:80', '[fd00::zz]:8080:80', '[::ffff:127.0.0.1]:8080:80'])
      expect(() => parsePublish(bad), bad).toThrow(PodOptionError);
  });

  it('takes an IPv6 host address in brackets (canonical form); [::] is every address, as no address is', () => {
    expect(parsePublish('[fd00:0:0::2]:8080:80/udp')).toEqual({
      protocol: 'udp',
      hostIP: 'fd00::2',
      hostPort: 8080,
      podPort: 80,
    });
    expect(hostSide(parsePublish('[fd00::2]:8080:80'))).toBe('[fd00::2]:8080/tcp');
    expect(parsePublish('[::]:8080:80').hostIP).toBe('0.0.0.0');
    expect(parsePublish('0.0.0.0:8080:80').hostIP).toBe('0.0.0.0');
  });

  it('refuses [::1], saying why (nothing can DNAT it) and what to use instead', () => {
    expect(() => parsePublish('[::1]:8080:80')).toThrow(
      "--publish must be a host address not ::1: the kernel drops packets from ::1 that leave the loopback device (IPv6 has no route_localnet), so a DNAT of [::1] to a pod never connects; publish on 127.0.0.1, on every address (no hostIP) or on an IPv6 address of the host, received '[::1]:8080:80'",
    );
    expect(() => parsePublish('[0::1]:8080:80')).toThrow('not ::1');
  });
});

describe("a pod's published ports", () => {
  type Port = { containerPort: number; hostPort?: number; hostIP?: string; protocol?: string };
  const spec = (ports: Port[], extra: { hostNetwork?: boolean } = {}) => ({ containers: [{ ports }], ...extra });

  it("takes the regular containers' hostPorts (hostPort 0 dropped, TCP by default, hostIP honoured), then --publish, each host side once", () => {
    const mappings = podPortMappings(
      spec([
        { containerPort: 80, hostPort: 8080 },
        { containerPort: 81 },
        { containerPort: 82, hostPort: 0 },
        { containerPort: 53, hostPort: 5353, protocol: 'UDP', hostIP: '127.0.0.1' },
        { containerPort: 90, hostPort: 8080, protocol: 'TCP', hostIP: '' },
      ]),
      [parsePublish('9090:90'), parsePublish('8080:99')],
    );
    expect(mappings.map(hostSide)).toEqual(['0.0.0.0:8080/tcp', '127.0.0.1:5353/udp', '0.0.0.0:9090/tcp']);
    expect(mappings[0]!.podPort).toBe(80);
  });

  it('a hostNetwork pod publishes nothing', () => {
    expect(
      podPortMappings(spec([{ containerPort: 80, hostPort: 80 }], { hostNetwork: true }), [parsePublish('1:2')]),
    ).toEqual([]);
  });

  it('refuses SCTP, ::1 and what is no address, naming the field', () => {
    expect(() => podPortMappings(spec([{ containerPort: 80, hostPort: 80, protocol: 'SCTP' }]))).toThrow(
      'spec.containers[0].ports[0].protocol must be TCP or UDP for a hostPort',
    );
    expect(() => podPortMappings(spec([{ containerPort: 80, hostPort: 80, hostIP: '::1' }]))).toThrow(
      'spec.containers[0].ports[0].hostIP must be not ::1: the kernel drops packets from ::1',
    );
    expect(() => podPortMappings(spec([{ containerPort: 80, hostPort: 80, hostIP: 'localhost' }]))).toThrow(
      "spec.containers[0].ports[0].hostIP must be an IPv4 or IPv6 address of the host (not IPv4-mapped), or empty for every address, received 'localhost'",
    );
  });

  it('takes an IPv6 hostIP (that address only); :: and 0.0.0.0 are every address, both families', () => {
    const mappings = podPortMappings(
      spec([
        { containerPort: 80, hostPort: 8080, hostIP: 'fd00:0::2' },
        { containerPort: 81, hostPort: 8081, hostIP: '::' },
        { containerPort: 82, hostPort: 8082, hostIP: '0.0.0.0' },
      ]),
    );
    expect(mappings.map(hostSide)).toEqual(['[fd00::2]:8080/tcp', '0.0.0.0:8081/tcp', '0.0.0.0:8082/tcp']);
  });
});
