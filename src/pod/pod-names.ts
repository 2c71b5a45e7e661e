/**
 * One live pod per namespace/name, as the API server keeps one per name: a state root (the host's,
 * /run/pod-init, by default) holds `.names/<namespace>_<name>`, the uid of the pod that has the name,
 * made and read under an flock of `.names/.lock`. A name whose pod has no live pod-init any more
 * (owners.ts: killed, say) is taken over; a name whose pod runs is refused with the API server's
 * AlreadyExists wording. Another state root is another set of names, as another cluster would be.
 * @module
 */
import fs from 'node:fs';
import path from 'node:path';
import { isPodAlive } from './owners';
import { withDirLock } from './dir-lock';

/**
 * A pod with this namespace/name runs on this host already (the API server's AlreadyExists).
 *
 * @example
 * // pods "web" already exists
 */
export class PodAlreadyExistsError extends Error {
  /** Always `AlreadyExists`, the API server's reason. */
  readonly reason = 'AlreadyExists';
  /** The namespace and name asked for, and the uid of the pod that has them. */
  readonly pod: { namespace: string; name: string; uid: string };
  constructor(namespace: string, name: string, uid: string) {
    super(`pods "${name}" already exists`);
    this.pod = { namespace, name, uid };
  }
}
Object.defineProperty(PodAlreadyExistsError.prototype, 'name', { value: 'PodAlreadyExistsError', enumerable: false });

/** Where the names are kept, and the owners registry that says which pods live. */
export interface PodNameRegistry {
  /** `<state root>/.names`. */
  dir: string;
  /** The owners registry (owners.ts). */
  ownersDir: string;
}

function holder(file: string): string | undefined {
  try {
    const fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
    try {
      return fs.readFileSync(fd, 'utf8').trim();
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return undefined;
  }
}

/**
 * Takes `namespace/name` for the pod `uid`, whose pod-init has claimed it in the owners registry
 * already (owners.ts `claimPod`). Throws {@link PodAlreadyExistsError} while another live pod has it.
 *
 * @example
 * claimPod(ownersDir, uid);
 * claimPodName({ dir: '/run/pod-init/.names', ownersDir }, 'default', 'web', uid); // pods "web" already exists
 */
export function claimPodName(registry: PodNameRegistry, namespace: string, name: string, uid: string): void {
  if (/[/\0]/.test(namespace + name) || namespace.startsWith('.'))
    throw new TypeError(`not a valid namespace/name: ${namespace}/${name}`);
  withDirLock(registry.dir, () => {
    const file = path.join(registry.dir, `${namespace}_${name}`);
    const other = holder(file);
    if (other !== undefined && other !== uid && isPodAlive(registry.ownersDir, other))
      throw new PodAlreadyExistsError(namespace, name, other);
    const tmp = `${file}.${uid}.tmp`;
    fs.rmSync(tmp, { force: true });
    fs.writeFileSync(tmp, `${uid}\n`, { flag: 'wx', mode: 0o600 });
    fs.renameSync(tmp, file);
  });
}

/**
 * Gives `namespace/name` back at the pod's end, if pod `uid` still has it.
 *
 * @example
 * releasePodName({ dir: '/run/pod-init/.names', ownersDir }, 'default', 'web', uid);
 */
export function releasePodName(registry: PodNameRegistry, namespace: string, name: string, uid: string): void {
  withDirLock(registry.dir, () => {
    const file = path.join(registry.dir, `${namespace}_${name}`);
    if (holder(file) === uid) fs.rmSync(file, { force: true });
  });
}
