/**
 * Reading a seccomp profile file, in the OCI `LinuxSeccomp` form or Docker's (moby `profiles/seccomp`: `archMap`,
 * `name`/`names`, `includes`/`excludes` on capabilities, architectures and kernel version), resolved for one
 * container into a {@link SeccompProfile}. Also the kubelet's Localhost rule: `<root>/<localhostProfile>`.
 * @module
 */
import fs from 'node:fs';
import path from 'node:path';
import {
  seccompActions,
  seccompArchitectures,
  seccompOperators,
  type SeccompAction,
  type SeccompArchitecture,
  type SeccompArg,
  type SeccompProfile,
  type SeccompSyscall,
  type SeccompValue,
} from './seccomp-types';

/**
 * A profile file that cannot be used: which file, which field, what was expected.
 * @example
 * // seccomp profile /var/lib/kubelet/seccomp/p.json: syscalls[2].action: unsupported value "SCMP_ACT_X"; expected one of …
 * if (error instanceof SeccompProfileError) console.error(error.message);
 */
export class SeccompProfileError extends Error {
  constructor(
    readonly source: string,
    readonly field: string,
    detail: string,
  ) {
    super(`seccomp profile ${source}: ${field === '' ? '' : `${field}: `}${detail}`);
    this.name = 'SeccompProfileError';
  }
}

/** What a Docker profile's conditions are resolved against. */
export interface ProfileConditions {
  /** The container's capability bounding set, 'CAP_X' names. */
  capabilities: readonly string[];
  /** Node's `process.arch` of the host (default: this one). */
  arch?: string;
  /** The kernel release, for `includes.minKernel` (default: this one, `os.release()`). */
  kernelRelease?: string;
}

type Json = unknown;
type JsonObject = Record<string, Json>;

/** Go's GOARCH for Node's arch: the names Docker profiles use in `includes.arches`. */
const goArch: Readonly<Record<string, string>> = { x64: 'amd64', arm64: 'arm64', ia32: '386', arm: 'arm' };
/** The native SCMP_ARCH_* of Node's arch: which `archMap` entry applies. */
const nativeArch: Readonly<Record<string, SeccompArchitecture>> = {
  x64: 'SCMP_ARCH_X86_64',
  arm64: 'SCMP_ARCH_AARCH64',
  ia32: 'SCMP_ARCH_X86',
  arm: 'SCMP_ARCH_ARM',
};

const topFields = [
  'defaultAction',
  'defaultErrnoRet',
  'architectures',
  'archMap',
  'syscalls',
  'flags',
  'listenerPath',
  'listenerMetadata',
];
const ruleFields = ['names', 'name', 'action', 'errnoRet', 'args', 'comment', 'includes', 'excludes'];
const argFields = ['index', 'value', 'valueTwo', 'op'];
const conditionFields = ['caps', 'arches', 'minKernel'];

/**
 * JSON integers above 2^53 (64-bit masks) would lose their low bits in JSON.parse: such literals (outside
 * strings) are turned into strings `"<digits>n"` first, and read back as bigint where a value is expected.
 */
function protectLargeIntegers(text: string): string {
  return text.replace(/"(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/g, (token) =>
    /^\d+$/.test(token) && !Number.isSafeInteger(Number(token)) ? `"${token}n"` : token,
  );
}

class Reader {
  constructor(readonly source: string) {}

  fail(field: string, detail: string): never {
    throw new SeccompProfileError(this.source, field, detail);
  }

  object(value: Json, field: string, allowed: readonly string[]): JsonObject {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) this.fail(field, 'expected an object');
    for (const key of Object.keys(value))
      if (!allowed.includes(key))
        this.fail(field === '' ? key : `${field}.${key}`, `unknown field; expected one of ${allowed.join(', ')}`);
    return value as JsonObject;
  }

  array(value: Json, field: string): Json[] {
    if (value === undefined || value === null) return [];
    if (!Array.isArray(value)) this.fail(field, 'expected an array');
    return value;
  }

  string(value: Json, field: string): string {
    if (typeof value !== 'string' || value === '') this.fail(field, 'expected a non-empty string');
    return value;
  }

  strings(value: Json, field: string): string[] {
    return this.array(value, field).map((item, i) => this.string(item, `${field}[${i}]`));
  }

  oneOf<T extends string>(value: Json, field: string, allowed: readonly T[]): T {
    const text = this.string(value, field);
    if (!(allowed as readonly string[]).includes(text))
      this.fail(field, `unsupported value "${text}"; expected one of ${allowed.join(', ')}`);
    return text as T;
  }

  errno(value: Json, field: string): number | undefined {
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 65535)
      this.fail(field, 'expected an errno number from 0 to 65535');
    return value;
  }

  value(value: Json, field: string): SeccompValue {
    if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return value;
    if (typeof value === 'string' && /^\d+n$/.test(value)) {
      const big = BigInt(value.slice(0, -1));
      if (big <= 0xffffffffffffffffn) return big;
    }
    return this.fail(field, 'expected an integer from 0 to 2^64-1');
  }
}

