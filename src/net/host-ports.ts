/**
 * Holding a pod's host ports (NETWORKING.md §6.4, the kubelet's old "hostport holder", podman's conmon):
 * each published host port gets a socket bound to it (never listening, close-on-exec) kept open for the
 * pod's life, so a host process cannot take a port whose traffic the DNAT sends to the pod, and a port
 * already in use is found before anything of the pod is made. The holder of a port in use is named from
 * /proc/net/{tcp,udp}{,6} (the socket's inode) and /proc/PID/fd.
 * @module
 */
import fs from 'node:fs';
import { native } from '../native';
import { hostSide, type PortMapping } from './port-mappings';

/** A host port is bound by someone else. */
export class HostPortInUseError extends Error {
  readonly mapping: PortMapping;
  /** The process holding it, when it could be found. */
  readonly holder: { pid: number; command: string } | undefined;

  constructor(mapping: PortMapping, holder: { pid: number; command: string } | undefined) {
    const who =
      holder === undefined
        ? 'by a process pod-init cannot see (another network namespace or user)'
        : `by PID ${holder.pid} (${holder.command})`;
    super(`host port ${hostSide(mapping)} is in use ${who}: free it or publish another port`);
    this.name = 'HostPortInUseError';
    this.mapping = mapping;
    this.holder = holder;
  }
}

/** The sockets holding a pod's host ports. */
export interface HeldPorts {
  readonly mappings: readonly PortMapping[];
  /** Closes every socket (idempotent). */
  close(): void;
}

/**
 * Binds every mapping's host port, or none: on EADDRINUSE the ones bound so far are closed and a
 * {@link HostPortInUseError} names the port and its holder. Other refusals (EADDRNOTAVAIL for a hostIP
 * that is not the host's, EACCES) are the kernel's PodSystemError.
 *
 * @example
 * const held = holdHostPorts([parsePublish('8080:80')]);
 * // ... the pod runs ...
 * held.close();
 */
export function holdHostPorts(mappings: readonly PortMapping[]): HeldPorts {
  const fds: number[] = [];
  const close = () => {
    while (fds.length > 0) native.close(fds.pop()!);
  };
  for (const m of mappings) {
    try {
      fds.push(native.bindHostPort(m.protocol, m.hostIP, m.hostPort));
    } catch (error) {
      close();
      if ((error as { code?: unknown }).code === 'EADDRINUSE') throw new HostPortInUseError(m, portHolder(m));
      throw error;
    }
  }
  return { mappings, close };
}

/**
 * The inodes of this network namespace's sockets bound to `port` (any address) from
 * /proc/net/<protocol>{,6}.
 */
function socketInodes(protocol: 'tcp' | 'udp', port: number): Set<string> {
  const inodes = new Set<string>();
  for (const file of [`/proc/net/${protocol}`, `/proc/net/${protocol}6`]) {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      const local = fields[1];
      const inode = fields[9];
      if (local === undefined || inode === undefined || inode === '0') continue;
      if (parseInt(local.slice(local.lastIndexOf(':') + 1), 16) === port) inodes.add(inode);
    }
  }
  return inodes;
}

/**
 * The process holding a host port: the first PID with an fd on one of the port's sockets, and its
 * command name; undefined when none is visible (another user's process without root, say).
 *
 * @example
 * portHolder(parsePublish('8080:80')); // { pid: 4242, command: 'python3' }
 */
export function portHolder(
  m: Pick<PortMapping, 'protocol' | 'hostPort'>,
): { pid: number; command: string } | undefined {
  const inodes = socketInodes(m.protocol, m.hostPort);
  if (inodes.size === 0) return undefined;
  const wanted = new Set([...inodes].map((inode) => `socket:[${inode}]`));
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let fds: string[];
    try {
      fds = fs.readdirSync(`/proc/${entry}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      let target: string;
      try {
        target = fs.readlinkSync(`/proc/${entry}/fd/${fd}`);
      } catch {
        continue;
      }
      if (!wanted.has(target)) continue;
      let command = '?';
      try {
        command = fs.readFileSync(`/proc/${entry}/comm`, 'utf8').trim();
      } catch {
        // gone meanwhile
      }
      return { pid: Number(entry), command };
    }
  }
  return undefined;
}
