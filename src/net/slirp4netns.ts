/**
 * slirp4netns for a pod's network namespace (NETWORKING.md §1, §6.5), the fallback when pasta is not
 * installed: its command line, the process, and published ports through its API socket (`add_hostfwd`).
 * Tied to pod-init by `--exit-fd`: pod-init holds the only other end of that socket pair, so slirp4netns exits
 * when pod-init does, `kill -9` included; `--ready-fd` says when the tap is configured.
 * @module
 */
import { type ChildProcess, spawn } from 'node:child_process';
import net from 'node:net';
import { rootlessAddress } from './pasta';
import { type PortMapping } from './publish-spec';

/** What {@link slirp4netnsArgs} needs. */
export interface Slirp4netnsArgsOptions {
  /** The pause whose namespaces slirp4netns joins. */
  pid: number;
  /** The API socket's path as slirp4netns binds it (relative to its working directory, to stay short). */
  apiSocket: string;
  /** The gateway address reaches the host's loopback (off here unless asked: `--disable-host-loopback`). */
  hostLoopback?: boolean;
}

/**
 * slirp4netns's arguments: the tap configured (10.0.2.100/24 via 10.0.2.2), MTU 65520, its own sandbox and
 * seccomp filter, fd 3 the exit fd and fd 4 the ready fd, the API socket for the ports.
 *
 * @example
 * slirp4netnsArgs({ pid: 4242, apiSocket: 'slirp4netns.sock' });
 * // ['--configure', '--mtu=65520', '--disable-host-loopback', ..., '4242', 'eth0']
 */
export function slirp4netnsArgs(options: Slirp4netnsArgsOptions): string[] {
  return [
    '--configure',
    '--mtu=65520',
    ...(options.hostLoopback === true ? [] : ['--disable-host-loopback']),
    '--enable-sandbox',
    '--enable-seccomp',
    '--exit-fd=3',
    '--ready-fd=4',
    '--api-socket',
    options.apiSocket,
    String(options.pid),
    rootlessAddress.ifname,
  ];
}

/**
 * Starts slirp4netns (binary `file`) in `cwd`, where its API socket goes. stdio: 0 ignored, 1 and 2 piped
 * (its messages), 3 the exit socket (close it to stop slirp4netns), 4 the ready socket (`1` when ready).
 *
 * @example
 * const slirp = startSlirp4netns('/usr/bin/slirp4netns', stateDir, { pid, apiSocket: 'slirp4netns.sock' });
 */
export function startSlirp4netns(file: string, cwd: string, options: Slirp4netnsArgsOptions): ChildProcess {
  return spawn(file, slirp4netnsArgs(options), { cwd, env: {}, stdio: ['ignore', 'pipe', 'pipe', 'pipe', 'pipe'] });
}

/**
 * One `add_hostfwd` request on slirp4netns's API socket at `socketPath`; rejects with slirp4netns's answer
 * when it refuses.
 *
 * @example
 * await addHostForward('/proc/self/fd/21/slirp4netns.sock', parsePublish('127.0.0.1:8080:80'));
 */
export function addHostForward(socketPath: string, m: PortMapping): Promise<void> {
  const request = {
    execute: 'add_hostfwd',
    arguments: { proto: m.protocol, host_addr: m.hostIP, host_port: m.hostPort, guest_port: m.podPort },
  };
  return new Promise((resolve, reject) => {
    let answer = '';
    const socket = net.connect(socketPath);
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (answer += chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      try {
        const parsed = JSON.parse(answer) as { return?: unknown; error?: { desc?: string } };
        if (parsed.return !== undefined) resolve();
        else reject(new Error(`slirp4netns refused add_hostfwd: ${parsed.error?.desc ?? answer}`));
      } catch {
        reject(new Error(`slirp4netns answered add_hostfwd with ${JSON.stringify(answer)}`));
      }
    });
    socket.end(JSON.stringify(request));
  });
}
