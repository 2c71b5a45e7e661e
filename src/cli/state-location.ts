/**
 * Where `pod-init run` keeps its pods, for the read-only verbs: the same defaults as the runner's
 * (runner.ts defaultStateRoot): $POD_INIT_STATE_DIR, else /run/pod-init as root, else
 * $XDG_RUNTIME_DIR/pod-init (or the temp dir's); the owners registry is owners.ts's default.
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
    (euid === 0 ? '/run/pod-init' : path.join(env.XDG_RUNTIME_DIR ?? os.tmpdir(), 'pod-init'));
  return { stateRoot, ownersDir: defaultOwnersDir(os.tmpdir(), euid) };
}
