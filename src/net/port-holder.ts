/**
 * Who holds a host port: the socket's inode from /proc/net/{tcp,udp}{,6} of this network namespace, then
 * the process with an fd on it from /proc/PID/fd. Without root only the caller's own processes' fds are
 * readable, so another user's holder is not found. Shared by the root path (host-ports.ts) and the
 * rootless helpers' port check (rootless-network.ts).
 * @module
 */
import fs from 'node:fs';
import type { PortMapping } from './publish-spec';

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
