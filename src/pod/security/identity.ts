/**
 * Who a container's process is: uid, gid and supplementary groups, as the kubelet and containerd
 * settle them (SECURITY.md §3), and the kubelet's `runAsNonRoot` check (K2 `verifyRunAsNonRoot`).
 *
 * - user: `runAsUser` > the image's `USER` > 0; a user name is looked up in the root's /etc/passwd.
 * - group: `runAsGroup` > the group of `USER u:g` > the user's group in the root's /etc/passwd > 0
 *   (containerd `WithUser`/`WithUserID`).
 * - groups: the gid itself, then with `supplementalGroupsPolicy: Merge` (the default) the groups of
 *   the root's /etc/group that list the user's name (containerd `WithAdditionalGIDs`), then `fsGroup`
 *   and `supplementalGroups`; `Strict` leaves the /etc/group ones out (kubernetes#112879).
 *
 * pod-init has no image store yet: the "image user" is a parameter (`imageUser`, Docker's `USER`
 * string), empty — root — until images supply it. "The root" is the image directory, or the host's /
 * for a container on the host's filesystem.
 * @module
 */
import fs from 'node:fs';
import path from 'node:path';

/** The securityContext fields that decide the user (container fields already merged over the pod's). */
export interface IdentityFields {
  runAsUser?: number;
  runAsGroup?: number;
  runAsNonRoot?: boolean;
  supplementalGroups?: readonly number[];
  supplementalGroupsPolicy?: string;
  fsGroup?: number;
}

/** The root's /etc/passwd and /etc/group (empty strings when missing). */
export interface UserDatabase {
  passwd: string;
  group: string;
}

/** Inputs of {@link containerIdentity}. */
export interface IdentityInput {
  security: IdentityFields;
  /** The image's `USER` (`name`, `uid`, `uid:gid`, `name:group`); empty or undefined: root. */
  imageUser?: string;
  users: UserDatabase;
  /** `name_namespace(uid)` and the container's name, for the kubelet's messages. */
  podRef: string;
  container: string;
}

/** The process's ids, or the kubelet's CreateContainerConfigError message. */
export type Identity = { uid: number; gid: number; groups: number[] } | { error: string };

interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
}

function passwdEntries(passwd: string): PasswdEntry[] {
  return passwd
    .split('\n')
    .map((line) => line.split(':'))
    .filter((f) => f.length >= 4 && /^\d+$/.test(f[2]!) && /^\d+$/.test(f[3]!))
    .map((f) => ({ name: f[0]!, uid: Number(f[2]), gid: Number(f[3]) }));
}

function groupEntries(group: string): Array<{ name: string; gid: number; members: string[] }> {
  return group
    .split('\n')
    .map((line) => line.split(':'))
    .filter((f) => f.length >= 3 && /^\d+$/.test(f[2]!))
    .map((f) => ({ name: f[0]!, gid: Number(f[2]), members: (f[3] ?? '').split(',').filter(Boolean) }));
}

/**
 * The kubelet's runAsNonRoot refusal, or undefined when the container may run (K2).
 *
 * @example
 * runAsNonRootError({ runAsNonRoot: true, runAsUser: 0 }, '', 'web_default(1f…)', 'app');
 * // 'container\'s runAsUser breaks non-root policy (pod: "web_default(1f…)", container: app)'
 */
export function runAsNonRootError(
  security: IdentityFields,
  imageUser: string,
  podRef: string,
  container: string,
): string | undefined {
  if (security.runAsNonRoot !== true) return undefined;
  const where = `(pod: ${JSON.stringify(podRef)}, container: ${container})`;
  if (security.runAsUser !== undefined)
    return security.runAsUser === 0 ? `container's runAsUser breaks non-root policy ${where}` : undefined;
  // The kubelet's getImageUser: the part before ':'; numeric is a uid, empty is root.
  const user = imageUser.split(':')[0]!;
  if (user === '' || (/^\d+$/.test(user) && Number(user) === 0))
    return `container has runAsNonRoot and image will run as root ${where}`;
  if (!/^\d+$/.test(user))
    return `container has runAsNonRoot and image has non-numeric user (${user}), cannot verify user is non-root ${where}`;
  return undefined;
}

/**
 * The container's uid, gid and groups (see the module's description), or the runAsNonRoot error.
 *
 * @example
 * containerIdentity({ security: { runAsUser: 1000, runAsGroup: 3000, supplementalGroups: [4000], fsGroup: 2000 },
 *   users: { passwd: '', group: '' }, podRef: 'p_default(1)', container: 'c' });
 * // { uid: 1000, gid: 3000, groups: [2000, 3000, 4000] }
 */
export function containerIdentity(input: IdentityInput): Identity {
  const { security, users } = input;
  const imageUser = input.imageUser ?? '';
  const refused = runAsNonRootError(security, imageUser, input.podRef, input.container);
  if (refused !== undefined) return { error: refused };
  const passwd = passwdEntries(users.passwd);
  const groupsDb = groupEntries(users.group);
  const [imageUserPart = '', imageGroupPart] = imageUser.split(':');
  let uid = 0;
  let entry: PasswdEntry | undefined;
  if (security.runAsUser !== undefined) {
    uid = security.runAsUser;
    entry = passwd.find((e) => e.uid === uid);
  } else if (/^\d+$/.test(imageUserPart)) {
    uid = Number(imageUserPart);
    entry = passwd.find((e) => e.uid === uid);
  } else if (imageUserPart !== '') {
    entry = passwd.find((e) => e.name === imageUserPart);
    if (entry === undefined)
      return { error: `no users found: user ${JSON.stringify(imageUserPart)} is not in the image's /etc/passwd` };
    uid = entry.uid;
  } else entry = passwd.find((e) => e.uid === 0);
  let gid = entry?.gid ?? 0;
  if (security.runAsGroup !== undefined) gid = security.runAsGroup;
  else if (security.runAsUser === undefined && imageGroupPart !== undefined && imageGroupPart !== '') {
    if (/^\d+$/.test(imageGroupPart)) gid = Number(imageGroupPart);
    else {
      const g = groupsDb.find((x) => x.name === imageGroupPart);
      if (g === undefined)
        return { error: `no groups found: group ${JSON.stringify(imageGroupPart)} is not in the image's /etc/group` };
      gid = g.gid;
    }
  }
  const groups = new Set<number>([gid]);
  if ((security.supplementalGroupsPolicy ?? 'Merge') === 'Merge' && entry !== undefined) {
    const name = entry.name;
    for (const g of groupsDb) if (g.name !== name && g.members.includes(name)) groups.add(g.gid);
  }
  if (security.fsGroup !== undefined) groups.add(security.fsGroup);
  for (const g of security.supplementalGroups ?? []) groups.add(g);
  return { uid, gid, groups: [...groups].sort((a, b) => a - b) };
}

/**
 * Reads /etc/passwd and /etc/group of a root directory (an image, or `/`), refusing symlinks (an image's
 * absolute link must not read the host's files); missing or unreadable files are empty.
 *
 * @example
 * readUserDatabase('/'); // { passwd: 'root:x:0:0:…', group: 'root:x:0:…' }
 */
export function readUserDatabase(root: string): UserDatabase {
  const read = (name: string): string => {
    const p = path.join(root, 'etc', name);
    try {
      const fd = fs.openSync(p, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK);
      try {
        return fs.fstatSync(fd).isFile() ? fs.readFileSync(fd, 'utf8') : '';
      } finally {
        fs.closeSync(fd);
      }
    } catch {
      return '';
    }
  };
  return { passwd: read('passwd'), group: read('group') };
}
