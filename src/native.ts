/**
 * The only module that loads the addon. `NativeBinding` types every export of native/addon.cc; all
 * callers go through here, so the rest of the code never sees an untyped binding.
 * @module
 */
import fs from 'node:fs';
import path from 'node:path';
import bindings from 'bindings';
import { PodSystemError } from './errors';

/** A mount step run in the child (native/plan.h MountOp). */
export interface NativeMountOp {
  kind: number;
  source?: string;
  target: string;
  fstype?: string;
  flags?: number;
  data?: string;
  beneath?: string;
  relative?: string;
  optional?: boolean;
  skipUnreachable?: boolean;
  /** moveMount: the detached tree to attach (an fd of {@link NativeBinding.idmappedTree}). */
  fd?: number;
  /** A {@link NativeBinding.mountChecks} value: what `source` must be, checked by fd (step mask-source). */
  sourceCheck?: number;
  /** A {@link NativeBinding.mountChecks} value: what `target` must be on, checked by fd (step mask-target). */
  targetCheck?: number;
}

/** The one options object that crosses into native/spawn.cc; validated by src/spawn.ts. */
export interface NativeSpawnPlan {
  candidates: string[];
  argv: string[];
  env: string[];
  cwd?: string;
  joinPidfd?: number;
  joinFlags?: number;
  cloneFlags?: number;
  unshareFlags?: number;
  uidMap?: string;
  gidMap?: string;
  setgroups?: 'allow' | 'deny';
  /** newuidmap / newgidmap: they write the maps (subordinate ids) instead of the parent. */
  uidMapHelper?: string;
  gidMapHelper?: string;
  propagation?: number;
  mountProc?: boolean;
  /** Become root of the user namespace made or joined (as host root), before the mounts. */
  becomeNsRoot?: boolean;
  mounts?: NativeMountOp[];
  hostname?: string;
  loopback?: boolean;
  newSession?: boolean;
  newProcessGroup?: boolean;
  foreground?: boolean;
  /** With newSession: stdio[0], a pty slave, becomes the controlling terminal (TIOCSCTTY). */
  controllingTerminal?: boolean;
  uid?: number;
  gid?: number;
  groups?: number[];
  noNewPrivs?: boolean;
  deathSignal?: number;
  mask?: number[];
  ignore?: number[];
  stdio: [number, number, number];
  execFd?: number;
  enterFd?: number;
  /** A joined spawn that stays as the container's keeper (native/keeper.cc): the result carries its socket. */
  keeper?: boolean;
  setupTimeoutMs?: number;
  /** Tests only: the joined spawn's intermediate stops itself between cloning the child and reporting its pid. */
  holdBeforeReport?: boolean;
  capabilities?: {
    last: number;
    bounding: bigint;
    permitted: bigint;
    effective: bigint;
    inheritable: bigint;
    ambient: bigint;
  };
  seccomp?: Buffer;
  cgroupFds?: number[];
  /** A cgroup v2 directory fd the child is cloned into (CLONE_INTO_CGROUP) instead of writing cgroupFds[cgroupIntoIndex]. */
  cgroupIntoFd?: number;
  cgroupIntoIndex?: number;
}

/** One allow rule of a cgroup v2 device program (native/device_filter.cc); `null` is the `*` wildcard. */
export interface NativeDeviceRule {
  type: 'a' | 'b' | 'c';
  major: number | null;
  minor: number | null;
  /** One or more of r, w, m. */
  access: string;
}

/** One link of a network namespace (native/netlink_binding.cc). */
export interface NativeLink {
  index: number;
  name: string;
  /** The ifindex of its bridge, 0 for none. */
  master: number;
  up: boolean;
  mtu: number;
  /** IFLA_INFO_KIND: `bridge`, `veth`, ... (empty for loopback and physical links). */
  kind: string;
}

/** One address of a network namespace (native/netlink_binding.cc). */
export interface NativeAddress {
  /** Its link's ifindex. */
  index: number;
  address: string;
  prefix: number;
}

/** What a netlink link change sets (each field optional; `master: 0` detaches). */
export interface NativeLinkChange {
  up?: boolean;
  master?: number;
  mtu?: number;
}

/** A native exit watcher: calls back once with the exit code or the signal number. */
export interface NativeExitWatcher {
  ref(): void;
  unref(): void;
  close(): void;
}

/**
 * One zstd stream being decoded: `decode` takes input and calls back with up to ~1 MiB of output,
 * how many input bytes it consumed, whether more output is waiting (call again, even with no input)
 * and whether the last frame ended there. One decode at a time.
 */
export interface NativeZstdDecoder {
  decode(
    input: Buffer,
    callback: (error: Error | null, output?: Buffer, consumed?: number, more?: boolean, frameEnd?: boolean) => void,
  ): void;
}

