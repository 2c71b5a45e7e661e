import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parsePublish } from '../../src/net/publish-spec';
import { RootlessPodNetwork } from '../../src/pod/rootless-pod-network';

describe('which pods get a rootless helper', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pod-init-plan-'));
  for (const name of ['pasta', 'slirp4netns']) fs.writeFileSync(path.join(dir, name), '', { mode: 0o755 });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const spec = (hostPort?: number, hostNetwork = false) => ({
    hostNetwork,
    containers: [{ ports: [{ containerPort: 80, ...(hostPort !== undefined ? { hostPort } : {}) }] }],
  });
  // /dev/null opens read-write like an accessible tun device; a missing path does not.
  const base = { searchPath: dir, root: false, tunDevice: '/dev/null' };
  const kind = (plan: ReturnType<typeof RootlessPodNetwork.plan>) =>
    'notice' in plan ? plan.notice : plan.network?.helper.kind;

  it('a helper mode asks for one; without root published ports imply one; otherwise loopback', () => {
    expect(kind(RootlessPodNetwork.plan(spec(), { ...base, mode: 'rootless' }))).toBe('pasta');
    expect(kind(RootlessPodNetwork.plan(spec(), { ...base, mode: 'slirp4netns' }))).toBe('slirp4netns');
    expect(kind(RootlessPodNetwork.plan(spec(8080), { ...base, mode: undefined }))).toBe('pasta');
    expect(kind(RootlessPodNetwork.plan(spec(), { ...base, mode: undefined, publish: [parsePublish('1:2')] }))).toBe(
      'pasta',
    );
    expect(RootlessPodNetwork.plan(spec(), { ...base, mode: undefined })).toEqual({});
    expect(RootlessPodNetwork.plan(spec(8080), { ...base, mode: 'bridge' })).toEqual({});
    expect(RootlessPodNetwork.plan(spec(8080, true), { ...base, mode: 'rootless' })).toEqual({});
    const plan = RootlessPodNetwork.plan(spec(8080), {
      ...base,
      mode: undefined,
      publish: [parsePublish('127.0.0.1:9:90/udp')],
    });
    expect('network' in plan && plan.network?.mappings.length).toBe(2);
  });

  it('as root: slirp4netns for rootless; published ports without a helper mode are left to the bridge', () => {
    expect(kind(RootlessPodNetwork.plan(spec(), { ...base, root: true, mode: 'rootless' }))).toBe('slirp4netns');
    expect(RootlessPodNetwork.plan(spec(8080), { ...base, root: true, mode: undefined })).toEqual({});
    expect(RootlessPodNetwork.plan(spec(8080), { ...base, root: true, mode: 'bridge' })).toEqual({});
  });

  it('an IPv6 host address is refused: the helpers publish on IPv4 host addresses only', () => {
    expect(() =>
      RootlessPodNetwork.plan(spec(), { ...base, mode: 'rootless', publish: [parsePublish('[fd00::2]:8080:80')] }),
    ).toThrow(
      "hostIP must be an IPv4 address or none: pasta and slirp4netns publish on IPv4 host addresses only, received 'fd00::2'",
    );
  });

  it('a tun device that cannot be opened is a notice naming it', () => {
    expect(
      kind(RootlessPodNetwork.plan(spec(), { ...base, mode: 'rootless', tunDevice: path.join(dir, 'no-tun') })),
    ).toBe(
      `Rootless pod networking (pasta) needs the tun device: ${path.join(dir, 'no-tun')} does not exist (open: ENOENT): ` +
        `as root, modprobe tun (or mknod ${path.join(dir, 'no-tun')} c 10 200; chmod 0666 ${path.join(dir, 'no-tun')}). The pod has only loopback`,
    );
  });
});
