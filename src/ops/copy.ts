/**
 * `cp` between this host and a running container of a pod on it, without `tar` in the image and
 * without an archive to trust (kubectl's four CVEs). It works from the host through the container's
 * root as the container's process sees it: an O_PATH fd on `/proc/<pid>/root` (the pid from exec.json,
 * held by a pidfd and checked against its start time, then checked alive after the open, so a recycled
 * pid is never used), and the path the user named is looked up relative to that fd with openat2
 * RESOLVE_IN_ROOT|RESOLVE_NO_MAGICLINKS: a symlink in the container (`/etc`, `../../..`) resolves in
 * the container's root as it would for the container, never to the host's tree; its mounts (volumes)
 * are seen as it sees them. Below that, copy-tree.ts walks by fd and never follows a symlink.
 * Entries made in the container belong to the container's user (exec.json's uid/gid, mapped through
 * the process's uid_map/gid_map: a hostUsers: false pod's files get the ids its user namespace maps).
 * @module
 */
import fs from 'node:fs';
import path from 'node:path';
import { PodOptionError, PodSystemError } from '../errors';
import { native } from '../native';
import { type ExecSpec, processStartTime, readExecSpec } from '../pod/exec-spec';
import { copyChildren, copyEntry, emptyCount, type TreeCopyCount, type TreeCopyOptions } from './copy-tree';
import { KubectlError } from './errors';
import type { StateLocation } from './pod-list';
import { containerNotFound, runningContainer } from './running-container';

const f = native.atFlags;
const inRoot = f.RESOLVE_IN_ROOT | f.RESOLVE_NO_MAGICLINKS;

/** Which container, for {@link copyFromPod} and {@link copyToPod}. */
export interface CopyOptions {
  /** The pod's namespace; default `default`. */
  namespace?: string;
  /** The pod's name. */
  name: string;
  /** The container; default the pod's default container (kubectl's annotation, else the first). */
  container?: string;
  /** Called before copying with kubectl's `Defaulted container ...` note, when one applies. */
  onNote?: (note: string) => void;
  /** Called for each entry skipped (a device, a FIFO, a socket). */
  onWarning?: (warning: string) => void;
}

/** What a copy did. */
export interface CopyResult extends TreeCopyCount {
  /** The container copied from or to. */
  container: string;
}

/**
 * A path in the container must be non-empty and hold no `..` component: `..` is refused outright (a
 * tar-style traversal), even where RESOLVE_IN_ROOT would keep it inside.
 *
 * @example
 * checkContainerPath('/var/log'); // ok
 * checkContainerPath('../../etc'); // throws PodOptionError
 */
export function checkContainerPath(p: string): void {
  if (p === '') throw new PodOptionError('NAME:PATH', 'a path after the colon (filepath can not be empty)', p);
  if (p.split('/').includes('..'))
    throw new PodOptionError('NAME:PATH', 'a path without ".." components (pod-init cp refuses them)', p);
  if (p.includes('\0')) throw new PodOptionError('NAME:PATH', 'a path without NUL bytes', p);
}

/** One id through a /proc/PID/{uid,gid}_map: the host's id for `id` inside, undefined when unmapped. */
function mapId(mapFile: string, id: number): number | undefined {
  for (const line of fs.readFileSync(mapFile, 'utf8').split('\n')) {
    const [inside, outside, count] = line.trim().split(/\s+/).map(Number);
    if (count === undefined || Number.isNaN(count)) continue;
    if (id >= inside! && id < inside! + count) return outside! + (id - inside!);
  }
  return undefined;
}

interface OpenRoot {
  container: string;
  note: string | undefined;
  spec: ExecSpec;
  /** O_PATH fd of the container's root. */
  root: number;
  /** The host ids of the container's user (undefined: not mapped to the host, nothing can be given to it). */
  owner: { uid: number; gid: number } | undefined;
}

