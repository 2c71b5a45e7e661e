import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { pastaArgs } from '../../src/net/pasta';
import { parsePublish } from '../../src/net/publish-spec';
import { chooseRootlessHelper, findOnPath } from '../../src/net/rootless-network';
import { slirp4netnsArgs } from '../../src/net/slirp4netns';

describe("the rootless helpers' command lines", () => {
  it('pasta: foreground, explicit addresses, the published ports, no automatic forwards, host loopback hidden', () => {
    const args = pastaArgs({
      pid: 42,
      mappings: [parsePublish('127.0.0.1:8080:80'), parsePublish('9090:90'), parsePublish('5353:53/udp')],
    });
    expect(args.join(' ')).toBe(
      '-f -q -e -4 --config-net -I eth0 -a 10.0.2.100 -n 24 -g 10.0.2.2 -t 127.0.0.1/8080:80 -t 9090:90 -u 5353:53 ' +
        '-T none -U none --no-map-gw -P /dev/stdout 42',
    );
    const plain = pastaArgs({ pid: 7, mappings: [], hostLoopback: true });
    expect(plain).toEqual(expect.arrayContaining(['-t', 'none', '-u', 'none']));
    expect(plain).not.toContain('--no-map-gw');
    expect(plain.at(-1)).toBe('7');
  });

  it('slirp4netns: the exit and ready fds, its sandbox, the API socket, host loopback hidden unless asked', () => {
    expect(slirp4netnsArgs({ pid: 42, apiSocket: 's.sock' }).join(' ')).toBe(
      '--configure --mtu=65520 --disable-host-loopback --enable-sandbox --enable-seccomp --exit-fd=3 --ready-fd=4 --api-socket s.sock 42 eth0',
    );
    expect(slirp4netnsArgs({ pid: 42, apiSocket: 's.sock', hostLoopback: true })).not.toContain(
      '--disable-host-loopback',
    );
  });
});

describe('choosing the helper from PATH', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pod-init-helpers-'));
  const bin = (name: string, mode = 0o755) => {
    fs.mkdirSync(path.join(dir, 'bin'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'bin', name), '#!/bin/sh\n', { mode });
    return path.join(dir, 'bin');
  };
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('finds executables only, in PATH order', () => {
    const b = bin('pasta');
    bin('slirp4netns', 0o644);
    expect(findOnPath('pasta', `relative:${b}:/nonexistent`)).toBe(path.join(b, 'pasta'));
    expect(findOnPath('slirp4netns', b)).toBeUndefined();
  });

  it('rootless prefers pasta, falls back to slirp4netns, and says what to install when neither is there', () => {
    const b = bin('pasta');
    const s = path.join(dir, 'sbin');
    fs.mkdirSync(s, { recursive: true });
    fs.writeFileSync(path.join(s, 'slirp4netns'), '', { mode: 0o755 });
    expect(chooseRootlessHelper('rootless', `${s}:${b}`)).toEqual({ kind: 'pasta', file: path.join(b, 'pasta') });
    expect(chooseRootlessHelper('rootless', s)).toEqual({ kind: 'slirp4netns', file: path.join(s, 'slirp4netns') });
    expect(chooseRootlessHelper('slirp4netns', `${b}:${s}`)).toEqual({
      kind: 'slirp4netns',
      file: path.join(s, 'slirp4netns'),
    });
    expect(chooseRootlessHelper('rootless', '/nonexistent')).toEqual({
      notice:
        'Rootless pod networking needs a user-space helper: neither pasta nor slirp4netns was found on PATH ' +
        '(Debian: apt-get install passt, or slirp4netns). The pod has only loopback',
    });
    expect(chooseRootlessHelper('pasta', s)).toEqual({ notice: expect.stringContaining('apt-get install passt') });
  });

  it('as root, rootless means slirp4netns and pasta is refused with the reason', () => {
    const b = bin('pasta');
    const s = path.join(dir, 'sbin');
    expect(chooseRootlessHelper('rootless', `${b}:${s}`, true)).toEqual({
      kind: 'slirp4netns',
      file: path.join(s, 'slirp4netns'),
    });
    expect(chooseRootlessHelper('pasta', b, true)).toEqual({
      notice: expect.stringContaining('pasta cannot serve a pod run as root'),
    });
  });
});
