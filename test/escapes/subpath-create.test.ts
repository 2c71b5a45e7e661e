// Escape 5 of the confinement issue (CVE-2017-1002101 / CVE-2021-30465 class): directories made for
// a subPath are made by fd beneath the volume (native makeDirsBeneath: openat2 without symlinks,
// mkdirat, fchmod), so a symlink swapped into the volume — by a container of the pod, after
// pod-init's check — cannot make pod-init create or chmod anything outside it. Each case runs the
// old by-path mkdir + chmod against the same layout as its negative control.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterAll, describe, expect, it } from 'vitest';
import { PodSystemError } from '../../src';
import { ContainerConfigError } from '../../src/pod/environment';
import { native } from '../../src/native';
import { subPathBeneath } from '../../src/pod/volumes';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pod-init-subpath-escape-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** A volume, and a host directory outside it (mode 0700, one file) that must stay as it is. */
function layout(name: string) {
  const volume = path.join(tmp, name, 'volume');
  const outside = path.join(tmp, name, 'outside');
  fs.mkdirSync(volume, { recursive: true });
  fs.chmodSync(volume, 0o777);
  fs.mkdirSync(outside);
  fs.chmodSync(outside, 0o700);
  fs.writeFileSync(path.join(outside, 'keep'), 'host\n');
  const untouched = () => {
    expect(fs.statSync(outside).mode & 0o7777).toBe(0o700);
    expect(fs.readdirSync(outside)).toEqual(['keep']);
  };
  return { volume, outside, untouched };
}

/** What pod-init did before: each missing component made and chmod'ed by path. */
function byPath(volume: string, relative: string, mode: number): void {
  let at = volume;
  for (const part of relative.split('/')) {
    at = path.join(at, part);
    if (fs.lstatSync(at, { throwIfNoEntry: false }) !== undefined) continue;
    fs.mkdirSync(at, { mode });
    fs.chmodSync(at, mode);
  }
}

