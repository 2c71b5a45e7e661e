import { describe, expect, it } from 'vitest';
import { cgroupAccess } from '../../src/cgroups/access';
import { cgroupDirOf, layoutFromMounts, parseCgroupMounts, parseProcCgroup } from '../../src/cgroups/layout';

// Samples of /proc/self/mountinfo (cgroup lines plus one unrelated mount).
const pureV2 = `22 1 0:21 / /sys rw,nosuid - sysfs sysfs rw
26 22 0:23 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot
`;
const v1 = `22 1 0:21 / /sys rw,nosuid - sysfs sysfs rw
30 22 0:27 / /sys/fs/cgroup ro,nosuid - tmpfs tmpfs ro,mode=755
31 30 0:28 / /sys/fs/cgroup/systemd rw,nosuid - cgroup cgroup rw,xattr,name=systemd
32 30 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid shared:9 - cgroup cgroup rw,cpu,cpuacct
33 30 0:30 / /sys/fs/cgroup/memory rw,nosuid - cgroup cgroup rw,memory
34 30 0:31 / /sys/fs/cgroup/pids rw,nosuid - cgroup cgroup rw,pids
35 30 0:32 / /sys/fs/cgroup/devices rw,nosuid - cgroup cgroup rw,devices
36 30 0:33 / /sys/fs/cgroup/freezer rw,nosuid - cgroup cgroup rw,freezer
37 30 0:34 / /sys/fs/cgroup/hugetlb rw,nosuid - cgroup cgroup rw,hugetlb
38 30 0:35 / /sys/fs/cgroup/cpuset rw,nosuid - cgroup cgroup rw,cpuset
`;
// This dev VM: separate cpu and cpuacct mounts, no v1 hugetlb, a cgroup2 mount that only has hugetlb.
const hybrid = `30 22 0:27 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
31 30 0:28 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
32 30 0:29 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct
33 30 0:30 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset
34 30 0:31 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
35 30 0:32 / /sys/fs/cgroup/devices rw,relatime - cgroup cgroup rw,devices
36 30 0:33 / /sys/fs/cgroup/freezer rw,relatime - cgroup cgroup rw,freezer
37 30 0:34 / /sys/fs/cgroup/blkio rw,relatime - cgroup cgroup rw,blkio
38 30 0:35 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
39 30 0:36 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
40 30 0:37 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
`;

describe('parseCgroupMounts', () => {
  it('reads version, mount point, root and controllers (comounted ones together)', () => {
    const mounts = parseCgroupMounts(v1);
    expect(mounts).toContainEqual({
      version: 1,
      mountPoint: '/sys/fs/cgroup/cpu,cpuacct',
      root: '/',
      controllers: ['cpu', 'cpuacct'],
      readOnly: false,
    });
    expect(mounts.find((m) => m.mountPoint.endsWith('systemd'))?.controllers).toEqual([]);
    expect(mounts.some((m) => m.mountPoint === '/sys')).toBe(false);
  });
  it('unescapes octal escapes and reads optional fields and read-only mounts', () => {
    const [mount] = parseCgroupMounts(
      '40 30 0:37 /sub /mnt/my\\040cg ro,relatime shared:1 master:2 - cgroup2 cgroup2 rw\n',
    );
    expect(mount).toEqual({ version: 2, mountPoint: '/mnt/my cg', root: '/sub', controllers: [], readOnly: true });
  });
});

