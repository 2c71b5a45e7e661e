// E8 (CVE-2025-31133's class, with CVE-2025-52881's target check): a masked /proc file is masked by
// binding the container's /dev/null over it. A container that can write where another container's
// /dev lands (an emptyDir mounted at /dev) makes `null` a symlink to a host-global sysctl; the next
// container's mask then binds that sysctl, writable, over /proc/interrupts (which /proc/sys's
// read-only remount does not cover), and root in that container writes the host's kernel settings.
// Defence: the mask source is opened with openat2 (no symlinks, no magic links), checked by fstat to
// be the device 1:3 and bound through /proc/self/fd/N; each masked or read-only target is opened the
// same way and must be on procfs (sysfs under /sys). Each attack runs from inside a real container as
// root-in-container (containerd's capabilities); the negative control runs the very same mask steps
// with their guards removed (the old child) and shows the host sysctl written.
import { spawn as cpSpawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from '../../src';
import { native } from '../../src/native';
import { hostPathKind, maskSteps } from '../../src/pod/security/masked-paths';
import type { MountStep } from '../../src/process/spawn';
import { rootContainerCapabilities, tempDir } from '../helpers/escape';
import { staticBusybox } from '../helpers/image';
import { podCli, podManifest } from '../helpers/pod-cli';
import { privilegeSkipReason, titled } from '../helpers/privileges';
import { stagePackage } from '../helpers/stage';
import { readAll } from '../helpers/wait';

const reason = privilegeSkipReason();
/** A host-global sysctl that a root container must not write (harmless to bump and restore). */
const sysctl = '/proc/sys/kernel/printk_ratelimit_burst';
const hostValue = () => fs.readFileSync(sysctl, 'utf8').trim();
/** Bumps the value found behind /proc/interrupts by one: the write reaches the host if the mask is the sysctl. */
const attack =
  'v=$(/bin/busybox cat /proc/interrupts); echo "read=$v"; ' +
  `echo $((v + 1)) > ${sysctl} || echo direct-refused; ` +
  'echo $((v + 1)) > /proc/interrupts && echo wrote';

describe.skipIf(reason)(titled('escape E8: the mask source is the device 1:3, opened without symlinks', reason), () => {
  let tmp: ReturnType<typeof tempDir>;
  let busybox: string;
  let before: string;
  beforeAll(() => {
    tmp = tempDir('pod-init-mask-source-');
    busybox = staticBusybox()!;
    expect(busybox, 'apt-get install busybox-static').toBeDefined();
    before = hostValue();
    expect(fs.existsSync('/proc/interrupts')).toBe(true); // the masked file the attack goes through
  });
  afterAll(() => {
    if (before !== undefined && hostValue() !== before) fs.writeFileSync(sysctl, before); // the control wrote it
    tmp?.remove();
  });

  /** A container root on a tmpfs with busybox, each [volume, at] bound, a fresh /proc, then `after`. */
  function container(name: string, binds: Array<[string, string]>, after: MountStep[], script: string) {
    const root = path.join(tmp.dir, name);
    fs.mkdirSync(root);
    const f = native.mountFlags;
    const mounts: MountStep[] = [
      { type: 'mount', source: 'tmpfs', target: root, fstype: 'tmpfs', flags: f.MS_NOSUID! },
      { type: 'mkdir', target: `${root}/bin` },
      { type: 'file', target: `${root}/bin/busybox` },
      { type: 'mount', source: busybox, target: `${root}/bin/busybox`, flags: f.MS_BIND! },
      ...binds.flatMap(([volume, at]): MountStep[] => [
        { type: 'mkdir', target: `${root}${at}` },
        { type: 'mount', source: volume, target: `${root}${at}`, flags: f.MS_BIND! },
      ]),
      { type: 'mkdir', target: `${root}/proc` },
      { type: 'pivot-root', target: root },
      { type: 'mount', source: 'proc', target: '/proc', fstype: 'proc', flags: f.MS_NOSUID! | f.MS_NODEV! },
      ...after,
    ];
    return spawn({
      file: '/bin/busybox',
      args: ['sh', '-c', script],
      newNamespaces: ['mnt', 'pid', 'ipc', 'uts'],
      mounts,
      capabilities: rootContainerCapabilities,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  }

  async function output(child: ReturnType<typeof spawn>) {
    const [out, err] = await Promise.all([readAll(child.stdout), readAll(child.stderr)]);
    return { code: (await child.exited).exitCode, out: out.trim().split('\n'), err };
  }

  /** A volume whose `null` a first container made (`plant` runs in it, mounted at /shared). */
  async function plantedVolume(name: string, plant: string) {
    const volume = path.join(tmp.dir, `${name}-volume`);
    fs.mkdirSync(volume);
    const r = await output(container(`${name}-planter`, [[volume, '/shared']], [], plant));
    expect(r).toMatchObject({ code: 0 });
    return volume;
  }

  const masks = (guarded: boolean): MountStep[] =>
    maskSteps({ masked: ['/proc/interrupts'], readOnly: ['/proc/sys'], kind: hostPathKind }).map((step) => {
      if (guarded || step.type !== 'mount') return step;
      const { guard, ...old } = step; // the old step: bound by path, nothing checked
      expect(guard).toBeDefined();
      return old;
    });

  it('a /dev/null made a symlink to a host sysctl: the start fails (mask-source, ELOOP), the host is untouched', async () => {
    const volume = await plantedVolume('symlink', `/bin/busybox ln -s ${sysctl} /shared/null`);
    expect(fs.readlinkSync(path.join(volume, 'null'))).toBe(sysctl);
    expect(() => container('symlink-victim', [[volume, '/dev']], masks(true), attack)).toThrow(
      expect.objectContaining({ step: 'mask-source', code: 'ELOOP', syscall: 'openat2', path: '/dev/null' }),
    );
    expect(hostValue()).toBe(before);
  });

  it('negative control: the same steps unguarded bind the sysctl over /proc/interrupts, and the host is written', async () => {
    const volume = await plantedVolume('control', `/bin/busybox ln -s ${sysctl} /shared/null`);
    const r = await output(container('control-victim', [[volume, '/dev']], masks(false), attack));
    try {
      expect(r.out).toEqual([`read=${before}`, 'direct-refused', 'wrote']); // /proc/sys is read-only, the mask is not
      expect(hostValue()).toBe(String(Number(before) + 1));
    } finally {
      fs.writeFileSync(sysctl, before);
    }
  });

  it('a regular file or another device as /dev/null: refused (mask-source, ENODEV); the real one masks', async () => {
    const file = await plantedVolume('file', 'echo secret > /shared/null');
    expect(() => container('file-victim', [[file, '/dev']], masks(true), attack)).toThrow(
      expect.objectContaining({ step: 'mask-source', code: 'ENODEV', path: '/dev/null' }),
    );
    const zero = await plantedVolume('zero', '/bin/busybox mknod /shared/null c 1 5'); // CAP_MKNOD: containerd's default
    expect(() => container('zero-victim', [[zero, '/dev']], masks(true), attack)).toThrow(
      expect.objectContaining({ step: 'mask-source', code: 'ENODEV', path: '/dev/null' }),
    );
    const real = await plantedVolume(
      'real',
      '/bin/busybox mknod /shared/null c 1 3 && /bin/busybox chmod 666 /shared/null',
    );
    const r = await output(
      container('real-victim', [[real, '/dev']], masks(true), '/bin/busybox wc -c < /proc/interrupts'),
    );
    expect(r).toMatchObject({ code: 0, out: ['0'] }); // masked: empty
  });

  it('a /proc that is not procfs (a volume over it): masking and the read-only remount refuse it (mask-target, EXDEV)', async () => {
    const real = await plantedVolume('dev', '/bin/busybox mknod /shared/null c 1 3');
    const fake = path.join(tmp.dir, 'fake-proc');
    fs.mkdirSync(path.join(fake, 'sys'), { recursive: true });
    fs.writeFileSync(path.join(fake, 'interrupts'), 'fake\n');
    const overProc: MountStep = { type: 'mount', source: '/fake', target: '/proc', flags: native.mountFlags.MS_BIND! };
    const victim = (name: string, guarded: boolean) =>
      container(
        name,
        [
          [real, '/dev'],
          [fake, '/fake'],
        ],
        [overProc, ...masks(guarded)],
        '/bin/busybox ls /proc',
      );
    expect(() => victim('fake-victim', true)).toThrow(
      expect.objectContaining({ step: 'mask-target', code: 'EXDEV', path: '/proc/interrupts' }),
    );
    fs.rmSync(path.join(fake, 'interrupts')); // no masked file there: the read-only remount is refused
    expect(() => victim('fake-victim2', true)).toThrow(
      expect.objectContaining({ step: 'mask-target', code: 'EXDEV', path: '/proc/sys' }),
    );
    // Negative control: unguarded, the container starts on the fake /proc (masks and remounts applied to it).
    const r = await output(victim('fake-control', false));
    expect(r).toMatchObject({ code: 0, out: ['sys'] });
  });
});

/** The pod of the attack: `plant` makes `null` a symlink in an emptyDir that `victim` mounts at /dev. */
const attackPod = podManifest(
  'mask-escape',
  `  restartPolicy: Never
  terminationGracePeriodSeconds: 1
  volumes: [{ name: shared, emptyDir: {} }]
  initContainers:
    - name: plant
      image: host
      command: [sh, -c, "ln -s ${sysctl} /shared/null"]
      volumeMounts: [{ name: shared, mountPath: /shared }]
  containers:
    - name: victim
      image: host
      command: [sh, -c, ${JSON.stringify(attack.replaceAll('/bin/busybox ', ''))}]
      volumeMounts: [{ name: shared, mountPath: /dev }]
`,
);

/** The victim never ran (no log line) and ended as StartError with the mask-source step. */
function expectRefused(r: { stdout: string; stderr: string }) {
  expect(r.stderr).not.toMatch(/victim +\| /);
  const pod = JSON.parse(r.stdout) as {
    status: { containerStatuses: Array<{ state: { terminated?: { reason: string; message: string } } }> };
  };
  expect(pod.status.containerStatuses[0]!.state.terminated).toMatchObject({
    reason: 'StartError',
    message: expect.stringMatching(/^mask-source: ELOOP: .* \(openat2 '\/dev\/null'\)/),
  });
}

describe.skipIf(reason)(titled('escape E8 through pod-init run', reason), () => {
  const { run, cleanup } = podCli();
  afterAll(() => cleanup());

  it('an init container plants the symlink in an emptyDir that the next container mounts at /dev: StartError', async () => {
    const before = hostValue();
    expectRefused(await run(['-o', 'json'], attackPod));
    expect(hostValue()).toBe(before);
  });

  it('rootless (uid 65534, the pod in its own user namespace): the same refusal', async () => {
    const staged = stagePackage();
    const state = fs.mkdtempSync(path.join(os.tmpdir(), 'pod-init-mask-rootless-'));
    fs.chmodSync(state, 0o777);
    try {
      const child = cpSpawn(process.execPath, [path.join(staged, 'pod-init.js'), 'run', '-o', 'json', '-'], {
        uid: 65534,
        gid: 65534,
        cwd: staged,
        env: { PATH: process.env.PATH, POD_INIT_STATE_DIR: state },
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      child.stdin!.end(attackPod);
      const [stdout, stderr] = await Promise.all([readAll(child.stdout), readAll(child.stderr)]);
      await new Promise((resolve) => (child.exitCode !== null ? resolve(null) : child.on('exit', resolve)));
      expect(stderr).toMatch(/plant/); // the init container ran, without root
      expectRefused({ stdout, stderr });
    } finally {
      fs.rmSync(staged, { recursive: true, force: true });
      fs.rmSync(state, { recursive: true, force: true });
    }
  });
});
