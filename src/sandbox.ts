/**
 * A pod sandbox: pod-pause as PID 1 of new namespaces, holding them for members that join.
 * @module
 */
import fs from 'node:fs';
import { PodOptionError } from './errors';
import { type NamespaceKind, namespaceId, namespaceKinds, podNamespaceKinds } from './process/namespaces';
import { pausePath, sealedPause } from './native';
import type { PodProcess } from './process/process';
import { realtimeSignals } from './process/signals';
import { type MountStep, spawn, type SpawnOptions, type UserNamespaceOptions } from './process/spawn';

function allSignals(): number[] {
  return Array.from({ length: realtimeSignals.max }, (_, i) => i + 1);
}

/** What `pod-pause --confine` exits with when a step fails (native/pause.c confine()). */
const confineFailures: Record<number, string> = {
  9: 'waiting for pod-init',
  10: 'fsopen(tmpfs) for its empty root',
  11: 'fsconfig of its empty root',
  12: 'fsmount/chroot into its empty root',
  13: 'dropping its capability bounding set',
  14: 'changing to its user',
  15: 'capset',
  16: 'no_new_privs',
  17: 'reporting that it is ready',
};

const O_PATH = 0o10000000;

/**
 * Opens the pod mount namespace's root through the pause while it still has it, lets the pause
 * confine itself, and resolves with that fd once it says it is confined ('R' on its stdout); rejects
 * if it exits instead.
 */
async function confined(pause: PodProcess): Promise<number> {
  const stdout = pause.stdout!;
  let root: number;
  try {
    root = fs.openSync(`/proc/${pause.pid}/root`, O_PATH | fs.constants.O_DIRECTORY);
  } finally {
    pause.stdin!.end('g');
  }
  const ready = await new Promise<boolean>((resolve) => {
    stdout.once('data', (chunk: Buffer) => resolve(chunk.includes('R')));
    stdout.once('end', () => resolve(false));
    stdout.once('error', () => resolve(false));
  });
  stdout.destroy();
  if (ready) return root;
  fs.closeSync(root);
  const status = await pause.exited;
  const step = status.exitCode !== null ? confineFailures[status.exitCode] : undefined;
  throw new Error(
    `pod-pause could not confine itself${step ? ` (${step} failed)` : ''}: ${JSON.stringify(status)}. ` +
      'The kernel must support the new mount API (Linux >= 5.2); Sandbox.create({ confine: false }) skips it.',
  );
}

/** Options of {@link Sandbox.create}. */
export interface SandboxOptions {
  /** Namespaces the pause creates; default `['pid', 'net', 'ipc', 'uts', 'mnt']`. */
  namespaces?: NamespaceKind[];
  /** A user namespace: optional as root (default off), always on without root (root inside = you). */
  userNamespace?: boolean | UserNamespaceOptions;
  /** The pod's hostname (needs `uts`); default `'pod'`. */
  hostname?: string;
  /** Kill the pod when Node's main thread dies (even by SIGKILL). Default true. */
  dieWithParent?: boolean;
  /** pod-pause binary; default the one built next to the addon. */
  pausePath?: string;
  /**
   * Mount steps run in the pod's mount namespace before the pause starts (needs `mnt`): what every
   * member sees and the host does not, such as a tmpfs the pod's containers share.
   */
  mounts?: MountStep[];
  /**
   * Confine the pause (default true): it runs chrooted into an empty read-only tmpfs that is mounted
   * nowhere, with no capabilities, no_new_privs, non-dumpable, as uid/gid 65535 (the kubelet's pause
   * user) where the pod's user namespace maps it, from a sealed copy of pod-pause. With a shared pid
   * namespace every container sees it: `/proc/1/root` then shows nothing and `/proc/1/exe` cannot be
   * written. `false` keeps it as it was started (root, host root directory) — for experiments.
   */
  confine?: boolean;
  /** The cgroup directories the pause enters before it starts (the pod's, see {@link SpawnOptions.cgroups}). */
  cgroups?: string[];
}

/** The pause's user, as the kubelet's pause image (`USER 65535:65535`). */
export const pauseUser = 65535;

