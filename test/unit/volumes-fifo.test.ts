// hostPath type checks and the files pod-init creates, with a FIFO where a file should be: refused or
// reported, never an open that blocks Node's thread (each test has a deadline).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createEmptyFile, prepareVolume, VolumeError } from '../../src/pod/volumes';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pod-init-fifo-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const related = { configMaps: new Map(), secrets: new Map() };
const fifo = (name: string) => {
  const p = path.join(tmp, name);
  execFileSync('mkfifo', [p]);
  return p;
};

describe('a FIFO where a hostPath file should be', () => {
  it.each(['File', 'FileOrCreate'])(
    'type %s: "hostPath type check failed: <path> is not a file"',
    (type) => {
      const p = fifo(`hp-${type}`);
      const prepare = () => prepareVolume({ name: 'h', hostPath: { path: p, type } }, tmp, related);
      expect(prepare).toThrow(VolumeError);
      expect(prepare).toThrow(`hostPath type check failed: ${p} is not a file`);
    },
    5000,
  );

  it('FileOrCreate still creates a missing file (0644), and accepts a regular one', () => {
    const p = path.join(tmp, 'made');
    expect(prepareVolume({ name: 'h', hostPath: { path: p, type: 'FileOrCreate' } }, tmp, related).source).toBe(p);
    expect(fs.lstatSync(p).isFile()).toBe(true);
    expect(fs.lstatSync(p).mode & 0o777).toBe(0o644 & ~process.umask());
    expect(() => prepareVolume({ name: 'h', hostPath: { path: p, type: 'FileOrCreate' } }, tmp, related)).not.toThrow();
  });
});

describe('createEmptyFile (the termination message file)', () => {
  it('creates the file with the exact mode, and empties one that is there', () => {
    const p = path.join(tmp, 'message');
    createEmptyFile(p, 0o666);
    expect(fs.statSync(p).mode & 0o777).toBe(0o666);
    fs.writeFileSync(p, 'old');
    createEmptyFile(p, 0o666);
    expect(fs.readFileSync(p, 'utf8')).toBe('');
  });

  it('a FIFO there fails at once (ENXIO: no reader) instead of blocking; a symlink is not followed', () => {
    expect(() => createEmptyFile(fifo('message-fifo'), 0o666)).toThrow(/ENXIO/);
    const target = path.join(tmp, 'target');
    fs.writeFileSync(target, 'keep');
    fs.symlinkSync(target, path.join(tmp, 'message-link'));
    expect(() => createEmptyFile(path.join(tmp, 'message-link'), 0o666)).toThrow(/ELOOP/);
    expect(fs.readFileSync(target, 'utf8')).toBe('keep');
  }, 5000);
});
