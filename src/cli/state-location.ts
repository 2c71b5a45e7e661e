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
import { dataHome } from '../home-dir';
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

/**
 * The runner's location options for `pod-init run`, from the environment: the state root (private
 * unless $POD_INIT_STATE_DIR names it), where persistentVolumeClaim volumes and pulled images live
 * ($XDG_DATA_HOME/pod-init/… without root), and the search path of the rootless network helpers ($PATH).
 *
 * @example
 * runLocations(process.env, 0); // { stateRoot: '/run/pod-init', privateStateRoot: true, claimsDir: '/var/lib/pod-init/volumes', ... }
 */
export function runLocations(
  env: NodeJS.ProcessEnv,
  euid: number,
): {
  stateRoot: string;
  privateStateRoot: boolean;
  claimsDir: string;
  imageStoreDir: string;
  helperSearchPath: string;
} {
  const data = (kind: string) =>
    euid === 0 ? `/var/lib/pod-init/${kind}` : path.join(dataHome(env, euid), 'pod-init', kind);
  return {
    stateRoot: stateLocation(env, euid).stateRoot,
    privateStateRoot: !env.POD_INIT_STATE_DIR,
    claimsDir: data('volumes'),
    imageStoreDir: data('images'),
    helperSearchPath: env.PATH ?? '',
  };
}
