// The default confinement of a container, as the rootfs-start and defence benchmarks apply it through
// the library (and hand the same settings to crun and bwrap): containerd's 14 capabilities, the
// RuntimeDefault seccomp filter (compiled once, as pod-init does; and libseccomp's own program of it, for
// comparison), the kubelet's masked and read-only /proc and /sys paths (pod-init's own steps,
// src/pod/security/masked-paths.ts), a fresh cgroup per start under a pids+memory parent made once (or
// under one in every hierarchy pod-init uses, as a container's cgroup is); and a busybox root filesystem
// in a temporary directory.
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const dist = path.join(__dirname, '..', 'dist');
const { native } = require(path.join(dist, 'native'));
const { compileSeccomp, libseccompProgram, runtimeDefaultProfile } = require(path.join(dist, 'security', 'seccomp'));
const { readCgroupLayout } = require(path.join(dist, 'cgroups', 'layout'));

const masks = require(path.join(dist, 'pod', 'security', 'masked-paths'));
const { defaultCapabilities } = require(path.join(dist, 'pod', 'security', 'capabilities'));

/** containerd's default capabilities in the bounding, permitted and effective sets, as pod-init gives a container. */
const capabilitySets = {
  bounding: defaultCapabilities,
  permitted: defaultCapabilities,
  effective: defaultCapabilities,
  inheritable: [],
  ambient: [],
};

const F = native.mountFlags;
const maskedPaths = masks.allMaskedPaths(masks.hostPossibleCpus());

/**
 * pod-init's mount steps masking and write-protecting the kubelet's paths (src/pod/security/masked-paths.ts;
 * container paths, after pivot_root or in a mount namespace of the pod).
 */
function maskSteps() {
  return masks.maskSteps({ masked: maskedPaths, readOnly: masks.readOnlyPaths, kind: masks.hostPathKind });
}

/** The existing masked files, masked directories and read-only paths (for crun's and bwrap's lists). */
function existingPaths() {
  const kind = masks.hostPathKind;
  return {
    masked: maskedPaths.filter((p) => kind(p) !== undefined),
    maskedFiles: maskedPaths.filter((p) => kind(p) === 'file'),
    maskedDirs: maskedPaths.filter((p) => kind(p) === 'dir'),
    readOnly: masks.readOnlyPaths.filter((p) => kind(p) !== undefined),
  };
}

/**
 * A busybox root filesystem in a new temporary directory: /bin/busybox (a static build) with /bin/true
 * and /bin/sh linked to it, and empty proc, dev, sys. Returns undefined when no static busybox exists.
 */
function makeRootfs() {
  const busybox = ['/bin/busybox', '/usr/bin/busybox'].find((p) => fs.existsSync(p));
  if (!busybox) return undefined;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pod-init-bench-rootfs-'));
  const root = path.join(dir, 'rootfs');
  for (const d of ['bin', 'proc', 'dev', 'sys', 'tmp']) fs.mkdirSync(path.join(root, d), { recursive: true });
  fs.copyFileSync(busybox, path.join(root, 'bin', 'busybox'));
  fs.chmodSync(path.join(root, 'bin', 'busybox'), 0o755);
  for (const applet of ['true', 'sh']) fs.symlinkSync('busybox', path.join(root, 'bin', applet));
  return { dir, root };
}

/**
 * The container's root as mount steps (what `crun spec` mounts, without the cgroup filesystem): the
 * root bound onto itself, /proc, a tmpfs /dev with the usual devices bound from the host and links, a
 * devpts, /dev/shm, /dev/mqueue, a read-only sysfs, pivot_root, the root remounted read-only, then
 * the masks (`masks: false` leaves them out).
 */
