// `hostUsers: false` through `pod-init run`: a user namespace of the pod's own with a 65536-id range
// (src/pod/userns-ranges.ts), disjoint per pod; what the containers need given to the pod's root
// (emptyDir, configMap); hostPath and --image lower directories idmapped; the pod's root is nobody
// to the host's own files (negative control: the same pod with hostUsers unset); procMount: Unmasked.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeImage, staticBusybox, treeHash } from '../helpers/image';
import { podCli, podManifest } from '../helpers/pod-cli';
import { privilegeSkipReason, titled } from '../helpers/privileges';
import { lineReader, pollUntil } from '../helpers/wait';
import { Sandbox } from '../../src';
import {
  allocateRange,
  defaultRangesDir,
  rangeMappings,
  releaseRange,
  userNamespaceSize,
} from '../../src/pod/userns-ranges';

const reason = privilegeSkipReason();
const { run, cleanup } = podCli();
const busybox = staticBusybox();

/** A one-container pod run to its end: exit code and log lines. */
async function runPod(name: string, container: string, extra = '', objects = '', args: string[] = []) {
  const manifest = podManifest(
    name,
    `  restartPolicy: Never
  terminationGracePeriodSeconds: 1
${extra}  containers:
    - name: c
      image: host
${container}`,
  );
  const r = await run(args, manifest + objects);
  // Without -o json the events and log lines go to stdout.
  const logs = r.stdout
    .split('\n')
    .filter((l) => l.startsWith('c | '))
    .map((l) => l.slice(4));
  return { code: r.code, logs, stdout: r.stdout };
}

const command = (script: string) => `      command: [sh, -c, ${JSON.stringify(script)}]\n`;
const hostUsersFalse = '  hostUsers: false\n';

/** The host pid of the process whose argv is exactly `argv`. */
function hostPidOf(argv: string[]): number | undefined {
  const wanted = `${argv.join('\0')}\0`;
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8') === wanted) return Number(entry);
    } catch {
      // gone meanwhile
    }
  }
  return undefined;
}