/** The pod and container (kubectl's checks and words) and an fd of the running container's root. */
function openRoot(location: StateLocation, options: CopyOptions): OpenRoot {
  const { listed, container, note } = runningContainer(location, options);
  const spec = readExecSpec(listed.dir, container);
  if (spec === undefined) throw containerNotFound(container);
  let pidfd: number;
  try {
    pidfd = native.pidfdOpen(spec.pid);
  } catch {
    throw containerNotFound(container);
  }
  let root: number | undefined;
  try {
    // The pidfd first: from then on the start time names this process or none.
    if (processStartTime(spec.pid) !== spec.startTime) throw containerNotFound(container);
    root = native.openAt(undefined, `/proc/${spec.pid}/root`, f.O_PATH | f.O_DIRECTORY, 0, 0);
    const uid = mapId(`/proc/${spec.pid}/uid_map`, spec.uid ?? 0);
    const gid = mapId(`/proc/${spec.pid}/gid_map`, spec.gid ?? 0);
    const owner = uid !== undefined && gid !== undefined ? { uid, gid } : undefined;
    // Still alive after the open: /proc/<pid> was that process when it was read.
    if (!native.pidfdSendSignal(pidfd, 0)) throw containerNotFound(container);
    return { container, note, spec, root, owner };
  } catch (error) {
    if (root !== undefined) native.close(root);
    if (error instanceof PodSystemError) throw containerNotFound(container);
    throw error;
  } finally {
    native.close(pidfd);
  }
}

/** The path as the container's process would name it (relative ones from its working directory). */
function inContainer(spec: ExecSpec, p: string): string {
  return path.posix.resolve(spec.cwd || '/', p);
}

function where(opened: OpenRoot, options: CopyOptions): string {
  return `in container "${opened.container}" of pod "${options.name}"`;
}

/** A kernel refusal during a copy, in words a user acts on. */
function copyError(error: unknown, context: string): unknown {
  if (!(error instanceof PodSystemError)) return error;
  const hint = error.code === 'ELOOP' ? ' (a symlink is there: pod-init cp never goes through one below the named path)' : ''; // prettier-ignore
  return new KubectlError(`error: ${context}: ${error.message}${hint}`);
}

function lookup(root: number, p: string, flags: number): number | undefined {
  try {
    return native.openAt(root, p, f.O_PATH | flags, 0, inRoot);
  } catch (error) {
    if (error instanceof PodSystemError && (error.code === 'ENOENT' || error.code === 'ENOTDIR')) return undefined;
    throw error;
  }
}

function noSuchFile(p: string, context: string): KubectlError {
  return new KubectlError(`error: ${p}: No such file or directory ${context}`);
}

function withRoot<T>(location: StateLocation, options: CopyOptions, body: (opened: OpenRoot) => T): T {
  const opened = openRoot(location, options);
  if (opened.note !== undefined) options.onNote?.(opened.note);
  try {
    return body(opened);
  } finally {
    native.close(opened.root);
  }
}

function treeOptions(options: CopyOptions, owner?: { uid: number; gid: number }): TreeCopyOptions {
  return { ...(owner ? { owner } : {}), ...(options.onWarning ? { warn: options.onWarning } : {}) };
}

/**
 * Copies `source` (a file, a symlink or a directory tree) out of a running container to `local`, as
 * `kubectl cp NAME:SOURCE LOCAL` does: a directory's entries land in `local` (made when missing); a
 * file becomes `local`, or `local/<its name>` when `local` is a directory (or ends with `/`). The
 * named path is resolved as the container resolves it, inside its root; below it nothing is followed.
 * Rejects with a `KubectlError` (no such pod, container or path) or a `PodOptionError` (a `..`).
 *
 * @example
 * const location = stateLocation(process.env, process.geteuid!());
 * await copyFromPod(location, { name: 'web', source: '/etc/nginx', local: './nginx' });
 */
