// The cgroup v2 device allow list (native/device_filter.cc, src/cgroups/device-program.ts) on this kernel's
// cgroup2 mount (/sys/fs/cgroup/unified here: it has no controllers, but device programs need none).
//
// Device nodes made on a tmpfs the test mounts without nodev (c 1:11 is /dev/kmsg, outside runc's list) are
// opened by a shell moved into a v2 cgroup: refused with the program attached, opened without it (the negative
// control), while c 1:3 (/dev/null) opens either way.
//
// On this hybrid host every container is also in a v1 devices cgroup, which enforces the same list: a
// `pod-init run` container being refused proves nothing about the v2 program. So the PodCgroups test uses a
// v2-only layout (the v1 hierarchies left out: the shell's v1 devices cgroup stays the test's own, which
// allows everything) and shows that the v2 program alone refuses; the `pod-init run` test checks that the
// program is attached to the container's v2 directory while it runs, besides the refusal both layers give.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { attachDeviceProgram, attachedDevicePrograms } from '../../src/cgroups/device-program';
import { parseDeviceRule } from '../../src/cgroups/devices';
import { layoutFromMounts, parseCgroupMounts, readCgroupLayout, type CgroupLayout } from '../../src/cgroups/layout';
import { PodCgroups } from '../../src/cgroups/manager';
import { podCgroupSpec, sandboxCgroupName } from '../../src/cgroups/spec';
import { removeCgroupTree } from '../../src/cgroups/tree';
import { PodSystemError } from '../../src/errors';
import type { Pod } from '../../src/manifest/types';
import { native } from '../../src/native';
import { podCli } from '../helpers/pod-cli';
import { privilegeSkipReason, titled } from '../helpers/privileges';
import { readAll, waitForLine } from '../helpers/wait';

const reason = privilegeSkipReason();
const unified = reason === undefined ? readCgroupLayout().unified : undefined;
const skip = reason ?? (unified === undefined ? 'no cgroup2 mount on this host' : undefined);
const testRoot = `pod-init-test-devices-${process.pid}`;
const testDir = () => path.join(unified!.mountPoint, testRoot);

/**
 * This host with its v1 hierarchies left out: only the cgroup2 mount, which then serves `devices`. No controller
 * is claimed (the mount's hugetlb would be enabled in its root's cgroup.subtree_control, host state).
 */
function v2Only(): CgroupLayout {
  const mounts = parseCgroupMounts(fs.readFileSync('/proc/self/mountinfo', 'utf8')).filter((m) => m.version === 2);
  return layoutFromMounts(mounts, '');
}

let scratch = ''; // a tmpfs without nodev, holding the device nodes
const node = (name: string) => path.join(scratch, name);
const children: ChildProcess[] = [];

/**
 * A shell moved into the v2 cgroup `dir` opens each of `opens` (`<` read, `>` write, `<>` both, or `mknod` of a new
 * c 1:11 node) and says `ok` or `refused` for each.
 */
async function attempts(dir: string, opens: Array<[mode: '<' | '>' | '<>' | 'mknod', file: string]>): Promise<string> {
  const script = opens
    .map(([mode, file]) =>
      mode === 'mknod'
        ? `if mknod ${file} c 1 11 2>&-; then echo ok; rm ${file}; else echo refused; fi`
        : `if (exec 3${mode}${file}) 2>&-; then echo ok; else echo refused; fi`,
    )
    .join('; ');
  const child = spawn('/bin/sh', ['-c', `read x; ${script}`], { stdio: ['pipe', 'pipe', 'inherit'] });
  children.push(child);
  fs.writeFileSync(path.join(dir, 'cgroup.procs'), String(child.pid));
  child.stdin!.end('go\n');
  return (await readAll(child.stdout)).trim().split('\n').join(' ');
}

