/**
 * pasta (Debian package `passt`) for a pod's network namespace (NETWORKING.md §1, §6.5): its command line, and
 * the process started as a direct child of Node in the foreground (`-f`), so that its exit arrives through a
 * pidfd and it gets SIGKILL when pod-init dies (PR_SET_PDEATHSIG survives pasta's own namespace moves; pasta
 * does not notice on its own that the pause holding the namespace died — it lived on 28 s and more here).
 * Ready once it writes its pid file: `-P /dev/stdout`, a pipe, so readiness is an event, not a poll.
 * @module
 */
import type { PodProcess } from '../process/process';
import { spawn } from '../process/spawn';
import { anyHostIP, type PortMapping } from './publish-spec';

/** The pod side of a rootless network: the same for pasta and slirp4netns (slirp4netns's defaults). */
export const rootlessAddress = { address: '10.0.2.100', prefix: 24, gateway: '10.0.2.2', ifname: 'eth0' } as const;

/** What {@link pastaArgs} needs. */
export interface PastaArgsOptions {
  /** The pause whose namespaces pasta joins (user, then net). */
  pid: number;
  mappings: readonly PortMapping[];
  /** The gateway address reaches the host's loopback (pasta's default; off here unless asked). */
  hostLoopback?: boolean;
}

/**
 * pasta's arguments: foreground, quiet but errors on stderr, IPv4 only, explicit addresses, the published
 * ports (`-t`/`-u`, `ADDR/` when a host address is given), no automatic forwards in either direction
 * (`auto` is pasta's default for all four), the pid file on stdout as the ready signal.
 *
 * @example
 * pastaArgs({ pid: 4242, mappings: [parsePublish('127.0.0.1:8080:80')] });
 * // [..., '-t', '127.0.0.1/8080:80', '-u', 'none', '-T', 'none', '-U', 'none', '--no-map-gw', ..., '4242']
 */
export function pastaArgs(options: PastaArgsOptions): string[] {
  const a = rootlessAddress;
  const forwards = (protocol: 'tcp' | 'udp', flag: string): string[] => {
    const specs = options.mappings
      .filter((m) => m.protocol === protocol)
      .map((m) => `${m.hostIP === anyHostIP ? '' : `${m.hostIP}/`}${m.hostPort}:${m.podPort}`);
    return specs.length === 0 ? [flag, 'none'] : specs.flatMap((spec) => [flag, spec]);
  };
  return [
    '-f',
    '-q',
    '-e',
    '-4',
    '--config-net',
    '-I',
    a.ifname,
    '-a',
    a.address,
    '-n',
    String(a.prefix),
    '-g',
    a.gateway,
    ...forwards('tcp', '-t'),
    ...forwards('udp', '-u'),
    '-T',
    'none',
    '-U',
    'none',
    ...(options.hostLoopback === true ? [] : ['--no-map-gw']),
    '-P',
    '/dev/stdout',
    String(options.pid),
  ];
}

/**
 * Starts pasta for the pause `pid` (binary `file`, found on PATH by the caller). The returned process's
 * stdout carries the pid line when pasta is ready; its stderr, pasta's errors.
 *
 * @example
 * const pasta = startPasta('/usr/bin/pasta', { pid: sandbox.pid, mappings });
 */
export function startPasta(file: string, options: PastaArgsOptions): PodProcess {
  return spawn({
    file,
    args: pastaArgs(options),
    env: {},
    cwd: '/',
    stdio: ['ignore', 'pipe', 'pipe'],
    dieWithParent: 'SIGKILL',
  });
}