/**
 * A layer's tar stream being unpacked into a directory (native/layer_unpack.cc): each `write` and the
 * `finish` run on the libuv thread pool, one at a time; the chunk must not change until the callback.
 * Errors carry `kind`: `layer` (refused), `tar` (unreadable) or `sys` (a PodSystemError).
 */
export interface NativeLayerUnpacker {
  write(chunk: Buffer, callback: (error: (Error & { kind?: string }) | null, warnings: string[]) => void): void;
  finish(callback: (error: (Error & { kind?: string }) | null, warnings: string[]) => void): void;
  close(): void;
  /** The owners recorded (`recordOwners`): `UID GID MODE PATH\0` records in member order, taken. */
  owners(): Buffer;
}

export interface NativeBinding {
  setErrorClass(ctor: new (fields: object) => Error): void;
  readonly steps: readonly string[];
  readonly namespaceFlags: Readonly<Record<'user' | 'mnt' | 'pid' | 'net' | 'ipc' | 'uts' | 'cgroup' | 'time', number>>;
  readonly realtimeSignals: { readonly min: number; readonly max: number };
  readonly mountOpKinds: Readonly<
    Record<'mount' | 'mkdir' | 'pivotRoot' | 'symlink' | 'file' | 'write' | 'readOnlyRecursive' | 'moveMount', number>
  >;
  /** What a mount step's source or target must be (native/plan.h MountCheck). */
  readonly mountChecks: Readonly<Record<'devNull' | 'tmpfs' | 'proc' | 'sysfs', number>>;
  readonly mountFlags: Readonly<Record<string, number>>;
  readonly prctlOptions: Readonly<Record<string, number>>;
  spawn(plan: NativeSpawnPlan): { pid: number; pidfd: number; socket?: number };
  /** A process forked by a keeper (native/keeper_client.cc): a child of ours, synchronous until its execve. */
  keeperSpawn(
    socket: number,
    request: {
      candidates: string[];
      argv: string[];
      env: string[];
      cwd?: string;
      stdio: [number, number, number];
      setupTimeoutMs?: number;
    },
  ): { pid: number; pidfd: number };
  /** A sealed, executable, close-on-exec memfd copy of a file. */
  sealedExecutable(path: string): number;
  ExitWatcher: new (
    pidfd: number,
    onExit: (exitCode: number | null, signal: number | null) => void,
  ) => NativeExitWatcher;
  unshare(flags: number): void;
  setns(fd: number, nstype: number, path?: string): void;
  sethostname(name: string): void;
  mount(source: string | null, target: string, fstype: string | null, flags: number, data: string | null): void;
  umount(target: string, flags: number): void;
  pivotRoot(newRoot: string, putOld: string): void;
  prctl(option: number, arg: number): number;
  pidfdOpen(pid: number): number;
  /**
   * A pty from the devpts under `root` (a container's root, `/proc/PID/root`): its `dev/pts/ptmx`
   * opened beneath it without following symlinks and checked to be a devpts ptmx, unlocked, the slave
   * opened from the master (TIOCGPTPEER), the window size set. Both fds close-on-exec.
   */
  openPty(root: string, rows: number, cols: number): { master: number; slave: number; index: number };
  /** TIOCSWINSZ on a terminal fd. */
  setWinsize(fd: number, rows: number, cols: number): void;
  /** A non-blocking TCP socket (family 4 or 6) made in the network namespace of the process behind a pidfd. */
  socketInNetns(pidfd: number, family: 4 | 6): number;
  /** A connected pair of close-on-exec unix stream sockets. */
  socketPair(): [number, number];
  /** A close-on-exec socket bound (never listening) to address:port: a held host port (host_port.cc). */
  bindHostPort(protocol: 'tcp' | 'udp', address: string, port: number): number;
  /** Whether libnftables.so.1 could be loaded (nftables.cc). */
  nftAvailable(): boolean;
  /** Runs an nft script in this process as one transaction; throws an Error with nft's message. */
  nftRun(script: string): void;
  /** The same on a libuv pool thread (a commit can wait on the kernel). */
  nftRunAsync(script: string): Promise<void>;
  /** The fd queued on a unix socket with SCM_RIGHTS, or -1 (never waits). */
  receiveFd(fd: number): number;
  pidfdSendSignal(pidfd: number, signal: number): boolean;
  pipe(): [number, number];
  close(fd: number): void;
  execve(file: string, argv: string[], env: string[], blockSignals?: boolean): never;
  libuvChildPids(): number[];
  reapPid(pid: number): [exitCode: number | null, signal: number | null] | null;
  /**
   * Makes each missing directory of `relative` beneath `root` by fd (native/beneath.cc): openat2
   * RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS per component, mkdirat, then fchown/fchmod through the new
   * directory's fd. A symlink on the way is ELOOP. Returns how many directories it made.
   */
  makeDirsBeneath(root: string, relative: string, mode: number, uid?: number, gid?: number): number;
  /** openat2(2) relative to `dirfd` (undefined: the cwd) with `resolve` (atFlags.RESOLVE_*): an fd, close-on-exec. */
  openAt(dirfd: number | undefined, path: string, flags: number, mode: number, resolve: number): number;
  /** mkdirat(2): true when made, false when an entry of that name exists. */
  mkdirAt(dirfd: number, name: string, mode: number): boolean;
  /** symlinkat(2): a symlink `name` holding `target` under `dirfd`. */
  symlinkAt(target: string, dirfd: number, name: string): void;
  /** readlinkat(2) of the symlink an O_PATH|O_NOFOLLOW fd holds. */
  readlinkAt(fd: number): string;
  /** unlinkat(2) of one entry (AT_REMOVEDIR when `isDir`). */
  unlinkAt(dirfd: number, name: string, isDir: boolean): void;
  /** fchownat(fd, "", uid, gid, AT_EMPTY_PATH|AT_SYMLINK_NOFOLLOW): the entry the fd holds, a symlink itself. */
  chownFd(fd: number, uid: number, gid: number): void;
  /** The names in the directory an fd holds (O_PATH too), without `.` and `..`. */
  listDir(fd: number): string[];
  /** The open(2) and openat2(2) RESOLVE_* flags these take. */
  readonly atFlags: Readonly<
    Record<
      | 'O_RDONLY' | 'O_WRONLY' | 'O_PATH' | 'O_DIRECTORY' | 'O_NOFOLLOW' | 'O_CREAT' | 'O_EXCL' | 'O_TRUNC' | 'O_NONBLOCK' | 'O_NOCTTY'
      | 'RESOLVE_BENEATH' | 'RESOLVE_IN_ROOT' | 'RESOLVE_NO_SYMLINKS' | 'RESOLVE_NO_MAGICLINKS',
      number
    >
  >; // prettier-ignore
  /**
   * Gives the tree at `root` to `uid`/`gid` (-1 keeps one) by fd (native/beneath.cc): each entry opened
   * O_PATH|O_NOFOLLOW beneath its directory's fd (openat2 RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS|RESOLVE_NO_MAGICLINKS),
   * fchownat AT_EMPTY_PATH, and its mode or'ed with `fileMask` or `dirMask` (0: no chmod) through that fd; symlinks
   * are changed themselves, never followed. Post-order, the root last. `root` may be a file.
   */
  ownTreeBeneath(root: string, uid: number, gid: number, fileMask: number, dirMask: number): void;
  /**
   * A detached copy of the tree at `path` (open_tree OPEN_TREE_CLONE, AT_RECURSIVE when `recursive`;
   * symlinks followed, as a bind's source) made idmapped with the user namespace `usernsFd` (mount_setattr
   * MOUNT_ATTR_IDMAP, read-only too with `readOnly`; Linux >= 5.12 and a filesystem that supports it):
   * an fd for a `moveMount` step of a child in that user namespace. The caller closes it.
   */
  idmappedTree(path: string, usernsFd: number, recursive: boolean, readOnly: boolean): number;
  /** flock(2): waits for the lock (exclusive, else shared) on `fd`; released when the fd is closed. */
  flock(fd: number, exclusive: boolean): void;
  /** mknod(2) at `path` (mode with its type bits: a device, a FIFO, an overlayfs whiteout 0/0). */
  mknod(path: string, mode: number, major: number, minor: number): void;
  /** lsetxattr(2): an extended attribute on `path` itself (a link is not followed). */
  lsetxattr(path: string, name: string, value: Buffer): void;
  /** lgetxattr(2): the attribute's value, undefined when it is not set (or not supported there). */
  lgetxattr(path: string, name: string): Buffer | undefined;
  /** flock(2) without waiting: true when had, false when another open file holds it. */
  tryFlock(fd: number, exclusive: boolean): boolean;
  /**
   * Sets FS_TOPDIR_FL (`chattr +T`) on a directory: true when it has it, false when its filesystem has no
   * such flag. ext4 then spreads new subdirectories over block groups as it does top-level ones.
   */
  markTopDir(path: string): boolean;
  /** A libzstd streaming decompressor (native/zstd.cc); each decode runs on the libuv thread pool. */
  ZstdDecoder: new () => NativeZstdDecoder;
  /**
   * An unpacker of one layer into `root` (owners set when `chown`, else recorded when `recordOwners`;
   * device nodes made when `devices`; one syncfs(2) at `finish` when `syncFs`).
   */
  LayerUnpacker: new (
    root: string,
    chown: boolean,
    devices: boolean,
    xattrNamespace: string,
    syncFs: boolean,
    recordOwners?: boolean,
  ) => NativeLayerUnpacker;
  /** libseccomp build of a profile in native/seccomp.cc's shape (src/security/seccomp.ts), ENOSYS stub in front. */
  compileSeccomp(profile: object): { bpf: Buffer; unknownSyscalls: string[] };
  /**
   * The filter's architectures as libseccomp orders them (native first), each name's syscall number on each
   * (negative: none there), and whether libseccomp knows the name at all (src/security/seccomp-ranges.ts).
   */
  seccompResolve(
    architectures: readonly string[],
    names: readonly string[],
  ): { arches: Array<{ token: number; audit: number; x32: boolean }>; numbers: number[][]; unknown: boolean[] };
  /** A loaded BPF_PROG_TYPE_CGROUP_DEVICE program allowing `rules` (first match wins, else deny): its fd. */
  loadDeviceFilter(rules: readonly NativeDeviceRule[]): number;
  /** Attaches a device program to a cgroup v2 directory (BPF_CGROUP_DEVICE, BPF_F_ALLOW_MULTI). */
  attachDeviceFilter(cgroupDir: string, programFd: number): void;
  /** A NETLINK_ROUTE socket of this network namespace, or of the one a netns fd or pidfd names. */
  netlinkOpen(netnsFd?: number): number;
  netlinkLinkIndex(fd: number, name: string): number;
  netlinkCreateBridge(fd: number, name: string, mac: Buffer | undefined, mtu: number): void;
  netlinkCreateVeth(fd: number, name: string, peer: string, peerNetnsFd: number, hostSide: NativeLinkChange): void;
  netlinkChangeLink(fd: number, name: string, change: NativeLinkChange): void;
  netlinkDeleteLink(fd: number, name: string): void;
  netlinkAddAddress(fd: number, ifindex: number, address: string, prefix: number): void;
  netlinkAddDefaultRoute(fd: number, gateway: string, ifindex: number): void;
  netlinkListLinks(fd: number): NativeLink[];
  netlinkListAddresses(fd: number): NativeAddress[];
  netlinkConfigurePod(fd: number, name: string, addresses: [string, number][], gateways: string[]): void;
  /** Detaches that program from the directory again. */
  detachDeviceFilter(cgroupDir: string, programFd: number): void;
  /** How many device programs are attached to the directory itself (BPF_PROG_QUERY). */
  deviceFilterCount(cgroupDir: string): number;
}

