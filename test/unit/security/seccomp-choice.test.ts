// The seccomp profile a container gets (src/pod/security/seccomp-choice.ts).
import { describe, expect, it } from 'vitest';
import { seccompChoice } from '../../../src/pod/security/seccomp-choice';

describe('seccompChoice', () => {
  it.each([
    [
      'nothing set: RuntimeDefault (pod-init, like podman; the kubelet only with --seccomp-default)',
      undefined,
      undefined,
      false,
      { type: 'RuntimeDefault' },
    ],
    ['pod Unconfined', undefined, { type: 'Unconfined' }, false, { type: 'Unconfined' }],
    ['container over pod', { type: 'RuntimeDefault' }, { type: 'Unconfined' }, false, { type: 'RuntimeDefault' }],
    [
      'Localhost under the root',
      { type: 'Localhost', localhostProfile: 'p/audit.json' },
      undefined,
      false,
      {
        type: 'Localhost',
        path: '/var/lib/kubelet/seccomp/p/audit.json',
        root: '/var/lib/kubelet/seccomp',
        name: 'p/audit.json',
      },
    ],
    [
      'pod Localhost',
      undefined,
      { type: 'Localhost', localhostProfile: 'x.json' },
      false,
      { type: 'Localhost', path: '/var/lib/kubelet/seccomp/x.json', root: '/var/lib/kubelet/seccomp', name: 'x.json' },
    ],
    ['privileged: none whatever was asked', { type: 'RuntimeDefault' }, undefined, true, { type: 'Unconfined' }],
  ] as const)('%s', (_name, container, pod, privileged, expected) => {
    expect(seccompChoice(container, pod, privileged)).toEqual(expected);
  });
  it('honours another profile root', () => {
    expect(seccompChoice({ type: 'Localhost', localhostProfile: 'a.json' }, undefined, false, '/etc/sc')).toEqual({
      type: 'Localhost',
      path: '/etc/sc/a.json',
      root: '/etc/sc',
      name: 'a.json',
    });
  });
});
