import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { writeFileAtomically } from '../../src/atomic-file';

const dirs: string[] = [];
function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pod-init-atomic-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

describe('writeFileAtomically', () => {
  it('replaces the file and leaves no temporary file; a symlink at the target is replaced, not followed', () => {
    const dir = tempDir();
    const file = path.join(dir, 'status.json');
    writeFileAtomically(file, 'one');
    writeFileAtomically(file, 'two');
    expect(fs.readFileSync(file, 'utf8')).toBe('two');
    fs.writeFileSync(path.join(dir, 'victim'), 'keep');
    fs.rmSync(file);
    fs.symlinkSync(path.join(dir, 'victim'), file);
    writeFileAtomically(file, 'three');
    expect(fs.lstatSync(file).isFile()).toBe(true);
    expect(fs.readFileSync(path.join(dir, 'victim'), 'utf8')).toBe('keep');
    expect(fs.readdirSync(dir).sort()).toEqual(['status.json', 'victim']);
  });

  it('a symlink or a file planted at the temporary name is an error, and nothing is written through it', () => {
    const dir = tempDir();
    const victim = path.join(dir, 'victim');
    fs.writeFileSync(victim, 'keep');
    const tmp = path.join(dir, '.status.json.planted.tmp');
    fs.symlinkSync(victim, tmp);
    expect(() => writeFileAtomically(path.join(dir, 'status.json'), 'x', tmp)).toThrow(/EEXIST/);
    expect(fs.readFileSync(victim, 'utf8')).toBe('keep');
    expect(fs.existsSync(path.join(dir, 'status.json'))).toBe(false);
    // Without O_EXCL|O_NOFOLLOW (what it replaced: writeFileSync on a predictable name), the write lands in the victim.
    fs.writeFileSync(tmp, 'redirected');
    expect(fs.readFileSync(victim, 'utf8')).toBe('redirected');
  });
});
