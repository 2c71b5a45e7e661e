/**
 * A container's root filesystem, as the mount steps its child runs in its own mount namespace before
 * exec, ending in pivot_root. Two kinds of roots:
 *
 * - **host mode** (no image): a tmpfs holding the host's top-level directories as read-only recursive
 *   binds (every submount remounted read-only too; /proc, and /dev and /sys when privileged, stay as
 *   they are), with private tmpfs on /tmp, /var/tmp and /run, so the container sees the host's files
 *   but writes them only through an explicit hostPath volume. A mount point that does not exist on
 *   the host is made in the container's root only: a new top-level directory on the tmpfs, and inside
 *   an existing host directory by *shadowing* it (a tmpfs over it in the container holding binds of
 *   each of its entries, plus the new directory). Nothing on the host is created.
 * - **image mode** (`--image NAME=DIR`): an overlayfs with DIR as its read-only lower layer and an
 *   upper layer of the container instance's own (thrown away when it ends), with a fresh /proc and
 *   the host's /sys (both modes: a fresh read-only sysfs goes over it after pivot_root unless
 *   privileged, src/pod/security/masked-paths.ts); missing mount points are created in the upper
 *   layer, never in DIR.
 *
 * Both get a minimal /dev (tmpfs with null, zero, full, random, urandom, tty, a devpts of their own, the
 * usual symlinks) unless privileged (the host's /dev), the pod's /dev/shm (shared by its containers, as
 * the IPC namespace is), then the binds: /etc files, volumes, the termination-message file. Paths are
 * resolved inside the container's view, symlinks included (an absolute link in an image points into
 * the image, never at the host), so a step never lands outside the root.
 * @module
 */
import fs from 'node:fs';
import path from 'node:path';
import { mergedEntry } from '../image/layers';
import { native } from '../native';
import type { MountStep } from '../process/spawn';
import { ContainerConfigError } from './environment';
import { specialTargetProblem } from './special-targets';

/** Something bound into the container: a volume (or its subPath), an /etc file, the termination log. */
export interface Bind {
  /** A path on the host (a directory or a file). */
  source: string;
  /** Where the container sees it. */
  target: string;
  readOnly?: boolean;
  /** recursiveReadOnly: the submounts under a read-only bind are read-only too (`IfPossible`: where the kernel can). */
  recursiveReadOnly?: 'Enabled' | 'IfPossible';
  /** `source` is `path` inside `root` and must stay there when the child binds it (a subPath). */
  beneath?: { root: string; path: string };
  /**
   * `source` as a detached, idmapped tree the parent made (native `idmappedTree`, `hostUsers: false`):
   * the child attaches this fd (move_mount) instead of binding `source`, which is still what is planned.
   */
  detached?: number;
  /**
   * An image volume (image-volumes.ts): `lowers` (top first, `source` the first) merged by a read-only
   * overlay without an upper layer (a bind for one), `ro,nosuid,nodev,noexec`; `userxattr` in a user namespace.
   */
  image?: {
    lowers: readonly string[];
    userxattr: boolean;
    /**
     * `hostUsers: false`: each of `lowers` as a detached, read-only idmapped tree (fd) the child attaches
     * at `at` (an empty directory) and mounts instead, in the same order; lookups still read `lowers`.
     */
    idmapped?: Array<{ fd: number; at: string }>;
  };
}

/**
 * An image root: `lower` (the `--image` directory) under a writable layer of one container instance.
 * `upper` and `work` are empty directories on one filesystem, outside `lower`.
 */
export interface ImageRoot {
  lower: string;
  /** A pulled image's other layers, below `lower` (top first): overlayfs merges them all. */
  lowers?: readonly string[];
  upper: string;
  work: string;
  /** The pod has a user namespace: the overlay is mounted there, with `userxattr` (kernel >= 5.11). */
  userNamespace: boolean;
  /**
   * `hostUsers: false`: `lower` and then each of `lowers` as a detached idmapped tree (fd) that the
   * child attaches at `at` (an empty directory) and the overlay takes as its layers instead (same
   * order: top first); lookups still read `lower` and `lowers`.
   */
  idmappedLowers?: ReadonlyArray<{ fd: number; at: string }>;
}

