import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { commanderRunArgs, parseRunArgs, quickRunArgs } from '../../src/cli/run-args';

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
    [['--container-log-max-size', '1Mi', '--container-log-max-files=3', 'pod.yaml']],
    [['--container-log-max-size=bad', 'pod.yaml']],
    [['--pod-pids-limit', '100', '--cgroup-root=/pod-init', '--allow-privilege-escalation', 'pod.yaml']],
    [['--dry-run', 'pod.yaml', '-o', 'json']],
    [['-d', 'pod.yaml']],
    [['pod.yaml', '--detach', '-q']],
    [['--pod-network', 'bridge', '--pod-cidr=10.77.0.0/16', 'pod.yaml']],
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
    expect([parseRunArgs(['pod.yaml']).dryRun, parseRunArgs(['--dry-run', 'pod.yaml']).dryRun]).toEqual([false, true]);
    expect([parseRunArgs(['pod.yaml']).detach, parseRunArgs(['-d', 'pod.yaml']).detach]).toEqual([false, true]);
    expect(() => parseRunArgs(['-d', 'pod.yaml', '-o', 'json'])).toThrow(/--output must be absent with --detach/);
  });

  it('CRI log rotation: the kubelet defaults (10Mi, 5 files), quantities, at least 2 files', () => {
    expect(parseRunArgs(['pod.yaml']).logRotation).toEqual({ maxBytes: 10 * 1024 * 1024, maxFiles: 5 });
    expect(
      parseRunArgs(['--container-log-max-size', '512Ki', '--container-log-max-files', '2', 'pod.yaml']).logRotation,
    ).toEqual({ maxBytes: 512 * 1024, maxFiles: 2 });
    expect(parseRunArgs(['--container-log-max-size=1M', 'pod.yaml']).logRotation.maxBytes).toBe(1_000_000);
    expect(() => parseRunArgs(['--container-log-max-size', '10MB', 'pod.yaml'])).toThrow(
      "--container-log-max-size must be a positive quantity such as 10Mi, received '10MB'",
    );
    expect(() => parseRunArgs(['--container-log-max-size', '0', 'pod.yaml'])).toThrow(/--container-log-max-size/);
    expect(() => parseRunArgs(['--container-log-max-files', '1', 'pod.yaml'])).toThrow(
      "--container-log-max-files must be an integer greater than 1, received '1'",
    );
    expect(() => parseRunArgs(['--container-log-max-files', '2.5', 'pod.yaml'])).toThrow(/--container-log-max-files/);
  });
});

