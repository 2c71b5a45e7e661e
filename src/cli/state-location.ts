/**
 * Where `pod-init run` keeps its pods, for the read-only verbs: the same defaults as the runner's
 * (runner.ts defaultStateRoot): $POD_INIT_STATE_DIR, else /run/pod-init as root, else
 * $XDG_RUNTIME_DIR/pod-init, else /tmp/pod-init-<uid> (one per user); the owners registry is owners.ts's default.
 * The native `pod-init exec` client (native/client/state.c state_location()) applies the same rule in C:
 * change both together ("/tmp" is os.tmpdir(): $TMPDIR, $TMP, $TEMP, else /tmp).
 * @module
 */
import os from 'node:os';
import path from 'node:path';
import { defaultOwnersDir } from '../pod/owners';
import type { StateLocation } from '../ops/pod-list';

/**
 * The state location of this user, from the environment.
 *
 * @example
 * stateLocation(process.env, 0); // { stateRoot: '/run/pod-init', ownersDir: '/run/pod-init/owners' }
 */
export function stateLocation(env: NodeJS.ProcessEnv, euid: number): StateLocation {
  const stateRoot =
    env.POD_INIT_STATE_DIR ||
    (euid === 0
      ? '/run/pod-init'
      : env.XDG_RUNTIME_DIR
        ? path.join(env.XDG_RUNTIME_DIR, 'pod-init')
        : path.join(os.tmpdir(), `pod-init-${euid}`));
  return { stateRoot, ownersDir: defaultOwnersDir(os.tmpdir(), euid) };
}
