import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compileSeccomp, runtimeDefaultProfile } from '../../src/security/seccomp';
import { readCachedFilter, writeCachedFilter } from '../../src/security/seccomp-disk-cache';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pod-init-seccomp-cache-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const filter = Object.freeze({ bpf: Buffer.from('0123456789abcdef'), unknownSyscalls: Object.freeze(['mseal']) });

describe('seccomp filters cached on disk', () => {
  it('reads back what it wrote, under its key only', () => {
    const dir = path.join(tmp, 'a');
    writeCachedFilter(dir, 'k1', filter);
    expect(readCachedFilter(dir, 'k1')).toEqual(filter);
    expect(readCachedFilter(dir, 'k2')).toBeUndefined();
    expect(fs.statSync(dir).mode & 0o777).toBe(0o700);
    expect(fs.readdirSync(dir)).toEqual(['k1.bpf']); // no temp file left
  });

  it('ignores a file or directory others could have written, a symlink, a bad length', () => {
    const dir = path.join(tmp, 'b');
    writeCachedFilter(dir, 'k', filter);
    fs.chmodSync(path.join(dir, 'k.bpf'), 0o666);
    expect(readCachedFilter(dir, 'k')).toBeUndefined();
    fs.chmodSync(path.join(dir, 'k.bpf'), 0o600);
    expect(readCachedFilter(dir, 'k')).toEqual(filter); // control
    fs.chmodSync(dir, 0o777);
    expect(readCachedFilter(dir, 'k')).toBeUndefined();
    fs.chmodSync(dir, 0o700);
    fs.renameSync(path.join(dir, 'k.bpf'), path.join(dir, 'real'));
    fs.symlinkSync(path.join(dir, 'real'), path.join(dir, 'k.bpf'));
    expect(readCachedFilter(dir, 'k')).toBeUndefined();
    writeCachedFilter(dir, 'odd', { bpf: Buffer.from('0123456'), unknownSyscalls: [] });
    expect(readCachedFilter(dir, 'odd')).toBeUndefined();
  });

  it('compileSeccomp keeps the compiled filter in cacheDir, equal to a fresh compile', () => {
    const dir = path.join(tmp, 'c');
    const profile = runtimeDefaultProfile(['CAP_CHOWN', 'CAP_KILL']);
    const compiled = compileSeccomp(profile, { cacheDir: dir });
    const [file] = fs.readdirSync(dir);
    expect(file).toMatch(/^[0-9a-f]{64}\.bpf$/);
    expect(readCachedFilter(dir, file!.slice(0, -4))!.bpf.equals(compiled.bpf)).toBe(true);
  });
});
