// Container roots as planned mount steps (src/pod/rootfs.ts): path resolution inside the root, host
// directories shadowed rather than written, image symlinks kept inside the image; the subPath and
// size rules of the kubelet (src/pod/volumes.ts).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { native } from '../../src/native';
import { ContainerConfigError } from '../../src/pod/environment';
import { resolvePath, rootMounts } from '../../src/pod/rootfs';
import { expandSubPathExpr, memoryVolumeBytes, subPathBeneath } from '../../src/pod/volumes';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pod-init-rootfs-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('resolvePath', () => {
  const links: Record<string, string> = { '/var/run': '/run', '/lib': 'usr/lib', '/loop': '/loop' };
  const readLink = (p: string) => links[p];
  it('follows absolute and relative links from the root, and stops .. at the root', () => {
    expect(resolvePath('/var/run/x', readLink)).toBe('/run/x');
    expect(resolvePath('/lib/x', readLink)).toBe('/usr/lib/x');
    expect(resolvePath('/../../etc/./passwd', readLink)).toBe('/etc/passwd');
  });
  it('gives up on a loop', () => {
    expect(() => resolvePath('/loop/x', readLink)).toThrow(ContainerConfigError);
  });
});

describe('rootMounts', () => {
  const targets = (steps: ReturnType<typeof rootMounts>, type: string) =>
    steps.filter((s) => s.type === type).map((s) => s.target);

  it('host mode: a new directory inside a host directory shadows it in the root, never writing to the host', () => {
    const source = fs.mkdtempSync(path.join(tmp, 'vol-'));
    const steps = rootMounts({ root: '/r', shm: '/s', binds: [{ source, target: '/etc/pod-init-x/data' }] });
    const etcTmpfs = steps.find((s) => s.type === 'mount' && s.target === '/r/etc' && s.fstype === 'tmpfs');
    expect(etcTmpfs).toBeDefined();
    // every host entry of /etc is bound into the shadow; the new directories are made there
    if (fs.lstatSync('/etc/os-release').isSymbolicLink())
      expect(steps).toContainEqual({
        type: 'symlink',
        target: '/r/etc/os-release',
        linkTo: fs.readlinkSync('/etc/os-release'),
      });
    const bound = steps.filter((s) => s.type === 'mount' && s.source === '/etc/passwd');
    expect(bound.map((s) => s.target)).toEqual(['/r/etc/passwd']);
    expect(targets(steps, 'mkdir')).toEqual(expect.arrayContaining(['/r/etc/pod-init-x', '/r/etc/pod-init-x/data']));
    expect(steps.every((s) => s.target.startsWith('/r'))).toBe(true);
    expect(steps.at(-1)).toEqual({ type: 'pivot-root', target: '/r' });
  });

  describe('readOnly (readOnlyRootFilesystem)', () => {
    const remounts = (steps: ReturnType<typeof rootMounts>) => {
      const pivot = steps.findIndex((s) => s.type === 'pivot-root');
      return steps.slice(pivot + 1).map((s) => {
        expect(s).toEqual({ type: 'mount', target: s.target, flags: ro });
        return s.target;
      });
    };
    const f = native.mountFlags as Record<string, number>;
    const ro = f.MS_BIND! | f.MS_REMOUNT! | f.MS_RDONLY!;

    it('image mode: the image bind is remounted read-only after pivot_root, nothing else', () => {
      const image = fs.mkdtempSync(path.join(tmp, 'image-'));
      const source = fs.mkdtempSync(path.join(tmp, 'vol-'));
      const binds = [{ source, target: '/data' }];
      expect(remounts(rootMounts({ root: '/r', image, shm: '/s', binds, readOnly: true }))).toEqual(['/']);
      expect(remounts(rootMounts({ root: '/r', image, shm: '/s', binds }))).toEqual([]);
    });

    it('host mode: the root, the host top-level binds and a shadow with its entries; never /dev, /proc, /sys or a bind target', () => {
      const source = fs.mkdtempSync(path.join(tmp, 'vol-'));
      const hosts = path.join(tmp, 'hosts-ro');
      fs.writeFileSync(hosts, '');
      const binds = [
        { source, target: '/tmp' },
        { source: hosts, target: '/etc/hosts' },
        { source, target: '/etc/pod-init-x' }, // a new directory: /etc is shadowed
      ];
      const targets = remounts(rootMounts({ root: '/r', shm: '/s', binds, readOnly: true }));
      expect(targets).toEqual(expect.arrayContaining(['/', '/usr', '/etc', '/etc/passwd']));
      for (const kept of ['/dev', '/dev/shm', '/proc', '/sys', '/tmp', '/etc/hosts', '/etc/pod-init-x'])
        expect(targets).not.toContain(kept);
    });
  });

  it('host mode: an existing host path is mounted over, with no shadow', () => {
    const source = fs.mkdtempSync(path.join(tmp, 'vol-'));
    const steps = rootMounts({ root: '/r', shm: '/s', binds: [{ source, target: '/etc' }] });
    expect(steps.some((s) => s.type === 'mount' && s.target === '/r/etc' && s.fstype === 'tmpfs')).toBe(false);
    expect(steps.filter((s) => s.type === 'mount' && s.source === source).map((s) => s.target)).toEqual(['/r/etc']);
  });

  it('image mode: an absolute symlink in the image resolves inside the image', () => {
    const image = fs.mkdtempSync(path.join(tmp, 'image-'));
    fs.mkdirSync(path.join(image, 'var'));
    fs.mkdirSync(path.join(image, 'run'));
    fs.symlinkSync('/run', path.join(image, 'var/run'));
    const file = path.join(tmp, 'hosts');
    fs.writeFileSync(file, '');
    const steps = rootMounts({ root: '/r', image, shm: '/s', binds: [{ source: file, target: '/var/run/x/hosts' }] });
    expect(steps.filter((s) => s.type === 'mount' && s.source === file).map((s) => s.target)).toEqual([
      '/r/run/x/hosts',
    ]);
    expect(targets(steps, 'mkdir')).toContain('/r/run/x');
    expect(targets(steps, 'file')).toContain('/r/run/x/hosts');
  });

  it('a file where a directory must be is a ContainerConfigError', () => {
    const source = fs.mkdtempSync(path.join(tmp, 'vol-'));
    expect(() => rootMounts({ root: '/r', shm: '/s', binds: [{ source, target: '/etc/os-release/x' }] })).toThrow(
      ContainerConfigError,
    );
  });
});

