/**
 * The v1 devices controller rules (SECURITY.md §2.4, runc's fixed allow list `AllowedDevices`): deny everything,
 * then allow mknod of any node (opening it stays denied), the minimal /dev, ptys and /dev/net/tun. Privileged
 * containers get `a *:* rwm`. v2 needs a BPF_PROG_TYPE_CGROUP_DEVICE program, which pod-init does not load.
 * @module
 */

/** `devices.allow` lines for a non-privileged container, after `devices.deny a`. */
export const defaultDeviceAllowList: readonly string[] = [
  'c *:* m',
  'b *:* m',
  'c 1:3 rwm', // /dev/null
  'c 1:8 rwm', // /dev/random
  'c 1:7 rwm', // /dev/full
  'c 5:0 rwm', // /dev/tty
  'c 1:5 rwm', // /dev/zero
  'c 1:9 rwm', // /dev/urandom
  'c 136:* rwm', // /dev/pts/*
  'c 5:2 rwm', // /dev/ptmx
  'c 10:200 rwm', // /dev/net/tun
];

/**
 * The writes that set a container's v1 device rules, in order: `[file, line]`.
 *
 * @example
 * deviceRuleWrites(false)[0]; // ['devices.deny', 'a']
 * deviceRuleWrites(true); // [['devices.allow', 'a *:* rwm']]
 */
export function deviceRuleWrites(privileged: boolean): Array<[file: string, line: string]> {
  if (privileged) return [['devices.allow', 'a *:* rwm']];
  return [['devices.deny', 'a'], ...defaultDeviceAllowList.map((line): [string, string] => ['devices.allow', line])];
}
