/**
 * What a library user gets without the location options of a {@link PodRunnerOptions}: fixed places
 * from the effective uid, no environment variable read (the CLI, src/cli/state-location.ts, derives its
 * locations from $POD_INIT_STATE_DIR, $XDG_RUNTIME_DIR and $XDG_DATA_HOME and passes them as options).
 * @module
 */
import os from 'node:os';
import path from 'node:path';
import { dataHome } from '../home-dir';
// eslint-disable-next-line @typescript-eslint/no-unused-vars -- for {@link}
import type { PodRunnerOptions } from './runner-options';

/**
 * The library's default state root: /run/pod-init as root, else `<tmpdir>/pod-init-<uid>` (one per user:
 * users must not share, or be refused, one root). The runner makes it 0700 and refuses it unless it is a
 * directory of ours that nobody else can write (private-dir.ts).
 *
 * @example
 * defaultStateRoot(0); // '/run/pod-init'
 * defaultStateRoot(1000); // '/tmp/pod-init-1000'
 */
export function defaultStateRoot(euid: number = process.geteuid?.() ?? 0): string {
  return euid === 0 ? '/run/pod-init' : path.join(os.tmpdir(), `pod-init-${euid}`);
}

/**
 * The library's default place of persistentVolumeClaim volumes: /var/lib/pod-init/volumes as root, else
 * ~/.local/share/pod-init/volumes (the passwd entry's home) — on disk, unlike the state root, so they
 * outlive a reboot.
 *
 * @example
 * defaultClaimsDir(0); // '/var/lib/pod-init/volumes'
 */
export function defaultClaimsDir(euid: number = process.geteuid?.() ?? 0): string {
  if (euid === 0) return '/var/lib/pod-init/volumes';
  return path.join(dataHome({}, euid), 'pod-init', 'volumes');
}

/**
 * The library's default search path for the rootless network helpers (pasta, slirp4netns): the usual
 * system directories. The CLI passes its own $PATH.
 *
 * @example
 * defaultHelperSearchPath; // '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
 */
export const defaultHelperSearchPath = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