/** What {@link rootMounts} builds a root from. */
export interface RootOptions {
  /** An empty directory under the pod's state directory: the mount point of the new root. */
  root: string;
  /** A root filesystem directory under a writable layer (image mode); the host's filesystem without. */
  image?: ImageRoot;
  /**
   * Host mode: the mount points of the pod's mount namespace ({@link mountPointsOf}), so that
   * submounts of the host's directories are made read-only too. Default: none known.
   */
  mountPoints?: readonly string[];
  /** The host's /dev instead of a minimal one (`securityContext.privileged`). */
  privileged?: boolean;
  /** The pod's /dev/shm (a tmpfs in the pod's mount namespace); the host's /dev/shm when undefined (hostIPC). */
  shm?: string;
  /** Bound in after /dev, parents before children. */
  binds: readonly Bind[];
  /**
   * `readOnlyRootFilesystem`: after pivot_root, the writable mounts that make up the root are remounted
   * read-only — the overlay (image mode); the root tmpfs, the private /tmp, /var/tmp and /run and any
   * shadowing tmpfs (host mode, whose host directories are read-only anyway). /dev, /dev/shm, /proc,
   * volumes, /etc files and the termination file stay as mounted.
   */
  readOnly?: boolean;
  /**
   * Where pod-init reads a path of the pod's mount namespace (what the child will see): default the
   * path itself; `/proc/<pause>/root<path>` sees the pod's own tmpfs mounts (Memory emptyDirs, /dev/shm).
   */
  view?: (p: string) => string;
  /**
   * The pod has a user namespace with a range of its own (`hostUsers: false`, pod-init root): the child
   * mounts as host root, which is unmapped there, so the tmpfs mounts of the root are given to the
   * pod's root (`uid=0,gid=0`, read in the pod's namespace) instead of showing as the overflow id.
   */
  podRootOwnsTmpfs?: boolean;
}

/**
 * What a path is in the container's view while the root is planned: `ours` a directory on a tmpfs of
 * the plan (every entry known), `host` a directory bound from the host (entries looked up at `at`,
 * shadowed before anything is made in it), `dir` a directory whose entries are looked up at `at` and
 * made there (image, volumes), `file` anything else, `link` a symlink.
 */
type Entry =
  | { kind: 'ours' }
  | { kind: 'host'; at: string; readOnly: boolean }
  | { kind: 'dir'; at: string; below?: readonly string[] }
  | { kind: 'file' }
  | { kind: 'link'; to: string };

const devices = ['null', 'zero', 'full', 'random', 'urandom', 'tty'];
const devLinks = [
  ['fd', '/proc/self/fd'],
  ['stdin', '/proc/self/fd/0'],
  ['stdout', '/proc/self/fd/1'],
  ['stderr', '/proc/self/fd/2'],
  ['ptmx', 'pts/ptmx'],
] as const;