function rootSteps(root, { masks = true } = {}) {
  const at = (p) => path.join(root, p);
  const steps = [
    { type: 'mount', source: root, target: root, flags: F.MS_BIND | F.MS_REC },
    {
      type: 'mount',
      source: 'proc',
      target: at('proc'),
      fstype: 'proc',
      flags: F.MS_NOSUID | F.MS_NODEV | F.MS_NOEXEC,
    },
    {
      type: 'mount',
      source: 'tmpfs',
      target: at('dev'),
      fstype: 'tmpfs',
      flags: F.MS_NOSUID,
      data: 'mode=755,size=65536k',
    },
  ];
  for (const device of ['null', 'zero', 'full', 'random', 'urandom', 'tty']) {
    steps.push({ type: 'file', target: at(`dev/${device}`) });
    steps.push({ type: 'mount', source: `/dev/${device}`, target: at(`dev/${device}`), flags: F.MS_BIND });
  }
  for (const [name, to] of [
    ['fd', '/proc/self/fd'],
    ['stdin', '/proc/self/fd/0'],
    ['stdout', '/proc/self/fd/1'],
    ['stderr', '/proc/self/fd/2'],
    ['ptmx', 'pts/ptmx'],
  ])
    steps.push({ type: 'symlink', target: at(`dev/${name}`), linkTo: to });
  for (const [name, fstype, flags, data] of [
    ['pts', 'devpts', F.MS_NOSUID | F.MS_NOEXEC, 'newinstance,ptmxmode=0666,mode=0620,gid=5'],
    ['shm', 'tmpfs', F.MS_NOSUID | F.MS_NODEV | F.MS_NOEXEC, 'mode=1777,size=65536k'],
    ['mqueue', 'mqueue', F.MS_NOSUID | F.MS_NODEV | F.MS_NOEXEC, undefined],
  ]) {
    steps.push({ type: 'mkdir', target: at(`dev/${name}`) });
    steps.push({ type: 'mount', source: fstype, target: at(`dev/${name}`), fstype, flags, ...(data ? { data } : {}) });
  }
  steps.push({
    type: 'mount',
    source: 'sysfs',
    target: at('sys'),
    fstype: 'sysfs',
    flags: F.MS_NOSUID | F.MS_NODEV | F.MS_NOEXEC | F.MS_RDONLY,
  });
  steps.push({ type: 'pivot-root', target: root });
  steps.push({ type: 'mount', target: '/', flags: F.MS_BIND | F.MS_REMOUNT | F.MS_RDONLY });
  if (masks) steps.push(...maskSteps());
  return steps;
}

/**
 * The RuntimeDefault profile for the default capabilities, its filter compiled once (what pod-init loads:
 * the range search, src/security/seccomp-ranges.ts), and libseccomp's program of the same profile.
 */
function seccompDefault() {
  const profile = runtimeDefaultProfile(defaultCapabilities);
  return { profile, filter: compileSeccomp(profile), libseccomp: { bpf: libseccompProgram(profile) } };
}

/**
 * A cgroup parent (made here, once) in the v1 pids and memory hierarchies, or with `all` in every hierarchy
 * pod-init makes a container's cgroup in (src/cgroups/layout.ts: here 6 v1 ones and the cgroup2 mount), whose
 * `fresh()` makes a new child in each for one start and `release(dirs)` removes it; `remove()` removes the
 * parent and anything left below it (crun's cgroups too, in every hierarchy). Undefined without them.
 */
function cgroupParent(name, { all = false } = {}) {
  const base = '/sys/fs/cgroup';
  const hierarchies = all
    ? readCgroupLayout().hierarchies.map((h) => h.mountPoint)
    : ['pids', 'memory'].map((c) => path.join(base, c));
  if (hierarchies.length === 0 || !hierarchies.every((h) => fs.existsSync(path.join(h, 'cgroup.procs'))))
    return undefined;
  for (const h of hierarchies) fs.mkdirSync(path.join(h, name));
  let n = 0;
  return {
    name,
    fresh() {
      n += 1;
      const dirs = hierarchies.map((h) => path.join(h, name, `c${n}`));
      for (const d of dirs) fs.mkdirSync(d);
      return dirs;
    },
    release(dirs) {
      for (const d of dirs) fs.rmdirSync(d);
    },
    hierarchies,
    remove() {
      for (const h of fs.readdirSync(base)) {
        const dir = path.join(base, h, name);
        if (!fs.existsSync(dir)) continue;
        for (const child of fs.readdirSync(dir, { withFileTypes: true }))
          if (child.isDirectory()) fs.rmdirSync(path.join(dir, child.name));
        fs.rmdirSync(dir);
      }
    },
  };
}

module.exports = {
  capabilitySets,
  defaultCapabilities,
  existingPaths,
  makeRootfs,
  maskSteps,
  rootSteps,
  seccompDefault,
  cgroupParent,
};
