/**
 * Subordinate ids for rootless user namespaces, as podman uses them: when the caller has a range of at
 * least 65535 ids in both /etc/subuid and /etc/subgid and shadow's `newuidmap`/`newgidmap` are
 * installed (Debian: `uidmap`), a user namespace maps 65536 ids — 0 to the caller, 1..65535 to the
 * start of the range — so files and processes keep the owners an image gives them. Without them, the
 * namespace maps the caller alone (every owner collapses to it) and {@link subordinateIdsNotice} says
 * what to add.
 * @module
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import type { IdMapping, UserNamespaceOptions } from './process/spawn';

/** The ids a rootless user namespace maps: `size` ids, 0 the caller, 1..size-1 its subordinate ranges. */
export interface RootlessIds extends Required<Pick<UserNamespaceOptions, 'uidMappings' | 'gidMappings'>> {
  mapHelpers: { newuidmap: string; newgidmap: string };
}

/** How many ids a rootless namespace maps with subordinate ids (podman's default and the kubelet's block). */
export const rootlessIdCount = 65536;

/**
 * The first range of at least `count` ids of user `name` (or uid `id`) in an /etc/subuid or
 * /etc/subgid text (`name_or_id:start:count` lines), or undefined.
 *
 * @example
 * subordinateRange('nobody:100000:65536\n', 'nobody', 65534, 65535); // { start: 100000, count: 65536 }
 */
export function subordinateRange(
  text: string,
  name: string | undefined,
  id: number,
  count: number,
): { start: number; count: number } | undefined {
  for (const line of text.split('\n')) {
    const [who, start, size] = line.trim().split(':');
    if (who === undefined || start === undefined || size === undefined) continue;
    if (who !== name && who !== String(id)) continue;
    const range = { start: Number(start), count: Number(size) };
    if (Number.isSafeInteger(range.start) && Number.isSafeInteger(range.count) && range.count >= count) return range;
  }
  return undefined;
}

/**
 * The maps of a rootless namespace of {@link rootlessIdCount} ids from the caller's subordinate
 * ranges (`files` and `helpers` for tests), or why there are none. As root: undefined (root needs none).
 *
 * @example
 * const ids = rootlessIds();
 * if ('reason' in ids) console.error(subordinateIdsNotice(ids.reason));
 * else spawn({ file: 'sh', newNamespaces: ['user'], userNamespace: ids });
 */
export function rootlessIds(
  o: {
    uid?: number;
    gid?: number;
    name?: string;
    files?: { subuid: string; subgid: string };
    helpers?: readonly string[];
  } = {},
): RootlessIds | { reason: string } {
  const uid = o.uid ?? process.geteuid!();
  const gid = o.gid ?? process.getegid!();
  let name = o.name;
  if (name === undefined)
    try {
      name = os.userInfo().username;
    } catch {
      // no passwd entry: numeric lines only
    }
  const dirs = o.helpers ?? ['/usr/bin', '/bin', '/usr/local/bin'];
  const helper = (program: string) => dirs.map((d) => `${d}/${program}`).find((p) => fs.existsSync(p));
  const newuidmap = helper('newuidmap');
  const newgidmap = helper('newgidmap');
  const files = o.files ?? { subuid: '/etc/subuid', subgid: '/etc/subgid' };
  const read = (file: string) => {
    try {
      return fs.readFileSync(file, 'utf8');
    } catch {
      return '';
    }
  };
  const need = rootlessIdCount - 1;
  const subuid = subordinateRange(read(files.subuid), name, uid, need);
  const subgid = subordinateRange(read(files.subgid), name, uid, need);
  const who = name ?? String(uid);
  if (subuid === undefined || subgid === undefined)
    return {
      reason: `${who} (uid ${uid}) has no range of ${need} ids in ${[subuid ? '' : files.subuid, subgid ? '' : files.subgid].filter(Boolean).join(' and ')}`,
    };
  if (newuidmap === undefined || newgidmap === undefined)
    return { reason: 'newuidmap and newgidmap are not installed (Debian: apt-get install uidmap)' };
  const map = (own: number, start: number): IdMapping[] => [
    { containerId: 0, hostId: own, size: 1 },
    { containerId: 1, hostId: start, size: need },
  ];
  return {
    uidMappings: map(uid, subuid.start),
    gidMappings: map(gid, subgid.start),
    mapHelpers: { newuidmap, newgidmap },
  };
}

