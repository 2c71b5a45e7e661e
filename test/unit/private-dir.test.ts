import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ensurePrivateDir, privateDirProblem, UnsafeDirectoryError } from '../../src/pod/private-dir';

const dirs: string[] = [];
function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pod-init-private-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});
const uid = process.geteuid!();

describe('ensurePrivateDir', () => {
  it('makes a missing directory 0700 (its parents too), and accepts it the next time', () => {
    const dir = path.join(tempDir(), 'a', 'pod-init');
    ensurePrivateDir(dir, uid);
    expect(fs.lstatSync(dir).mode & 0o7777).toBe(0o700);
    expect(() => ensurePrivateDir(dir, uid)).not.toThrow();
  });

  it('refuses a symlink, even to a private directory of ours, and writes nothing through it', () => {
    const base = tempDir();
    const target = path.join(base, 'target');
    fs.mkdirSync(target, { mode: 0o700 });
    fs.symlinkSync(target, path.join(base, 'pod-init'));
    expect(() => ensurePrivateDir(path.join(base, 'pod-init'), uid)).toThrow(UnsafeDirectoryError);
    expect(() => ensurePrivateDir(path.join(base, 'pod-init'), uid)).toThrow(
      `state directory ${base}/pod-init is a symbolic link: refusing to use it`,
    );
    expect(fs.readdirSync(target)).toEqual([]);
  });

  it('refuses a file, a directory of another uid, and one its group or others can write', () => {
    const base = tempDir();
    fs.writeFileSync(path.join(base, 'file'), '');
    expect(() => ensurePrivateDir(path.join(base, 'file'), uid)).toThrow(/ is not a directory: refusing/);
    fs.mkdirSync(path.join(base, 'open'), { mode: 0o700 });
    fs.chmodSync(path.join(base, 'open'), 0o1777);
    expect(() => ensurePrivateDir(path.join(base, 'open'), uid)).toThrow(
      / is writable by its group or others \(mode 1777\)/,
    );
    fs.chmodSync(path.join(base, 'open'), 0o770);
    expect(() => ensurePrivateDir(path.join(base, 'open'), uid)).toThrow(/mode 0770/);
    fs.mkdirSync(path.join(base, 'mine'), { mode: 0o755 });
    expect(() => ensurePrivateDir(path.join(base, 'mine'), uid + 1)).toThrow(`is owned by uid ${uid}, not ${uid + 1}`);
    expect(() => ensurePrivateDir(path.join(base, 'mine'), uid)).not.toThrow(); // 0755 of ours: as ssh accepts
  });

  it('privateDirProblem: undefined for a private directory', () => {
    expect(privateDirProblem(fs.lstatSync(tempDir()), uid)).toBeUndefined();
  });
});
