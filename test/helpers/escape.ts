// Shared parts of the escape tests (test/escapes/): the /proc attacker compiled once per file,
// containerd's default capability set for a root container, and the attacker's report lines.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { defaultCapabilities } from '../../src/pod/security/capabilities';
import type { CapabilitySets } from '../../src/security/capabilities';

/** containerd's `oci.DefaultCapabilities` (SECURITY.md §1): what a default root container holds. */
export const containerdCapabilities = defaultCapabilities;

/** The sets containerd gives a root container (no ambient, no inheritable). */
export const rootContainerCapabilities: CapabilitySets = {
  bounding: containerdCapabilities,
  permitted: containerdCapabilities,
  effective: containerdCapabilities,
  inheritable: [],
  ambient: [],
};

/** Compiles test/fixtures/<name>.c into `dir` (cc, -Werror) and returns the binary's path. */
export function compileFixture(name: string, dir: string, extra: string[] = []): string {
  const out = path.join(dir, name);
  const source = path.resolve(__dirname, '../fixtures', `${name}.c`);
  execFileSync('cc', ['-O2', '-Wall', '-Wextra', '-Werror', ...extra, '-o', out, source], { stdio: 'inherit' });
  return out;
}

/** A temporary directory for a test file, removed by the returned function. */
export function tempDir(prefix: string): { dir: string; remove: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  fs.chmodSync(dir, 0o755);
  return { dir, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** One line of proc-attacker: what it found out about one pid of the pod. */
export interface AttackReport {
  pid: number;
  comm: string;
  /** The comm after the attack: '-' when the pid was gone, another one when it exec'd meanwhile. */
  after: string;
  /** The target's /proc/<pid>/exe, or '-' when the attacker could not read it. */
  exe: string;
  /** What worked: mem, environ, exe, exe-write, root, cwd, fd, vm_readv, ptrace. */
  ok: string[];
  /** The target's open fds as `n=link`, when `fd` worked. */
  fds: string[];
}

/** The `seen` lines of proc-attacker's output. */
export function parseAttackReports(lines: readonly string[]): AttackReport[] {
  const reports: AttackReport[] = [];
  for (const line of lines) {
    const m = /^seen (\d+) comm=(.*) after=(.*) exe=(.*) ok=(\S+) fds=(.*)$/.exec(line);
    if (!m) continue;
    reports.push({
      pid: Number(m[1]),
      comm: m[2]!,
      after: m[3]!,
      exe: m[4]!,
      ok: m[5] === '-' ? [] : m[5]!.split(','),
      fds: m[6] === '' ? [] : m[6]!.split('|'),
    });
  }
  return reports;
}
