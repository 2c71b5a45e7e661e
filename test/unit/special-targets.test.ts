// Mount targets a volume may not take (escape E7, src/pod/special-targets.ts), as the rule and as
// the validation errors and root-planning errors it produces.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { formatFieldError, validatePod } from '../../src/manifest/validate';
import { ContainerConfigError } from '../../src/pod/environment';
import { rootMounts } from '../../src/pod/rootfs';
import { lxcfsProcFiles, specialTargetProblem } from '../../src/pod/special-targets';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pod-init-special-targets-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** A pod whose second container mounts `mountPath` (and is privileged when asked). */
function pod(mountPath: string, privileged = false, terminationMessagePath?: string) {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p' },
    spec: {
      volumes: [{ name: 'v', emptyDir: {} }],
      containers: [
        { name: 'a', image: 'busybox', volumeMounts: [{ name: 'v', mountPath: '/data' }] },
        {
          name: 'b',
          image: 'busybox',
          volumeMounts: [
            { name: 'v', mountPath: '/ok' },
            { name: 'v', mountPath, subPath: 'x' },
          ],
          ...(privileged ? { securityContext: { privileged: true } } : {}),
          ...(terminationMessagePath !== undefined ? { terminationMessagePath } : {}),
        },
      ],
    },
  };
}
const errors = (p: unknown) => validatePod(p).errors.map(formatFieldError);

describe('specialTargetProblem', () => {
  it('refuses /proc, anything under it but the lxcfs files, in any spelling', () => {
    for (const p of ['/proc', '/proc/', '//proc', '/proc/self/attr', '/proc/sys', '/proc/1/root', '/x/../proc/sys/'])
      expect(specialTargetProblem(p, false), p).toBeDefined();
    expect(specialTargetProblem('/proc', true)).toMatch(/^cannot be mounted on \/proc: /);
    expect(specialTargetProblem('/proc/self/attr', true)).toMatch(/^cannot be mounted because it is inside \/proc /);
    for (const p of lxcfsProcFiles) expect(specialTargetProblem(p, false), p).toBeUndefined();
    expect(specialTargetProblem('/proc/meminfo/', false)).toBeUndefined();
  });

  it('refuses /sys unless privileged, /dev/pts always, and leaves look-alikes alone', () => {
    for (const p of ['/sys', '/sys/fs/cgroup', '/sys/kernel/security'])
      expect([specialTargetProblem(p, false), specialTargetProblem(p, true)], p).toEqual([
        'cannot be mounted because it is inside /sys (only a privileged container may mount there)',
        undefined,
      ]);
    for (const p of ['/dev/pts', '/dev/pts/ptmx', '/dev/pts/0'])
      expect(specialTargetProblem(p, true), p).toMatch(/\/dev\/pts/);
    for (const p of ['/', '/dev', '/dev/shm', '/dev/ptsx', '/procfs', '/system', '/data/proc', '/var/sys'])
      expect(specialTargetProblem(p, false), p).toBeUndefined();
  });
});

describe('validation refuses special mount targets with the field path', () => {
  it('a volumeMount at or under /proc, /sys, /dev/pts', () => {
    expect(errors(pod('/proc/self/attr'))).toEqual([
      'spec.containers[1].volumeMounts[1].mountPath: Invalid value: "/proc/self/attr": cannot be mounted because ' +
        `it is inside /proc (only the files lxcfs emulates may be: ${lxcfsProcFiles.join(', ')})`,
    ]);
    expect(errors(pod('/proc'))).toEqual([
      'spec.containers[1].volumeMounts[1].mountPath: Invalid value: "/proc": cannot be mounted on /proc: the ' +
        "container's /proc is a procfs of its own, and a volume there would replace it",
    ]);
    expect(errors(pod('/sys/fs/cgroup'))).toEqual([
      'spec.containers[1].volumeMounts[1].mountPath: Invalid value: "/sys/fs/cgroup": cannot be mounted because ' +
        'it is inside /sys (only a privileged container may mount there)',
    ]);
    expect(errors(pod('/dev/pts', true))).toEqual([
      'spec.containers[1].volumeMounts[1].mountPath: Invalid value: "/dev/pts": cannot be mounted on or inside ' +
        "/dev/pts (the container's own devpts)",
    ]);
  });

  it('allows the lxcfs files, /sys when privileged, /dev; refuses a terminationMessagePath in /proc', () => {
    expect(errors(pod('/proc/meminfo'))).toEqual([]);
    expect(errors(pod('/sys/fs/cgroup', true))).toEqual([]);
    expect(errors(pod('/dev'))).toEqual([]);
    expect(errors(pod('/ok2', false, '/proc/self/attr/current'))).toEqual([
      'spec.containers[1].terminationMessagePath: Invalid value: "/proc/self/attr/current": cannot be mounted ' +
        `because it is inside /proc (only the files lxcfs emulates may be: ${lxcfsProcFiles.join(', ')})`,
    ]);
  });
});

describe('the root refuses a target that an image symlink leads into /proc or /sys', () => {
  it('/myproc -> /proc in the image: a mountPath /myproc/self/attr is refused when the root is planned', () => {
    const image = fs.mkdtempSync(path.join(tmp, 'image-'));
    fs.symlinkSync('/proc', path.join(image, 'myproc'));
    fs.symlinkSync('../sys/fs', path.join(image, 'fs'));
    const volume = fs.mkdtempSync(path.join(tmp, 'volume-'));
    const plan =
      (target: string, privileged = false) =>
      () =>
        rootMounts({
          root: '/r',
          image: { lower: image, upper: '/u', work: '/w', userNamespace: false },
          shm: '/s',
          binds: [{ source: volume, target }],
          privileged,
        });
    expect(specialTargetProblem('/myproc/self/attr', false)).toBeUndefined(); // what validation saw
    expect(plan('/myproc/self/attr')).toThrow(ContainerConfigError);
    expect(plan('/myproc/self/attr')).toThrow(
      "/myproc/self/attr (/proc/self/attr in the container's root) cannot be mounted because it is inside /proc",
    );
    expect(plan('/fs/cgroup')).toThrow("/fs/cgroup (/sys/fs/cgroup in the container's root) cannot be mounted");
    expect(plan('/fs/cgroup', true)).not.toThrow(); // privileged: the host's /sys is its own anyway
    expect(plan('/data')).not.toThrow();
  });
});
