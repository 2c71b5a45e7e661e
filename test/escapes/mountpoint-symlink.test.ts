// Escape 5, second half (CVE-2021-30465's class): the mount points a container's child makes before
// pivot_root — directories, files, and the targets of its binds — are resolved inside the new root
// (openat2 RESOLVE_IN_ROOT, then mkdirat / openat / a mount onto /proc/self/fd/N), so a symlink that a
// running container plants in a writable volume (here: `sub` -> an absolute host path, as a volume
// mounted inside another volume would meet it) cannot make the child create or mount anything on the
// host. The negative control runs the same steps by path in Node (what the child did before) and
// shows them landing outside.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { spawn } from '../../src';
import { native } from '../../src/native';
import type { MountStep } from '../../src/process/spawn';
import { privilegeSkipReason, titled } from '../helpers/privileges';
import { readAll } from '../helpers/wait';

const reason = privilegeSkipReason();
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pod-init-mountpoint-escape-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** A container root (a tmpfs the child mounts), a writable "volume" with `sub` -> `outside`, and `outside`. */
function layout(name: string) {
  const root = path.join(tmp, name, 'root');
  const volume = path.join(tmp, name, 'volume');
  const outside = path.join(tmp, name, 'outside');
  for (const dir of [root, volume, outside]) fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(outside, 'keep'), 'host\n');
  fs.symlinkSync(outside, path.join(volume, 'sub')); // what a container of the pod could do
  const f = native.mountFlags;
  const busybox = '/bin/busybox';
  const steps = (extra: MountStep[]): MountStep[] => [
    { type: 'mount', source: 'tmpfs', target: root, fstype: 'tmpfs', flags: 0 },
    { type: 'mkdir', target: `${root}/data` },
    { type: 'mount', source: volume, target: `${root}/data`, flags: f.MS_BIND! },
    ...extra,
    { type: 'file', target: `${root}/sh` },
    { type: 'mount', source: busybox, target: `${root}/sh`, flags: f.MS_BIND! },
    { type: 'mkdir', target: `${root}/proc` },
    { type: 'pivot-root', target: root },
    { type: 'mount', source: 'proc', target: '/proc', fstype: 'proc' },
  ];
  return { root, volume, outside, steps, untouched: () => expect(fs.readdirSync(outside)).toEqual(['keep']) };
}

async function start(mounts: MountStep[], script: string): Promise<{ code: number | null; out: string }> {
  const child = spawn({
    file: '/sh',
    argv0: 'sh',
    args: ['-c', script],
    newNamespaces: ['mnt', 'pid'],
    mounts,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const out = await readAll(child.stdout);
  return { code: (await child.exited).exitCode, out };
}

describe.skipIf(reason)(titled('escape: mount points made through a planted symlink', reason), () => {
  it('a directory, a file and a bind under data/sub stay inside the root', async () => {
    expect(fs.existsSync('/bin/busybox'), 'apt-get install busybox-static').toBe(true);
    const { root, outside, steps, untouched } = layout('resolved');
    const f = native.mountFlags;
    const mounts = steps([
      // Inside the root, `sub` leads to <root><outside>: made there (mkdir -p semantics are the planner's).
      { type: 'mkdir', target: `${root}${path.dirname(outside)}` },
      { type: 'mkdir', target: `${root}${outside}` },
      { type: 'mkdir', target: `${root}/data/sub/dir` },
      { type: 'file', target: `${root}/data/sub/file` },
      { type: 'mount', source: '/dev/null', target: `${root}/data/sub/file`, flags: f.MS_BIND! },
    ]);
    // mkdir -p of the outside path's parents inside the root, one level at a time.
    const parents: MountStep[] = [];
    for (let p = path.dirname(path.dirname(outside)); p !== '/'; p = path.dirname(p))
      parents.unshift({ type: 'mkdir', target: `${root}${p}` });
    mounts.splice(3, 0, ...parents);
    const r = await start(mounts, `ls ${outside}; echo x > ${outside}/file && echo written`);
    expect(r.code).toBe(0);
    expect(r.out.split('\n')).toEqual(expect.arrayContaining(['dir', 'file']));
    untouched(); // nothing was made on the host, nothing mounted over the host's files
    expect(fs.existsSync(path.join(outside, 'dir'))).toBe(false);
  });

  it('where the root has no such path, the start fails and the host is untouched', async () => {
    const { root, steps, untouched } = layout('refused');
    expect(() =>
      spawn({
        file: '/sh',
        newNamespaces: ['mnt', 'pid'],
        mounts: steps([{ type: 'mkdir', target: `${root}/data/sub/dir` }]),
      }),
    ).toThrow(expect.objectContaining({ step: 'mkdir', code: 'ENOENT' }));
    untouched();
  });

  it('negative control: the same steps by path (the old child) create on the host', () => {
    const { volume, outside } = layout('by-path');
    fs.mkdirSync(path.join(volume, 'sub', 'dir')); // mkdir(<root>/data/sub/dir) follows the symlink
    fs.closeSync(fs.openSync(path.join(volume, 'sub', 'file'), 'w'));
    expect(fs.readdirSync(outside).sort()).toEqual(['dir', 'file', 'keep']);
  });
});