describe.skipIf(reason)(titled('hostUsers: false', reason), () => {
  let hostDir: string;
  beforeAll(() => {
    // A host directory the host-mode root shows read-only (/var is bound, /tmp is private), with a
    // 0600 file of host root's.
    hostDir = fs.mkdtempSync('/var/lib/pod-init-host-users-');
    fs.chmodSync(hostDir, 0o755);
    fs.writeFileSync(path.join(hostDir, 'secret'), 'host root only\n', { mode: 0o600 });
  });
  afterAll(() => {
    cleanup();
    fs.rmSync(hostDir, { recursive: true, force: true });
  });

  it('two pods get disjoint ranges: uid 0 inside is host uid N·65536 (N ≥ 1), one block file each, freed at the end', async () => {
    const tokens = [`1000${process.pid}.1`, `1000${process.pid}.2`];
    const pods = tokens.map((token, i) => {
      let child: import('node:child_process').ChildProcess | undefined;
      let logs: ReturnType<typeof lineReader> | undefined;
      const result = run(
        [],
        podManifest(
          `users-${i}`,
          `${hostUsersFalse}  restartPolicy: Never
  terminationGracePeriodSeconds: 1
  containers:
    - name: c
      image: host
${command(`id -u; cat /proc/self/uid_map /proc/self/gid_map; echo maps-done; exec sleep ${token}`)}`,
        ),
        (c) => {
          child = c;
          logs = lineReader(c.stdout); // from the start: nothing it prints is missed
        },
      );
      return { token, result, child: () => child!, logs: () => logs! };
    });
    try {
      const seen = [];
      for (const pod of pods) {
        const logs = pod.logs();
        await logs.waitFor(/^c \| maps-done$/, 'the id maps');
        const pid = await pollUntil(() => hostPidOf(['sleep', pod.token]), `the host pid of sleep ${pod.token}`);
        const maps = logs.lines.filter((l) => /^c \| \s+0\s/.test(l)).map((l) => l.slice(4).trim().split(/\s+/));
        expect(logs.lines).toContain('c | 0'); // id -u inside
        const hostId = Number(maps[0]![1]);
        expect(maps).toEqual([
          ['0', String(hostId), '65536'],
          ['0', String(hostId), '65536'],
        ]); // identical uid and gid maps
        expect(hostId % userNamespaceSize).toBe(0);
        expect(hostId).toBeGreaterThanOrEqual(userNamespaceSize); // block 0 is the host's
        const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
        expect(status).toMatch(new RegExp(`^Uid:\\t${hostId}\\t${hostId}\\t${hostId}\\t${hostId}$`, 'm'));
        expect(status).toMatch(new RegExp(`^Gid:\\t${hostId}\\t${hostId}\\t${hostId}\\t${hostId}$`, 'm'));
        const block = path.join(defaultRangesDir(), String(hostId / userNamespaceSize));
        expect(fs.readFileSync(block, 'utf8')).toMatch(/^[0-9a-f-]{36}\n$/); // the pod's uid
        seen.push({ hostId, block });
      }
      expect(seen[0]!.hostId).not.toBe(seen[1]!.hostId);
      for (const pod of pods) pod.child().kill('SIGTERM');
      for (const pod of pods) await pod.result;
      for (const { block } of seen) expect(fs.existsSync(block)).toBe(false);
    } finally {
      for (const pod of pods) pod.child()?.kill('SIGKILL');
    }
  });

  it('Sandbox.create with a range: the pause is 65535 inside, N·65536+65535 outside; a member is root inside, N·65536 outside', async () => {
    const registry = fs.mkdtempSync(path.join(os.tmpdir(), 'pod-init-host-users-reg-'));
    const range = allocateRange(registry, 'library', () => true);
    try {
      await using pod = await Sandbox.create({ userNamespace: rangeMappings(range) });
      const uids = (pid: number) => /^Uid:\t(.*)$/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))![1];
      const outside = range.hostId + 65535;
      expect(uids(pod.pid)).toBe(`${outside}\t${outside}\t${outside}\t${outside}`);
      const member = pod.spawn({
        file: 'sh',
        args: ['-c', 'id -u; cat /proc/self/uid_map; exec sleep 30'],
        stdio: ['ignore', 'pipe', 'inherit'],
        uid: 0,
        gid: 0,
      });
      const lines = lineReader(member.stdout);
      await lines.waitFor(/^\s*0\s+\d+\s+65536$/);
      expect(lines.lines[0]).toBe('0');
      expect(uids(member.pid)).toBe(`${range.hostId}\t${range.hostId}\t${range.hostId}\t${range.hostId}`);
    } finally {
      releaseRange(registry, range, 'library');
      fs.rmSync(registry, { recursive: true, force: true });
    }
  });

  it("exec probes and hooks join the pod's user namespace: postStart writes the emptyDir, an exec readiness probe reads it", async () => {
    const r = await runPod(
      'users-hooks',
      command('until [ -f /data/ready ]; do sleep 0.1; done; cat /data/hook') +
        `      lifecycle: { postStart: { exec: { command: [sh, -c, "cat /proc/self/uid_map > /data/hook"] } } }
      readinessProbe: { exec: { command: [sh, -c, "touch /data/ready"] }, periodSeconds: 1 }
      volumeMounts: [{ name: data, mountPath: /data }]
`,
      `${hostUsersFalse}  volumes: [{ name: data, emptyDir: {} }]\n`,
    );
    expect(r.code).toBe(0);
    expect(r.stdout).not.toMatch(/FailedPostStartHook|Unhealthy/);
    expect(r.logs.at(-1)).toMatch(/^\s*0\s+[1-9]\d*\s+65536$/); // the hook saw the pod's map
  });

  it("the pod's root writes its emptyDir and reads its configMap (a 0400 file), both root's as it sees them", async () => {
    const r = await runPod(
      'users-files',
      command('id -u; echo made > /data/f && ls -nL /data/f /cfg/k /etc/hosts && cat /cfg/k') +
        `      volumeMounts:
        - { name: data, mountPath: /data }
        - { name: cfg, mountPath: /cfg }
`,
      `${hostUsersFalse}  volumes:
    - { name: data, emptyDir: {} }
    - { name: cfg, configMap: { name: cm, defaultMode: 0400 } }
`,
      '---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\ndata:\n  k: value\n',
    );
    expect(r.code).toBe(0);
    expect(r.logs[0]).toBe('0');
    const owners = r.logs.filter((l) => /^-/.test(l)).map((l) => l.split(/\s+/).slice(0, 4).join(' '));
    expect(owners).toEqual(['-r-------- 1 0 0', '-rw-r--r-- 1 0 0', '-rw-r--r-- 1 0 0']); // /cfg/k (a symlink through ..data, followed), /data/f, /etc/hosts
    expect(r.logs).toContain('value');
  });

  it('a file made in a hostPath volume (idmapped) is owned on the host by the id the pod sees: root → 0, 1000 → 1000', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pod-init-host-users-hp-'));
    try {
      fs.chmodSync(dir, 0o755);
      fs.writeFileSync(path.join(dir, 'mine'), 'x', { mode: 0o600 });
      fs.chownSync(path.join(dir, 'mine'), 1000, 1000);
      fs.mkdirSync(path.join(dir, 'home'), { mode: 0o755 });
      fs.chownSync(path.join(dir, 'home'), 1000, 1000);
      const r = await runPod(
        'users-hostpath',
        command('ls -n /hp/mine && echo root > /hp/by-root') +
          `      volumeMounts: [{ name: hp, mountPath: /hp }]
    - name: u
      image: host
      securityContext: { runAsUser: 1000, runAsGroup: 1000 }
${command('cat /hp/mine && echo user > /hp/home/by-user; echo root > /hp/by-user')}      volumeMounts: [{ name: hp, mountPath: /hp }]
`,
        `${hostUsersFalse}  volumes: [{ name: hp, hostPath: { path: ${JSON.stringify(dir)} } }]\n`,
      );
      expect(r.stdout).not.toMatch(/Error:/);
      expect(r.logs.join('\n')).toMatch(/^-rw------- +1 1000 +1000 .*\/hp\/mine$/m); // the host's owner, as it is
      expect(r.stdout).toMatch(/^u \| x$/m); // uid 1000 in the pod is 1000 there
      const owner = (f: string) => `${fs.statSync(path.join(dir, f)).uid}:${fs.statSync(path.join(dir, f)).gid}`;
      expect(owner('by-root')).toBe('0:0');
      expect(owner('home/by-user')).toBe('1000:1000');
      // uid 1000 of the pod is not root on the host either: host root's directory refuses it.
      expect(r.stdout).toMatch(/^u \| .*by-user: Permission denied$/m);
      expect(fs.existsSync(path.join(dir, 'by-user'))).toBe(false);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("the pod's root cannot open a host root 0600 file of the host's read-only directories (hostUsers unset: it can)", async () => {
    const script = command(`cat ${path.join(hostDir, 'secret')}; grep ^CapEff /proc/self/status`);
    const confined = await runPod('users-denied', script, hostUsersFalse);
    expect(confined.logs.join('\n')).toMatch(/Permission denied/);
    expect(confined.logs).not.toContain('host root only');
    const control = await runPod('users-control', script);
    expect(control.logs).toContain('host root only');
    // The same capabilities either way: only their reach differs.
    const caps = (logs: string[]) => logs.find((l) => l.startsWith('CapEff'));
    expect(caps(confined.logs)).toBe(caps(control.logs));
  });

  it('procMount: Unmasked gives the /proc the kernel has (timer_list not masked); Default masks it', async () => {
    expect(fs.statSync('/proc/timer_list').isFile()).toBe(true); // or the check below proves nothing
    const script = command("stat -c '%F %U' /proc/timer_list; grep -c ' /proc/timer_list ' /proc/self/mountinfo; true");
    const unmasked = await runPod(
      'users-unmasked',
      script + '      securityContext: { procMount: Unmasked }\n',
      hostUsersFalse,
    );
    expect(unmasked.logs).toEqual(['regular empty file nobody', '0']); // host root's: the overflow id in the pod
    const masked = await runPod('users-masked', script, hostUsersFalse);
    expect(masked.logs).toEqual(['character special file nobody', '1']); // /dev/null over it
  });

  it.skipIf(!busybox)(
    "an --image root: the image seen with its owners (idmapped), written only in the container's layer",
    async () => {
      const image = fs.mkdtempSync(path.join(os.tmpdir(), 'pod-init-host-users-img-'));
      try {
        makeImage(image, busybox!, ['sh', 'ls', 'cat', 'id', 'mkdir'], {
          'etc/passwd': 'root:x:0:0:root:/root:/bin/sh\n',
        });
        const before = treeHash(image);
        const r = await runPod(
          'users-image',
          command(
            'id -u; ls -nd /bin /etc/passwd; echo more >> /etc/passwd && mkdir /new && ls -nd /new; cat /proc/self/uid_map',
          ),
          hostUsersFalse,
          '',
          ['--image', `host=${image}`],
        );
        expect(r.code).toBe(0);
        const owners = r.logs.filter((l) => /^[d-]/.test(l)).map((l) => l.split(/\s+/).slice(2, 4).join(':'));
        expect(owners).toEqual(['0:0', '0:0', '0:0']);
        expect(r.logs.at(-1)).toMatch(/^\s*0\s+[1-9]\d*\s+65536$/);
        expect(treeHash(image)).toBe(before);
      } finally {
        fs.rmSync(image, { recursive: true, force: true });
      }
    },
  );
});
