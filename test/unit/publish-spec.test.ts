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
      "--publish must be [HOSTIP:]HOSTPORT:PODPORT[/tcp|/udp] with ports 1-65535 and an IPv4 HOSTIP (e.g. 127.0.0.1:8080:80), received '8080'",
    );
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

  it('refuses SCTP and IPv6 host addresses, naming the field', () => {
    expect(() => podPortMappings(spec([{ containerPort: 80, hostPort: 80, protocol: 'SCTP' }]))).toThrow(
      'spec.containers[0].ports[0].protocol must be TCP or UDP for a hostPort',
    );
    expect(() => podPortMappings(spec([{ containerPort: 80, hostPort: 80, hostIP: '::1' }]))).toThrow(
      'spec.containers[0].ports[0].hostIP must be an IPv4 address',
    );
  });
});
