// uid, gid, groups and runAsNonRoot as the kubelet and containerd settle them (src/pod/security/identity.ts).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { containerIdentity, readUserDatabase, runAsNonRootError } from '../../../src/pod/security/identity';

const users = {
  passwd: 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1001::/home/app:/bin/sh\nweb:x:33:33::/var/www:/bin/sh\n',
  group: 'root:x:0:\napp:x:1001:app\nvideo:x:44:app,web\naudio:x:29:web\nstaff:x:50000:app\n',
};
const podRef = 'web_default(0f0e)';
const who = (security: Parameters<typeof containerIdentity>[0]['security'], imageUser?: string) =>
  containerIdentity({ security, users, podRef, container: 'c', ...(imageUser !== undefined ? { imageUser } : {}) });

describe('containerIdentity', () => {
  it.each([
    ['nothing: root, root group', {}, undefined, { uid: 0, gid: 0, groups: [0] }],
    [
      'runAsUser: the passwd group of that uid, and its /etc/group groups (Merge)',
      { runAsUser: 1000 },
      undefined,
      { uid: 1000, gid: 1001, groups: [44, 1001, 50000] },
    ],
    ['runAsUser not in passwd: gid 0', { runAsUser: 4242 }, undefined, { uid: 4242, gid: 0, groups: [0] }],
    [
      'runAsUser + runAsGroup + supplementalGroups + fsGroup',
      { runAsUser: 1000, runAsGroup: 3000, supplementalGroups: [4000], fsGroup: 2000 },
      undefined,
      { uid: 1000, gid: 3000, groups: [44, 2000, 3000, 4000, 50000] },
    ],
    [
      "Strict: the pod's groups only",
      { runAsUser: 1000, runAsGroup: 3000, supplementalGroups: [4000], supplementalGroupsPolicy: 'Strict' },
      undefined,
      { uid: 1000, gid: 3000, groups: [3000, 4000] },
    ],
    ['image USER by name', {}, 'web', { uid: 33, gid: 33, groups: [29, 33, 44] }],
    ['image USER uid:gid', {}, '1000:7', { uid: 1000, gid: 7, groups: [7, 44, 50000] }],
    ['image USER name:group', {}, 'app:audio', { uid: 1000, gid: 29, groups: [29, 44, 50000] }],
    ['runAsUser over the image USER', { runAsUser: 33 }, 'app', { uid: 33, gid: 33, groups: [29, 33, 44] }],
    ['runAsGroup alone over root', { runAsGroup: 5 }, undefined, { uid: 0, gid: 5, groups: [5] }],
  ] as const)('%s', (_name, security, imageUser, expected) => {
    expect(who(security, imageUser)).toEqual(expected);
  });

  it('refuses an image user that is not in /etc/passwd', () => {
    expect(who({}, 'ghost')).toEqual({ error: 'no users found: user "ghost" is not in the image\'s /etc/passwd' });
  });
});

describe("runAsNonRoot (the kubelet's three messages)", () => {
  const where = '(pod: "web_default(0f0e)", container: c)';
  it.each([
    ['runAsUser 0', { runAsNonRoot: true, runAsUser: 0 }, '', `container's runAsUser breaks non-root policy ${where}`],
    [
      'no user: the image runs as root',
      { runAsNonRoot: true },
      '',
      `container has runAsNonRoot and image will run as root ${where}`,
    ],
    ['image USER 0', { runAsNonRoot: true }, '0:0', `container has runAsNonRoot and image will run as root ${where}`],
    [
      'non-numeric image user',
      { runAsNonRoot: true },
      'app',
      `container has runAsNonRoot and image has non-numeric user (app), cannot verify user is non-root ${where}`,
    ],
    ['runAsUser 1000: fine', { runAsNonRoot: true, runAsUser: 1000 }, 'app', undefined],
    ['numeric image user 1000: fine', { runAsNonRoot: true }, '1000', undefined],
    ['runAsNonRoot false: anything goes', { runAsNonRoot: false, runAsUser: 0 }, '', undefined],
  ] as const)('%s', (_name, security, imageUser, message) => {
    expect(runAsNonRootError(security, imageUser, podRef, 'c')).toBe(message);
    if (message !== undefined) expect(who(security, imageUser)).toEqual({ error: message });
  });
});

describe('readUserDatabase', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pod-init-users-'));
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
  it("reads the root's files, and refuses a symlink out of it", () => {
    fs.mkdirSync(path.join(tmp, 'etc'));
    fs.writeFileSync(path.join(tmp, 'etc/passwd'), 'x:x:5:5::/:/bin/sh\n');
    fs.symlinkSync('/etc/group', path.join(tmp, 'etc/group'));
    expect(readUserDatabase(tmp)).toEqual({ passwd: 'x:x:5:5::/:/bin/sh\n', group: '' });
    expect(readUserDatabase(path.join(tmp, 'none'))).toEqual({ passwd: '', group: '' });
  });
});