describe('layoutFromMounts', () => {
  it('pure v2: every controller on the one cgroup2 hierarchy', () => {
    const layout = layoutFromMounts(parseCgroupMounts(pureV2), 'cpuset cpu io memory hugetlb pids rdma misc\n');
    expect(layout.mode).toBe('v2');
    expect(layout.hierarchies).toHaveLength(1);
    for (const c of ['memory', 'cpu', 'cpuacct', 'pids', 'devices', 'freezer', 'hugetlb'] as const) {
      expect(layout.controllers[c]?.mountPoint).toBe('/sys/fs/cgroup');
    }
  });
  it('pure v2 without a controller (not delegated): it resolves to nothing', () => {
    const layout = layoutFromMounts(parseCgroupMounts(pureV2), 'memory pids');
    expect(layout.controllers.cpu).toBeUndefined();
    expect(layout.controllers.memory?.version).toBe(2);
  });
  it('v1: one hierarchy per mount, comounted cpu,cpuacct shared, name=systemd and cpuset ignored', () => {
    const layout = layoutFromMounts(parseCgroupMounts(v1), '');
    expect(layout.mode).toBe('v1');
    expect(layout.controllers.cpu).toBe(layout.controllers.cpuacct);
    expect(layout.controllers.cpu?.mountPoint).toBe('/sys/fs/cgroup/cpu,cpuacct');
    expect(layout.controllers.hugetlb?.mountPoint).toBe('/sys/fs/cgroup/hugetlb');
    expect(layout.hierarchies.map((h) => h.mountPoint)).toEqual([
      '/sys/fs/cgroup/cpu,cpuacct',
      '/sys/fs/cgroup/memory',
      '/sys/fs/cgroup/pids',
      '/sys/fs/cgroup/devices',
      '/sys/fs/cgroup/freezer',
      '/sys/fs/cgroup/hugetlb',
    ]);
    expect(layout.unified).toBeUndefined();
  });
  it('hybrid (this VM): v1 for the controllers it has, the cgroup2 mount for the rest (hugetlb here)', () => {
    const layout = layoutFromMounts(parseCgroupMounts(hybrid), 'hugetlb\n');
    expect(layout.mode).toBe('hybrid');
    expect(layout.controllers.memory?.mountPoint).toBe('/sys/fs/cgroup/memory');
    expect(layout.controllers.cpuacct?.mountPoint).toBe('/sys/fs/cgroup/cpuacct');
    expect(layout.controllers.freezer?.version).toBe(1);
    expect(layout.controllers.devices?.version).toBe(1);
    expect(layout.controllers.hugetlb?.mountPoint).toBe('/sys/fs/cgroup/unified');
    expect(layout.unified?.controllers).toEqual(['hugetlb']);
  });
  it('hybrid with an empty cgroup2 mount: it serves nothing but is still a hierarchy (for cgroup.kill)', () => {
    const layout = layoutFromMounts(parseCgroupMounts(hybrid), '');
    expect(layout.unified?.controllers).toEqual([]);
    expect(layout.controllers.hugetlb).toBeUndefined();
    expect(layout.hierarchies).toContain(layout.unified);
  });
  it('none when nothing is mounted', () => {
    expect(layoutFromMounts([], '').mode).toBe('none');
  });
});

describe('where a process sits and whether it may write', () => {
  const layout = layoutFromMounts(parseCgroupMounts(hybrid), 'hugetlb');
  const self = parseProcCgroup('4:memory:/process_api/x\n2:cpuacct:/\n0::/user.slice\n');
  it('resolves /proc/self/cgroup to directories', () => {
    expect(cgroupDirOf(layout.controllers.memory!, self)).toBe('/sys/fs/cgroup/memory/process_api/x');
    expect(cgroupDirOf(layout.unified!, self)).toBe('/sys/fs/cgroup/unified/user.slice');
    expect(cgroupDirOf(layout.controllers.pids!, self)).toBeUndefined();
  });
  it('root may write; rootless on v1/hybrid may not, with a reason', () => {
    expect(cgroupAccess(layout, self, 0)).toEqual({ enforced: true });
    const rootless = cgroupAccess(layout, self, 65534);
    expect(rootless.enforced).toBe(false);
    expect(!rootless.enforced && rootless.reason).toMatch(/rootless on cgroup v1/);
  });
  it('rootless on v2 without a subtree it owns: not enforced, says so', () => {
    const v2 = layoutFromMounts(parseCgroupMounts(pureV2), 'cpu memory pids');
    const access = cgroupAccess(v2, parseProcCgroup('0::/user.slice/user-65534.slice/session-1.scope\n'), 65534);
    expect(access).toEqual({ enforced: false, reason: expect.stringMatching(/without a delegated cgroup v2 subtree/) });
  });
  it('a read-only cgroup mount is not enforced, even for root', () => {
    const ro = layoutFromMounts(parseCgroupMounts(pureV2.replace('rw,nosuid,nodev', 'ro,nosuid,nodev')), 'memory');
    expect(cgroupAccess(ro, [], 0)).toEqual({ enforced: false, reason: '/sys/fs/cgroup is mounted read-only' });
  });
});
