// E7: a volume whose mountPath is at or under /proc, /sys (not privileged) or /dev/pts would shadow
// or redirect the kernel interfaces a container's confinement depends on. A volume the pod's other
// containers write, bound over a container's /proc, replaces that container's procfs by their files:
// what it reads as /proc/self/*, /proc/sys/* is planted, and every setup step that goes through
// /proc after pivot_root (masks, read-only /proc/sys, sysctls, /proc/self/fd/N) meets the planted
// tree instead of the kernel (CVE-2025-52881's redirection). pod-init refuses such a mountPath at
// validation (exit 2, the field path), and again when an image symlink leads a mountPath there.
// Negative control: the steps such a volume produced before (the bind over the fresh procfs and the
// old unguarded masks), run from real containers, start the victim on the planted /proc.
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
import { makeImage, staticBusybox } from '../helpers/image';
import { podCli, podManifest } from '../helpers/pod-cli';
import { privilegeSkipReason, titled } from '../helpers/privileges';
import { stagePackage } from '../helpers/stage';
import { readAll } from '../helpers/wait';

const reason = privilegeSkipReason();

/** A pod whose one container mounts an emptyDir at `mountPath` (as volumeMounts[1]) and says "ran". */
const specialPod = (mountPath: string, image = 'host') =>
  podManifest(
    'special-target',
    `  restartPolicy: Never
  terminationGracePeriodSeconds: 1
  volumes: [{ name: shared, emptyDir: {} }]
  containers:
    - name: victim
      image: ${image}
      command: [sh, -c, "echo ran"]
      volumeMounts: [{ name: shared, mountPath: /data }, { name: shared, mountPath: ${mountPath} }]
`,
  );

