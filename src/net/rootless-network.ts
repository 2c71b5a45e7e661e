/**
 * A rootless pod's network (NETWORKING.md §6.5): outbound traffic and published ports through a user-space
 * helper that joins the pause's namespaces — pasta (Debian `passt`) or, when it is not installed, slirp4netns.
 * Chosen from PATH; `/dev/net/tun` test-opened first (both helpers need it; pasta fails on it and leaves a
 * daemon behind). The helper is tied to the pod: stopped at its end, and it dies with pod-init (`kill -9`
 * included): pasta through PR_SET_PDEATHSIG, slirp4netns through `--exit-fd`. The pod's address,
 * 10.0.2.100, is not reachable from the host: only its published ports are.
 * @module
 */
import type { ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type { PodProcess } from '../process/process';
import { startPasta } from './pasta';
import { portHolder } from './port-holder';
import { hostSide, type PortMapping } from './publish-spec';
import { addHostForward, startSlirp4netns } from './slirp4netns';

/** The helpers, in the order `rootless` tries them. */
export type RootlessHelperKind = 'pasta' | 'slirp4netns';

/** A helper found on PATH. */
export interface RootlessHelper {
  kind: RootlessHelperKind;
  /** Its absolute path. */
  file: string;
}

/**
 * The first executable `name` in the `:`-separated `searchPath`.
 *
 * @example
 * findOnPath('pasta', '/usr/local/bin:/usr/bin'); // '/usr/bin/pasta'
 */
export function findOnPath(name: string, searchPath: string): string | undefined {
  for (const dir of searchPath.split(':')) {
    if (!path.isAbsolute(dir)) continue;
    const file = path.join(dir, name);
    try {
      fs.accessSync(file, fs.constants.X_OK);
      if (fs.statSync(file).isFile()) return file;
    } catch {
      // not here
    }
  }
  return undefined;
}

/**
 * The helper for `mode` (`rootless`: pasta, else slirp4netns), or the notice saying what to install. As root
 * pasta is left out: it drops to nobody first and then cannot open a root pod's namespaces (passt 2023-03-09,
 * `--runas 0` too).
 *
 * @example
 * chooseRootlessHelper('rootless', '/usr/bin'); // { kind: 'pasta', file: '/usr/bin/pasta' }
 */
export function chooseRootlessHelper(
  mode: 'rootless' | RootlessHelperKind,
  searchPath: string,
  root = false,
): RootlessHelper | { notice: string } {
  if (root && mode === 'pasta')
    return {
      notice:
        'pasta cannot serve a pod run as root (it drops to nobody before it joins the pod): use --pod-network ' +
        'slirp4netns or bridge. The pod has only loopback',
    };
  const kinds: RootlessHelperKind[] = mode !== 'rootless' ? [mode] : root ? ['slirp4netns'] : ['pasta', 'slirp4netns'];
  for (const kind of kinds) {
    const file = findOnPath(kind, searchPath);
    if (file !== undefined) return { kind, file };
  }
  const install =
    mode === 'slirp4netns' || root
      ? 'slirp4netns was not found on PATH (Debian: apt-get install slirp4netns)'
      : mode === 'pasta'
        ? 'pasta was not found on PATH (Debian: apt-get install passt)'
        : 'neither pasta nor slirp4netns was found on PATH (Debian: apt-get install passt, or slirp4netns)';
  return { notice: `Rootless pod networking needs a user-space helper: ${install}. The pod has only loopback` };
}

/**
 * Why `device` (`/dev/net/tun`) cannot be opened by this user, with what to change; undefined when it can.
 *
 * @example
 * tunProblem(); // "/dev/net/tun is mode 0600 (owner uid 0): ... as root: chmod 0666 /dev/net/tun ..."
 */
export function tunProblem(device = '/dev/net/tun'): string | undefined {
  try {
    fs.closeSync(fs.openSync(device, fs.constants.O_RDWR));
    return undefined;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    if (code === 'ENOENT')
      return `${device} does not exist (open: ENOENT): as root, modprobe tun (or mknod ${device} c 10 200; chmod 0666 ${device})`;
    if (code === 'EACCES' || code === 'EPERM') {
      const st = fs.statSync(device, { throwIfNoEntry: false });
      const mode = st === undefined ? '' : ` is mode 0${(st.mode & 0o777).toString(8)} (owner uid ${st.uid}) and`;
      return (
        `${device}${mode} cannot be opened by this user (open: ${code}): as root, chmod 0666 ${device} ` +
        "(Debian's udev rule sets 0666; without udev, a tmpfiles.d line or boot script keeps it)"
      );
    }
    return `${device} cannot be opened (open: ${code})`;
  }
}

/**
 * Who holds a port in use, as the message says it: `by PID 4242 (python3)`, or, when no fd of it is
 * visible (another user's process: without root only one's own /proc/PID/fd can be read), that.
 */
function inUseBy(m: PortMapping): string {
  const holder = portHolder(m);
  return holder === undefined
    ? 'by a process of another user (its PID is not visible to this user)'
    : `by PID ${holder.pid} (${holder.command})`;
}

/** Binds and frees one host port: whether it is free now, as a message when not. */
function checkHostPort(m: PortMapping): Promise<string | undefined> {
  const explain = (error: NodeJS.ErrnoException): string =>
    error.code === 'EADDRINUSE'
      ? `host port ${hostSide(m)} is in use ${inUseBy(m)}: free it or publish another port`
      : error.code === 'EACCES'
        ? `host port ${hostSide(m)} needs privileges (ports below net.ipv4.ip_unprivileged_port_start, ` +
          'usually 1024, are root-only): publish a higher port'
        : `host port ${hostSide(m)} cannot be bound: ${error.code ?? error.message}`;
  return new Promise((resolve) => {
    if (m.protocol === 'udp') {
      const socket = dgram.createSocket('udp4');
      socket.once('error', (error) => {
        socket.close();
        resolve(explain(error));
      });
      socket.bind({ address: m.hostIP, port: m.hostPort, exclusive: true }, () =>
        socket.close(() => resolve(undefined)),
      );
      return;
    }
    const server = net.createServer();
    server.once('error', (error) => resolve(explain(error)));
    server.listen({ host: m.hostIP, port: m.hostPort, exclusive: true }, () => server.close(() => resolve(undefined)));
  });
}

/** Options of {@link RootlessNetwork.start}. */
export interface RootlessNetworkOptions {
  helper: RootlessHelper;
  /** The pause whose network namespace the helper serves. */
  pid: number;
  mappings: readonly PortMapping[];
  /** The gateway address (10.0.2.2) reaches the host's loopback. Default false. */
  hostLoopback?: boolean;
  /** A private directory for slirp4netns's API socket (the pod's state directory). */
  dir: string;
  /** How long the helper may take to be ready. Default 10 s. */
  readyTimeoutMs?: number;
}

/** The last 2 KiB of a stream, for error messages. */
function tail(stream: Readable | null | undefined): () => string {
  let text = '';
  stream?.setEncoding('utf8');
  stream?.on('data', (chunk: string) => (text = (text + chunk).slice(-2048)));
  return () => text.trim();
}

/** The helper process, whichever it is. */
interface Helper {
  pid: number;
  exited: Promise<void>;
  /** Asks it to go (SIGTERM for pasta, the exit fd closed for slirp4netns). */
  stop(): void;
  kill(): void;
  stderr: () => string;
}

function pastaHelper(proc: PodProcess, stderr: () => string): Helper {
  return {
    // Without a syslog socket (a container, a minimal host) pasta says so before each message.
    stderr: () =>
      stderr()
        .split('\n')
        .filter((line) => !/^Failed to send \d+ bytes to syslog/.test(line))
        .join('\n'),
    pid: proc.pid,
    exited: proc.exited.then(() => undefined),
    stop: () => proc.kill('SIGTERM'),
    kill: () => proc.kill('SIGKILL'),
  };
}

function slirpHelper(child: ChildProcess, stderr: () => string): Helper {
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
  return {
    pid: child.pid ?? 0,
    exited,
    stop: () => (child.stdio[3] as net.Socket | null)?.destroy(),
    kill: () => child.kill('SIGKILL'),
    stderr,
  };
}

/**
 * One pause's rootless network: the helper started at once, {@link ready} once it serves the namespace and
 * the published ports, {@link stop} at the end. A helper that dies on its own resolves {@link exited} with
 * `stopped` false.
 *
 * @example
 * const network = RootlessNetwork.start({ helper, pid: sandbox.pid, mappings, dir: stateDir });
 * await network.ready; // rejects (helper gone) with the reason: a port in use, pasta's error, ...
 * // ... the pod runs ...
 * await network.stop();
 */
export class RootlessNetwork {
  readonly kind: RootlessHelperKind;
  /** Resolves when the namespace is connected and every port published; rejects with the helper gone. */
  readonly ready: Promise<void>;
  /** Resolves when the helper has exited (or never started). */
  readonly exited: Promise<void>;
  #helper: Helper | undefined;
  #stopped = false;
  #socketPath: string | undefined;
  #resolveExited!: () => void;

  private constructor(options: RootlessNetworkOptions) {
    this.kind = options.helper.kind;
    this.exited = new Promise((resolve) => (this.#resolveExited = resolve));
    this.ready = this.#run(options);
    this.ready.catch(() => undefined); // the caller awaits it; a stop during the start rejects it too
  }

  /** Starts the helper for `options.pid` (its ports checked first). */
  static start(options: RootlessNetworkOptions): RootlessNetwork {
    return new RootlessNetwork(options);
  }

  /** The helper's pid (0 before it runs). */
  get pid(): number {
    return this.#helper?.pid ?? 0;
  }

  /** Whether {@link stop} was called (then the helper's exit is expected). */
  get stopped(): boolean {
    return this.#stopped;
  }

  async #run(options: RootlessNetworkOptions): Promise<void> {
    try {
      for (const m of options.mappings) {
        const problem = await checkHostPort(m);
        if (problem !== undefined) throw new Error(problem);
      }
      if (this.#stopped) throw new Error('stopped before it started');
      const timeout = options.readyTimeoutMs ?? 10_000;
      if (options.helper.kind === 'pasta') await this.#startPasta(options, timeout);
      else await this.#startSlirp(options, timeout);
    } catch (error) {
      this.#helper?.kill();
      await this.#helper?.exited;
      this.#cleanup();
      this.#resolveExited();
      throw error;
    }
  }

  async #startPasta(options: RootlessNetworkOptions, timeoutMs: number): Promise<void> {
    const proc = startPasta(options.helper.file, options);
    const helper = pastaHelper(proc, tail(proc.stderr));
    this.#helper = helper;
    void helper.exited.then(() => this.#resolveExited());
    await this.#whenReady(helper, proc.stdout, (text) => text.trim().length > 0, timeoutMs);
  }

  async #startSlirp(options: RootlessNetworkOptions, timeoutMs: number): Promise<void> {
    const apiSocket = 'slirp4netns.sock';
    this.#socketPath = path.join(options.dir, apiSocket);
    fs.rmSync(this.#socketPath, { force: true }); // a crashed run's
    const child = startSlirp4netns(options.helper.file, options.dir, { ...options, apiSocket });
    child.stdout?.resume(); // its banner
    const helper = slirpHelper(child, tail(child.stderr));
    this.#helper = helper;
    void helper.exited.then(() => this.#resolveExited());
    await this.#whenReady(helper, child.stdio[4] as Readable, (text) => text.includes('1'), timeoutMs);
    // A unix socket's path is limited to 107 bytes: a long state directory is reached through an fd.
    let dirFd: number | undefined;
    try {
      let socketPath = this.#socketPath;
      if (Buffer.byteLength(socketPath) > 100) {
        dirFd = fs.openSync(options.dir, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
        socketPath = `/proc/self/fd/${dirFd}/${apiSocket}`;
      }
      for (const m of options.mappings) await addHostForward(socketPath, m);
    } finally {
      if (dirFd !== undefined) fs.closeSync(dirFd);
    }
  }

  /** Resolves when `signal` carries what `isReady` accepts; rejects when the helper exits or time is up. */
  #whenReady(
    helper: Helper,
    signal: Readable | null,
    isReady: (text: string) => boolean,
    timeoutMs: number,
  ): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let text = '';
      const timer = setTimeout(
        () => reject(new Error(`${this.kind} was not ready after ${timeoutMs} ms: ${helper.stderr()}`)),
        timeoutMs,
      );
      signal?.setEncoding('utf8');
      signal?.on('data', (chunk: string) => {
        text += chunk;
        if (!isReady(text)) return;
        clearTimeout(timer);
        resolve();
      });
      void helper.exited.then(() => {
        clearTimeout(timer);
        // Settles nothing once ready: a later exit is the caller's to see through `exited`.
        reject(new Error(`${this.kind} exited: ${helper.stderr() || 'no message'}`));
      });
    });
  }

  /**
   * Stops the helper (SIGKILL after 2 s) and resolves once it is gone and its socket file removed. Idempotent.
   *
   * @example
   * await network.stop();
   */
  async stop(): Promise<void> {
    this.#stopped = true;
    const helper = this.#helper;
    if (helper !== undefined) {
      helper.stop();
      const timer = setTimeout(() => helper.kill(), 2000);
      await helper.exited;
      clearTimeout(timer);
    }
    await this.ready.catch(() => undefined);
    this.#cleanup();
  }

  #cleanup(): void {
    if (this.#socketPath !== undefined) fs.rmSync(this.#socketPath, { force: true });
  }
}
