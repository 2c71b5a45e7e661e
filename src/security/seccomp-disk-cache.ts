/**
 * Compiled seccomp filters kept on disk between runs: building containerd's profile with libseccomp
 * costs ~20 ms, reading its BPF back ~0.1 ms. A filter is security-relevant, so the cache is used only
 * where nobody else could have written it: a directory and files owned by this user, writable by no
 * one else, read without following symlinks. The key covers the profile's content and the addon that
 * compiled it (a rebuilt addon — a new ENOSYS stub, a new libseccomp — makes new filters).
 * @module
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { SeccompFilter } from './seccomp-types';

/** A directory that only this user can have written: owned by us, no group/other write, no symlink. */
function privateDir(dir: string): boolean {
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const st = fs.lstatSync(dir);
    return st.isDirectory() && st.uid === process.geteuid!() && (st.mode & 0o022) === 0;
  } catch {
    return false;
  }
}

const magic = 'pod-init-seccomp-1\n';

/**
 * The filter cached under `key`, or undefined (absent, or not trustworthy).
 *
 * @example
 * readCachedFilter('/run/pod-init/.cache/seccomp', key) ?? compile();
 */
export function readCachedFilter(dir: string, key: string): SeccompFilter | undefined {
  if (!privateDir(dir)) return undefined;
  let fd: number;
  try {
    fd = fs.openSync(path.join(dir, `${key}.bpf`), fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
  } catch {
    return undefined;
  }
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile() || st.uid !== process.geteuid!() || (st.mode & 0o022) !== 0) return undefined;
    const data = fs.readFileSync(fd);
    const headerEnd = data.indexOf(0x0a, magic.length);
    if (data.subarray(0, magic.length).toString() !== magic || headerEnd < 0) return undefined;
    const header = JSON.parse(data.subarray(magic.length, headerEnd).toString()) as {
      key: string;
      unknownSyscalls: string[];
      compiledBy?: 'ranges' | 'libseccomp';
    };
    const bpf = Buffer.from(data.subarray(headerEnd + 1));
    if (header.key !== key || bpf.length === 0 || bpf.length % 8 !== 0) return undefined;
    return Object.freeze({
      bpf,
      unknownSyscalls: Object.freeze([...header.unknownSyscalls]),
      ...(header.compiledBy !== undefined ? { compiledBy: header.compiledBy } : {}),
    });
  } catch {
    return undefined;
  } finally {
    fs.closeSync(fd);
  }
}

/** Stores a filter under `key` (a new file, then renamed into place); failures are ignored. */
export function writeCachedFilter(dir: string, key: string, filter: SeccompFilter): void {
  if (!privateDir(dir)) return;
  const header = JSON.stringify({
    key,
    unknownSyscalls: filter.unknownSyscalls,
    ...(filter.compiledBy !== undefined ? { compiledBy: filter.compiledBy } : {}),
  });
  const tmp = path.join(dir, `.${key}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const fd = fs.openSync(tmp, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL, 0o600);
    try {
      fs.writeFileSync(fd, Buffer.concat([Buffer.from(`${magic}${header}\n`), filter.bpf]));
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, path.join(dir, `${key}.bpf`));
  } catch {
    fs.rmSync(tmp, { force: true });
  }
}
