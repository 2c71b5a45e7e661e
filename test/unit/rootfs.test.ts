// Container roots as planned mount steps (src/pod/rootfs.ts): path resolution inside the root, host
// directories shadowed rather than written, image symlinks kept inside the image; the subPath and
// size rules of the kubelet (src/pod/volumes.ts).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ContainerConfigError } from '../../src/pod/environment';
import { native } from '../../src/native';
import { mountPointsOf, overlayData, resolvePath, rootMounts } from '../../src/pod/rootfs';
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

    it('image mode: the overlay is remounted read-only after pivot_root, nothing else', () => {
      const lower = fs.mkdtempSync(path.join(tmp, 'image-'));
      const image = { lower, upper: '/u', work: '/w', userNamespace: false };
      const source = fs.mkdtempSync(path.join(tmp, 'vol-'));
      const binds = [{ source, target: '/data' }];
      expect(remounts(rootMounts({ root: '/r', image, shm: '/s', binds, readOnly: true }))).toEqual(['/']);
      expect(remounts(rootMounts({ root: '/r', image, shm: '/s', binds }))).toEqual([]);
    });

    it('host mode: the root tmpfs, the private /tmp, /var/tmp, /run and a shadow; never /dev, /proc, /sys or a bind target', () => {
      const source = fs.mkdtempSync(path.join(tmp, 'vol-'));
      const hosts = path.join(tmp, 'hosts-ro');
      fs.writeFileSync(hosts, '');
      const binds = [
        { source, target: '/var/tmp' },
        { source: hosts, target: '/etc/hosts' },
        { source, target: '/etc/pod-init-x' }, // a new directory: /etc is shadowed
      ];
      const targets = remounts(rootMounts({ root: '/r', shm: '/s', binds, readOnly: true }));
      expect(targets).toEqual(expect.arrayContaining(['/', '/tmp', '/run', '/etc']));
      // /usr and /etc/passwd are read-only host binds already; a volume stays as mounted.
      for (const kept of [
        '/usr',
        '/etc/passwd',
        '/dev',
        '/dev/shm',
        '/proc',
        '/sys',
        '/var/tmp',
        '/etc/hosts',
        '/etc/pod-init-x',
      ])
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
    const steps = rootMounts({
      root: '/r',
      image: { lower: image, upper: '/u', work: '/w', userNamespace: false },
      shm: '/s',
      binds: [{ source: file, target: '/var/run/x/hosts' }],
    });
    expect(steps.filter((s) => s.type === 'mount' && s.source === file).map((s) => s.target)).toEqual([
      '/r/run/x/hosts',
    ]);
    expect(targets(steps, 'mkdir')).toContain('/r/run/x');
    expect(targets(steps, 'file')).toContain('/r/run/x/hosts');
  });

  it('image mode: the root is an overlay over the image, mounted before anything is made in it', () => {
    const image = fs.mkdtempSync(path.join(tmp, 'image-'));
    const layers = { lower: image, upper: '/s/i/upper', work: '/s/i/work' };
    const steps = rootMounts({ root: '/r', image: { ...layers, userNamespace: false }, shm: '/s', binds: [] });
    expect(steps[0]).toEqual({
      type: 'mount',
      source: 'overlay',
      target: '/r',
      fstype: 'overlay',
      flags: 0,
      data: `lowerdir=${image},upperdir=/s/i/upper,workdir=/s/i/work,index=off,volatile`,
    });
    expect(steps.some((s) => s.type === 'mount' && s.source === image)).toBe(false); // never bound itself
    const rootless = rootMounts({ root: '/r', image: { ...layers, userNamespace: true }, shm: '/s', binds: [] });
    expect((rootless[0] as { data: string }).data).toMatch(/,index=off,volatile,userxattr$/);
  });

  it("hostUsers: false: an idmapped lower layer is attached first and is the overlay's lowerdir; lookups read the image", () => {
    const image = fs.mkdtempSync(path.join(tmp, 'image-'));
    fs.mkdirSync(path.join(image, 'etc'));
    const file = path.join(tmp, 'hosts');
    fs.writeFileSync(file, '');
    const steps = rootMounts({
      root: '/r',
      image: {
        lower: image,
        upper: '/u',
        work: '/w',
        userNamespace: true,
        idmappedLowers: [{ fd: 42, at: '/s/lower' }],
      },
      shm: '/s',
      binds: [{ source: file, target: '/etc/hosts' }],
    });
    expect(steps[0]).toEqual({ type: 'move-mount', target: '/s/lower', fd: 42 });
    expect((steps[1] as { data: string }).data).toBe(
      'lowerdir=/s/lower,upperdir=/u,workdir=/w,index=off,volatile,userxattr',
    );
    expect(targets(steps, 'mkdir')).not.toContain('/r/etc'); // the image has it: found in `lower`
    // A pulled image: every layer idmapped and attached, the overlay's lowerdir in the same order.
    const layered = rootMounts({
      root: '/r',
      image: {
        lower: image,
        lowers: ['/l/2', '/l/3'],
        upper: '/u',
        work: '/w',
        userNamespace: true,
        idmappedLowers: [42, 43, 44].map((fd, i) => ({ fd, at: `/s/lower-${i}` })),
      },
      shm: '/s',
      binds: [],
    });
    expect(layered.slice(0, 3)).toEqual(
      [42, 43, 44].map((fd, i) => ({ type: 'move-mount', target: `/s/lower-${i}`, fd })),
    );
    expect((layered[3] as { data: string }).data).toBe(
      'lowerdir=/s/lower-0:/s/lower-1:/s/lower-2,upperdir=/u,workdir=/w,index=off,volatile,userxattr',
    );
  });

  it("hostUsers: false: a detached bind is attached (move-mount) and remounted read-only like a bind; tmpfs mounts are the pod root's", () => {
    const source = fs.mkdtempSync(path.join(tmp, 'vol-'));
    const steps = rootMounts({
      root: '/r',
      shm: '/s',
      binds: [{ source, target: '/data', readOnly: true, detached: 7 }],
      podRootOwnsTmpfs: true,
    });
    const at = steps.findIndex((s) => s.type === 'move-mount');
    expect(steps[at]).toEqual({ type: 'move-mount', target: '/r/data', fd: 7 });
    expect(steps[at + 1]).toMatchObject({ type: 'mount', target: '/r/data' }); // MS_BIND|MS_REMOUNT|MS_RDONLY
    expect(steps.some((s) => s.type === 'mount' && s.source === source)).toBe(false); // never bound by path
    const tmpfs = steps.filter((s) => s.type === 'mount' && s.fstype === 'tmpfs') as Array<{ data: string }>;
    expect(tmpfs.length).toBeGreaterThan(2);
    for (const mount of tmpfs) expect(mount.data).toMatch(/(^|,)uid=0,gid=0$/);
    const hostIds = rootMounts({ root: '/r', shm: '/s', binds: [] });
    expect(hostIds.some((s) => s.type === 'mount' && /uid=0,gid=0$/.test(s.data ?? ''))).toBe(false);
  });

  it('overlayData escapes what overlayfs splits on', () => {
    expect(overlayData({ lower: '/a,b:c\\d', upper: '/u', work: '/w', userNamespace: false })).toBe(
      'lowerdir=/a\\,b\\:c\\\\d,upperdir=/u,workdir=/w,index=off,volatile',
    );
  });

  it('host mode: host directories read-only with their submounts, private /tmp, /var/tmp and /run', () => {
    const flags = native.mountFlags as Record<string, number>;
    const remount = flags.MS_BIND! | flags.MS_REMOUNT! | flags.MS_RDONLY!;
    const mountPoints = [
      '/',
      '/usr',
      '/usr/share/x',
      '/proc',
      '/proc/sys/fs/binfmt_misc',
      '/run/lock',
      '/var/tmp/x',
      '/sys/fs/cgroup',
    ];
    const steps = rootMounts({ root: '/r', shm: '/s', binds: [], mountPoints });
    const readOnly = steps.filter((s) => s.type === 'mount' && s.flags === remount).map((s) => s.target);
    expect(readOnly).toEqual(
      expect.arrayContaining(['/r/usr', '/r/etc', '/r/usr/share/x', '/r/sys', '/r/sys/fs/cgroup']),
    );
    expect(readOnly).not.toContain('/r/proc'); // procfs stays as it is
    expect(readOnly).not.toContain('/r/proc/sys/fs/binfmt_misc');
    expect(readOnly.filter((p) => p.startsWith('/r/run/') || p.startsWith('/r/var/tmp/'))).toEqual([]); // private
    expect(steps.some((s) => s.type === 'mount' && s.source === '/tmp')).toBe(false);
    expect(steps.some((s) => s.type === 'mount' && s.source === '/run')).toBe(false);
    for (const p of ['/r/tmp', '/r/var/tmp', '/r/run'])
      expect(
        steps.filter((s) => s.type === 'mount' && s.target === p).map((s) => (s as { fstype?: string }).fstype),
      ).toEqual(['tmpfs']);
    const privileged = rootMounts({ root: '/r', shm: '/s', binds: [], mountPoints, privileged: true });
    const privilegedReadOnly = privileged.filter((s) => s.type === 'mount' && s.flags === remount).map((s) => s.target);
    expect(privilegedReadOnly).toContain('/r/etc');
    expect(privilegedReadOnly).not.toContain('/r/sys');
    expect(privilegedReadOnly).not.toContain('/r/sys/fs/cgroup');
  });

  it('mountPointsOf reads field 5 of mountinfo, octal escapes undone, leaving out what was mounted over', () => {
    const info = [
      '26 1 8:1 / / rw - ext4 /dev/vda rw',
      '21 26 0:5 / /proc rw - proc proc rw',
      '36 26 98:0 / /mnt/my\\040dir rw - ext3 /dev/root rw',
      '40 26 0:6 / /a rw - tmpfs tmpfs rw',
      '41 40 0:7 / /a/b rw - tmpfs tmpfs rw', // hidden by 42, mounted over /a later
      '42 26 0:8 / /a rw - tmpfs tmpfs rw',
      '43 42 0:9 / /a/c rw - tmpfs tmpfs rw',
      '44 43 0:9 / /a/c rw - tmpfs tmpfs rw', // stacked: the path once
      '',
    ].join('\n');
    expect(mountPointsOf(info)).toEqual(['/', '/proc', '/mnt/my dir', '/a', '/a/c']);
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
