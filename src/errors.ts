/**
 * Errors of pod-init: {@link PodSystemError} for kernel refusals (Node's SystemError shape plus the
 * setup step and a hint), {@link PodOptionError} for bad input to the API.
 * @module
 */

/**
 * The setup steps a child may fail in before `execve`, in the order of native/steps.h (a test checks
 * that the two agree).
 */
export const setupSteps = [
  'clone',
  'id-map',
  'wait-parent',
  'join-namespaces',
  'clone-child',
  'cgroup',
  'unshare',
  'mount-propagation',
  'mount-proc',
  'mount',
  'idmapped-mount',
  'mkdir',
  'symlink',
  'write-file',
  'mask-source',
  'mask-target',
  'pivot-root',
  'set-hostname',
  'loopback',
  'new-session',
  'controlling-tty',
  'process-group',
  'chdir',
  'verify-cwd',
  'capabilities',
  'set-groups',
  'set-gid',
  'set-uid',
  'no-new-privs',
  'death-signal',
  'seccomp',
  'stdio',
  'close-fds',
  'exec',
  'enter',
  'setup-timeout',
] as const;

/** One of {@link setupSteps}. */
export type SetupStep = (typeof setupSteps)[number];

/** What native code reports; the constructor argument of {@link PodSystemError}. */
export interface SystemErrorFields {
  code: string;
  errno: number;
  syscall: string;
  description: string;
  path?: string;
  step?: SetupStep;
  pid?: number;
  hint?: string;
}