describe('subPath', () => {
  it('is made inside the volume with its mode, and may not leave it', () => {
    const volume = fs.mkdtempSync(path.join(tmp, 'vol-'));
    fs.chmodSync(volume, 0o777);
    const real = fs.realpathSync(volume);
    expect(subPathBeneath(volume, 'a/b')).toEqual({ source: path.join(real, 'a/b'), root: real, path: 'a/b' });
    expect(fs.statSync(path.join(volume, 'a/b')).mode & 0o777).toBe(0o777);
    fs.symlinkSync('/etc', path.join(volume, 'out'));
    fs.symlinkSync('a', path.join(volume, 'in'));
    expect(subPathBeneath(volume, 'in/b')).toMatchObject({ source: path.join(real, 'a/b'), path: 'a/b' });
    expect(() => subPathBeneath(volume, 'out/ssh')).toThrow(/not within volume path/);
    expect(() => subPathBeneath(volume, '../x')).toThrow(/must not contain '..'/);
    expect(() => subPathBeneath(volume, '/etc')).toThrow(/must not be an absolute path/);
  });

  it('subPathExpr takes the container environment; a missing or empty variable is an error', () => {
    const env = new Map([
      ['POD', 'web-0'],
      ['EMPTY', ''],
    ]);
    expect(expandSubPathExpr('logs/$(POD)', env)).toBe('logs/web-0');
    expect(expandSubPathExpr('$$(POD)', env)).toBe('$(POD)');
    expect(() => expandSubPathExpr('$(NOPE)/$(EMPTY)', env)).toThrow('missing value for EMPTY, NOPE');
  });
});

describe('memoryVolumeBytes', () => {
  it('is the node memory, lowered to the pod limit, lowered to sizeLimit', () => {
    const node = os.totalmem();
    expect(memoryVolumeBytes(undefined)).toBe(node);
    expect(memoryVolumeBytes(undefined, 64 * 2 ** 20)).toBe(64 * 2 ** 20);
    expect(memoryVolumeBytes('1Mi', 64 * 2 ** 20)).toBe(2 ** 20);
    expect(memoryVolumeBytes('128Mi', 64 * 2 ** 20)).toBe(64 * 2 ** 20); // a larger sizeLimit does not raise it
    expect(memoryVolumeBytes('0', undefined)).toBe(node);
  });
});
