/**
 * Mount targets a volume (or its subPath, or the termination-message file) may not take (escape E7):
 * the kernel interfaces a container's confinement depends on. A bind at or under /proc could shadow
 * /proc/self/attr, /proc/sys or the whole /proc with a fake one (where the container's own writes and
 * pod-init's checks go: CVE-2025-52881's redirection), one under /sys the read-only sysfs of a
 * non-privileged container, one at /dev/pts the container's devpts (CVE-2025-52565's /dev/console
 * class). runc refuses mounts onto /proc except a fresh or bound procfs on /proc itself and a few files
 * lxcfs emulates (`checkProcMount`); pod-init never plans a procfs volume, so it refuses /proc itself
 * outright, allows runc's lxcfs files, refuses /sys unless the container is privileged (it has the
 * host's /sys anyway), and refuses /dev/pts always.
 * @module
 */
import path from 'node:path';

/** The files under /proc a volume may be mounted on: what lxcfs emulates (runc's `validProcMounts`). */
export const lxcfsProcFiles: readonly string[] = [
  '/proc/cpuinfo',
  '/proc/diskstats',
  '/proc/meminfo',
  '/proc/stat',
  '/proc/swaps',
  '/proc/uptime',
  '/proc/loadavg',
  '/proc/slabinfo',
  '/proc/net/dev',
  '/proc/sys/kernel/ns_last_pid',
  '/proc/sys/crypto/fips_enabled',
];

const within = (p: string, dir: string) => p === dir || p.startsWith(`${dir}/`);

/**
 * Why `target` (an absolute container path) may not be a mount target, or undefined when it may.
 * `..`, `.` and repeated or trailing slashes are normalised first.
 *
 * @example
 * specialTargetProblem('/proc/self/attr', false); // 'cannot be mounted because it is inside /proc (…)'
 * specialTargetProblem('/proc/meminfo', false); // undefined (lxcfs)
 * specialTargetProblem('/sys/fs/cgroup', true); // undefined (privileged)
 */
export function specialTargetProblem(target: string, privileged: boolean): string | undefined {
  const p = path.posix.normalize(`/${target}`).replace(/(.)\/+$/, '$1');
  if (p === '/proc')
    return "cannot be mounted on /proc: the container's /proc is a procfs of its own, and a volume there would replace it";
  if (within(p, '/proc') && !lxcfsProcFiles.includes(p))
    return (
      'cannot be mounted because it is inside /proc (only the files lxcfs emulates may be: ' +
      `${lxcfsProcFiles.join(', ')})`
    );
  if (within(p, '/sys') && !privileged)
    return 'cannot be mounted because it is inside /sys (only a privileged container may mount there)';
  if (within(p, '/dev/pts')) return "cannot be mounted on or inside /dev/pts (the container's own devpts)";
  return undefined;
}
