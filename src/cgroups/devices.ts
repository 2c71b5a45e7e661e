/**
 * The container device rules (SECURITY.md §2.4, runc's fixed allow list `AllowedDevices`): deny everything, then
 * allow mknod of any node (opening it stays denied), the minimal /dev, ptys and /dev/net/tun. Privileged
 * containers get `a *:* rwm`. v1 writes them to `devices.deny/allow`; v2 attaches them as a
 * BPF_PROG_TYPE_CGROUP_DEVICE program (device-program.ts), parsed here by {@link parseDeviceRule}.
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

/** One allow rule, as the v2 device program takes it: `null` is the `*` wildcard. */
export interface DeviceRule {
  /** `a` any, `b` block, `c` char. */
  type: 'a' | 'b' | 'c';
  major: number | null;
  minor: number | null;
  /** One or more of `r` (read), `w` (write), `m` (mknod). */
  access: string;
}

/** Linux device numbers: 12-bit major, 20-bit minor (MAJOR/MINOR in linux/kdev_t.h). */
const maxMajor = 0xfff;
const maxMinor = 0xfffff;

function deviceNumber(text: string, max: number, what: string, line: string): number | null {
  if (text === '*') return null;
  if (!/^\d+$/.test(text) || Number(text) > max)
    throw new Error(`device rule ${JSON.stringify(line)}: ${what} must be * or a number from 0 to ${max}`);
  return Number(text);
}

/**
 * Parses a `devices.allow` line (cgroup v1 syntax: `type major:minor access`, or `a` alone for everything).
 *
 * @example
 * parseDeviceRule('c 136:* rwm'); // { type: 'c', major: 136, minor: null, access: 'rwm' }
 * parseDeviceRule('a'); // { type: 'a', major: null, minor: null, access: 'rwm' }
 */
export function parseDeviceRule(line: string): DeviceRule {
  const fields = line.trim().split(/\s+/);
  if (fields.length === 1 && fields[0] === 'a') return { type: 'a', major: null, minor: null, access: 'rwm' };
  const [type, numbers, access = 'rwm'] = fields;
  if (fields.length < 2 || fields.length > 3 || (type !== 'a' && type !== 'b' && type !== 'c'))
    throw new Error(`device rule ${JSON.stringify(line)}: expected "a|b|c major:minor [rwm]"`);
  const [major = '', minor, ...rest] = (numbers ?? '').split(':');
  if (minor === undefined || rest.length > 0)
    throw new Error(`device rule ${JSON.stringify(line)}: expected major:minor, each a number or *`);
  if (!/^[rwm]{1,3}$/.test(access) || new Set(access).size !== access.length)
    throw new Error(`device rule ${JSON.stringify(line)}: access must be one or more of r, w, m`);
  return {
    type,
    major: deviceNumber(major, maxMajor, 'major', line),
    minor: deviceNumber(minor, maxMinor, 'minor', line),
    access,
  };
}

/**
 * The rules of the v2 device program for a container; `undefined` for a privileged one (it gets every device:
 * no program is attached).
 *
 * @example
 * deviceProgramRules(false)?.[2]; // { type: 'c', major: 1, minor: 3, access: 'rwm' }
 * deviceProgramRules(true); // undefined
 */
export function deviceProgramRules(privileged: boolean): DeviceRule[] | undefined {
  return privileged ? undefined : defaultDeviceAllowList.map(parseDeviceRule);
}