function cgroup(name: string): string {
  const dir = path.join(testDir(), name);
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

describe.skipIf(skip)(titled('cgroup v2 device program (real kernel)', skip), () => {
  beforeAll(() => {
    scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'pod-init-devices-'));
    native.mount('tmpfs', scratch, 'tmpfs', 0, 'mode=755'); // no nodev: device nodes open here
    for (const [name, minor] of [
      ['kmsg', '11'],
      ['null', '3'],
    ])
      expect(spawnSync('mknod', [node(name!), 'c', '1', minor!]).status).toBe(0);
  });

  afterEach(async () => {
    for (const child of children.splice(0))
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await removeCgroupTree(testDir(), 10_000);
  });

  afterAll(() => {
    if (scratch === '') return;
    native.umount(scratch, 0);
    fs.rmdirSync(scratch);
    expect(fs.existsSync(testDir())).toBe(false);
  });

  it('refuses a node outside the list and allows c 1:3; without the program the same opens work', async () => {
    const opens: Array<['<>', string]> = [
      ['<>', node('kmsg')],
      ['<>', node('null')],
      ['<>', '/dev/null'],
    ];
    const bare = cgroup('bare');
    expect(await attempts(bare, opens)).toBe('ok ok ok'); // negative control: nothing refuses c 1:11 here
    const confined = cgroup('confined');
    attachDeviceProgram(confined, ['c *:* m', 'c 1:3 rwm'].map(parseDeviceRule));
    expect(attachedDevicePrograms(confined)).toBe(1);
    expect(attachedDevicePrograms(bare)).toBe(0);
    expect(await attempts(confined, opens)).toBe('refused ok ok');
  });

  it('checks the access bits, wildcards and the device type; the rules are tried in order', async () => {
    const dir = cgroup('access');
    // c 1:11 readable only; c 1:* writable only (a later rule: 1:11 can then be written too, first match wins
    // per request); block devices: nothing, not even mknod.
    attachDeviceProgram(dir, ['c 1:11 r', 'c 1:* w', 'c *:* m'].map(parseDeviceRule));
    expect(
      await attempts(dir, [
        ['<', node('kmsg')],
        ['>', node('kmsg')],
        ['<>', node('kmsg')], // needs r and w in one rule: none has both
        ['>', node('null')],
        ['<', node('null')],
        ['mknod', node('made')],
      ]),
    ).toBe('ok ok refused ok refused ok');
    const none = cgroup('none');
    attachDeviceProgram(none, []); // an empty list denies everything, mknod included
    expect(
      await attempts(none, [
        ['<', '/dev/null'],
        ['mknod', node('made')],
      ]),
    ).toBe('refused refused');
  });

  it('a privileged-style `a` rule allows everything', async () => {
    const dir = cgroup('all');
    attachDeviceProgram(dir, [parseDeviceRule('a')]);
    expect(
      await attempts(dir, [
        ['<>', node('kmsg')],
        ['mknod', node('made')],
      ]),
    ).toBe('ok ok');
  });

  it('reports refusals as PodSystemError with a hint, and bad rules by index', () => {
    const fd = native.loadDeviceFilter([parseDeviceRule('c 1:3 rwm')]);
    try {
      let error: unknown;
      try {
        native.attachDeviceFilter(scratch, fd); // a tmpfs directory, not a cgroup v2 one
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(PodSystemError);
      expect(error).toMatchObject({ code: 'EBADF', syscall: 'bpf(BPF_PROG_ATTACH)', path: scratch });
      expect((error as PodSystemError).hint).toMatch(/cgroup v2 directories only/);
    } finally {
      native.close(fd);
    }
    expect(() => native.loadDeviceFilter([{ type: 'x' as 'a', major: 1, minor: 3, access: 'r' }])).toThrow(
      'device rule 0: type: expected "a", "b" or "c"',
    );
    expect(() => native.loadDeviceFilter([{ type: 'c', major: 1, minor: 3, access: 'rx' }])).toThrow(
      'device rule 0: access: expected one or more of r, w, m, got "rx"',
    );
  });

  it('PodCgroups on a v2-only layout: the v2 program alone refuses; privileged gets no program', async () => {
    const pod: Pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p' },
      spec: {
        containers: [
          { name: 'app', image: 'i' },
          { name: 'priv', image: 'i', securityContext: { privileged: true } },
        ],
      },
    };
    const spec = podCgroupSpec(pod, `t${process.pid}`);
    const cgroups = await PodCgroups.create(spec, {
      layout: v2Only(),
      access: { enforced: true },
      cgroupRoot: testRoot,
    });
    try {
      expect(cgroups.enforcement.notEnforced.filter((n) => n.startsWith('devices'))).toEqual([]);
      const [app] = await cgroups.prepareContainer('app');
      const [priv] = cgroups.containerDirs('priv');
      expect(attachedDevicePrograms(app!)).toBe(1);
      expect(attachedDevicePrograms(priv!)).toBe(0);
      // The sandbox is privileged when a container is (SECURITY.md §2.6).
      expect(attachedDevicePrograms(path.join(path.dirname(app!), sandboxCgroupName))).toBe(0);
      const opens: Array<['<>', string]> = [
        ['<>', node('kmsg')],
        ['<>', '/dev/null'],
      ];
      expect(await attempts(app!, opens)).toBe('refused ok');
      expect(await attempts(priv!, opens)).toBe('ok ok'); // negative control: same host, no program
    } finally {
      await cgroups.remove();
    }
    for (const dir of cgroups.podCgroupDirs()) expect(fs.existsSync(dir)).toBe(false);
  });
});

