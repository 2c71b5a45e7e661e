/**
 * A rootless pod's user namespace (src/subordinate-ids.ts): 65536 ids from the caller's subordinate
 * ranges when it has them, so an image's owners stay as they are inside; else the caller alone, and
 * one notice (once the pod runs a pulled image, where owners collapse) saying what to add.
 * @module
 */
import os from 'node:os';
import { type RootlessIds, rootlessIds, subordinateIdsNotice } from '../subordinate-ids';

/**
 * The user namespace of a rootless pod: `ids` to map, or `notice` (the collapse and how to avoid it).
 *
 * @example
 * const { ids, notice } = rootlessPodIds();
 * if (ids) options.userNamespace = ids;
 */
export function rootlessPodIds(): { ids?: RootlessIds; notice?: string } {
  const ids = rootlessIds();
  if (!('reason' in ids)) return { ids };
  let name: string | undefined;
  try {
    name = os.userInfo().username;
  } catch {
    // no passwd entry
  }
  return { notice: subordinateIdsNotice(ids.reason, name) };
}