/** Filesystem reads of the paths the child will see: the pod's mount namespace, through `view`. */
class PodView {
  readonly #view: (p: string) => string;
  constructor(view: (p: string) => string) {
    this.#view = view;
  }
  lstat(p: string): fs.Stats | undefined {
    return fs.lstatSync(this.#view(p), { throwIfNoEntry: false });
  }
  stat(p: string): fs.Stats {
    return fs.statSync(this.#view(p));
  }
  readlink(p: string): string {
    return fs.readlinkSync(this.#view(p));
  }
  readdir(p: string): fs.Dirent[] {
    return fs.readdirSync(this.#view(p), { withFileTypes: true });
  }
}

/**
 * Resolves `unsafe` the way the kernel would inside a root, where `readLink(p)` says what the
 * root-relative path `p` is a link to (undefined: not a link). `..` stops at the root; an absolute
 * link starts again from the root. The result is absolute and free of links.
 *
 * @example
 * resolvePath('/var/run/x', (p) => (p === '/var/run' ? '/run' : undefined)); // '/run/x'
 */
export function resolvePath(unsafe: string, readLink: (p: string) => string | undefined): string {
  const rest = unsafe.split('/').filter(Boolean);
  const out: string[] = [];
  let links = 0;
  while (rest.length > 0) {
    const part = rest.shift()!;
    if (part === '.') continue;
    if (part === '..') {
      out.pop();
      continue;
    }
    const to = readLink(`/${[...out, part].join('/')}`);
    if (to === undefined) {
      out.push(part);
      continue;
    }
    if (++links > 40) throw new ContainerConfigError(`${unsafe}: too many levels of symbolic links`);
    if (to.startsWith('/')) out.length = 0;
    rest.unshift(...to.split('/').filter(Boolean));
  }
  return `/${out.join('/')}`;
}

/** The plan of one root: its steps, and what each path is in the container's view so far. */
class RootPlan {
  readonly steps: MountStep[] = [];
  readonly #nodes = new Map<string, Entry>();
  readonly #root: string;
  readonly #flags = native.mountFlags as Record<string, number>;
  readonly fs: PodView;
  /** Host mode: the visible mount points of the pod's mount namespace. */
  mountPoints: readonly string[] = [];
  /** Container paths of the writable mounts that make up the root (`readOnly` remounts them). */
  readonly rootTargets: string[] = [];
  /** Container paths something was bound at (a volume over a root mount stays as mounted). */
  readonly bindTargets = new Set<string>();
  /** {@link RootOptions.podRootOwnsTmpfs}. */
  podRootOwnsTmpfs = false;
  /** {@link RootOptions.privileged}: a bind may go under /sys (special-targets.ts). */
  privileged = false;

  constructor(root: string, top: Entry, view: PodView) {
    this.#root = root;
    this.#nodes.set('/', top);
    this.fs = view;
  }

  #at(p: string): string {
    return p === '/' ? this.#root : path.join(this.#root, p);
  }

  #flag(...names: string[]): number {
    return names.reduce((all, name) => all | this.#flags[name]!, 0);
  }

  /** What `p` (resolved) is in the view, undefined when nothing is there. */
  #lookup(p: string): Entry | undefined {
    const known = this.#nodes.get(p);
    if (known || p === '/') return known;
    const parent = this.#lookup(path.dirname(p));
    if (parent === undefined || parent.kind === 'ours') return undefined;
    if (parent.kind === 'file' || parent.kind === 'link')
      throw new ContainerConfigError(`${path.dirname(p)} is not a directory`);
    if (parent.kind === 'dir' && parent.below !== undefined && parent.below.length > 0) {
      // A layered image (src/image/layers.ts): what overlayfs will show of the layers.
      const merged = mergedEntry([parent.at, ...parent.below], path.basename(p), (q) => this.fs.lstat(q));
      if (merged === undefined) return undefined;
      if (merged.stat.isSymbolicLink()) return { kind: 'link', to: this.fs.readlink(merged.at) };
      return merged.stat.isDirectory() ? { kind: 'dir', at: merged.at, below: merged.below } : { kind: 'file' };
    }
    const at = path.join(parent.at, path.basename(p));
    const stat = this.fs.lstat(at);
    if (stat === undefined) return undefined;
    if (stat.isSymbolicLink()) return { kind: 'link', to: this.fs.readlink(at) };
    if (!stat.isDirectory()) return { kind: 'file' };
    return parent.kind === 'host' ? { kind: 'host', at, readOnly: parent.readOnly } : { kind: 'dir', at };
  }

  /** `unsafe` resolved in the container's view. */
  resolve(unsafe: string): string {
    return resolvePath(unsafe, (p) => {
      const entry = this.#lookup(p);
      return entry?.kind === 'link' ? entry.to : undefined;
    });
  }

  /** A symlink at `p`, known as such. */
  symlink(p: string, to: string): void {
    this.steps.push({ type: 'symlink', target: this.#at(p), linkTo: to });
    this.#nodes.set(p, { kind: 'link', to });
  }

  /** A directory at `p` in a directory of the plan, with what it is. */
  mkdir(p: string, entry: Entry): void {
    this.steps.push({ type: 'mkdir', target: this.#at(p) });
    this.#nodes.set(p, entry);
  }

  pivot(): void {
    this.steps.push({ type: 'pivot-root', target: this.#root });
  }

  set(p: string, entry: Entry): void {
    this.#nodes.set(p, entry);
  }

  mount(source: string, p: string, fstype: string, flags: number, data?: string): void {
    if (fstype === 'tmpfs' && this.podRootOwnsTmpfs) data = `${data ? `${data},` : ''}uid=0,gid=0`;
    this.steps.push({ type: 'mount', source, target: this.#at(p), fstype, flags, ...(data ? { data } : {}) });
  }

  bindStep(
    source: string,
    p: string,
    recursive: boolean,
    readOnly = false,
    beneath?: Bind['beneath'],
    detached?: number,
  ): void {
    if (detached !== undefined) this.steps.push({ type: 'move-mount', target: this.#at(p), fd: detached });
    else
      this.steps.push({
        type: 'mount',
        source,
        target: this.#at(p),
        flags: this.#flag('MS_BIND', ...(recursive ? ['MS_REC'] : [])),
        ...(beneath ? { beneath } : {}),
      });
    if (readOnly) this.remountReadOnly(p);
  }

  /** An image volume's layers at `target` (made): an overlay of two or more, else a bind; read-only, noexec. */
  #imageVolume(source: string, target: string, isDir: boolean, image: NonNullable<Bind['image']>): void {
    const locked = this.#flag('MS_RDONLY', 'MS_NOSUID', 'MS_NODEV', 'MS_NOEXEC');
    const trees = image.idmapped;
    if (isDir && image.lowers.length > 1) {
      for (const tree of trees ?? []) this.steps.push({ type: 'move-mount', target: tree.at, fd: tree.fd });
      const lowers = trees ? trees.map((tree) => tree.at) : image.lowers;
      const lowerdir = lowers.map(escapeOverlayPath).join(':');
      this.mount('overlay', target, 'overlay', locked, `lowerdir=${lowerdir}${image.userxattr ? ',userxattr' : ''}`);
    } else {
      this.bindStep(source, target, isDir, false, undefined, trees?.[0]?.fd);
      this.steps.push({ type: 'mount', target: this.#at(target), flags: locked | this.#flag('MS_BIND', 'MS_REMOUNT') });
    }
    this.bindTargets.add(target);
    const [top, ...below] = image.lowers;
    this.#nodes.set(target, isDir ? { kind: 'dir', at: top!, below } : { kind: 'file' });
  }

  /**
   * The mount at `p` made read-only (the child keeps its locked flags). `submount`: a host submount, skipped
   * where the child cannot reach it (EACCES: a rootless pod under another user's 0700 directory, such as
   * /var/lib/containers with podman's storage mounted in it) — unreachable for everything in the container.
   */
  remountReadOnly(p: string, submount = false): void {
    const flags = this.#flag('MS_BIND', 'MS_REMOUNT', 'MS_RDONLY');
    this.steps.push({ type: 'mount', target: this.#at(p), flags, ...(submount ? { skipUnreachable: true } : {}) });
  }

  /** Makes sure directory `p` (resolved) exists in the view, making it (and its parents) if not. */
  dir(p: string): void {
    const entry = this.#lookup(p);
    if (entry?.kind === 'file' || entry?.kind === 'link')
      throw new ContainerConfigError(`${p} exists and is not a directory`);
    if (entry !== undefined) return;
    const parent = path.dirname(p);
    this.dir(parent);
    const where = this.#writable(parent);
    this.steps.push({ type: 'mkdir', target: this.#at(p) });
    this.#nodes.set(
      p,
      where.kind === 'dir' ? { kind: 'dir', at: path.join(where.at, path.basename(p)) } : { kind: 'ours' },
    );
  }

  /** Makes sure a non-directory `p` (resolved) exists in the view, to bind a file over. */
  file(p: string): void {
    const entry = this.#lookup(p);
    if (entry?.kind === 'file') return;
    if (entry !== undefined) throw new ContainerConfigError(`${p} is a directory, and a file is to be mounted there`);
    const parent = path.dirname(p);
    this.dir(parent);
    this.#writable(parent);
    this.steps.push({ type: 'file', target: this.#at(p) });
    this.#nodes.set(p, { kind: 'file' });
  }

  /** A directory something can be made in: a host directory is shadowed first. */
  #writable(p: string): { kind: 'ours' } | { kind: 'dir'; at: string } {
    const entry = this.#lookup(p)!;
    if (entry.kind === 'ours' || entry.kind === 'dir') return entry;
    if (entry.kind !== 'host') throw new ContainerConfigError(`${p} is not a directory`);
    this.#shadow(p, entry.at, entry.readOnly);
    return { kind: 'ours' };
  }

  /**
   * Remounts read-only the submounts of host directory `dir` (bound recursively at the same path, so
   * they came along read-write: a bind remount is not recursive), except those under a private tmpfs.
   */
  remountSubmounts(dir: string, at = dir): void {
    const under = (p: string, d: string) => p.startsWith(`${d}/`);
    for (const q of this.mountPoints) {
      if (!under(q, at)) continue;
      const p = dir + q.slice(at.length);
      if (!privateTmpfsDirs.some(([t]) => p === t || under(p, t))) this.remountReadOnly(p, true);
    }
  }

  /** A private tmpfs at `p` (host mode: /tmp, /var/tmp, /run), in an existing directory of the plan. */
  privateTmpfs(p: string, data: string): void {
    this.mount('tmpfs', p, 'tmpfs', this.#flag('MS_NOSUID', 'MS_NODEV'), data);
    this.#nodes.set(p, { kind: 'ours' });
    this.rootTargets.push(p);
  }

  /** A tmpfs over host directory `p` in the container, holding binds of each of its entries. */
  #shadow(p: string, at: string, readOnly: boolean): void {
    const stat = this.fs.stat(at);
    const owner = process.geteuid?.() === 0 && !this.podRootOwnsTmpfs ? `,uid=${stat.uid},gid=${stat.gid}` : '';
    this.mount(
      'tmpfs',
      p,
      'tmpfs',
      this.#flag('MS_NOSUID', 'MS_NODEV'),
      `mode=${(stat.mode & 0o7777).toString(8)}${owner}`,
    );
    this.#nodes.set(p, { kind: 'ours' });
    if (readOnly) this.rootTargets.push(p); // a read-only host directory's shadow is part of the root
    for (const entry of this.fs.readdir(at)) {
      const child = path.join(p, entry.name);
      const source = path.join(at, entry.name);
      const tmpfs = privateTmpfsDirs.find(([t]) => t === child);
      if (entry.isSymbolicLink()) this.symlink(child, this.fs.readlink(source));
      else if (entry.isDirectory() && tmpfs) {
        // Its private tmpfs, which the shadow covers: a new one (the container has not started yet).
        this.mkdir(child, { kind: 'ours' });
        this.privateTmpfs(child, tmpfs[1]);
      } else if (entry.isDirectory()) {
        this.mkdir(child, { kind: 'host', at: source, readOnly });
        this.bindStep(source, child, true, readOnly);
        if (readOnly) this.remountSubmounts(child, source);
      } else {
        this.steps.push({ type: 'file', target: this.#at(child) });
        this.bindStep(source, child, false, readOnly);
        this.#nodes.set(child, { kind: 'file' });
      }
    }
  }

  /** Binds `source` at `target` (resolved here), making the mount point as its type needs. */
  bind(bind: Bind): void {
    const target = this.resolve(bind.target);
    // Validation checked the path as written; a symlink in the image (/myproc -> /proc) may lead elsewhere.
    const special = specialTargetProblem(target, this.privileged);
    if (special !== undefined)
      throw new ContainerConfigError(
        `${bind.target}${target === bind.target ? '' : ` (${target} in the container's root)`} ${special}`,
      );
    const stat = this.fs.lstat(bind.source) && this.fs.stat(bind.source);
    if (!stat) throw new ContainerConfigError(`${bind.source} does not exist (to be mounted at ${bind.target})`);
    const isDir = stat.isDirectory();
    if (isDir) this.dir(target);
    else this.file(target);
    if (bind.image !== undefined) {
      this.#imageVolume(bind.source, target, isDir, bind.image);
      return;
    }
    this.bindStep(bind.source, target, isDir, bind.readOnly, bind.beneath, bind.detached);
    if (bind.readOnly && bind.recursiveReadOnly !== undefined)
      this.steps.push({
        type: 'read-only-recursive',
        target: this.#at(target),
        ...(bind.recursiveReadOnly === 'IfPossible' ? { optional: true } : {}),
      });
    this.bindTargets.add(target);
    this.#nodes.set(target, isDir ? { kind: 'dir', at: bind.source } : { kind: 'file' });
  }
}

/**
 * Host directories a container gets a private tmpfs for instead of the host's (host mode): scratch
 * space programs expect to write (mktemp, sockets, pid and lock files), which the host's read-only
 * copies would refuse, and which would otherwise expose the host's sockets and other pods' state.
 */
const privateTmpfsDirs: ReadonlyArray<readonly [string, string]> = [
  ['/tmp', 'mode=1777'],
  ['/var/tmp', 'mode=1777'],
  ['/run', 'mode=0755'],
];

/** Host directories bound as they are (not read-only) in host mode. */
function writableHostDir(p: string, privileged: boolean): boolean {
  return p === '/proc' || (privileged && (p === '/sys' || p === '/dev'));
}

/**
 * The mount points of a /proc/<pid>/mountinfo (field 5, octal escapes undone) that are in the tree:
 * a mount whose path was mounted over by a later mount on one of its parents (at its path or a
 * parent of it) is left out, and each path comes once, in the order of the file.
 *
 * @example
 * mountPointsOf('22 1 8:1 / / rw - ext4 /dev/vda rw\n36 22 98:0 / /mnt/my\\040dir rw - ext3 /dev/sdb rw');
 * // ['/', '/mnt/my dir']
 */
export function mountPointsOf(mountinfo: string): string[] {
  const unescape = (p: string) =>
    p.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
  const mounts = mountinfo
    .split('\n')
    .map((line) => line.split(' '))
    .filter((f) => f.length > 4 && f[4]!.startsWith('/'))
    .map((f) => ({ id: f[0]!, parent: f[1]!, path: unescape(f[4]!) }));
  const byId = new Map(mounts.map((m) => [m.id, m]));
  const covers = (outer: string, inner: string) => outer === '/' || inner === outer || inner.startsWith(`${outer}/`);
  const visible = (m: (typeof mounts)[number]) => {
    const above = new Set<string>();
    for (let at = byId.get(m.parent); at !== undefined && !above.has(at.id); at = byId.get(at.parent)) above.add(at.id);
    if (byId.get(m.parent) === undefined) above.add(m.parent);
    const after = mounts.slice(mounts.indexOf(m) + 1);
    return !after.some((o) => above.has(o.parent) && !above.has(o.id) && covers(o.path, m.path));
  };
  return [...new Set(mounts.filter(visible).map((m) => m.path))];
}

/** The host's top-level entries, bound read-only into the root's tmpfs (/dev, /tmp and /run apart). */
function hostTop(
  plan: RootPlan,
  flags: Record<string, number>,
  privileged: boolean,
  shm: string | undefined,
  mountPoints: readonly string[],
): void {
  plan.mount('tmpfs', '/', 'tmpfs', 0, 'mode=0755');
  plan.rootTargets.push('/');
  const tmpfsAt = new Map(privateTmpfsDirs);
  plan.mountPoints = mountPoints;
  for (const entry of plan.fs.readdir('/')) {
    const p = `/${entry.name}`;
    if (entry.name === 'dev' && !privileged) {
      plan.mkdir(p, { kind: 'ours' });
      minimalDev(plan, flags, shm);
    } else if (entry.isSymbolicLink()) plan.symlink(p, plan.fs.readlink(p));
    else if (entry.isDirectory() && tmpfsAt.has(p)) {
      plan.mkdir(p, { kind: 'ours' });
    } else if (entry.isDirectory()) {
      const readOnly = !writableHostDir(p, privileged);
      plan.mkdir(p, { kind: 'host', at: p, readOnly });
      plan.bindStep(p, p, true, readOnly);
      if (readOnly) plan.remountSubmounts(p);
    }
  }
  for (const [p, data] of privateTmpfsDirs) {
    // A symlink (/var/tmp -> /tmp, say) already leads to one.
    if (plan.resolve(p) !== p) continue;
    plan.dir(p);
    plan.privateTmpfs(p, data);
  }
  if (privileged) podShm(plan, shm);
}

/** A tmpfs /dev with the host's harmless devices, a devpts of its own, the usual links and /dev/shm. */
function minimalDev(plan: RootPlan, flags: Record<string, number>, shm: string | undefined): void {
  plan.mount('tmpfs', '/dev', 'tmpfs', flags.MS_NOSUID!, 'mode=755,size=65536k');
  plan.set('/dev', { kind: 'ours' });
  for (const device of devices) {
    if (!plan.fs.lstat(`/dev/${device}`)) continue;
    plan.file(`/dev/${device}`);
    plan.bindStep(`/dev/${device}`, `/dev/${device}`, false);
  }
  for (const [name, to] of devLinks) plan.symlink(`/dev/${name}`, to);
  plan.dir('/dev/pts');
  const group = process.geteuid?.() === 0 ? ',gid=5' : ''; // tty, when ids are the host's
  plan.mount(
    'devpts',
    '/dev/pts',
    'devpts',
    flags.MS_NOSUID! | flags.MS_NOEXEC!,
    `newinstance,ptmxmode=0666,mode=0620${group}`,
  );
  podShm(plan, shm);
}

/** The pod's /dev/shm (or the host's, with hostIPC). */
function podShm(plan: RootPlan, shm: string | undefined): void {
  plan.dir('/dev/shm');
  plan.bindStep(shm ?? '/dev/shm', '/dev/shm', true);
  plan.set('/dev/shm', { kind: 'dir', at: shm ?? '/dev/shm' });
}

/**
 * The mount steps that give a container its root (see the module's description), ending in
 * pivot_root. Throws {@link ContainerConfigError} when a bind cannot be placed (a file where a
 * directory is needed, say).
 *
 * @example
 * rootMounts({ root: '/run/pod-init/…/roots/web', shm: '/run/pod-init/…/shm',
 *   binds: [{ source: '/run/pod-init/…/volumes/kubernetes.io~empty-dir/cache', target: '/etc/cache' }] });
 */
export function rootMounts(options: RootOptions): MountStep[] {
  const flags = native.mountFlags as Record<string, number>;
  const image = options.image;
  const privileged = options.privileged === true;
  const view = new PodView(options.view ?? ((p) => p));
  // Lookups read the image directory: the overlay shows it as it is until the container writes.
  const top: Entry =
    image === undefined
      ? { kind: 'ours' }
      : { kind: 'dir', at: image.lower, ...(image.lowers ? { below: image.lowers } : {}) };
  const plan = new RootPlan(options.root, top, view);
  plan.podRootOwnsTmpfs = options.podRootOwnsTmpfs === true;
  plan.privileged = privileged;
  try {
    return planRoot(plan, options, flags, image, privileged);
  } catch (error) {
    if (error instanceof ContainerConfigError) throw error;
    // A path that cannot be read (EACCES, a hostPath removed meanwhile): the container waits, pod-init goes on.
    throw new ContainerConfigError(`preparing the container's root: ${(error as Error).message}`);
  }
}

/** A path as overlayfs reads it in its mount data: commas, colons and backslashes escaped. */
const escapeOverlayPath = (p: string): string => p.replace(/[\\,:]/g, (c) => `\\${c}`);

/**
 * The overlayfs mount data of an image root: `index=off` (no hard-link index: nothing is exported or
 * copied up twice here; containerd sets it too) and `volatile` (no syncs of the upper layer: it is
 * thrown away with the container, and a crash leaves nothing that is mounted again, since every
 * instance gets fresh upper and work directories); `userxattr` in a user namespace (user.overlay.*
 * xattrs: trusted.* is not writable there, and without it opaque directories are ignored).
 * Commas, colons and backslashes in paths are escaped as overlayfs reads them.
 *
 * @example
 * overlayData({ lower: '/img', upper: '/s/upper', work: '/s/work', userNamespace: false });
 * // 'lowerdir=/img,upperdir=/s/upper,workdir=/s/work,index=off,volatile'
 */
export function overlayData(image: ImageRoot): string {
  const escape = escapeOverlayPath;
  const options = [
    `lowerdir=${[image.lower, ...(image.lowers ?? [])].map(escape).join(':')}`,
    `upperdir=${escape(image.upper)}`,
    `workdir=${escape(image.work)}`,
    'index=off',
    'volatile',
  ];
  if (image.userNamespace) options.push('userxattr');
  return options.join(',');
}

function planRoot(
  plan: RootPlan,
  options: RootOptions,
  flags: Record<string, number>,
  image: ImageRoot | undefined,
  privileged: boolean,
): MountStep[] {
  if (image === undefined) hostTop(plan, flags, privileged, options.shm, options.mountPoints ?? []);
  else {
    const idmapped = image.idmappedLowers;
    for (const tree of idmapped ?? []) plan.steps.push({ type: 'move-mount', target: tree.at, fd: tree.fd });
    const [first, ...rest] = (idmapped ?? []).map((tree) => tree.at);
    plan.mount('overlay', '/', 'overlay', 0, overlayData(first ? { ...image, lower: first, lowers: rest } : image));
    plan.rootTargets.push('/');
    plan.dir('/proc');
    plan.mount('proc', '/proc', 'proc', flags.MS_NOSUID! | flags.MS_NODEV! | flags.MS_NOEXEC!);
    plan.set('/proc', { kind: 'ours' });
    // /sys as in host mode: the host's (privileged keeps it; others get a fresh read-only sysfs over it).
    plan.dir('/sys');
    plan.bindStep('/sys', '/sys', true);
    plan.set('/sys', { kind: 'host', at: '/sys', readOnly: false });
    plan.dir('/dev');
    if (privileged) {
      plan.bindStep('/dev', '/dev', true);
      plan.set('/dev', { kind: 'host', at: '/dev', readOnly: false });
      podShm(plan, options.shm);
    } else minimalDev(plan, flags, options.shm);
  }
  const depth = (p: string) => path.resolve('/', p).split('/').filter(Boolean).length;
  const binds = [...options.binds].sort((a, b) => depth(a.target) - depth(b.target));
  for (const bind of binds) plan.bind(bind);
  plan.pivot();
  if (options.readOnly === true) {
    // After pivot_root, on container paths (as runc's setReadonly); the child keeps locked flags.
    const remount = flags.MS_BIND! | flags.MS_REMOUNT! | flags.MS_RDONLY!;
    for (const target of new Set(plan.rootTargets))
      if (!plan.bindTargets.has(target)) plan.steps.push({ type: 'mount', target, flags: remount });
  }
  return plan.steps;
}
