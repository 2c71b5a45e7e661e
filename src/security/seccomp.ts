/**
 * Seccomp for containers: profiles (OCI/Docker JSON files, containerd's RuntimeDefault) and their compilation
 * to a BPF program with libseccomp (native/seccomp.cc), then, where it is shown to give the same verdicts (but on
 * the arguments the kernel reads as 32 bits: seccomp-int-args.ts), as a much shorter search over syscall-number
 * ranges (seccomp-ranges.ts). A profile is compiled once and cached by
 * its content: building costs milliseconds, loading the prebuilt program in a child well under one.
 * @module
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { addonPath, native } from '../native';
import { decodeBpf, firstDifference } from './bpf-interpreter';
import { readCachedFilter, writeCachedFilter } from './seccomp-disk-cache';
import { kernelView } from './seccomp-int-args';
import { rangeFilter } from './seccomp-ranges';
import type { SeccompFilter, SeccompProfile } from './seccomp-types';

export type {
  SeccompAction,
  SeccompArchitecture,
  SeccompFilter,
  SeccompOperator,
  SeccompProfile,
  SeccompSyscall,
  SeccompValue,
} from './seccomp-types';
export { loadLocalhostProfile, parseSeccompProfile, SeccompProfileError } from './seccomp-parse';
export type { ProfileConditions } from './seccomp-parse';
export { runtimeDefaultProfile } from './seccomp-default';

/** How many compiled filters are kept (one per capability set or Localhost file in practice). */
const cacheLimit = 64;
const cache = new Map<string, SeccompFilter>();
/** Changes whenever the way a profile becomes a program changes: filters cached on disk by an older way are not read. */
const generation = 'ranges-2';

/** A stable text of the profile: bigint values written as `"<digits>n"` (JSON has no 64-bit integers). */
function canonical(profile: SeccompProfile): string {
  return JSON.stringify(profile, (_key, value: unknown) => (typeof value === 'bigint' ? `${value}n` : value));
}

/** Options of {@link compileSeccomp}. */
export interface CompileOptions {
  /**
   * A directory to keep compiled filters in across processes (seccomp-disk-cache.ts): used only when it
   * and its files are this user's alone.
   */
  cacheDir?: string;
}

let identity: string | undefined;

/** The addon that compiles (its size and mtime): a rebuilt one never reads an older one's filters. */
function addonIdentity(): string {
  if (identity === undefined) {
    const st = fs.statSync(addonPath);
    identity = `${st.size}:${st.mtimeMs}:${process.arch}`;
  }
  return identity;
}

/** The shape native/seccomp.cc reads. */
function nativeShape(profile: SeccompProfile): object {
  return {
    defaultAction: profile.defaultAction,
    defaultErrno: profile.defaultErrnoRet,
    architectures: profile.architectures,
    syscalls: profile.syscalls.map((rule) => ({
      names: rule.names,
      action: rule.action,
      errno: rule.errnoRet,
      args: rule.args ?? [],
    })),
  };
}

/**
 * Compiles a profile to a seccomp BPF program, or returns the one compiled before for the same profile
 * (same content, same object). Syscall names this libseccomp does not know are skipped and listed in
 * `unknownSyscalls`; any syscall number above the highest the profile names gets ENOSYS, not the default
 * action, so that libc falls back from syscalls newer than the filter. Throws on a profile libseccomp refuses,
 * naming the rule.
 * @example
 * const filter = compileSeccomp(runtimeDefaultProfile(defaultCapabilities));
 * spawn({ file: 'sh', args: ['-c', 'true'], seccomp: filter });
 */
export function compileSeccomp(profile: SeccompProfile, options: CompileOptions = {}): SeccompFilter {
  const key = createHash('sha256').update(generation).update(addonIdentity()).update(canonical(profile)).digest('hex');
  const cached = cache.get(key) ?? (options.cacheDir ? readCachedFilter(options.cacheDir, key) : undefined);
  if (cached !== undefined) {
    cache.set(key, cached);
    return cached;
  }
  const compiled = native.compileSeccomp(nativeShape(profile));
  const ranges = equivalentRanges(profile, compiled.bpf);
  const filter: SeccompFilter = Object.freeze({
    bpf: ranges ?? compiled.bpf,
    unknownSyscalls: Object.freeze([...compiled.unknownSyscalls]),
    compiledBy: ranges !== undefined ? 'ranges' : 'libseccomp',
  });
  if (options.cacheDir) writeCachedFilter(options.cacheDir, key, filter);
  if (cache.size >= cacheLimit) cache.delete(cache.keys().next().value as string);
  cache.set(key, filter);
  return filter;
}

/**
 * libseccomp's program of `profile` (what containerd/runc load), without the range search: the reference the
 * range search is checked against, and the negative control of tests and benches.
 *
 * @example
 * const reference = libseccompProgram(runtimeDefaultProfile(defaultCapabilities)); // classic BPF bytes
 */
export function libseccompProgram(profile: SeccompProfile): Buffer {
  return native.compileSeccomp(nativeShape(profile)).bpf;
}

/**
 * The profile as a range search (seccomp-ranges.ts) when that is shorter than libseccomp's program `reference`
 * and gives the same action for every syscall number region and argument value either program tells apart, on
 * every architecture of the filter (bpf-interpreter.ts), libseccomp's being given the arguments as the kernel
 * reads them (the one difference allowed: the range search compares 32-bit arguments by their low words,
 * seccomp-int-args.ts); else undefined (libseccomp's program is used).
 */
function equivalentRanges(profile: SeccompProfile, reference: Buffer): Buffer | undefined {
  const names = [...new Set(profile.syscalls.flatMap((rule) => rule.names))];
  const resolved = native.seccompResolve(profile.architectures, names);
  const ranges = rangeFilter(profile, resolved, names);
  if (ranges === undefined || ranges.length >= reference.length) return undefined;
  const audits = [...new Set(resolved.arches.map((a) => a.audit))];
  try {
    const view = kernelView(resolved, names);
    return firstDifference(decodeBpf(ranges), decodeBpf(reference), audits, view) === undefined ? ranges : undefined;
  } catch {
    return undefined; // an opcode the interpreter does not know: not shown equal, so not used
  }
}