/** Options of {@link Sandbox.spawn}: {@link SpawnOptions} without the namespace choice of the pod. */
export interface MemberOptions extends Omit<SpawnOptions, 'join' | 'userNamespace' | 'hostname' | 'newNamespaces'> {
  /**
   * Namespaces the member gets of its own instead of the pod's: `'pid'` makes it PID 1 of its own pid
   * namespace (with its own copy of the pod mount namespace and a fresh /proc), `'mnt'` a private copy
   * of the pod mount namespace.
   */
  newNamespaces?: Array<'pid' | 'mnt' | 'cgroup'>;
}

/**
 * A pod sandbox: pod-pause runs as PID 1 of new pid, net, ipc, uts and mount namespaces (each
 * optional, plus a user namespace), with the hostname set, loopback up and a /proc of the new pid
 * namespace. Members started with {@link Sandbox.spawn} join its namespaces and stay direct children of
 * Node; orphans inside the pod are reaped by the pause.
 *
 * @example
 * await using pod = await Sandbox.create({ hostname: 'web' });
 * const member = pod.spawn({ file: 'hostname', stdio: ['ignore', 'pipe', 'inherit'] });
 * member.stdout!.pipe(process.stdout); // "web"
 * await member.exited;
 */
export class Sandbox implements AsyncDisposable {
  /** pod-pause, PID 1 of the pod. */
  readonly pause: PodProcess;
  /** The namespaces the pod has of its own. */
  readonly namespaces: readonly NamespaceKind[];
  /** The hostname, when the pod has a uts namespace. */
  readonly hostname: string | undefined;

  readonly #members = new Set<PodProcess>();
  #destroying: Promise<void> | undefined;
  #rootFd: number | undefined;

  private constructor(
    pause: PodProcess,
    namespaces: NamespaceKind[],
    hostname: string | undefined,
    rootFd: number | undefined,
  ) {
    this.pause = pause;
    this.namespaces = Object.freeze(namespaces);
    this.hostname = hostname;
    this.#rootFd = rootFd;
  }

  /**
   * A path to the root of the pod's mount namespace, as its members find it when they join: paths
   * under it show the pod's own mounts (its tmpfs mounts, its /proc), which the host does not have.
   * The pause itself is chrooted elsewhere (`confine`), so this is an fd pod-init opened before, not
   * `/proc/<pause>/root` (that is the pause's root unless `confine: false`).
   *
   * @example
   * fs.readdirSync(`${pod.root}/dev/shm`); // the pod's /dev/shm
   */
  get root(): string {
    return this.#rootFd === undefined ? `/proc/${this.pause.pid}/root` : `/proc/self/fd/${this.#rootFd}`;
  }

  /**
   * Starts pod-pause in new namespaces.
   *
   * @example
   * const pod = await Sandbox.create({ namespaces: ['pid', 'net', 'uts'], hostname: 'db' });
   */
  static async create(options: SandboxOptions = {}): Promise<Sandbox> {
    const kinds = new Set<NamespaceKind>(options.namespaces ?? podNamespaceKinds);
    for (const kind of kinds)
      if (!namespaceKinds.includes(kind))
        throw new PodOptionError('options.namespaces', `a list of ${namespaceKinds.join(', ')}`, kind);
    const root = process.geteuid!() === 0;
    if (options.userNamespace === false && !root)
      throw new PodOptionError('options.userNamespace', 'true without root (namespaces need privileges)', false);
    if (options.userNamespace || !root) kinds.add('user');
    const hostname = kinds.has('uts') ? (options.hostname ?? 'pod') : undefined;
    if (options.hostname !== undefined && !kinds.has('uts'))
      throw new PodOptionError('options.hostname', "a 'uts' namespace in options.namespaces", options.hostname);
    const confine = options.confine ?? true;
    const spawnOptions: SpawnOptions = {
      file: options.pausePath ?? pausePath,
      argv0: 'pod-pause',
      ...(confine ? { args: ['--confine', `${pauseUser}:${pauseUser}`] } : {}),
      ...(confine && options.pausePath === undefined ? { execFd: sealedPause() } : {}),
      ...(options.cgroups ? { cgroups: options.cgroups } : {}),
      // Nothing of Node's environment, except POD_INIT_TAG: it tells whose pause this is (tests, tools).
      env: process.env.POD_INIT_TAG === undefined ? {} : { POD_INIT_TAG: process.env.POD_INIT_TAG },
      cwd: '/',
      newNamespaces: [...kinds],
      stdio: confine ? ['pipe', 'pipe', 'inherit'] : ['ignore', 'ignore', 'inherit'],
      newSession: true,
      dieWithParent: options.dieWithParent ?? true,
      // pod-pause starts with every signal blocked: a SIGTERM sent before it has set up its signalfd
      // stays pending instead of being dropped (a pid 1 with default dispositions ignores SIGTERM).
      signalMask: allSignals(),
    };
    if (typeof options.userNamespace === 'object') spawnOptions.userNamespace = options.userNamespace;
    if (options.mounts?.length) {
      if (!kinds.has('mnt'))
        throw new PodOptionError('options.mounts', "a 'mnt' namespace in options.namespaces", options.namespaces);
      spawnOptions.mounts = options.mounts;
    }
    if (hostname !== undefined) spawnOptions.hostname = hostname;
    const pause = spawn(spawnOptions);
    let rootFd: number | undefined;
    try {
      if (confine) rootFd = await confined(pause);
    } catch (error) {
      pause.kill('SIGKILL');
      await pause.exited;
      throw error;
    }
    return new Sandbox(pause, [...kinds], hostname, rootFd);
  }