/** Where the addon was found; pod-pause is built next to it. */
function locate(): string {
  try {
    // `path: true` makes bindings return the file it found instead of loading it. The package root is
    // given (the one bindings would find from this file, dist/..): no stack-trace walk, and it works
    // from a bundle too.
    return bindings({
      bindings: 'pod_init',
      path: true,
      module_root: path.resolve(__dirname, '..'),
    } as bindings.Options) as string;
  } catch (cause) {
    const message = [
      'pod-init: could not find its native addon (build/Release/pod_init.node).',
      'Possible solutions:',
      '- Build it: `npm ci` (or `npx node-gyp rebuild`) in the pod-init package; it needs python3, make and g++.',
      '- pod-init runs on Linux only (kernel >= 5.8 for pidfd setns).',
      `- Rebuild after changing Node versions (this is Node ${process.version}, ABI ${process.versions.modules}).`,
    ].join('\n');
    throw new Error(message, { cause });
  }
}

/** Where the addon was loaded from. */
export const addonPath = locate();

/** The loaded addon. */
// eslint-disable-next-line @typescript-eslint/no-require-imports
export const native: NativeBinding = require(addonPath) as NativeBinding;
native.setErrorClass(PodSystemError as unknown as new (fields: object) => Error);

/** Absolute path of the pod-pause binary, built next to the addon. */
export const pausePath: string = path.join(path.dirname(addonPath), 'pod-pause');

let pauseFd: number | undefined;

/**
 * A sealed memfd copy of pod-pause, made once per process: what runs inside pods (the pause, and
 * `pod-pause enter` for every joined spawn) is this copy, so nothing in a pod can reach the file on
 * disk through /proc/PID/exe (CVE-2019-5736). Where memfds may not be executed (vm.memfd_noexec=2),
 * the file itself, opened read-only.
 */
export function sealedPause(): number {
  if (pauseFd === undefined) {
    try {
      pauseFd = native.sealedExecutable(pausePath);
    } catch {
      pauseFd = fs.openSync(pausePath, 'r');
    }
  }
  return pauseFd;
}
