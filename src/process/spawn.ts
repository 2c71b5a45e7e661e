/**
 * spawn(): start a process in new namespaces, or inside another process's namespaces, as a direct
 * child of Node. All policy lives here (defaults, PATH search, namespace choice, stdio); the addon
 * only carries out the plan between fork and exec (native/spawn.cc).
 * @module
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { PodOptionError } from '../errors';
import { type NamespaceKind, namespaceFlags, namespaceKinds, ownNamespaceIds } from './namespaces';
import { native, type NativeMountOp, type NativeSpawnPlan, sealedPause } from '../native';
import { type CapabilitySets, capabilityMask, lastCapability } from '../security/capabilities';
import type { SeccompFilter as CompiledSeccompFilter } from '../security/seccomp-types';
import { PodProcess } from './process';
import { type Signal, signalNumber } from './signals';

/** One of a child's standard streams. */
export type StdioOption =
  /** The same file as Node's own fd. */
  | 'inherit'
  /** /dev/null. */
  | 'ignore'
  /** A pipe to a Node stream on the returned process. */
  | 'pipe'
  /** An open file descriptor of this process. */
  | number
  /** A file, truncated (`'w'`, default) or appended to (`'a'`). */
  | { file: string; flags?: 'w' | 'a' };

/** A mount step, run in the child after its namespaces exist (in order). */
export type MountStep = (
  | {
      type: 'mount';
      source?: string;
      target: string;
      fstype?: string;
      flags?: number;
      data?: string;
      /**
       * A bind whose source must stay inside `root` (a subPath in its volume): `path` (relative) is
       * resolved beneath `root` in the child with openat2(RESOLVE_BENEATH), so a symlink swapped in
       * after the check cannot lead outside (EXDEV); `source` is bound as it is without openat2.
       */
      beneath?: { root: string; path: string };
      /**
       * A masked or read-only path (CVE-2025-31133, CVE-2025-52881): `source` and/or `target` are
       * opened with openat2 beneath the root without following any symlink, checked by fd, and
       * mounted through /proc/self/fd/N. `source`: `'dev-null'` (the character device 1:3), `'tmpfs'`
       * or `'proc'` (on that filesystem); `target`: on `'proc'` or `'sysfs'`. A failed check stops the
       * start with step `mask-source` / `mask-target` (ENODEV: not the device; EXDEV: another
       * filesystem; ELOOP: a symlink).
       */
      guard?: MountGuard;
    }
  | { type: 'mkdir'; target: string }
  | { type: 'symlink'; target: string; linkTo: string }
  | { type: 'file'; target: string }
  | { type: 'pivot-root'; target: string }
  /**
   * Write `data` into the existing file `target` (never through a symlink): a sysctl under the
   * child's own /proc. `procfs: true` refuses a file that is not on a procfs (EXDEV).
   */
  | { type: 'write'; target: string; data: string; procfs?: boolean }
  /**
   * The mount at `target` and every mount under it made read-only (mount_setattr AT_RECURSIVE, Linux
   * >= 5.12); with `optional`, an older kernel is no failure.
   */
  | { type: 'read-only-recursive'; target: string }
  /**
   * Attach the detached mount `fd` at `target` (move_mount): an idmapped bind that the parent made
   * with `native.idmappedTree` for a child in the pod's user namespace (`hostUsers: false`).
   */
  | { type: 'move-mount'; target: string; fd: number }
) & {
  /** Skip the step when its target does not exist (a masked path this kernel lacks). */
  optional?: boolean;
  /**
   * Skip the step when the child cannot reach its target (EACCES): the read-only remount of a host submount
   * below a directory the container's root cannot enter, so nothing in the container can reach it either.
   */
  skipUnreachable?: boolean;
};

/** What a guarded mount step checks by fd ({@link MountStep}'s `guard`). */
export interface MountGuard {
  source?: 'dev-null' | 'tmpfs' | 'proc';
  target?: 'proc' | 'sysfs';
}

