import { describe, expect, it } from 'vitest';
import { podLayout } from '../../src/pod/pod-layout';
import type { PodSpecObject } from '../../src/pod/types';

const pod = (spec: Partial<PodSpecObject['spec']> = {}, name = 'web'): PodSpecObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'default', uid: 'u1' },
  spec: { containers: [{ name: 'c' }], ...spec },
});
const root = { euid: 0, tmpdir: '/tmp', hostname: 'host1' };
const user = { euid: 1000, tmpdir: '/tmp', hostname: 'host1' };

describe('podLayout', () => {
  it('as root without options: /run/pod-init, checked private; owners under /run/pod-init', () => {
    const l = podLayout(pod(), {}, root);
    expect(l.stateDir).toBe('/run/pod-init/default_web_u1');
    expect(l.privateRoot).toBe('/run/pod-init');
    expect(l.ownersDir).toBe('/run/pod-init/owners');
    expect(l.names).toEqual({ dir: '/run/pod-init/.names', ownersDir: '/run/pod-init/owners' });
    expect(l.hostsDir).toBe('/run/pod-init/.hosts');
    expect(l.shm).toBe('/run/pod-init/default_web_u1/shm');
  });

  it('without root: per-user places under the tmpdir', () => {
    const l = podLayout(pod(), {}, user);
    expect(l.stateDir).toBe('/tmp/pod-init-1000/default_web_u1');
    expect(l.ownersDir).toBe('/tmp/pod-init-owners-1000');
  });

  it('a given state root is not checked private unless asked', () => {
    expect(podLayout(pod(), { stateRoot: '/x' }, root).privateRoot).toBeUndefined();
    expect(podLayout(pod(), { stateRoot: '/x', privateStateRoot: true }, root).privateRoot).toBe('/x');
    expect(podLayout(pod(), { privateStateRoot: false }, root).privateRoot).toBeUndefined();
  });

  it('hostname: spec.hostname, else the name cut to 63 without trailing dots or dashes; the host with hostNetwork', () => {
    expect(podLayout(pod({ hostname: 'h2' }), {}, root).hostname).toBe('h2');
    const long = `${'a'.repeat(62)}-b`;
    expect(podLayout(pod({}, long), {}, root).hostname).toBe('a'.repeat(62));
    expect(podLayout(pod({ hostNetwork: true, hostname: 'h2' }), {}, root).hostname).toBe('host1');
  });

  it('hostIPC: no /dev/shm of its own', () => {
    expect(podLayout(pod({ hostIPC: true }), {}, root).shm).toBeUndefined();
  });
});
