// no_new_privs by the kubelet's AddNoNewPrivileges (src/pod/security/no-new-privs.ts), and the
// stricter default the issue describes, behind an option.
import { describe, expect, it } from 'vitest';
import { noNewPrivileges } from '../../../src/pod/security/no-new-privs';

describe('noNewPrivileges', () => {
  it.each([
    ['unset: off (kubelet: nil → false)', undefined, false, false],
    ['allowPrivilegeEscalation false', { allowPrivilegeEscalation: false }, false, true],
    ['allowPrivilegeEscalation true', { allowPrivilegeEscalation: true }, false, false],
    ['byDefault: unset → on', {}, true, true],
    ['byDefault: privileged → off', { privileged: true }, true, false],
    ['byDefault: adds SYS_ADMIN → off', { capabilities: { add: ['SYS_ADMIN'] } }, true, false],
    ['byDefault: adds ALL → off', { capabilities: { add: ['ALL'] } }, true, false],
    ['byDefault: explicit true wins', { allowPrivilegeEscalation: true }, true, false],
    ['byDefault: explicit false wins', { allowPrivilegeEscalation: false, privileged: true }, true, true],
  ] as const)('%s', (_name, sc, byDefault, expected) => {
    expect(noNewPrivileges(sc, { byDefault })).toBe(expected);
  });
});