/** A compiled seccomp filter (`compileSeccomp`); only its `struct sock_filter[]` is loaded. */
export type SeccompFilter = Pick<CompiledSeccompFilter, 'bpf'>;

/** A user namespace id map line: `size` ids from `hostId` appear as `containerId` inside. */
export interface IdMapping {
  containerId: number;
  hostId: number;
  size: number;
}

/** The user namespace of a new process: its id maps. */
export interface UserNamespaceOptions {
  /** Default: root inside is the caller's euid outside, one id. */
  uidMappings?: IdMapping[];
  /** Default: root inside is the caller's egid outside, one id. */
  gidMappings?: IdMapping[];
  /**
   * shadow's `newuidmap` and `newgidmap` (absolute paths): they write the maps, so that an unprivileged
   * caller can map its subordinate ids (/etc/subuid, /etc/subgid); setgroups is then left as they set it.
   */
  mapHelpers?: { newuidmap: string; newgidmap: string };
}

/**
 * What joining needs of a process: a {@link PodProcess}, or a process another pod-init started (a
 * container found through the state directory, `pod-init exec`), held by a pidfd of its own.
 */
export type JoinableProcess = Pick<PodProcess, 'pidfd' | 'running' | 'exitStatus' | 'cachedNamespaceId'>;

/** A process whose namespaces to join. */
export interface JoinTarget {
  /** The process (for a pod: its pause, `sandbox.pause`). */
  process: JoinableProcess;
  /** Which of its namespaces to join; default: every kind it does not share with Node. */
  namespaces?: NamespaceKind[];
}

/** Options of {@link spawn}. */
export interface SpawnOptions {
  /** The program: an absolute path, or a name looked up in PATH (of `env`, else Node's). */
  file: string;
  /** Arguments after argv[0]. */
  args?: string[];
  /** argv[0]; default `file`. */
  argv0?: string;
  /** The environment; default Node's `process.env`. */
  env?: Record<string, string | undefined>;
  /** Working directory (absolute); default Node's. */
  cwd?: string;
  /** User id to switch to. */
  uid?: number;
  /** Group id to switch to; default `uid`'s value when `uid` is given. */
  gid?: number;
  /** Supplementary groups; default: none when `uid` or `gid` is given, else unchanged. */
  groups?: number[];
  /** stdin, stdout, stderr: one value for all three, or one each. Default `'inherit'`. */
  stdio?: StdioOption | [StdioOption, StdioOption, StdioOption];
  /** `setsid()`: a session of its own, so a terminal's Ctrl-C reaches only Node. Default false. */
  newSession?: boolean;
  /** `setpgid(0, 0)`: a process group of its own. Default false. */
  newProcessGroup?: boolean;
  /** With `newProcessGroup`: take the terminal's foreground (job control). Default false. */
  foreground?: boolean;
  /**
   * With `newSession`: stdin (a pty slave, see `native.openPty`) becomes the new session's controlling
   * terminal (TIOCSCTTY), so the pty's Ctrl-C and SIGWINCH reach the program. Default false.
   */
  controllingTerminal?: boolean;
  /** Signal the child gets when Node's main thread dies (`true` = SIGKILL). Default false. */
  dieWithParent?: boolean | Signal;
  /** `PR_SET_NO_NEW_PRIVS`: set-uid binaries gain nothing. Default false. */
  noNewPrivileges?: boolean;
  /** Namespaces to create for the child (its own pid namespace makes it PID 1 there). */
  newNamespaces?: NamespaceKind[];
  /** Namespaces to join (the pod case). Cannot be combined with a new user namespace. */
  join?: JoinTarget;
  /** The user namespace when `newNamespaces` has `'user'` (added by default when not root). */
  userNamespace?: UserNamespaceOptions | false;
  /** Hostname in a new uts namespace. */
  hostname?: string;
  /** Bring `lo` up in a new net namespace. Default true. */
  loopback?: boolean;
  /** Mount a fresh /proc; default true with new pid and mnt namespaces. */
  mountProc?: boolean;
  /** Propagation of "/" in a new mount namespace; default `'private'`. */
  mountPropagation?: 'private' | 'slave' | 'unchanged';
  /** Mount steps, in order, after /proc. */
  mounts?: MountStep[];
  /** Signals blocked when the program starts; default none. */
  signalMask?: Signal[];
  /** Signals ignored when the program starts; default none (every other one is reset to default). */
  ignoredSignals?: Signal[];
  /**
   * The capability sets the program starts with. The bounding set is cut and the permitted set kept
   * across the uid/gid change, then the sets are applied; a uid other than 0 ends with no effective
   * capabilities after execve unless they are ambient (as in containerd). Default: unchanged.
   */
  capabilities?: CapabilitySets;
  /**
   * A seccomp filter, loaded just before execve with `noNewPrivileges`, else before the uid and
   * capability changes (it then needs CAP_SYS_ADMIN, which root still has there).
   */
  seccomp?: SeccompFilter;
  /**
   * cgroup directories the process enters before anything else (one per v1 hierarchy, or one v2
   * directory): it writes "0" into each v1 one's `tasks` (it has one thread then), opened here, and is cloned
   * into the v2 one (clone3 CLONE_INTO_CGROUP, x86-64; elsewhere, or on a kernel that refuses, it writes its
   * `cgroup.procs`).
   */
  cgroups?: string[];
  /** An open executable to run instead of `file` (execveat; `file` still names it in errors). */
  execFd?: number;
  /** Kill the child and throw (step `setup-timeout`) if its setup takes longer. Default 10000 ms. */
  setupTimeoutMs?: number;
}