function action(r: Reader, value: Json, field: string): SeccompAction {
  if (value === 'SCMP_ACT_NOTIFY') r.fail(field, 'SCMP_ACT_NOTIFY (a seccomp agent) is not supported by pod-init');
  return r.oneOf(value, field, seccompActions);
}

function args(r: Reader, value: Json, field: string): SeccompArg[] {
  return r.array(value, field).map((item, i) => {
    const at = `${field}[${i}]`;
    const a = r.object(item, at, argFields);
    const index = a.index;
    if (typeof index !== 'number' || !Number.isInteger(index) || index < 0 || index > 5)
      r.fail(`${at}.index`, 'expected an argument index from 0 to 5');
    const arg: SeccompArg = {
      index,
      value: r.value(a.value, `${at}.value`),
      op: r.oneOf(a.op, `${at}.op`, seccompOperators),
    };
    if (a.valueTwo !== undefined && a.valueTwo !== null) arg.valueTwo = r.value(a.valueTwo, `${at}.valueTwo`);
    return arg;
  });
}

/** "6.18.0-foo" → [6, 18]; compared with Docker's "4.8"-style `minKernel`. */
function kernelAtLeast(release: string, minimum: string): boolean {
  const have = /^(\d+)\.(\d+)/.exec(release);
  const want = /^(\d+)\.(\d+)$/.exec(minimum);
  if (have === null || want === null) return false;
  const [hMajor, hMinor, wMajor, wMinor] = [have[1], have[2], want[1], want[2]].map(Number) as [
    number,
    number,
    number,
    number,
  ];
  return hMajor > wMajor || (hMajor === wMajor && hMinor >= wMinor);
}

/** Docker's `includes` (all must hold) and `excludes` (none may hold) of one rule. */
function applies(r: Reader, rule: JsonObject, field: string, conditions: Required<ProfileConditions>): boolean {
  const arch = goArch[conditions.arch] ?? conditions.arch;
  if (rule.includes !== undefined && rule.includes !== null) {
    const inc = r.object(rule.includes, `${field}.includes`, conditionFields);
    const caps = r.strings(inc.caps, `${field}.includes.caps`);
    if (!caps.every((c) => conditions.capabilities.includes(c))) return false;
    const arches = r.strings(inc.arches, `${field}.includes.arches`);
    if (arches.length > 0 && !arches.includes(arch)) return false;
    if (inc.minKernel !== undefined && inc.minKernel !== null) {
      const min = r.string(inc.minKernel, `${field}.includes.minKernel`);
      if (!/^\d+\.\d+$/.test(min)) r.fail(`${field}.includes.minKernel`, `expected "<major>.<minor>", got "${min}"`);
      if (!kernelAtLeast(conditions.kernelRelease, min)) return false;
    }
  }
  if (rule.excludes !== undefined && rule.excludes !== null) {
    const exc = r.object(rule.excludes, `${field}.excludes`, conditionFields);
    if (r.strings(exc.caps, `${field}.excludes.caps`).some((c) => conditions.capabilities.includes(c))) return false;
    if (r.strings(exc.arches, `${field}.excludes.arches`).includes(arch)) return false;
    if (exc.minKernel !== undefined && exc.minKernel !== null)
      r.fail(`${field}.excludes.minKernel`, 'not supported (Docker has no excludes.minKernel)');
  }
  return true;
}

function architectures(r: Reader, top: JsonObject, arch: string): SeccompArchitecture[] {
  const hasList = top.architectures !== undefined && top.architectures !== null;
  const hasMap = top.archMap !== undefined && top.archMap !== null;
  if (hasList && hasMap)
    r.fail('archMap', "'architectures' and 'archMap' were both given; use either 'architectures' or 'archMap'");
  if (hasList)
    return r
      .array(top.architectures, 'architectures')
      .map((a, i) => r.oneOf(a, `architectures[${i}]`, seccompArchitectures));
  const native = nativeArch[arch];
  for (const [i, entry] of r.array(top.archMap, 'archMap').entries()) {
    const e = r.object(entry, `archMap[${i}]`, ['architecture', 'subArchitectures']);
    const main = r.oneOf(e.architecture, `archMap[${i}].architecture`, seccompArchitectures);
    const subs = r
      .array(e.subArchitectures, `archMap[${i}].subArchitectures`)
      .map((s, j) => r.oneOf(s, `archMap[${i}].subArchitectures[${j}]`, seccompArchitectures));
    if (main === native) return [main, ...subs];
  }
  return []; // the native architecture only (libseccomp always includes it)
}

