// A tiny root filesystem for --image tests (static busybox and its applets), and a hash of a
// directory tree to show that nothing under it changed.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/** The static busybox of the host, or undefined (apt-get install busybox-static). */
export function staticBusybox(): string | undefined {
  return ['/bin/busybox', '/usr/bin/busybox'].find((p) => fs.existsSync(p));
}

/**
 * Makes `dir` a root filesystem: /bin/busybox with `applets` linked to it, and `files` (path → text)
 * written. Everything world-readable (the rootless tests read it as uid 65534).
 */
export function makeImage(dir: string, busybox: string, applets: string[], files: Record<string, string> = {}): void {
  fs.mkdirSync(path.join(dir, 'bin'), { recursive: true, mode: 0o755 });
  fs.chmodSync(dir, 0o755);
  fs.copyFileSync(busybox, path.join(dir, 'bin/busybox'));
  fs.chmodSync(path.join(dir, 'bin/busybox'), 0o755);
  for (const applet of applets) fs.symlinkSync('busybox', path.join(dir, 'bin', applet));
  for (const [file, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true, mode: 0o755 });
    fs.writeFileSync(path.join(dir, file), text, { mode: 0o644 });
  }
}

/**
 * A hash of everything under `dir` that a write would change: each entry's path, type, mode,
 * owner, size, and its content or link target (directory entries included, times left out).
 */
export function treeHash(dir: string): string {
  const hash = createHash('sha256');
  const visit = (p: string) => {
    const stat = fs.lstatSync(p);
    hash.update(`${path.relative(dir, p)}\0${stat.mode}\0${stat.uid}:${stat.gid}\0${stat.size}\0`);
    if (stat.isSymbolicLink()) hash.update(fs.readlinkSync(p));
    else if (stat.isFile()) hash.update(fs.readFileSync(p));
    else if (stat.isDirectory()) for (const name of fs.readdirSync(p).sort()) visit(path.join(p, name));
    hash.update('\n');
  };
  visit(dir);
  return hash.digest('hex');
}