const defaultPath = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const knownOptions = new Set<string>([
  'file', 'args', 'argv0', 'env', 'cwd', 'uid', 'gid', 'groups', 'stdio', 'newSession', 'newProcessGroup',
  'foreground', 'controllingTerminal', 'dieWithParent', 'noNewPrivileges', 'newNamespaces', 'join', 'userNamespace', 'hostname',
  'loopback', 'mountProc', 'mountPropagation', 'mounts', 'signalMask', 'ignoredSignals', 'capabilities',
  'seccomp', 'cgroups', 'execFd', 'setupTimeoutMs',
]); // prettier-ignore

/**
 * Starts a process, optionally in new namespaces or inside another process's namespaces. It is a
 * direct child of Node either way; its exit arrives through a pidfd (never by stealing other
 * children). Synchronous until `execve`: a failure before it (missing binary, bad cwd, a refused
 * namespace) throws a `PodSystemError` naming the step, never an exit code.
 *
 * @example
 * // Its own pid, mount and uts namespaces: PID 1 there, with a fresh /proc.
 * const proc = spawn({ file: 'sh', args: ['-c', 'echo $$; hostname'], newNamespaces: ['pid', 'mnt', 'uts'],
 *   hostname: 'box', stdio: ['ignore', 'pipe', 'inherit'] });
 * proc.stdout!.pipe(process.stdout); // "1", "box"
 * await proc.exited; // { exitCode: 0, signal: null }
 */
export function spawn(options: SpawnOptions): PodProcess {
  checkKnown(options);
  const opened: number[] = [];
  const parentEnds: Array<{ fd: number; index: number }> = [];
  try {
    const plan = buildPlan(options, opened, parentEnds);
    const { pid, pidfd } = native.spawn(plan);
    for (const fd of opened) native.close(fd);
    opened.length = 0;
    const streams = wrapStreams(parentEnds);
    return new PodProcess(pid, pidfd, streams);
  } catch (error) {
    for (const fd of opened) native.close(fd);
    for (const end of parentEnds) native.close(end.fd);
    throw error;
  }
}

