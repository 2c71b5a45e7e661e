import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * Runs `argv` as uid/gid 65534 in a private mount namespace whose /dev/net/tun is a fresh node (char 10:200)
 * of mode `tunMode`: rootless pasta and slirp4netns need it openable (Debian's udev rule makes it 0666; these
 * hosts have 0600 without udev), and the host's own node is never touched. The node lives on a tmpfs mounted
 * in that namespace only; the returned process *is* `argv[0]` (unshare, sh and setpriv exec into it), so its
 * pid is the program's. Needs root, util-linux (unshare, setpriv) and coreutils (mknod).
 *
 * @example
 * const child = asNobodyWithTun([process.execPath, 'pod-init.js', 'run', '-'], { tunMode: 0o666, env, cwd });
 */
export function asNobodyWithTun(
  argv: string[],
  options: { tunMode: number; env: NodeJS.ProcessEnv; cwd: string },
): ChildProcess {
  const mountPoint = fs.mkdtempSync(path.join(os.tmpdir(), 'pod-init-tun-'));
  const script = [
    'set -e',
    'mount -t tmpfs -o mode=0755,size=64k tmpfs "$1"',
    `mknod -m ${options.tunMode.toString(8).padStart(4, '0')} "$1/tun" c 10 200`,
    'mount --bind "$1/tun" /dev/net/tun',
    'umount "$1"',
    'shift',
    'exec setpriv --reuid=65534 --regid=65534 --clear-groups -- "$@"',
  ].join('\n');
  const child = spawn(
    'unshare',
    ['-m', '--propagation', 'private', '--', 'sh', '-c', script, 'sh', mountPoint, ...argv],
    {
      cwd: options.cwd,
      env: { ...options.env, PATH: options.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin' },
      stdio: ['pipe', 'pipe', 'pipe'],
    },
  );
  child.once('exit', () => fs.rmSync(mountPoint, { recursive: true, force: true }));
  return child;
}
