// A bind that must stay inside a directory (a subPath in its volume): the child resolves it with
// openat2(RESOLVE_BENEATH) and binds /proc/self/fd/N, so a symlink that leads outside — swapped in
// after pod-init's own check — fails the start (EXDEV) instead of binding the host's files.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PodSystemError, spawn } from '../../src';
import { native } from '../../src/native';
import { privilegeSkipReason, titled } from '../helpers/privileges';
import { readAll } from '../helpers/wait';

const reason = privilegeSkipReason();
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pod-init-beneath-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe.skipIf(reason)(titled('mount steps beneath a root', reason), () => {
  const volume = path.join(dir, 'volume');
  const target = path.join(dir, 'target');
  fs.mkdirSync(path.join(volume, 'real'), { recursive: true });
  fs.writeFileSync(path.join(volume, 'real', 'file'), 'inside\n');
  fs.symlinkSync('real', path.join(volume, 'in')); // stays inside
  fs.symlinkSync('/etc', path.join(volume, 'out')); // leads outside
  fs.mkdirSync(target);
  const bind = (relative: string) => ({
    type: 'mount' as const,
    source: path.join(volume, relative),
    beneath: { root: volume, path: relative },
    target,
    flags: (native.mountFlags as Record<string, number>).MS_BIND!,
  });

  it('binds a path whose symlinks stay inside', async () => {
    const child = spawn({
      file: 'cat',
      args: [path.join(target, 'file')],
      newNamespaces: ['mnt'],
      mounts: [bind('in')],
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const [out] = await Promise.all([readAll(child.stdout), child.exited]);
    expect(out).toBe('inside\n');
  });

  it('refuses a path that a symlink leads outside: EXDEV at the mount step, nothing started', () => {
    let error: unknown;
    try {
      spawn({ file: 'true', newNamespaces: ['mnt'], mounts: [bind('out')] });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(PodSystemError);
    expect(error).toMatchObject({ code: 'EXDEV', step: 'mount', path: path.join(volume, 'out') });
    expect((error as PodSystemError).hint).toMatch(/leads out of the directory it must stay in/);
    // The same bind without `beneath` would have followed the link to the host's /etc:
    expect(fs.realpathSync(path.join(volume, 'out'))).toBe('/etc');
  });
});