function checkKnown(options: SpawnOptions): void {
  if (typeof options !== 'object' || options === null) throw new PodOptionError('options', 'an object', options);
  for (const key of Object.keys(options)) {
    if (!knownOptions.has(key))
      throw new PodOptionError(`options.${key}`, `one of ${[...knownOptions].join(', ')}`, key);
  }
  if (typeof options.file !== 'string' || options.file === '')
    throw new PodOptionError('options.file', 'a non-empty string', options.file);
}

function buildPlan(
  options: SpawnOptions,
  opened: number[],
  parentEnds: Array<{ fd: number; index: number }>,
): NativeSpawnPlan {
  const env = options.env ?? process.env;
  const envList = Object.entries(env)
    .filter((entry): entry is [string, string] => entry[1] !== undefined)
    .map(([k, v]) => `${k}=${v}`);
  const args = options.args ?? [];
  if (!Array.isArray(args) || args.some((a) => typeof a !== 'string'))
    throw new PodOptionError('options.args', 'an array of strings', args);
  const plan: NativeSpawnPlan = {
    candidates: candidates(options.file, env.PATH ?? process.env.PATH ?? defaultPath),
    argv: [options.argv0 ?? options.file, ...args],
    env: envList,
    stdio: stdioFds(options.stdio, opened, parentEnds),
  };
  if (options.cwd !== undefined) {
    if (typeof options.cwd !== 'string' || !path.isAbsolute(options.cwd))
      throw new PodOptionError('options.cwd', 'an absolute path', options.cwd);
    plan.cwd = options.cwd;
  }
  applyIds(options, plan);
  applyNamespaces(options, plan);
  if (options.newSession) plan.newSession = true;
  if (options.newProcessGroup) plan.newProcessGroup = true;
  if (options.foreground) plan.foreground = true;
  if (options.controllingTerminal) {
    if (!options.newSession)
      throw new PodOptionError('options.controllingTerminal', 'newSession: true with it', options.newSession);
    plan.controllingTerminal = true;
  }
  if (options.noNewPrivileges) plan.noNewPrivs = true;
  if (options.dieWithParent !== undefined && options.dieWithParent !== false)
    plan.deathSignal =
      options.dieWithParent === true ? 9 : signalNumber(options.dieWithParent, 'options.dieWithParent');
  if (options.signalMask) plan.mask = options.signalMask.map((s, i) => signalNumber(s, `options.signalMask[${i}]`));
  if (options.ignoredSignals)
    plan.ignore = options.ignoredSignals.map((s, i) => signalNumber(s, `options.ignoredSignals[${i}]`));
  applyConfinement(options, plan, opened);
  if (options.execFd !== undefined) {
    if (!Number.isInteger(options.execFd) || options.execFd < 0)
      throw new PodOptionError('options.execFd', 'an open file descriptor', options.execFd);
    plan.execFd = options.execFd;
  }
  if (options.setupTimeoutMs !== undefined) {
    if (!Number.isInteger(options.setupTimeoutMs) || options.setupTimeoutMs <= 0)
      throw new PodOptionError('options.setupTimeoutMs', 'a positive integer (ms)', options.setupTimeoutMs);
    plan.setupTimeoutMs = options.setupTimeoutMs;
  }
  return plan;
}