describe.skipIf(skip)(titled('pod-init run: the device program of a default container', skip), () => {
  const { stateRoot, run, cleanup } = podCli();
  afterAll(() => cleanup());

  it('is attached to its v2 cgroup while it runs, and a node it made outside the list does not open', async () => {
    const gate = path.join(stateRoot, 'gate');
    fs.mkdirSync(gate);
    const script = [
      'mknod /scratch/kmsg c 1 11 && if (exec 3</scratch/kmsg) 2>/dev/null; then echo open=ok; else echo open=refused; fi',
      'until [ -e /gate/go ]; do sleep 0.05; done',
    ].join('; ');
    const manifest = `apiVersion: v1
kind: Pod
metadata: { name: devices }
spec:
  restartPolicy: Never
  terminationGracePeriodSeconds: 1
  volumes: [{ name: gate, hostPath: { path: ${gate} } }, { name: scratch, emptyDir: {} }]
  containers:
    - name: c
      image: host
      command: [/bin/busybox, sh, -c, ${JSON.stringify(script)}]
      volumeMounts: [{ name: gate, mountPath: /gate }, { name: scratch, mountPath: /scratch }]
`;
    let attached: number | undefined;
    let uid: string | undefined;
    let opened: Promise<string> | undefined;
    const result = run(['-o', 'json', '--timeout', '30s'], manifest, (child) => {
      opened = waitForLine(child.stderr, /^c \| open=/);
    });
    try {
      const line = await opened!;
      expect(line).toBe('c | open=refused');
      // The uid is the run's own (a manifest's is ignored): its state directory's name ends with it.
      uid = fs
        .readdirSync(stateRoot)
        .find((d) => d.startsWith('default_devices_'))!
        .slice('default_devices_'.length);
      attached = attachedDevicePrograms(path.join(unified!.mountPoint, `kubepods/besteffort/pod${uid}/c`));
    } finally {
      fs.writeFileSync(path.join(gate, 'go'), '');
    }
    const r = await result;
    expect(r.code, r.stderr).toBe(0);
    expect(attached).toBe(1);
    expect(fs.existsSync(path.join(unified!.mountPoint, `kubepods/besteffort/pod${uid!}`))).toBe(false);
  });
});