const hints: Array<[match: (e: SystemErrorFields) => boolean, hint: string]> = [
  [
    (e) => e.code === 'EPERM' && (e.step === 'clone' || e.syscall === 'unshare') && process.geteuid?.() !== 0,
    'Creating namespaces needs root (CAP_SYS_ADMIN) unless a user namespace is created too. If one was: ' +
      'unprivileged user namespaces may be off (sysctl user.max_user_namespaces=0, or ' +
      'kernel.apparmor_restrict_unprivileged_userns=1 on Ubuntu >= 23.10: add an AppArmor profile or set it to 0).',
  ],
  [
    (e) => e.code === 'EPERM' && e.step === 'clone',
    'The kernel refused to create a namespace: inside a container this needs --privileged (or ' +
      'CAP_SYS_ADMIN and an unconfined seccomp profile).',
  ],
  [
    (e) => e.code === 'ENOSPC' && (e.step === 'clone' || e.syscall === 'unshare' || e.step === 'clone-child'),
    'A namespace limit was reached: see /proc/sys/user/max_*_namespaces (or the nesting limit of 32 user ' +
      'namespaces). Pods that were not cleaned up hold namespaces too.',
  ],
  [
    (e) => e.step === 'id-map' && (e.code === 'EPERM' || e.code === 'EACCES'),
    'Writing the user namespace id map was refused. Without root only your own uid/gid can be mapped; on ' +
      'Ubuntu >= 23.10 AppArmor blocks unprivileged user namespaces (kernel.apparmor_restrict_unprivileged_userns).',
  ],
  [
    (e) => e.code === 'EINVAL' && (e.syscall === 'setns' || e.syscall === 'unshare') && e.step === undefined,
    'Node is multithreaded: the kernel allows no user or mount namespace change here (setns(2), unshare(2)). ' +
      'Use spawn() with newNamespaces/join, which makes the change in a fresh child.',
  ],
  [
    (e) => e.code === 'EINVAL' && e.step === 'join-namespaces',
    'The target namespaces cannot be joined: joining one own user namespace again, a pid namespace that is not ' +
      'a descendant, or a process that is gone.',
  ],
  [
    (e) => e.code === 'EPERM' && e.step === 'join-namespaces',
    'Joining needs CAP_SYS_ADMIN over the target namespaces: without root, join the pod user namespace in the same call.',
  ],
  [
    (e) => e.code === 'ENOMEM' && e.step === 'clone-child',
    'The pod pid namespace has no init any more (its pod-pause exited): the pod must be recreated.',
  ],
  [
    (e) => e.code === 'ENOENT' && e.step === 'exec',
    'No such executable: check the command and PATH (the path is looked up inside the new root, if any).',
  ],
  [
    (e) => e.code === 'EACCES' && e.step === 'exec',
    'The file is not executable: check its mode (chmod +x), that it is not a directory, and that its ' +
      'filesystem is not mounted noexec.',
  ],
  [(e) => e.code === 'ENOEXEC' && e.step === 'exec', 'Not a binary the kernel can run: a script needs a #! line.'],
  [
    (e) => e.step === 'chdir',
    'The working directory does not exist in the new process view, or is not accessible to its user.',
  ],
  [(e) => e.code === 'ENOSPC' && e.syscall === 'mount', 'The mount limit was reached (/proc/sys/fs/mount-max).'],
  [
    (e) => e.code === 'EXDEV' && e.step === 'mount',
    'The path leads out of the directory it must stay in (a symlink in a volume, changed after it was ' +
      'checked): nothing was mounted and the process was not started.',
  ],
  [
    (e) => e.step === 'verify-cwd',
    "The working directory lies outside the container's root (reached through an inherited file descriptor " +
      'or a path that leaves the root): possible container breakout, nothing was started.',
  ],
  [
    (e) => e.step === 'setup-timeout',
    'The process did not finish its setup before the deadline (a FIFO or a hung file system on one of its ' +
      'paths?): it was killed.',
  ],
  [
    (e) => e.step === 'enter',
    'pod-pause could not be executed to enter the pod (its sealed copy, or vm.memfd_noexec=2 refusing to ' +
      'execute memfds): check `sysctl vm.memfd_noexec`.',
  ],
  [
    (e) => e.step === 'seccomp',
    'The seccomp filter was refused: without no_new_privs it needs CAP_SYS_ADMIN, and the kernel limits a ' +
      "filter's length (4096 instructions).",
  ],
  [
    (e) => e.step === 'capabilities',
    'Setting the capability sets failed: an ambient capability must also be permitted and inheritable.',
  ],
  [
    (e) => e.step === 'mask-source',
    "The source of a masked path (the container's /dev/null, or the read-only tmpfs of masked directories) " +
      'is a symlink or not what it must be (ENODEV: not the device 1:3; EXDEV: not on tmpfs/procfs): a ' +
      'volume or a container replaced it; nothing was masked with it and the container was not started.',
  ],
  [
    (e) => e.step === 'mask-target',
    'A masked or read-only /proc or /sys path is a symlink or not on the procfs/sysfs it must be on (a volume ' +
      'mounted over /proc or /sys?): nothing was mounted there and the container was not started.',
  ],
  [
    (e) => e.code === 'EXDEV' && e.step === 'write-file',
    'The file to write is not on the procfs it must be on: nothing was written.',
  ],
  [
    (e) => e.step === 'cgroup',
    'Entering the cgroup failed: it was removed, its pids.max is reached, or (cgroup v2) it has controllers ' +
      'enabled for its children.',
  ],
  [
    (e) => e.code === 'EINVAL' && e.syscall === 'pivot_root',
    'pivot_root needs the new root to be a mount point on a private mount, and fails on an initramfs root.',
  ],
  [
    (e) => e.code === 'EPERM' && e.syscall === 'mount',
    'Mounting needs CAP_SYS_ADMIN in the owner of the mount namespace; in a user namespace locked flags ' +
      '(nosuid, nodev, noexec, ro) cannot be dropped.',
  ],
  [
    (e) => e.code === 'EEXIST' && e.syscall.startsWith('netlink '),
    'That link, address or route already exists in this network namespace (left by a crashed pod? the ' +
      "start-up sweep removes pod-init's own): pick another name or remove the old one.",
  ],
  [
    (e) => e.code === 'EPERM' && e.syscall.startsWith('netlink '),
    'Changing links, addresses and routes needs CAP_NET_ADMIN over the network namespace: root, or the ' +
      'user namespace that owns it (rootless pods get no veth; see NETWORKING.md).',
  ],
  [
    (e) => e.code === 'ENODEV' && e.syscall.startsWith('netlink '),
    'No link of that name in this network namespace (a veth goes away with its peer or its namespace).',
  ],
  [
    (e) => e.code === 'EOPNOTSUPP' && e.syscall.startsWith('netlink RTM_NEWLINK'),
    'This kernel cannot make that kind of link: the bridge or veth module is missing (modprobe bridge veth).',
  ],
  [
    (e) => e.code === 'ENETUNREACH' && e.syscall.startsWith('netlink RTM_NEWROUTE'),
    "The gateway is on none of the link's subnets: add the address (with its prefix) and set the link up first.",
  ],
  [
    (e) => e.code === 'EINVAL' && e.syscall.startsWith('netlink RTM_NEWLINK (veth)'),
    'The peer namespace fd must be an open /proc/PID/ns/net (or a pidfd), and the peer name free there.',
  ],
  [
    (e) => e.code === 'EPERM' && e.syscall === 'bpf(BPF_PROG_LOAD)',
    'Loading a cgroup device program needs CAP_SYS_ADMIN (or CAP_BPF and CAP_NET_ADMIN) in the initial user ' +
      'namespace: root only, never rootless or in a user namespace (kernel.unprivileged_bpf_disabled does not ' +
      'help: this program type is never unprivileged); a seccomp profile around pod-init may refuse bpf(2) too.',
  ],
  [
    (e) => e.code === 'EPERM' && e.syscall === 'bpf(BPF_PROG_ATTACH)',
    'Attaching a cgroup device program needs root in the initial user namespace, and is refused below a cgroup ' +
      'whose own device program was attached without BPF_F_ALLOW_MULTI.',
  ],
  [
    (e) => e.code === 'EBADF' && e.syscall === 'bpf(BPF_PROG_ATTACH)',
    'Device programs attach to cgroup v2 directories only (not a v1 hierarchy or a plain directory).',
  ],
  [
    (e) => (e.code === 'EINVAL' || e.code === 'EACCES') && e.syscall === 'bpf(BPF_PROG_LOAD)',
    "The kernel refused the device program: its verifier's log is in the error's verifierLog; a kernel without " +
      'CONFIG_CGROUP_BPF has no device programs at all.',
  ],
];

