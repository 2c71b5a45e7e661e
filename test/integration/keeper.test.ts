// Exec probes and hooks through the container's keeper (native/keeper.cc, src/pod/container-spawn.ts): a
// readiness probe and a postStart hook of a default-confined container write their /proc/self/status and
// /proc/self/cgroup into an emptyDir; the container prints them next to its own. They show the container's
// CapEff, NoNewPrivs 1, Seccomp 2 and its cgroups, and they were forked by the keeper: one `pod-keeper`
// child of this process sits in the container's cgroups, confined like the container, and it is not in the
// container's pid namespace (its NSpid has one level; the container's processes, the negative control,
// have two); it holds no fd but its socket (and pod-init's pidfd, close-on-exec). Deleting the pod leaves no keeper;
// killing the container's process ends its keeper while the pod's other container runs on; a Localhost profile
// refusing recvmsg gets no keeper (its probes are joined spawns), the same profile with it gets one;
// and neither does kill -9 of pod-init (run-pod.js in a process of its own): the keeper, alive just before,
// is gone within the deadline (its parent-death signal, and the guard's kill of the pod's cgroups).
import { spawn as cpSpawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultCapabilities } from '../../src/pod/security/capabilities';
import { runtimeDefaultProfile } from '../../src/security/seccomp';
import { startPod } from '../helpers/pod-runner';
import { tempDir } from '../helpers/escape';
import { alive, keepersOf, procStatus } from '../helpers/procfs';
import { privilegeSkipReason, titled } from '../helpers/privileges';
import { lineReader, pollUntil } from '../helpers/wait';

const reason = privilegeSkipReason();
const stateRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'pod-init-keeper-'));
afterAll(() => fs.rmSync(stateRoot, { recursive: true, force: true }));

/** `/proc/PID/cgroup` text as hierarchy → path. */
function cgroupPaths(text: string): Record<string, string> {
  return Object.fromEntries(
    text
      .split('\n')
      .filter(Boolean)
      .map((line) => {
        const [, controllers, where] = /^\d+:([^:]*):(.*)$/.exec(line)!;
        return [controllers!, where!] as const;
      }),
  );
}

function fields(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const i = line.indexOf(':');
    if (i > 0) out[line.slice(0, i)] = line.slice(i + 1).trim();
  }
  return out;
}