describe('pod-init run: security flags', () => {
  it('reads --image-store, --insecure-registry (repeatable) and --authfile', () => {
    const o = parseRunArgs([
      'pod.yaml',
      '--image-store',
      '/s',
      '--insecure-registry',
      'a:5000',
      '--insecure-registry=b',
      '--authfile',
      '/auth.json',
    ]);
    expect(o.imagePull).toEqual({
      storeDir: '/s',
      insecureRegistries: ['a:5000', 'b'],
      authFiles: ['/auth.json'],
      localImages: new Map(),
      mirrors: new Map(),
      trust: { caFiles: [], certsDirs: ['/etc/containers/certs.d', '/etc/docker/certs.d'] },
      syncFs: false,
    });
    expect(parseRunArgs(['pod.yaml']).imagePull.insecureRegistries).toEqual([]);
  });

  it('reads --image-sync-fs (off by default, as containerd)', () => {
    expect(parseRunArgs(['pod.yaml', '--image-sync-fs']).imagePull.syncFs).toBe(true);
    expect(parseRunArgs(['pod.yaml']).imagePull.syncFs).toBe(false);
  });

  it('reads --image NAME=oci:PATH[:TAG], =oci-archive:PATH[:TAG], =docker-archive:PATH as local images', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pod-init-run-args-'));
    try {
      fs.writeFileSync(path.join(dir, 'a.tar'), '');
      const o = parseRunArgs([
        'pod.yaml',
        '--image',
        `a=oci:${dir}:v1`,
        '--image',
        `b=oci-archive:${dir}/a.tar`,
        '--image',
        `c=docker-archive:${dir}/a.tar`,
        '--image',
        `d=${dir}`,
      ]);
      expect(o.imagePull.localImages).toEqual(
        new Map([
          ['a', { transport: 'oci', path: dir, tag: 'v1' }],
          ['b', { transport: 'oci-archive', path: `${dir}/a.tar` }],
          ['c', { transport: 'docker-archive', path: `${dir}/a.tar` }],
        ]),
      );
      expect(o.images).toEqual(new Map([['d', dir]]));
      expect(() => parseRunArgs(['pod.yaml', '--image', `x=oci-archive:${dir}/missing.tar`])).toThrow(
        /--image must be NAME=oci-archive:PATH with an existing PATH/,
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reads --pod-pids-limit, --cgroup-root and --allow-privilege-escalation', () => {
    const o = parseRunArgs([
      'pod.yaml',
      '--pod-pids-limit',
      '100',
      '--cgroup-root',
      '/x',
      '--allow-privilege-escalation',
    ]);
    expect(o).toMatchObject({ podPidsLimit: 100, cgroupRoot: '/x', allowPrivilegeEscalation: true });
    expect(parseRunArgs(['pod.yaml', '--pod-pids-limit', '-1']).podPidsLimit).toBeUndefined();
    expect(parseRunArgs(['pod.yaml'])).toMatchObject({ podPidsLimit: undefined, allowPrivilegeEscalation: false });
    expect(() => parseRunArgs(['pod.yaml', '--pod-pids-limit', '0'])).toThrow(/--pod-pids-limit.*positive integer/);
    expect(() => parseRunArgs(['pod.yaml', '--cgroup-root', 'rel'])).toThrow(/--cgroup-root.*absolute/);
  });

  it('reads --pod-network and --pod-cidr (loopback unless asked)', () => {
    expect(parseRunArgs(['pod.yaml'])).toMatchObject({ podNetwork: undefined, podCidr: undefined, hosts: false });
    expect(parseRunArgs(['pod.yaml', '--pod-network', 'loopback', '--hosts'])).toMatchObject({
      podNetwork: 'loopback',
      hosts: true,
    });
    expect(parseRunArgs(['pod.yaml', '--pod-network', 'bridge', '--pod-cidr', '10.77.0.0/16'])).toMatchObject({
      podNetwork: 'bridge',
      podCidr: '10.77.0.0/16',
    });
    expect(() => parseRunArgs(['pod.yaml', '--pod-network', 'slirp'])).toThrow(
      "--pod-network must be loopback, bridge, rootless, pasta or slirp4netns, received 'slirp'",
    );
    expect(() => parseRunArgs(['pod.yaml', '--pod-cidr', '10.77.0.1/16'])).toThrow(/--pod-cidr/);
    expect(() => parseRunArgs(['pod.yaml', '--pod-cidr', 'fd00::/64'])).toThrow(/--pod-cidr.*IPv4/);
    expect(() => parseRunArgs(['pod.yaml', '--pod-cidr', '10.77.0.0/31'])).toThrow(/--pod-cidr.*\/30 or wider/);
  });

  it('reads the rootless helpers, --publish (repeatable, quick and commander spellings) and --host-loopback', () => {
    for (const mode of ['rootless', 'pasta', 'slirp4netns'])
      expect(parseRunArgs(['pod.yaml', '--pod-network', mode]).podNetwork).toBe(mode);
    const quick = ['pod.yaml', '--publish', '127.0.0.1:8080:80', '--publish=5353:53/udp', '--host-loopback'];
    const expected = {
      publish: [
        { protocol: 'tcp', hostIP: '127.0.0.1', hostPort: 8080, podPort: 80 },
        { protocol: 'udp', hostIP: '0.0.0.0', hostPort: 5353, podPort: 53 },
      ],
      hostLoopback: true,
    };
    expect(quickRunArgs(quick)).toBeDefined();
    expect(parseRunArgs(quick)).toMatchObject(expected);
    expect(commanderRunArgs(quick)).toMatchObject({
      publish: ['127.0.0.1:8080:80', '5353:53/udp'],
      hostLoopback: true,
    });
    expect(parseRunArgs(['pod.yaml'])).toMatchObject({ publish: [], hostLoopback: false });
    expect(() => parseRunArgs(['pod.yaml', '--publish', '80'])).toThrow(
      /--publish must be \[HOSTIP:\]HOSTPORT:PODPORT/,
    );
  });

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

describe('pod-init run: -f FILE|DIR|- (repeatable) and FILE', () => {
  it.each([
    [['-f', 'a.yaml']],
    [['-f', 'a.yaml', '--filename', 'b.yaml', '--filename=dir']],
    [['pod.yaml', '-f', 'cm.yaml', '-q']],
  ])('%j: read without commander, as commander reads it', (args) => {
    const quick = quickRunArgs(args);
    expect(quick).toBeDefined();
    expect(quick).toEqual(commanderRunArgs(args));
  });

  it('-f - (stdin) is left to commander, which reads it as a value', () => {
    expect(quickRunArgs(['-f', '-'])).toBeUndefined();
    expect(commanderRunArgs(['-f', '-', '-f', 'b.yaml'])).toMatchObject({ filename: ['-', 'b.yaml'] });
    expect(parseRunArgs(['-f', '-']).files).toEqual(['-']);
  });

  it('lists every input, FILE first, then each -f in order; file is the first', () => {
    expect(parseRunArgs(['-f', 'b.yaml', 'a.yaml', '-f', 'dir'])).toMatchObject({
      file: 'a.yaml',
      files: ['a.yaml', 'b.yaml', 'dir'],
    });
    expect(parseRunArgs(['pod.yaml'])).toMatchObject({ file: 'pod.yaml', files: ['pod.yaml'] });
  });

  it('refuses no input at all, two positional files, and stdin twice', () => {
    expect(() => parseRunArgs([])).toThrow(
      "FILE must be a manifest: FILE, or -f FILE|DIR (repeatable; - for stdin), received '(none)'",
    );
    expect(() => parseRunArgs(['-q'])).toThrow(/FILE must be a manifest/);
    expect(() => parseRunArgs(['a.yaml', 'b.yaml'])).toThrow(/too many arguments/);
    expect(() => parseRunArgs(['-', '-f', '-'])).toThrow("-f must be stdin (-) at most once, received '- -'");
    expect(() => parseRunArgs(['-f'])).toThrow(/argument missing/);
  });
});