describe('subPath directories are made by fd beneath the volume', () => {
  it('makes the missing directories with the mode given (umask or not), and says how many', () => {
    const { volume } = layout('plain');
    expect(native.makeDirsBeneath(volume, 'a/b/c', 0o777)).toBe(3);
    expect(fs.statSync(path.join(volume, 'a/b/c')).mode & 0o7777).toBe(0o777);
    expect(native.makeDirsBeneath(volume, 'a/b/c', 0o700)).toBe(0); // existing: left as they are
    expect(fs.statSync(path.join(volume, 'a/b/c')).mode & 0o7777).toBe(0o777);
    expect(() => native.makeDirsBeneath(volume, '../x', 0o777)).toThrow(expect.objectContaining({ code: 'EXDEV' }));
  });

  it('leaves an existing last component alone, even a file (a configMap key); chowns what it makes', () => {
    const { volume } = layout('file');
    fs.writeFileSync(path.join(volume, 'key'), 'value\n');
    expect(native.makeDirsBeneath(volume, 'key', 0o777)).toBe(0);
    expect(fs.readFileSync(path.join(volume, 'key'), 'utf8')).toBe('value\n');
    expect(() => native.makeDirsBeneath(volume, 'key/x', 0o777)).toThrow(expect.objectContaining({ code: 'ENOTDIR' }));
    if (process.geteuid?.() !== 0) return; // chown needs root
    expect(native.makeDirsBeneath(volume, 'owned/by', 0o2750, 1000, 1001)).toBe(2);
    const stat = fs.statSync(path.join(volume, 'owned/by'));
    expect([stat.uid, stat.gid, stat.mode & 0o7777]).toEqual([1000, 1001, 0o2750]); // setgid kept: chmod after chown
  });

  it('a symlink to a host directory in the path: ELOOP, and the host directory is untouched', () => {
    const { volume, outside, untouched } = layout('static');
    fs.symlinkSync(outside, path.join(volume, 'sub'));
    let error: unknown;
    try {
      native.makeDirsBeneath(volume, 'sub/new', 0o777);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(PodSystemError);
    expect(error).toMatchObject({ code: 'ELOOP', syscall: 'openat2', path: `${volume}/sub` });
    untouched();
    // Negative control: by path, the same call makes (and chmods 0777) a directory in the host's.
    byPath(volume, 'sub/new', 0o777);
    expect(fs.statSync(path.join(outside, 'new')).mode & 0o7777).toBe(0o777);
  });

  it('a symlink swapped in after the subPath was checked: a clear error, nothing made outside', () => {
    const { volume, outside, untouched } = layout('swap');
    fs.mkdirSync(path.join(volume, 'sub'));
    fs.chmodSync(path.join(volume, 'sub'), 0o777);
    // `view` is how subPathBeneath reads the pod's mount namespace: the swap happens right after
    // the check, when it reads the volume's mode (as a container of the pod could do it).
    let checked = false;
    const swapAfterCheck = (p: string) => {
      if (p === volume && checked) {
        fs.rmdirSync(path.join(volume, 'sub'));
        fs.symlinkSync(outside, path.join(volume, 'sub'));
        checked = false;
      }
      if (p.startsWith(`${volume}/sub`)) checked = true;
      return p;
    };
    let error: unknown;
    try {
      subPathBeneath(volume, 'sub/new', swapAfterCheck);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ContainerConfigError);
    expect((error as Error).message).toBe(
      `unable to provision SubPath \`sub/new\`: ${volume}/sub is no longer a directory of the volume ` +
        '(a symbolic link or a file was put there), nothing was created through it (ELOOP)',
    );
    untouched();
    // Negative control: the old code, with the same swap after its check, reaches outside.
    fs.rmSync(path.join(volume, 'sub'));
    fs.mkdirSync(path.join(volume, 'sub'));
    expect(fs.lstatSync(path.join(volume, 'sub/new'), { throwIfNoEntry: false })).toBeUndefined(); // the check
    fs.rmdirSync(path.join(volume, 'sub'));
    fs.symlinkSync(outside, path.join(volume, 'sub'));
    fs.mkdirSync(path.join(volume, 'sub/new'), { mode: 0o777 });
    fs.chmodSync(path.join(volume, 'sub/new'), 0o777);
    expect(fs.readdirSync(outside).sort()).toEqual(['keep', 'new']);
  });

  /**
   * Creations in `volume/sub` while a worker thread keeps turning `sub` from a directory into a
   * symlink to `outside` and back (bounded). `create` is called until the worker is done, or until
   * `stop()` says so; returns how many calls succeeded and failed.
   */
  async function race(volume: string, outside: string, create: (i: number) => void, stop = () => false) {
    const state = new Int32Array(new SharedArrayBuffer(4)); // 1: swapping, 2: done
    const worker = new Worker(
      `const fs = require('node:fs');
       const { workerData: { sub, outside, state, rounds } } = require('node:worker_threads');
       Atomics.store(state, 0, 1);
       for (let i = 0; i < rounds && Atomics.load(state, 0) === 1; i++) {
         try { fs.renameSync(sub, sub + '-old-' + i); } catch {}
         try { fs.symlinkSync(outside, sub); } catch {}
         try { fs.unlinkSync(sub); } catch {}
         try { fs.mkdirSync(sub); } catch {}
       }
       Atomics.store(state, 0, 2);`,
      { eval: true, workerData: { sub: path.join(volume, 'sub'), outside, state, rounds: 1500 } },
    );
    const exited = new Promise((resolve) => worker.on('exit', resolve));
    let ok = 0;
    let failed = 0;
    try {
      while (Atomics.load(state, 0) === 0) await new Promise((resolve) => setImmediate(resolve));
      for (let i = 0; Atomics.load(state, 0) === 1 && !stop() && i < 1_000_000; i++) {
        try {
          create(i);
          ok++;
        } catch {
          failed++;
        }
      }
    } finally {
      Atomics.store(state, 0, 2);
      await exited;
    }
    return { ok, failed };
  }

  it('race: a directory and a symlink swapped while directories are made never creates anything outside', async () => {
    const { volume, outside, untouched } = layout('race');
    fs.mkdirSync(path.join(volume, 'sub'));
    const { ok, failed } = await race(volume, outside, (i) => native.makeDirsBeneath(volume, `sub/n${i}`, 0o777));
    expect(ok).toBeGreaterThan(0); // the race ran both ways: some made inside,
    expect(failed).toBeGreaterThan(0); // some refused
    untouched();
  });

  it('race, negative control: the old by-path mkdir + chmod creates in the outside directory', async () => {
    const { volume, outside } = layout('race-control');
    fs.mkdirSync(path.join(volume, 'sub'));
    const escaped = () => fs.readdirSync(outside).length > 1;
    await race(volume, outside, (i) => byPath(volume, `sub/n${i}`, 0o777), escaped);
    expect(escaped()).toBe(true);
    const made = fs.readdirSync(outside).find((f) => f !== 'keep')!;
    expect(fs.statSync(path.join(outside, made)).isDirectory()).toBe(true); // (chmod'ed too, unless swapped back first)
  });
});