function syscall(
  r: Reader,
  item: Json,
  field: string,
  conditions: Required<ProfileConditions>,
): SeccompSyscall | undefined {
  const rule = r.object(item, field, ruleFields);
  const hasNames = rule.names !== undefined && rule.names !== null;
  const hasName = rule.name !== undefined && rule.name !== null;
  if (hasNames && hasName) r.fail(field, "'name' and 'names' were both given; use either 'name' or 'names'");
  if (!hasNames && !hasName) r.fail(`${field}.names`, 'expected at least one syscall name');
  const names = hasName ? [r.string(rule.name, `${field}.name`)] : r.strings(rule.names, `${field}.names`);
  if (names.length === 0) r.fail(`${field}.names`, 'expected at least one syscall name');
  const result: SeccompSyscall = { names, action: action(r, rule.action, `${field}.action`) };
  const errnoRet = r.errno(rule.errnoRet, `${field}.errnoRet`);
  if (errnoRet !== undefined) result.errnoRet = errnoRet;
  const ruleArgs = args(r, rule.args, `${field}.args`);
  if (ruleArgs.length > 0) result.args = ruleArgs;
  return applies(r, rule, field, conditions) ? result : undefined;
}

/**
 * Reads an OCI or Docker seccomp profile (JSON text) for a container with the given capabilities. `source`
 * names the file in errors. Docker's conditions are resolved here: a rule whose `includes` do not all hold or
 * one of whose `excludes` holds is left out; `archMap` gives the entry of this host's architecture.
 * @example
 * const profile = parseSeccompProfile(fs.readFileSync(file, 'utf8'), file, { capabilities: ['CAP_CHOWN'] });
 */
export function parseSeccompProfile(text: string, source: string, conditions: ProfileConditions): SeccompProfile {
  const r = new Reader(source);
  let json: Json;
  try {
    json = JSON.parse(protectLargeIntegers(text));
  } catch (error) {
    return r.fail('', `not valid JSON: ${(error as Error).message}`);
  }
  const resolved: Required<ProfileConditions> = {
    capabilities: conditions.capabilities,
    arch: conditions.arch ?? process.arch,
    kernelRelease: conditions.kernelRelease ?? fs.readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim(),
  };
  const top = r.object(json, '', topFields);
  if (top.defaultAction === undefined) r.fail('defaultAction', 'required: the action for syscalls no rule matches');
  const profile: SeccompProfile = {
    defaultAction: action(r, top.defaultAction, 'defaultAction'),
    architectures: architectures(r, top, resolved.arch),
    syscalls: [],
  };
  const defaultErrnoRet = r.errno(top.defaultErrnoRet, 'defaultErrnoRet');
  if (defaultErrnoRet !== undefined) profile.defaultErrnoRet = defaultErrnoRet;
  if (r.array(top.flags, 'flags').length > 0) r.fail('flags', 'seccomp filter flags are not supported by pod-init');
  if (top.listenerPath !== undefined && top.listenerPath !== '' && top.listenerPath !== null)
    r.fail('listenerPath', 'a seccomp agent (SCMP_ACT_NOTIFY) is not supported by pod-init');
  for (const [i, item] of r.array(top.syscalls, 'syscalls').entries()) {
    const rule = syscall(r, item, `syscalls[${i}]`, resolved);
    if (rule !== undefined) profile.syscalls.push(rule);
  }
  return profile;
}

/**
 * The kubelet's `Localhost` profile: the file `<root>/<name>` (root is `--seccomp-profile-root`, by default
 * `/var/lib/kubelet/seccomp`), read and parsed for a container with these capabilities. A name that is absolute
 * or has a `..` component is refused: it must stay under root.
 * @example
 * const profile = loadLocalhostProfile('/var/lib/kubelet/seccomp', 'profiles/audit.json', capabilities);
 */
export function loadLocalhostProfile(root: string, name: string, capabilities: readonly string[]): SeccompProfile {
  const field = 'securityContext.seccompProfile.localhostProfile';
  if (name === '')
    throw new SeccompProfileError(root, field, 'localhostProfile must be set if seccompProfile type is Localhost.');
  if (path.isAbsolute(name))
    throw new SeccompProfileError(name, field, 'must be a relative path (under the profile root)');
  if (name.split('/').includes('..')) throw new SeccompProfileError(name, field, "must not contain '..'");
  const file = path.join(root, name);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    throw new SeccompProfileError(file, '', `cannot load it: ${e.code ?? ''} ${e.message}`.trim());
  }
  return parseSeccompProfile(text, file, { capabilities });
}