describe.skipIf(reason)(titled('escape E7: no volume over /proc, /sys or /dev/pts', reason), () => {
  const { run, cleanup } = podCli();
  let tmp: ReturnType<typeof tempDir>;
  let busybox: string;
  beforeAll(() => {
    tmp = tempDir('pod-init-special-targets-');
    busybox = staticBusybox()!;
    expect(busybox, 'apt-get install busybox-static').toBeDefined();
  });
  afterAll(() => {
    cleanup();
    tmp?.remove();
  });

  it('pod-init run refuses the manifest: exit 2, the field path, no stack trace, nothing started', async () => {
    const cases: Array<[string, RegExp]> = [
      ['/proc/sys', /cannot be mounted because it is inside \/proc \(only the files lxcfs emulates/],
      ['/proc', /cannot be mounted on \/proc: /],
      ['/sys/fs/cgroup', /cannot be mounted because it is inside \/sys \(only a privileged container/],
      ['/dev/pts', /cannot be mounted on or inside \/dev\/pts/],
    ];
    for (const [mountPath, message] of cases) {
      const r = await run(['-o', 'json'], specialPod(mountPath));
      expect(r.code, mountPath).toBe(2);
      expect(r.stderr).toContain(
        `spec.containers[0].volumeMounts[1].mountPath: Invalid value: ${JSON.stringify(mountPath)}: `,
      );
      expect(r.stderr).toMatch(message);
      expect(r.stderr).not.toMatch(/^\s+at /m);
      expect(r.stderr).not.toMatch(/Started|victim +\| ran/);
    }
    // The same pod with an ordinary path runs (the refusal is about the path, not the pod).
    const r = await run(['-o', 'json'], specialPod('/mnt/x'));
    expect(r.stderr).toMatch(/victim +\| ran/);
    expect(r.code).toBe(0);
  });

  it('an image symlink (/myproc -> /proc) leading the mountPath into /proc: the container is not created', async () => {
    const image = path.join(tmp.dir, 'image');
    makeImage(image, busybox, ['sh']);
    fs.symlinkSync('/proc', path.join(image, 'myproc'));
    let stderr = '';
    const r = await run(['-o', 'json', '--image', `img=${image}`], specialPod('/myproc/sys', 'img'), (child) => {
      child.stderr!.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        if (/Warning Failed/.test(stderr)) child.kill('SIGTERM'); // kubelet-like: it would retry for ever
      });
    });
    expect(r.stderr).toMatch(
      /Error: \/myproc\/sys \(\/proc\/sys in the container's root\) cannot be mounted because it is inside \/proc/,
    );
    expect(r.stderr).not.toMatch(/victim +\| ran/);
  });

  it('rootless (uid 65534): the same refusals, at validation and through an image symlink', async () => {
    const staged = stagePackage();
    const state = fs.mkdtempSync(path.join(os.tmpdir(), 'pod-init-special-rootless-'));
    const image = path.join(state, 'image');
    fs.chmodSync(state, 0o777);
    makeImage(image, busybox, ['sh']);
    fs.symlinkSync('/proc', path.join(image, 'myproc'));
    /** `pod-init run -o json ARGS -` as uid 65534; SIGTERM once its output matches `stopAt`. */
    const asNobody = async (args: string[], manifest: string, stopAt?: RegExp) => {
      const child = cpSpawn(process.execPath, [path.join(staged, 'pod-init.js'), 'run', '-o', 'json', ...args, '-'], {
        uid: 65534,
        gid: 65534,
        cwd: staged,
        env: { PATH: process.env.PATH, POD_INIT_STATE_DIR: path.join(state, 'state') },
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      let seen = '';
      child.stderr!.on('data', (chunk: Buffer) => {
        seen += chunk.toString();
        if (stopAt?.test(seen)) child.kill('SIGTERM');
      });
      child.stdin!.end(manifest);
      const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
      await readAll(child.stdout);
      return { code: await exited, stderr: seen };
    };
    try {
      const refused = await asNobody([], specialPod('/proc/sys'));
      expect(refused.code).toBe(2);
      expect(refused.stderr).toContain('spec.containers[0].volumeMounts[1].mountPath: Invalid value: "/proc/sys": ');
      const linked = await asNobody(['--image', `img=${image}`], specialPod('/myproc/sys', 'img'), /Warning Failed/);
      expect(linked.stderr).toMatch(
        /\(\/proc\/sys in the container's root\) cannot be mounted because it is inside \/proc/,
      );
      expect(linked.stderr).not.toMatch(/victim +\| ran/);
    } finally {
      fs.rmSync(staged, { recursive: true, force: true });
      fs.rmSync(state, { recursive: true, force: true });
    }
  });

  /** A container root on a tmpfs with busybox, each [volume, at] bound, a fresh /proc, then `after`. */
  function container(name: string, binds: Array<[string, string]>, after: MountStep[], script: string) {
    const root = path.join(tmp.dir, name);
    fs.mkdirSync(root);
    const f = native.mountFlags;
    return spawn({
      file: '/bin/busybox',
      args: ['sh', '-c', script],
      newNamespaces: ['mnt', 'pid', 'ipc', 'uts'],
      mounts: [
        { type: 'mount', source: 'tmpfs', target: root, fstype: 'tmpfs', flags: f.MS_NOSUID! },
        { type: 'mkdir', target: `${root}/bin` },
        { type: 'file', target: `${root}/bin/busybox` },
        { type: 'mount', source: busybox, target: `${root}/bin/busybox`, flags: f.MS_BIND! },
        { type: 'mkdir', target: `${root}/dev` },
        { type: 'file', target: `${root}/dev/null` },
        { type: 'mount', source: '/dev/null', target: `${root}/dev/null`, flags: f.MS_BIND! },
        { type: 'mkdir', target: `${root}/proc` },
        // As rootfs.ts plans it: the fresh procfs first, then the volumes (one at /proc shadows it).
        { type: 'mount', source: 'proc', target: `${root}/proc`, fstype: 'proc', flags: f.MS_NOSUID! },
        ...binds.flatMap(([volume, at]): MountStep[] => [
          { type: 'mkdir', target: `${root}${at}` },
          { type: 'mount', source: volume, target: `${root}${at}`, flags: f.MS_BIND! },
        ]),
        { type: 'pivot-root', target: root },
        ...after,
      ],
      capabilities: rootContainerCapabilities,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  }
  const output = async (child: ReturnType<typeof spawn>) => {
    const out = await readAll(child.stdout);
    return { code: (await child.exited).exitCode, out: out.trim().split('\n') };
  };
  const masks = (guarded: boolean): MountStep[] =>
    maskSteps({ masked: ['/proc/interrupts'], readOnly: ['/proc/sys'], kind: hostPathKind }).map((step) => {
      if (guarded || step.type !== 'mount') return step;
      const old: MountStep = { ...step };
      delete (old as { guard?: unknown }).guard;
      return old;
    });

  it('negative control: a planted volume bound over /proc (as planned before) is the victim’s /proc', async () => {
    const volume = path.join(tmp.dir, 'volume');
    fs.mkdirSync(volume);
    const planter = container(
      'planter',
      [[volume, '/shared']],
      [],
      'cd /shared && /bin/busybox mkdir -p self sys/kernel && echo "NoNewPrivs: 1" > self/status && ' +
        'echo "Seccomp: 2" >> self/status && echo planted > sys/kernel/core_pattern && echo 0 > interrupts',
    );
    expect(await output(planter)).toMatchObject({ code: 0 });
    const victim = (name: string, guarded: boolean) =>
      container(
        name,
        [[volume, '/proc']],
        masks(guarded),
        '/bin/busybox cat /proc/self/status /proc/sys/kernel/core_pattern',
      );
    // Before E7 the start succeeds, masks included: the container's kernel interfaces are the planter's files.
    expect(await output(victim('victim-old', false))).toEqual({
      code: 0,
      out: ['NoNewPrivs: 1', 'Seccomp: 2', 'planted'],
    });
    // Today's guarded masks refuse that /proc as a second line (E8), behind the validation above.
    expect(() => victim('victim-guarded', true)).toThrow(
      expect.objectContaining({ step: 'mask-target', code: 'EXDEV', path: '/proc/interrupts' }),
    );
  });
});