export function copyFromPod(
  location: StateLocation,
  options: CopyOptions & { source: string; local: string },
): Promise<CopyResult> {
  return Promise.resolve().then(() => {
    checkContainerPath(options.source);
    return withRoot(location, options, (opened) => {
      const context = where(opened, options);
      const full = inContainer(opened.spec, options.source);
      const source = lookup(opened.root, full, 0);
      if (source === undefined) throw noSuchFile(options.source, context);
      const count = emptyCount();
      try {
        const names = { from: full.replace(/\/$/, ''), at: options.local.replace(/\/$/, '') || '/' };
        const local = statOrUndefined(options.local);
        if (fs.fstatSync(source).isDirectory()) {
          if (local !== undefined && !local.isDirectory())
            throw new KubectlError(`error: ${options.local}: Not a directory (the source is a directory)`);
          if (local === undefined) fs.mkdirSync(options.local, { recursive: true });
          const dir = native.openAt(undefined, options.local, f.O_PATH | f.O_DIRECTORY, 0, 0);
          try {
            copyChildren(source, dir, names, treeOptions(options), count);
          } finally {
            native.close(dir);
          }
        } else {
          const intoDir = local?.isDirectory() === true || (local === undefined && options.local.endsWith('/'));
          const parent = intoDir ? options.local : path.dirname(options.local);
          const name = intoDir ? path.posix.basename(full) : path.basename(options.local);
          fs.mkdirSync(parent, { recursive: true });
          const dir = native.openAt(undefined, parent, f.O_PATH | f.O_DIRECTORY, 0, 0);
          try {
            copyEntry(source, dir, name, { from: full, at: path.join(parent, name) }, treeOptions(options), count);
          } finally {
            native.close(dir);
          }
        }
      } catch (error) {
        throw copyError(error, `copying ${options.name}:${options.source} to ${options.local}`);
      } finally {
        native.close(source);
      }
      return { container: opened.container, ...count };
    });
  });
}

function statOrUndefined(p: string): fs.Stats | undefined {
  try {
    return fs.statSync(p);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/**
 * Copies `local` (a file, a symlink or a directory tree) into a running container, as
 * `kubectl cp LOCAL NAME:TARGET` does: into `TARGET/<its name>` when TARGET is a directory there, else
 * to TARGET itself (its parent must exist). Entries are made beneath the target's directory by fd,
 * owned by the container's user (host-mapped ids), permission bits kept without setuid/setgid. The
 * target path is resolved as the container resolves it, inside its root; below it nothing is followed
 * and a symlink found there is replaced (a file, a link) or refused (a directory), never gone through.
 *
 * @example
 * await copyToPod(location, { name: 'web', local: './site', target: '/usr/share/nginx/html' });
 */
export function copyToPod(
  location: StateLocation,
  options: CopyOptions & { local: string; target: string },
): Promise<CopyResult> {
  return Promise.resolve().then(() => {
    checkContainerPath(options.target);
    let source: number;
    try {
      source = native.openAt(undefined, options.local, f.O_PATH, 0, 0);
    } catch (error) {
      if (error instanceof PodSystemError && error.code === 'ENOENT')
        throw new KubectlError(`error: ${options.local} doesn't exist in local filesystem`);
      throw error;
    }
    try {
      return withRoot(location, options, (opened) => {
        const context = where(opened, options);
        if (opened.owner === undefined)
          throw new KubectlError(`error: the user of container "${opened.container}" (${opened.spec.uid ?? 0}:${opened.spec.gid ?? 0}) is not mapped to a host id: its files cannot be given to it`); // prettier-ignore
        const owner = opened.owner;
        const full = inContainer(opened.spec, options.target);
        const count = emptyCount();
        const existing = lookup(opened.root, full, 0);
        let dir: number;
        let name: string;
        if (existing !== undefined && fs.fstatSync(existing).isDirectory()) {
          dir = existing;
          name = path.basename(path.resolve(options.local));
        } else {
          if (existing !== undefined) native.close(existing);
          if (options.target.endsWith('/')) throw noSuchFile(options.target, context);
          const parent = lookup(opened.root, path.posix.dirname(full), f.O_DIRECTORY);
          if (parent === undefined) throw noSuchFile(path.posix.dirname(full), context);
          dir = parent;
          name = path.posix.basename(full);
        }
        try {
          const at = existing === dir ? path.posix.join(full, name) : full;
          copyEntry(source, dir, name, { from: options.local, at }, treeOptions(options, owner), count);
        } catch (error) {
          throw copyError(error, `copying ${options.local} to ${options.name}:${options.target}`);
        } finally {
          native.close(dir);
        }
        return { container: opened.container, ...count };
      });
    } finally {
      native.close(source);
    }
  });
}
