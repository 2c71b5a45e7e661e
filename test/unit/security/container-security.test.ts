// One container's security settings from its pod (src/pod/security/container-security.ts): container
// fields over pod fields, privileged and procMount: Unmasked, the runAsNonRoot error.
import { describe, expect, it } from 'vitest';
import { statusMask } from '../../../src/pod/security/capabilities';
import {
  type ContainerSecurityFields,
  containerSecurity,
  type PodSecurityFields,
} from '../../../src/pod/security/container-security';

const options = {
  users: { passwd: 'root:x:0:0::/root:/bin/sh\n', group: '' },
  rootful: true,
  pathKind: (p: string) =>
    p === '/proc/acpi' ? ('dir' as const) : p === '/proc/kcore' ? ('file' as const) : undefined,
  possibleCpus: '0',
};
const pod = (sc?: PodSecurityFields, hostNetwork = false) => ({
  metadata: { name: 'p', namespace: 'ns', uid: 'u1' },
  spec: { hostNetwork, ...(sc ? { securityContext: sc } : {}) },
});
const run = (sc?: ContainerSecurityFields, podSc?: PodSecurityFields, opts: Partial<typeof options> = {}) =>
  containerSecurity(pod(podSc), { name: 'c', ...(sc ? { securityContext: sc } : {}) }, { ...options, ...opts });

describe('containerSecurity', () => {
  it("gives a default container containerd's defaults, masks, RuntimeDefault, root", () => {
    const s = run();
    expect(statusMask(s.capabilities.effective)).toBe('00000000a80425fb');
    expect(s.noNewPrivileges).toBe(false);
    expect(s.seccomp).toEqual({ type: 'RuntimeDefault' });
    expect(s.maskedSteps.map((m) => m.target)).toEqual(['/sys', '/proc/acpi', '/proc/kcore']);
    expect(s).toMatchObject({ privileged: false, readOnlyRoot: false, uid: 0, gid: 0, groups: [0], errors: [] });
  });
  it('lets container fields override pod fields one by one', () => {
    const s = run(
      { runAsUser: 1000, seccompProfile: { type: 'Unconfined' } },
      { runAsUser: 5, runAsGroup: 6, fsGroup: 7, supplementalGroups: [8], seccompProfile: { type: 'RuntimeDefault' } },
    );
    expect(s).toMatchObject({ uid: 1000, gid: 6, groups: [6, 7, 8], seccomp: { type: 'Unconfined' } });
  });
  it('gives privileged everything and masks nothing', () => {
    const s = run({ privileged: true, capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' } });
    expect(s.capabilities.bounding).toHaveLength(41);
    expect(s.maskedSteps).toEqual([]);
    expect(s.seccomp).toEqual({ type: 'Unconfined' });
  });
  it('procMount Unmasked: no masks, /sys still read-only — only in a pod with its own user namespace', () => {
    expect(
      run({ procMount: 'Unmasked' }, undefined, { userNamespace: true } as never).maskedSteps.map((m) => m.target),
    ).toEqual(['/sys']);
    expect(run({ procMount: 'Unmasked' }).maskedSteps.map((m) => m.target)).toEqual([
      '/sys',
      '/proc/acpi',
      '/proc/kcore',
    ]);
  });
  it('keeps a /sys that is read-only already (host mode) when told', () => {
    expect(run({}, undefined, { freshSysfs: false } as never).maskedSteps.map((m) => m.target)).toEqual([
      '/proc/acpi',
      '/proc/kcore',
    ]);
  });
  it('a rootless pod on the host network remounts /sys instead of mounting sysfs', () => {
    const s = containerSecurity(pod(undefined, true), { name: 'c' }, { ...options, rootful: false });
    expect(s.maskedSteps[0]).toMatchObject({ target: '/sys' });
    expect(s.maskedSteps[0]).not.toHaveProperty('fstype');
  });
  it('carries no_new_privs, readOnlyRootFilesystem and the runAsNonRoot refusal', () => {
    expect(run({ allowPrivilegeEscalation: false }).noNewPrivileges).toBe(true);
    expect(run({}, undefined, { noNewPrivilegesByDefault: true } as never).noNewPrivileges).toBe(true);
    expect(run({ readOnlyRootFilesystem: true }).readOnlyRoot).toBe(true);
    expect(run({}, { runAsNonRoot: true }).errors).toEqual([
      'container has runAsNonRoot and image will run as root (pod: "p_ns(u1)", container: c)',
    ]);
    expect(run({ runAsNonRoot: false }, { runAsNonRoot: true }).errors).toEqual([]);
  });
});