describe.skipIf(reason)(titled("exec probes and hooks through the container's keeper", reason), () => {
  it("a readiness probe and a postStart hook are forked by a keeper outside the container's pid namespace, confined as the container", async () => {
    const write = (file: string) =>
      `{ exec: { command: [sh, -c, 'cat /proc/self/status > /w/${file}.s.tmp && cat /proc/self/cgroup > /w/${file}.c.tmp && mv /w/${file}.c.tmp /w/${file}.c && mv /w/${file}.s.tmp /w/${file}.s'] } }`;
    const pod = startPod(
      `apiVersion: v1
kind: Pod
metadata: { name: keeper }
spec:
  restartPolicy: Never
  terminationGracePeriodSeconds: 2
  volumes: [{ name: w, emptyDir: {} }]
  containers:
    - name: c
      image: host
      command:
        - sh
        - -c
        - >-
          until [ -f /w/ready.s ] && [ -f /w/hook.s ]; do sleep 0.05; done;
          for f in ready hook; do sed "s|^|$f.s |" /w/$f.s; sed "s|^|$f.c |" /w/$f.c; done;
          sed "s|^|self.s |" /proc/self/status; sed "s|^|self.c |" /proc/self/cgroup;
          echo done;
          while :; do sleep 0.1; done
      volumeMounts: [{ name: w, mountPath: /w }]
      readinessProbe: ${write('ready')}
      lifecycle:
        postStart: ${write('hook')}
`,
      stateRoot,
    );
    try {
      await pod.started;
      await pollUntil(() => pod.runner.logs('c').some((l) => l.line === 'done'), 'the container to print', 30_000);
      const lines = pod.runner.logs('c').map((l) => l.line);
      const of = (who: string) =>
        lines
          .filter((l) => l.startsWith(`${who} `))
          .map((l) => l.slice(who.length + 1))
          .join('\n');
      const self = fields(of('self.s'));
      const selfCgroups = cgroupPaths(of('self.c'));
      expect(self['CapEff']).toBe('00000000a80425fb'); // containerd's 14
      expect(self['Seccomp']).toBe('2');
      expect(selfCgroups['memory']).toMatch(/\/pod[0-9a-f-]+\/c$/);
      for (const who of ['ready', 'hook']) {
        const status = fields(of(`${who}.s`));
        expect({ who, CapEff: status['CapEff'], CapBnd: status['CapBnd'], NoNewPrivs: status['NoNewPrivs'], Seccomp: status['Seccomp'] }).toEqual({ who, CapEff: self['CapEff'], CapBnd: self['CapBnd'], NoNewPrivs: '1', Seccomp: '2' }); // prettier-ignore
        expect(cgroupPaths(of(`${who}.c`))).toEqual(selfCgroups);
      }

      // The keeper: this process's child, in the container's cgroups, confined like the container.
      const keepers = keepersOf(process.pid).filter((pid) => {
        const text = fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8');
        return cgroupPaths(text)['memory'] === selfCgroups['memory'];
      });
      expect(keepers).toHaveLength(1);
      const keeper = procStatus(keepers[0]!)!;
      expect(keeper['CapEff']).toBe(self['CapEff']);
      expect(keeper['NoNewPrivs']).toBe('1');
      expect(keeper['Seccomp']).toBe('2');
      expect(cgroupPaths(fs.readFileSync(`/proc/${keepers[0]}/cgroup`, 'utf8'))).toEqual(selfCgroups);
      // Not in the container's pid namespace: one NSpid level (the host's). The container's own processes,
      // in the same cgroup, have two: what the assertion would see if the keeper were inside.
      expect(keeper['NSpid']!.split(/\s+/)).toHaveLength(1);
      const procs = fs
        .readFileSync(`/sys/fs/cgroup/memory${selfCgroups['memory']}/cgroup.procs`, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map(Number)
        .filter((pid) => pid !== keepers[0]);
      expect(procs.length).toBeGreaterThan(0);
      for (const pid of procs) {
        const nspid = procStatus(pid)?.NSpid;
        if (nspid !== undefined) expect(nspid.split(/\s+/)).toHaveLength(2);
      }
      // Its fds: what the container could reach through it, were it reachable.
      const fds = fs.readdirSync(`/proc/${keepers[0]}/fd`).map((fd) => fs.readlinkSync(`/proc/${keepers[0]}/fd/${fd}`));
      expect(fds.filter((link) => !/^socket:|^anon_inode:\[pidfd\]$/.test(link))).toEqual([]);
      expect(fds.filter((link) => link.startsWith('socket:'))).toHaveLength(1);

      // Deleting the pod ends the keeper.
      pod.runner.delete(0);
      await pod.runner.finished;
      await pollUntil(() => procStatus(keepers[0]!) === undefined || procStatus(keepers[0]!)!.State!.startsWith('Z') ? true : undefined, 'the keeper to end', 10_000); // prettier-ignore
      expect(keepersOf(process.pid)).toEqual([]);
    } finally {
      pod.runner.delete(0);
      await pod.runner.finished;
    }
  });

  it("killing the container's process ends its keeper while the pod runs on", async () => {
    const pod = startPod(
      `apiVersion: v1
kind: Pod
metadata: { name: keeper-end }
spec:
  restartPolicy: Never
  terminationGracePeriodSeconds: 1
  containers:
    - name: c
      image: host
      command: [sleep, '1000']
      readinessProbe: { exec: { command: ['true'] }, periodSeconds: 1 }
    - name: other
      image: host
      command: [sleep, '1000']
`,
      stateRoot,
    );
    try {
      await pod.started;
      const inC = (pid: number) => /:memory:.*\/c$/m.test(fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8'));
      const [keeper] = await pollUntil(() => { const k = keepersOf(process.pid).filter(inC); return k.length > 0 ? k : undefined; }, "c's keeper", 20_000); // prettier-ignore
      const memory = /:memory:(.*)$/m.exec(fs.readFileSync(`/proc/${keeper}/cgroup`, 'utf8'))![1]!;
      const main = fs
        .readFileSync(`/sys/fs/cgroup/memory${memory}/cgroup.procs`, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map(Number)
        .filter((pid) => procStatus(pid)?.Name === 'sleep'); // not the keeper, nor a probe's `true` of the moment
      expect(main).toHaveLength(1); // the container's sleep; the keeper alive beside it
      expect(alive(keeper!)).toBe(true);
      process.kill(main[0]!, 'SIGKILL');
      await pollUntil(() => !alive(keeper!), 'the keeper to end with its container', 10_000);
      expect(alive(keeper!)).toBe(false);
      expect(pod.status('other')?.state.running).toBeDefined(); // the pod runs on
    } finally {
      pod.runner.delete(0);
      await pod.runner.finished;
    }
  });

  it('a Localhost profile that refuses a call the keeper makes keeps the joined spawn: probes work, no keeper', async () => {
    const profiles = fs.mkdtempSync(path.join(os.tmpdir(), 'pod-init-keeper-profiles-'));
    const profile = runtimeDefaultProfile([...defaultCapabilities]);
    const noRecvmsg = {
      ...profile,
      syscalls: profile.syscalls
        .map((r) => ({ ...r, names: r.names.filter((n) => n !== 'recvmsg') }))
        .filter((r) => r.names.length > 0),
    };
    fs.writeFileSync(path.join(profiles, 'runtime-default.json'), JSON.stringify(profile));
    fs.writeFileSync(path.join(profiles, 'no-recvmsg.json'), JSON.stringify(noRecvmsg));
    const container = (name: string, file: string) => `    - name: ${name}
      image: host
      command: [sleep, '1000']
      securityContext: { seccompProfile: { type: Localhost, localhostProfile: ${file} } }
      readinessProbe: { exec: { command: ['true'] }, periodSeconds: 1 }
`;
    const pod = startPod(
      `apiVersion: v1
kind: Pod
metadata: { name: keeper-profile }
spec:
  restartPolicy: Never
  terminationGracePeriodSeconds: 1
  containers:
${container('denied', 'no-recvmsg.json')}${container('allowed', 'runtime-default.json')}`,
      stateRoot,
      { seccompProfileRoot: profiles },
    );
    try {
      await pollUntil(() => pod.status('denied')?.ready && pod.status('allowed')?.ready, 'both to be ready', 20_000);
      const of = (name: string) =>
        keepersOf(process.pid).filter((pid) =>
          new RegExp(`:memory:.*/${name}$`, 'm').test(fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8')),
        );
      expect(of('allowed')).toHaveLength(1); // the negative control: the same profile with recvmsg has one
      expect(of('denied')).toEqual([]);
    } finally {
      pod.runner.delete(0);
      await pod.runner.finished;
      fs.rmSync(profiles, { recursive: true, force: true });
    }
  });

  it('kill -9 of pod-init leaves no keeper', async () => {
    const tmp = tempDir('pod-init-keeper-kill-');
    const cgroupRoot = `/pod-init-test-keeper-${process.pid}`;
    const file = path.join(tmp.dir, 'pod.yaml');
    fs.writeFileSync(
      file,
      `apiVersion: v1
kind: Pod
metadata: { name: keeper-kill }
spec:
  restartPolicy: Never
  containers:
    - name: c
      image: host
      command: [sleep, '1000']
      readinessProbe: { exec: { command: ['true'] }, periodSeconds: 1 }
`,
    );
    const fixture = path.resolve(__dirname, '../fixtures/run-pod.js');
    const args = [fixture, file, path.join(tmp.dir, 'state'), path.join(tmp.dir, 'owners'), cgroupRoot];
    const run = cpSpawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = new Promise((resolve) => run.on('exit', resolve));
    const out = lineReader(run.stdout);
    try {
      const [keeper] = await pollUntil(() => { const k = keepersOf(run.pid!); return k.length > 0 ? k : undefined; }, 'a keeper of the container', 30_000); // prettier-ignore
      expect(alive(keeper!)).toBe(true);
      run.kill('SIGKILL');
      await exited;
      await pollUntil(() => !alive(keeper!), 'the keeper to be gone', 10_000);
      expect(alive(keeper!)).toBe(false);
    } finally {
      run.kill('SIGKILL');
      await exited;
      void out;
      // What the guard left for the next run's sweep: the test's cgroup root (empty by now), deepest first.
      await pollUntil(
        () => {
          for (const hierarchy of fs.readdirSync('/sys/fs/cgroup')) {
            const root = path.join('/sys/fs/cgroup', hierarchy, cgroupRoot);
            if (!fs.existsSync(root)) continue;
            const dirs: string[] = [];
            const walk = (d: string) => {
              for (const e of fs.readdirSync(d, { withFileTypes: true }))
                if (e.isDirectory()) walk(path.join(d, e.name));
              dirs.push(d);
            };
            walk(root);
            try {
              for (const d of dirs) fs.rmdirSync(d);
            } catch {
              return undefined; // still being emptied
            }
          }
          return true;
        },
        'the test cgroups to be removed',
        10_000,
      );
      tmp.remove();
    }
  }, 60_000);
});