  /** The pause's pid, in Node's pid namespace. */
  get pid(): number {
    return this.pause.pid;
  }

  /** Whether the pause is still running. */
  get running(): boolean {
    return this.pause.running;
  }

  /** The members started with {@link Sandbox.spawn} that are still running. */
  get members(): PodProcess[] {
    return [...this.#members];
  }

  /**
   * The identity of one of the pod's namespaces (equal to a member's when it shares it).
   *
   * @example
   * pod.namespaceId('net') === namespaceId(member.pid, 'net'); // true
   */
  namespaceId(kind: NamespaceKind): number {
    return namespaceId(this.pause.pid, kind);
  }

  /**
   * Starts a member in the pod's namespaces. Defaults that differ from {@link spawn}: a session of its
   * own (`newSession: true`), and `dieWithParent: true`.
   *
   * @example
   * const web = pod.spawn({ file: 'node', args: ['server.js'] });
   * const init = pod.spawn({ file: 'sh', args: ['-c', 'echo $$'], newNamespaces: ['pid'] }); // prints 1
   */
  spawn(options: MemberOptions): PodProcess {
    if (!this.pause.running || this.#destroying)
      throw new PodOptionError('sandbox', 'a running sandbox', this.#destroying ? 'destroyed' : 'its pause exited');
    const own = new Set<NamespaceKind>(options.newNamespaces ?? []);
    for (const kind of own)
      if (kind !== 'pid' && kind !== 'mnt' && kind !== 'cgroup')
        throw new PodOptionError('options.newNamespaces', "a list of 'pid', 'mnt', 'cgroup'", kind);
    if (own.has('pid')) own.add('mnt'); // its /proc must not cover the pod's
    const spawnOptions: SpawnOptions = {
      newSession: true,
      dieWithParent: true,
      ...options,
      newNamespaces: [...own],
      // Every pod namespace is joined; a new one is then made as a copy of the pod's (mnt, cgroup), or
      // below it (pid).
      join: { process: this.pause, namespaces: [...this.namespaces] },
    };
    if (own.has('mnt') && options.mountPropagation === undefined) spawnOptions.mountPropagation = 'slave';
    const member = spawn(spawnOptions);
    this.#members.add(member);
    void member.exited.then(() => this.#members.delete(member));
    return member;
  }

  /** Resolves when the pause has exited. */
  get exited(): Promise<unknown> {
    return this.pause.exited;
  }

  /**
   * Ends the pod: SIGKILL to every member still running, SIGTERM to the pause (which exits 0 and takes
   * whatever else is left in its pid namespace with it), then waits for all of them to be reaped.
   *
   * @example
   * await pod.destroy();
   */
  destroy(): Promise<void> {
    this.#destroying ??= (async () => {
      const members = [...this.#members];
      for (const member of members) member.kill('SIGKILL');
      this.pause.kill('SIGTERM');
      // Members are Node's children: the pause is reapable only after they are (pitfall 12).
      await Promise.all(members.map((m) => m.exited));
      await this.pause.exited;
      if (this.#rootFd !== undefined) fs.closeSync(this.#rootFd);
      this.#rootFd = undefined;
    })();
    return this.#destroying;
  }

  /** `await using pod = await Sandbox.create()`: destroyed on scope exit. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.destroy();
  }
}
