// A container's root under `pod-init run` (KUBERNETES.md A.2, A.3): volumes at new paths inside the
// host's directories, subPath and subPathExpr (kubelet_pods.go makeMounts), emptyDir medium Memory with
// its size (emptydir.go), the pod's /dev/shm, a minimal /dev, and termination messages
// (kuberuntime_container.go getTerminationMessage; e2e "Container Runtime ... should report
// termination message"). Nothing of it may appear on the host.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { podCli, podManifest } from '../helpers/pod-cli';
import { privilegeSkipReason, titled } from '../helpers/privileges';

const reason = privilegeSkipReason();
const { stateRoot, run, cleanup } = podCli();

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- statuses are read loosely here
type Status = { name: string; state: any };
interface PodJson {
  status: { phase: string; containerStatuses: Status[]; initContainerStatuses?: Status[] };
}

const linesOf = (out: string, container: string) =>
  out
    .split('\n')
    .filter((l) => l.startsWith(`${container} `))
    .map((l) => l.replace(/^[^|]*\| /, ''));
const statusOf = (pod: PodJson, name: string) =>
  [...(pod.status.initContainerStatuses ?? []), ...pod.status.containerStatuses].find((s) => s.name === name)!;

describe.skipIf(reason)(titled('pod-init run: container roots', reason), () => {
  afterAll(cleanup);
  const tag = `pod-init-test-${process.pid}`;

  it('mounts volumes at new paths inside host directories and a configMap key as a file; the host is untouched', async () => {
    const manifest = `${podManifest(
      'shadow',
      `  restartPolicy: Never
  volumes:
    - { name: data, emptyDir: {} }
    - { name: cfg, configMap: { name: app } }
  containers:
    - name: c
      image: x
      command: [sh, -c, 'echo kept > /etc/${tag}/data/f && cat /etc/${tag}/data/f /etc/${tag}.conf && head -c 4 /etc/os-release && echo && ls -d /etc/${tag}']
      volumeMounts:
        - { name: data, mountPath: /etc/${tag}/data }
        - { name: cfg, mountPath: /etc/${tag}.conf, subPath: app.conf }
`,
    )}---\napiVersion: v1\nkind: ConfigMap\nmetadata: { name: app }\ndata: { app.conf: "key=value\\n" }\n`;
    const r = await run(['-o', 'json'], manifest);
    expect(r.code, r.stderr).toBe(0);
    // The host's /etc is still seen (its entries are bound into the shadow), with the new entries beside.
    expect(linesOf(r.stderr, 'c')).toEqual([
      'kept',
      'key=value',
      fs.readFileSync('/etc/os-release', 'utf8').slice(0, 4),
      `/etc/${tag}`,
    ]);
    expect(fs.existsSync(`/etc/${tag}`)).toBe(false);
    expect(fs.existsSync(`/etc/${tag}.conf`)).toBe(false);
  });

  it('subPath and subPathExpr bind a directory of the volume, made when missing', async () => {
    const manifest = podManifest(
      'subpaths',
      `  restartPolicy: Never
  volumes: [{ name: v, emptyDir: {} }]
  initContainers:
    - name: writer
      image: x
      env: [{ name: POD, valueFrom: { fieldRef: { fieldPath: metadata.name } } }]
      command: [sh, -c, 'echo one > /a/file; echo two > /b/file']
      volumeMounts:
        - { name: v, mountPath: /a, subPath: logs/a }
        - { name: v, mountPath: /b, subPathExpr: 'by-pod/$(POD)' }
  containers:
    - name: reader
      image: x
      command: [sh, -c, 'cat /all/logs/a/file /all/by-pod/subpaths/file']
      volumeMounts: [{ name: v, mountPath: /all }]
`,
    );
    const r = await run(['-o', 'json'], manifest);
    expect(r.code, r.stderr).toBe(0);
    expect(linesOf(r.stderr, 'reader')).toEqual(['one', 'two']);
  });

  it('a subPathExpr with a missing variable, or a subPath leaving the volume by a symlink, is CreateContainerConfigError', async () => {
    const manifest = podManifest(
      'badsub',
      `  volumes: [{ name: v, emptyDir: {} }, { name: m, emptyDir: { medium: Memory } }]
  initContainers:
    - name: link
      image: x
      command: [sh, -c, 'ln -s /etc /v/escape; ln -s /etc /m/escape']
      volumeMounts: [{ name: v, mountPath: /v }, { name: m, mountPath: /m }]
  containers:
    - name: expr
      image: x
      command: ["true"]
      volumeMounts: [{ name: v, mountPath: /x, subPathExpr: '$(NOPE)' }]
    - name: escape
      image: x
      command: ["true"]
      volumeMounts: [{ name: v, mountPath: /x, subPath: escape/ssh }]
    - name: mem-escape
      image: x
      command: ["true"]
      volumeMounts: [{ name: m, mountPath: /x, subPath: escape/ssh }]
`,
    );
    const r = await run(['--timeout', '1s'], manifest);
    const failed = (name: string) =>
      `${r.stdout}${r.stderr}`
        .split('\n')
        .find((l) => /^event: Warning +Failed +pod\/badsub /.test(l) && l.includes(`(${name}): Error: `));
    expect(failed('expr')).toContain(
      'failed to prepare subPath for volumeMount "v" of container "expr": missing value for NOPE',
    );
    expect(failed('escape')).toMatch(/subpath ".*\/v\/escape\/ssh" not within volume path ".*\/v"$/);
    // A Memory emptyDir is a tmpfs of the pod's mount namespace: its symlink is seen there, too.
    expect(failed('mem-escape')).toMatch(/subpath ".*\/m\/escape\/ssh" not within volume path ".*\/m"$/);
    expect(fs.existsSync('/etc/ssh/.pod-init')).toBe(false);
  });

  it('emptyDir medium Memory is a tmpfs of sizeLimit shared by the containers; /dev/shm is the pod’s; neither is on the host', async () => {
    const manifest = podManifest(
      'memory',
      `  restartPolicy: Never
  volumes: [{ name: m, emptyDir: { medium: Memory, sizeLimit: 1Mi } }]
  initContainers:
    - name: writer
      image: x
      command: [sh, -c, 'echo from-init > /m/f; echo sub > /sub/f; echo ${tag} > /dev/shm/${tag}; grep -E " /m | /dev/shm " /proc/self/mountinfo']
      volumeMounts: [{ name: m, mountPath: /m }, { name: m, mountPath: /sub, subPath: deep/dir }]
  containers:
    - name: reader
      image: x
      command: [sh, -c, 'cat /m/f /m/deep/dir/f /dev/shm/${tag}; head -c 2000000 /dev/zero 2>/dev/null > /m/big || echo full']
      volumeMounts: [{ name: m, mountPath: /m }]
`,
    );
    const r = await run(['-o', 'json'], manifest);
    expect(r.code, r.stderr).toBe(0);
    // mountinfo: mount point (5th field) ... " - " fstype source super-options
    const mounts = linesOf(r.stderr, 'writer').map((l) => {
      const [mine, fs] = l.split(' - ');
      return `${mine!.split(' ')[4]} ${fs!.split(' ')[0]} ${fs!.split(' ')[2]}`;
    });
    expect(mounts.sort()).toEqual(['/dev/shm tmpfs rw,size=65536k', '/m tmpfs rw,size=1024k,mode=777']);
    expect(linesOf(r.stderr, 'reader')).toEqual(['from-init', 'sub', tag, 'full']); // 2 MB do not fit in 1 MiB
    expect(fs.existsSync(`/dev/shm/${tag}`)).toBe(false);
    expect(fs.readFileSync('/proc/self/mountinfo', 'utf8')).not.toContain(stateRoot);
  });

  it('a container gets a minimal /dev; a privileged one the host’s', async () => {
    if (!fs.existsSync('/dev/kmsg')) throw new Error('this host has no /dev/kmsg to tell the two apart');
    const manifest = podManifest(
      'devices',
      `  restartPolicy: Never
  containers:
    - { name: plain, image: x, command: [sh, -c, 'ls /dev; echo --; ls /dev/pts'] }
    - name: privileged
      image: x
      securityContext: { privileged: true }
      command: [sh, -c, 'ls /dev/kmsg']
`,
    );
    const r = await run(['-o', 'json'], manifest);
    expect(r.code, r.stderr).toBe(0);
    const devices = ['fd', 'full', 'null', 'ptmx', 'pts', 'random', 'shm', 'stderr', 'stdin', 'stdout'];
    devices.push('termination-log', 'tty', 'urandom', 'zero');
    expect(linesOf(r.stderr, 'plain')).toEqual([...devices, '--', 'ptmx']); // a devpts of its own
    expect(linesOf(r.stderr, 'privileged')).toEqual(['/dev/kmsg']);
    expect(r.stderr).not.toContain('not carried out'); // privileged: true is carried out
  });

  it('termination messages: what the file says; FallbackToLogsOnError’s last 80 lines (2048 bytes) only on failure', async () => {
    const manifest = podManifest(
      'messages',
      `  restartPolicy: Never
  containers:
    - name: file
      image: x
      command: [sh, -c, 'echo bye > /dev/termination-log; exit 3']
    - name: fallback
      image: x
      terminationMessagePolicy: FallbackToLogsOnError
      command: [sh, -c, 'i=0; while [ $$i -lt 100 ]; do i=$$((i+1)); echo line $$i; done; exit 1']
    - name: logs-only
      image: x
      command: [sh, -c, 'echo not a message; exit 1']
`,
    );
    const r = await run(['-o', 'json', '-q'], manifest);
    expect(r.code, r.stderr).toBe(1);
    const final = JSON.parse(r.stdout) as PodJson;
    const message = (name: string) => statusOf(final, name).state.terminated.message as string | undefined;
    expect(message('file')).toBe('bye\n');
    const fallback = Array.from({ length: 80 }, (_, i) => `line ${i + 21}`).join('\n') + '\n';
    expect(message('fallback')).toBe(fallback.slice(0, 2048));
    expect(message('logs-only')).toBeUndefined();
  });

  it('termination messages: the last 4096 bytes of a long one; a custom terminationMessagePath', async () => {
    const manifest = podManifest(
      'messages2',
      `  restartPolicy: Never
  containers:
    - name: long
      image: x
      command: [sh, -c, '{ head -c 5000 /dev/zero | tr "\\\\0" a; echo END; } > /dev/termination-log']
    - name: custom
      image: x
      terminationMessagePath: /tmp/${tag}-message
      command: [sh, -c, 'echo custom > /tmp/${tag}-message']
`,
    );
    const r = await run(['-o', 'json', '-q'], manifest);
    expect(r.code, r.stderr).toBe(0);
    const final = JSON.parse(r.stdout) as PodJson;
    const message = (name: string) => statusOf(final, name).state.terminated.message as string | undefined;
    expect(message('long')).toBe(`${'a'.repeat(4092)}END\n`); // the end of the 5004 bytes
    expect(message('custom')).toBe('custom\n');
    expect(fs.existsSync(`/tmp/${tag}-message`)).toBe(false); // made in the container's root only
  });

  it('termination messages of a status list share 12 KiB', async () => {
    const writer = (name: string) =>
      `    - { name: ${name}, image: x, command: [sh, -c, 'head -c 4096 /dev/zero | tr "\\\\0" m > /dev/termination-log'] }\n`;
    const manifest = podManifest(
      'share',
      `  restartPolicy: Never\n  containers:\n${['a', 'b', 'c', 'd'].map(writer).join('')}`,
    );
    const r = await run(['-o', 'json', '-q'], manifest);
    expect(r.code, r.stderr).toBe(0);
    const final = JSON.parse(r.stdout) as PodJson;
    for (const s of final.status.containerStatuses) expect(s.state.terminated.message).toBe('m'.repeat(3072));
  });

  it("host mode: the host's directories and their submounts are read-only, /tmp, /var/tmp and /run private", async () => {
    // A host directory and file made for this test (never the host's own files: if the defence
    // failed, the test would have written them), and a cgroup that a write to /sys would create.
    const hostDir = `/var/lib/${tag}`;
    const cgroup = `/sys/fs/cgroup/pids/${tag}`;
    fs.mkdirSync(hostDir);
    fs.writeFileSync(`${hostDir}/f`, 'host\n');
    const tryWrite = (p: string) => `(echo x >> ${p}) 2>/dev/null && echo wrote ${p} || echo refused ${p}`;
    const script = [
      tryWrite(`${hostDir}/f`),
      tryWrite(`${hostDir}/new`),
      `(mkdir ${cgroup}) 2>&1 | grep -o 'Read-only file system'`,
      `echo scratch > /tmp/${tag} && echo scratch > /var/tmp/${tag} && echo scratch > /run/${tag} && echo private`,
      `ls /run | wc -l`,
      tryWrite(`/mnt/${tag}/f`),
    ].join('; ');
    const manifest = podManifest(
      'readonly-host',
      `  restartPolicy: Never
  volumes: [{ name: h, hostPath: { path: ${hostDir} } }]
  containers:
    - name: c
      image: x
      command: [sh, -c, ${JSON.stringify(script)}]
      volumeMounts: [{ name: h, mountPath: /mnt/${tag} }]
`,
    );
    try {
      const r = await run(['-o', 'json'], manifest);
      expect(r.code, r.stderr).toBe(0);
      expect(linesOf(r.stderr, 'c')).toEqual([
        `refused ${hostDir}/f`,
        `refused ${hostDir}/new`,
        'Read-only file system',
        'private',
        '1', // only what the container wrote
        `wrote /mnt/${tag}/f`, // the negative control: the same write through a hostPath volume
      ]);
      expect(fs.readFileSync(`${hostDir}/f`, 'utf8')).toBe('host\nx\n'); // the hostPath write only
      expect(fs.readdirSync(hostDir)).toEqual(['f']);
      expect(fs.existsSync(cgroup)).toBe(false);
      for (const p of [`/tmp/${tag}`, `/var/tmp/${tag}`, `/run/${tag}`]) expect(fs.existsSync(p), p).toBe(false);
    } finally {
      fs.rmSync(hostDir, { recursive: true, force: true });
      if (fs.existsSync(cgroup)) fs.rmdirSync(cgroup);
    }
  });

  it('leaves only logs, status.json and events.jsonl in the state directories', () => {
    // .cache holds what pods share across runs (compiled seccomp filters), .names the names of live
    // pods (pod-names.ts): not a pod's state.
    const pods = fs.readdirSync(stateRoot).filter((name) => name !== '.cache' && name !== '.names');
    expect(fs.readdirSync(stateRoot)).toContain('.cache');
    expect(pods.length).toBeGreaterThanOrEqual(8);
    for (const pod of pods) {
      const left = fs.readdirSync(path.join(stateRoot, pod)).filter((e) => e !== 'status.json' && e !== 'events.jsonl');
      // What is left are the containers' log directories, holding only <restartCount>.log files.
      for (const entry of left)
        expect(
          fs.readdirSync(path.join(stateRoot, pod, entry)).every((f) => /^\d+\.log$/.test(f)),
          `${pod}/${entry}`,
        ).toBe(true);
    }
  });
});