/** The hint for a report, if its errno is misleading on its own. */
export function hintFor(fields: SystemErrorFields): string | undefined {
  return hints.find(([match]) => match(fields))?.[1];
}

/**
 * A kernel refusal, shaped like Node's own `SystemError` (`code`, `errno`, `syscall`, `path`) plus
 * the setup `step` that failed, the `pid` it ran in, and a `hint` for errnos that mislead.
 *
 * @example
 * try {
 *   spawn({ file: '/no/such/binary' });
 * } catch (error) {
 *   if (error instanceof PodSystemError) console.error(error.code, error.step, error.hint);
 *   // ENOENT exec No such executable: check the command and PATH ...
 * }
 */
export class PodSystemError extends Error {
  /** The errno name, e.g. `EPERM`. */
  readonly code: string;
  /** The negative errno, as in Node's errors. */
  readonly errno: number;
  /** The syscall that failed. */
  readonly syscall: string;
  /** The file, namespace or mount target involved, if any. */
  readonly path?: string;
  /** The setup step that failed in the child; absent for a direct syscall wrapper. */
  readonly step?: SetupStep;
  /** The process the step ran in, when there was one. */
  readonly pid?: number;
  /** What to do about it, when the errno alone would mislead. */
  hint?: string;

  constructor(fields: SystemErrorFields) {
    const where = fields.path ? ` '${fields.path}'` : '';
    const step = fields.step ? ` (setup step ${fields.step})` : '';
    super(`${fields.code}: ${fields.description.toLowerCase()}, ${fields.syscall}${where}${step}`);
    this.code = fields.code;
    this.errno = fields.errno;
    this.syscall = fields.syscall;
    if (fields.path !== undefined) this.path = fields.path;
    if (fields.step !== undefined) this.step = fields.step;
    if (fields.pid !== undefined) this.pid = fields.pid;
    const hint = fields.hint ?? hintFor(fields);
    if (hint !== undefined) this.hint = hint;
  }
}
Object.defineProperty(PodSystemError.prototype, 'name', { value: 'PodSystemError', enumerable: false });

/**
 * Bad input to the API: names the option, what was expected and what was received.
 *
 * @example
 * spawn({ file: 'sh', cwd: 'relative' });
 * // PodOptionError: options.cwd must be an absolute path, received 'relative'
 */
export class PodOptionError extends TypeError {
  /** Always `ERR_POD_INIT_INVALID_OPTION`. */
  readonly code = 'ERR_POD_INIT_INVALID_OPTION';
  /** The option's path, e.g. `options.stdio[1]`. */
  readonly option: string;

  constructor(option: string, expected: string, received: unknown) {
    super(`${option} must be ${expected}, received ${describe(received)}`);
    this.option = option;
  }
}
Object.defineProperty(PodOptionError.prototype, 'name', { value: 'PodOptionError', enumerable: false });

function describe(value: unknown): string {
  if (typeof value === 'string') return `'${value}'`;
  if (value === undefined || value === null || typeof value === 'number' || typeof value === 'boolean')
    return String(value);
  try {
    return JSON.stringify(value);
  } catch {
    return typeof value;
  }
}
