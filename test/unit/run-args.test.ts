import { describe, expect, it } from 'vitest';
import { commanderRunArgs, parseRunArgs, quickRunArgs } from '../../src/run-args';

describe("pod-init run's arguments without commander", () => {
  it.each([
    [['pod.yaml']],
    [['-']],
    [['-q', 'pod.yaml']],
    [['pod.yaml', '--quiet', '-q']],
    [['-o', 'json', 'pod.yaml']],
    [['pod.yaml', '--output', 'yaml']],
    [['--output=json', 'pod.yaml']],
    [['--status-file', 's.json', 'pod.yaml', '--timeout', '1m30s']],
    [['--status-file=s.json', '--timeout=30s', '--restart-backoff=1,2', 'pod.yaml']],
    [['--restart-backoff', '5', 'pod.yaml']],
    [['--image', 'a=/x', '--image=b=/y', 'pod.yaml', '--image', 'c=/z']],
    [['--timeout', 'bad', 'pod.yaml']],
    [['--allowed-unsafe-sysctls', 'kernel.msg*,net.core.somaxconn', '--seccomp-profile-root=/sc', 'pod.yaml']],
  ])('%j: as commander reads it', (args) => {
    const quick = quickRunArgs(args);
    expect(quick).toBeDefined();
    expect(quick).toEqual(commanderRunArgs(args));
  });

  it.each([
    [[]],
    [['--help']],
    [['-h', 'pod.yaml']],
    [['a.yaml', 'b.yaml']],
    [['--', 'pod.yaml']],
    [['-qo', 'json', 'pod.yaml']],
    [['-o=json', 'pod.yaml']],
    [['-o', 'xml', 'pod.yaml']],
    [['--output=', 'pod.yaml']],
    [['--timeout', '-1s', 'pod.yaml']],
    [['--timeout', '1s', '--timeout', '2s', 'pod.yaml']],
    [['--quiet=yes', 'pod.yaml']],
    [['--unknown', 'pod.yaml']],
    [['pod.yaml', '--timeout']],
  ])('%j: left to commander', (args) => {
    expect(quickRunArgs(args)).toBeUndefined();
  });

  it('parseRunArgs checks what either returns', () => {
    expect(parseRunArgs(['-q', '--timeout', '2m', 'pod.yaml'])).toMatchObject({
      file: 'pod.yaml',
      quiet: true,
      timeoutMs: 120_000,
      backoff: { initialMs: 10_000, maxMs: 300_000 },
    });
    expect(() => parseRunArgs(['--timeout', 'soon', 'pod.yaml'])).toThrow(/--timeout/);
  });
});

describe('pod-init run: security flags', () => {
  it('reads --allowed-unsafe-sysctls and --seccomp-profile-root', () => {
    const o = parseRunArgs(['pod.yaml', '--allowed-unsafe-sysctls', 'kernel.msg*, net.core.somaxconn']);
    expect(o.allowedUnsafeSysctls).toEqual(['kernel.msg*', 'net.core.somaxconn']);
    expect(o.seccompProfileRoot).toBe('/var/lib/kubelet/seccomp');
    expect(parseRunArgs(['pod.yaml', '--seccomp-profile-root', '/etc/sc']).seccompProfileRoot).toBe('/etc/sc');
  });
  it('refuses a sysctl that is not namespaced, as the kubelet refuses to start', () => {
    expect(() => parseRunArgs(['pod.yaml', '--allowed-unsafe-sysctls', 'vm.swappiness'])).toThrow(
      '--allowed-unsafe-sysctls must be namespaced sysctls only (the sysctl "vm.swappiness" are not known to be namespaced)',
    );
  });
});