/**
 * `{ ids }` when the caller has subordinate ids to keep an image's owners with, else `{}` (root, or none).
 *
 * @example
 * new LayerWriter(dir, { chown: false, devices: false, xattrNamespace: 'user', ...subordinateIds() });
 */
export function subordinateIds(): { ids?: RootlessIds } {
  if (process.geteuid?.() === 0) return {};
  const ids = rootlessIds();
  return 'reason' in ids ? {} : { ids };
}

/**
 * What a rootless user is told once when its namespaces map only itself: every owner in an image is
 * its own, and what to add to keep them.
 *
 * @example
 * subordinateIdsNotice('nobody (uid 65534) has no range of 65535 ids in /etc/subuid', 'nobody');
 */
export function subordinateIdsNotice(reason: string, name = 'USER'): string {
  return (
    `rootless without subordinate ids: ${reason}, so the pod's user namespace maps only this user and ` +
    "every file owner of an image is root's inside (uid 33's files too); to keep the image's owners, " +
    `add a range to /etc/subuid and /etc/subgid (\`usermod --add-subuids 100000-165535 --add-subgids 100000-165535 ${name}\`, ` +
    `or the line "${name}:100000:65536" in each) and install newuidmap/newgidmap (Debian: uidmap)`
  );
}

/** util-linux's unshare, which maps subordinate ranges through newuidmap/newgidmap (`--map-users`). */
const unshareCandidates = ['/usr/bin/unshare', '/bin/unshare'];

/**
 * Runs `argv` synchronously as root of a fresh user namespace with `ids`' maps (util-linux `unshare
 * --map-root-user --map-users --map-groups`), where the caller's subordinate ids are ids it may own
 * files as. Throws an Error with the program's stderr when it fails.
 *
 * @example
 * runWithRootlessIds(ids, ['/bin/rm', '-rf', '--', '/home/u/.local/share/pod-init/images/layers/.tmp-1']);
 */
export function runWithRootlessIds(ids: RootlessIds, argv: readonly string[]): void {
  const unshare = unshareCandidates.find((p) => fs.existsSync(p));
  if (unshare === undefined) throw new Error('unshare (util-linux) is not installed');
  const range = (m: IdMapping[]) => m.find((r) => r.containerId === 1)!;
  const uid = range(ids.uidMappings);
  const gid = range(ids.gidMappings);
  const result = spawnSync(
    unshare,
    [
      '--map-root-user',
      `--map-users=${uid.hostId},1,${uid.size}`,
      `--map-groups=${gid.hostId},1,${gid.size}`,
      '--',
      ...argv,
    ],
    { encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'] },
  );
  if (result.error) throw result.error;
  if (result.status !== 0)
    throw new Error(
      `${argv[0]} in a user namespace of subordinate ids failed: ${result.stderr.trim() || `exit ${result.status}`}`,
    );
}

/**
 * Removes `dir` and everything under it (no error when it is missing). A rootless caller cannot remove
 * what its subordinate ids own (a pulled layer's, a container's files as uid 33): for those the
 * removal runs again inside a user namespace that maps them.
 *
 * @example
 * removeTree('/home/u/.local/share/pod-init/images/layers/.tmp-1');
 */
export function removeTree(dir: string): void {
  try {
    fs.rmSync(dir, { recursive: true, force: true });
    return;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EACCES' && code !== 'EPERM') throw error;
    if (process.geteuid?.() === 0) throw error;
    const ids = rootlessIds();
    if ('reason' in ids) throw error;
    runWithRootlessIds(ids, ['/bin/rm', '-rf', '--', dir]);
  }
}