function applyConfinement(options: SpawnOptions, plan: NativeSpawnPlan, opened: number[]): void {
  if (options.capabilities !== undefined) {
    const caps = options.capabilities;
    const set = (key: keyof CapabilitySets) => {
      if (!Array.isArray(caps[key]))
        throw new PodOptionError(`options.capabilities.${key}`, 'an array of capability names', caps[key]);
      return capabilityMask(caps[key], `options.capabilities.${key}`);
    };
    plan.capabilities = {
      last: lastCapability(),
      bounding: set('bounding'),
      permitted: set('permitted'),
      effective: set('effective'),
      inheritable: set('inheritable'),
      ambient: set('ambient'),
    };
  }
  if (options.seccomp !== undefined) {
    const bpf = options.seccomp?.bpf;
    if (!Buffer.isBuffer(bpf) || bpf.length === 0 || bpf.length % 8 !== 0)
      throw new PodOptionError('options.seccomp', 'a compiled filter ({ bpf: Buffer of sock_filter })', bpf);
    plan.seccomp = bpf;
  }
  if (options.cgroups !== undefined) {
    if (!Array.isArray(options.cgroups) || options.cgroups.some((d) => typeof d !== 'string' || !path.isAbsolute(d)))
      throw new PodOptionError('options.cgroups', 'an array of absolute cgroup directories', options.cgroups);
    plan.cgroupFds = options.cgroups.map((dir, index) => {
      const v2 = fs.statfsSync(dir).type === cgroup2SuperMagic;
      // v1: the child writes "0" into `tasks`, which moves only the writing thread — the whole child, which has
      // one thread then — and so, unlike `cgroup.procs`, does not take the kernel's global
      // cgroup_threadgroup_rwsem for writing (cgroup_procs_write_start: pid 0 without threadgroup), whose
      // writer sleeps for an RCU grace period. The same cgroup_attach_task, the same controllers' checks.
      const fd = fs.openSync(path.join(dir, v2 ? 'cgroup.procs' : 'tasks'), fs.constants.O_WRONLY);
      opened.push(fd);
      // v2: the child is born there (clone3 CLONE_INTO_CGROUP) instead of migrating into it; the cgroup.procs
      // fd stays as the fallback where clone3 cannot do it (native/child_setup.cc).
      if (plan.cgroupIntoFd === undefined && v2) {
        const dirFd = fs.openSync(dir, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
        opened.push(dirFd);
        plan.cgroupIntoFd = dirFd;
        plan.cgroupIntoIndex = index;
      }
      return fd;
    });
  }
}

/** statfs(2) f_type of a cgroup2 filesystem (CGROUP2_SUPER_MAGIC, linux/magic.h). */
const cgroup2SuperMagic = 0x63677270;

/** The paths execve tries, in order (execvp's rules; tried in the child, after any pivot_root). */
function candidates(file: string, searchPath: string): string[] {
  if (file.includes('/')) return [file];
  return searchPath
    .split(':')
    .map((dir) => (dir === '' ? '.' : dir))
    .map((dir) => `${dir}/${file}`);
}

function applyIds(options: SpawnOptions, plan: NativeSpawnPlan): void {
  const id = (value: unknown, option: string): number => {
    if (!Number.isInteger(value) || (value as number) < 0 || (value as number) > 0xfffffffe)
      throw new PodOptionError(option, 'an integer id from 0 to 4294967294', value);
    return value as number;
  };
  if (options.uid !== undefined || options.gid !== undefined) {
    const uid = options.uid === undefined ? process.geteuid!() : id(options.uid, 'options.uid');
    plan.uid = uid;
    plan.gid =
      options.gid === undefined
        ? options.uid === undefined
          ? process.getegid!()
          : uid
        : id(options.gid, 'options.gid');
    plan.groups = [];
  }
  if (options.groups !== undefined) plan.groups = options.groups.map((g, i) => id(g, `options.groups[${i}]`));
}

function applyNamespaces(options: SpawnOptions, plan: NativeSpawnPlan): void {
  const created = new Set(options.newNamespaces ?? []);
  for (const kind of created) {
    if (!namespaceKinds.includes(kind))
      throw new PodOptionError('options.newNamespaces', `a list of ${namespaceKinds.join(', ')}`, kind);
  }
  const root = process.geteuid!() === 0;
  if (options.join) {
    const target = options.join.process;
    if (!target || !target.running)
      throw new PodOptionError('options.join.process', 'a running PodProcess', target?.exitStatus ?? target);
    if (created.has('user'))
      throw new PodOptionError('options.newNamespaces', "no 'user' when joining (join the target's instead)", 'user');
    // Default: everything the target does not share with us. The user namespace is joined only when
    // it differs: re-entering one's own user namespace is EINVAL (pitfall 7). A new pid namespace
    // cannot be made after joining one (copy_pid_ns: EINVAL); any other new kind is made after the
    // join, as a copy of the joined one (a private copy of the pod's mount namespace, say).
    const own = ownNamespaceIds();
    const kinds = (options.join.namespaces ?? [...namespaceKinds]).filter(
      (kind) => !(kind === 'pid' && created.has('pid')) && target.cachedNamespaceId(kind) !== own[kind],
    );
    plan.joinPidfd = target.pidfd;
    plan.joinFlags = namespaceFlags(kinds, 'options.join.namespaces');
    // The process that enters the pod is pod-pause enter, never a copy of Node (native/enter.cc).
    plan.enterFd = sealedPause();
  } else if (created.size > 0 && !root && options.userNamespace !== false) {
    created.add('user'); // namespaces without privileges: only inside a user namespace of our own
  }
  // Host root in a user namespace of another root (a pod's id range): its root before the mounts.
  const userFlag = native.namespaceFlags.user;
  if (root && (created.has('user') || (plan.joinFlags ?? 0) & userFlag)) plan.becomeNsRoot = true;
  if (created.has('pid') && created.has('mnt') && options.mountProc !== false) plan.mountProc = true;
  if (options.mountProc === true && !plan.mountProc)
    throw new PodOptionError('options.mountProc', "new 'pid' and 'mnt' namespaces with it", options.newNamespaces);
  plan.cloneFlags = namespaceFlags(created, 'options.newNamespaces');
  if (created.has('user')) applyUserNamespace(options.userNamespace || {}, plan);
  if (created.has('mnt')) {
    const propagation = options.mountPropagation ?? 'private';
    if (propagation !== 'unchanged')
      plan.propagation = native.mountFlags[propagation === 'slave' ? 'MS_SLAVE' : 'MS_PRIVATE'];
  }
  if (options.mounts) {
    if (!created.has('mnt') && !(options.join && plan.joinFlags! & native.namespaceFlags.mnt))
      throw new PodOptionError('options.mounts', "a new or joined 'mnt' namespace", 'the host mount namespace');
    plan.mounts = options.mounts.map(mountOp);
  }
  if (options.hostname !== undefined) {
    if (!created.has('uts'))
      throw new PodOptionError('options.hostname', "a new 'uts' namespace with it", options.hostname);
    if (typeof options.hostname !== 'string' || options.hostname.length > 64)
      throw new PodOptionError('options.hostname', 'a string of at most 64 bytes', options.hostname);
    plan.hostname = options.hostname;
  }
  if (created.has('net') && options.loopback !== false) plan.loopback = true;
}

function applyUserNamespace(user: UserNamespaceOptions, plan: NativeSpawnPlan): void {
  const line = (m: IdMapping) => `${m.containerId} ${m.hostId} ${m.size}\n`;
  const uid = user.uidMappings ?? [{ containerId: 0, hostId: process.geteuid!(), size: 1 }];
  const gid = user.gidMappings ?? [{ containerId: 0, hostId: process.getegid!(), size: 1 }];
  plan.uidMap = uid.map(line).join('');
  plan.gidMap = gid.map(line).join('');
  if (user.mapHelpers !== undefined) {
    plan.uidMapHelper = user.mapHelpers.newuidmap;
    plan.gidMapHelper = user.mapHelpers.newgidmap;
    return;
  }
  // Without root the kernel requires setgroups=deny before gid_map (user_namespaces(7)).
  if (process.geteuid!() !== 0) plan.setgroups = 'deny';
}

function mountOp(step: MountStep, i: number): NativeMountOp {
  const op = mountOpOf(step, i);
  if (step.optional) op.optional = true;
  if (step.skipUnreachable) op.skipUnreachable = true;
  return op;
}

function mountOpOf(step: MountStep, i: number): NativeMountOp {
  const kinds = native.mountOpKinds;
  if (!step || typeof step.target !== 'string' || !path.isAbsolute(step.target))
    throw new PodOptionError(`options.mounts[${i}].target`, 'an absolute path', step?.target);
  switch (step.type) {
    case 'mount': {
      const op: NativeMountOp = { kind: kinds.mount, target: step.target, flags: step.flags ?? 0 };
      if (step.source !== undefined) op.source = step.source;
      if (step.fstype !== undefined) op.fstype = step.fstype;
      if (step.data !== undefined) op.data = step.data;
      if (step.beneath !== undefined) {
        if (step.source === undefined || path.isAbsolute(step.beneath.path))
          throw new PodOptionError(
            `options.mounts[${i}].beneath`,
            '{ root, path } with a relative path, and a source',
            step.beneath,
          );
        op.beneath = step.beneath.root;
        op.relative = step.beneath.path === '' ? '.' : step.beneath.path;
      }
      if (step.guard !== undefined) guardOp(step.guard, op, i);
      return op;
    }
    case 'mkdir':
      return { kind: kinds.mkdir, target: step.target };
    case 'symlink':
      return { kind: kinds.symlink, target: step.target, source: step.linkTo };
    case 'file':
      return { kind: kinds.file, target: step.target };
    case 'pivot-root':
      return { kind: kinds.pivotRoot, target: step.target };
    case 'read-only-recursive':
      return { kind: kinds.readOnlyRecursive, target: step.target };
    case 'move-mount':
      if (!Number.isInteger(step.fd) || step.fd < 0)
        throw new PodOptionError(`options.mounts[${i}].fd`, 'an open file descriptor of a detached mount', step.fd);
      return { kind: kinds.moveMount, target: step.target, fd: step.fd };
    case 'write':
      if (typeof step.data !== 'string')
        throw new PodOptionError(`options.mounts[${i}].data`, 'a string', (step as { data: unknown }).data);
      return { kind: kinds.write, target: step.target, data: step.data, ...(step.procfs ? { fstype: 'proc' } : {}) };
    default:
      throw new PodOptionError(
        `options.mounts[${i}].type`,
        "'mount', 'mkdir', 'file', 'symlink', 'write', 'read-only-recursive', 'move-mount' or 'pivot-root'",
        (step as { type: unknown }).type,
      );
  }
}

const guardChecks: Record<string, 'devNull' | 'tmpfs' | 'proc' | 'sysfs'> = {
  'dev-null': 'devNull',
  tmpfs: 'tmpfs',
  proc: 'proc',
  sysfs: 'sysfs',
};

function guardOp(guard: MountGuard, op: NativeMountOp, i: number): void {
  const checks = native.mountChecks;
  const { source, target } = guard;
  if (source !== undefined) {
    if (!['dev-null', 'tmpfs', 'proc'].includes(source) || op.source === undefined)
      throw new PodOptionError(
        `options.mounts[${i}].guard.source`,
        "'dev-null', 'tmpfs' or 'proc' with a source",
        source,
      );
    op.sourceCheck = checks[guardChecks[source]!];
  }
  if (target !== undefined) {
    if (!['proc', 'sysfs'].includes(target))
      throw new PodOptionError(`options.mounts[${i}].guard.target`, "'proc' or 'sysfs'", target);
    op.targetCheck = checks[guardChecks[target]!];
  }
}

function stdioFds(
  stdio: SpawnOptions['stdio'],
  opened: number[],
  parentEnds: Array<{ fd: number; index: number }>,
): [number, number, number] {
  const list = Array.isArray(stdio) ? stdio : [stdio ?? 'inherit', stdio ?? 'inherit', stdio ?? 'inherit'];
  if (list.length !== 3) throw new PodOptionError('options.stdio', 'one value or an array of three', stdio);
  let devNull: number | undefined;
  return list.map((option, index) => {
    if (option === 'inherit') return index;
    if (option === 'ignore') {
      if (devNull === undefined) {
        devNull = fs.openSync('/dev/null', 'r+');
        opened.push(devNull);
      }
      return devNull;
    }
    if (option === 'pipe') {
      const [r, w] = native.pipe();
      const [childEnd, parentEnd] = index === 0 ? [r, w] : [w, r];
      opened.push(childEnd);
      parentEnds.push({ fd: parentEnd, index });
      return childEnd;
    }
    if (typeof option === 'number' && Number.isInteger(option) && option >= 0) return option;
    if (typeof option === 'object' && option !== null && typeof option.file === 'string') {
      const fd = fs.openSync(option.file, option.flags === 'a' ? 'a' : 'w');
      opened.push(fd);
      return fd;
    }
    throw new PodOptionError(`options.stdio[${index}]`, "'inherit', 'ignore', 'pipe', an fd or { file }", option);
  }) as [number, number, number];
}

function wrapStreams(parentEnds: Array<{ fd: number; index: number }>): {
  stdin: Writable | null;
  stdout: Readable | null;
  stderr: Readable | null;
} {
  const streams: { stdin: Writable | null; stdout: Readable | null; stderr: Readable | null } = {
    stdin: null,
    stdout: null,
    stderr: null,
  };
  for (const { fd, index } of parentEnds) {
    const socket = new net.Socket({ fd, readable: index !== 0, writable: index === 0 });
    if (index === 0) streams.stdin = socket;
    else if (index === 1) streams.stdout = socket;
    else streams.stderr = socket;
  }
  parentEnds.length = 0;
  return streams;
}

/** @internal What a keeper's fork is given (src/keeper.ts): the rest it inherits from the keeper. */
export type KeeperSpawnOptions = Pick<
  SpawnOptions,
  'file' | 'args' | 'argv0' | 'env' | 'cwd' | 'stdio' | 'setupTimeoutMs'
>;

/**
 * @internal Starts a container's keeper (native/keeper.cc): `options` as for a joined spawn (its `file` is not
 * run); the keeper joins, confines itself with them and stays. Returns it and its socket (close-on-exec).
 */
export function spawnKeeper(options: SpawnOptions): { process: PodProcess; socket: number } {
  checkKnown(options);
  if (!options.join)
    throw new PodOptionError('options.join', 'the process whose container the keeper serves', undefined);
  const opened: number[] = [];
  try {
    const plan = buildPlan({ ...options, stdio: 'ignore' }, opened, []);
    plan.keeper = true;
    const { pid, pidfd, socket } = native.spawn(plan);
    return { process: new PodProcess(pid, pidfd, { stdin: null, stdout: null, stderr: null }), socket: socket! };
  } finally {
    for (const fd of opened) native.close(fd);
  }
}

/** @internal A process forked by the keeper behind `socket`: a child of Node, like spawn()'s. */
export function spawnThroughKeeper(socket: number, options: KeeperSpawnOptions): PodProcess {
  const opened: number[] = [];
  const parentEnds: Array<{ fd: number; index: number }> = [];
  try {
    const plan = buildPlan(options, opened, parentEnds);
    const { pid, pidfd } = native.keeperSpawn(socket, {
      candidates: plan.candidates,
      argv: plan.argv,
      env: plan.env,
      ...(plan.cwd !== undefined ? { cwd: plan.cwd } : {}),
      stdio: plan.stdio,
      ...(plan.setupTimeoutMs !== undefined ? { setupTimeoutMs: plan.setupTimeoutMs } : {}),
    });
    for (const fd of opened) native.close(fd);
    opened.length = 0;
    return new PodProcess(pid, pidfd, wrapStreams(parentEnds));
  } catch (error) {
    for (const fd of opened) native.close(fd);
    for (const end of parentEnds) native.close(end.fd);
    throw error;
  }
}
