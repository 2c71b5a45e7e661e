// Exec probes and exec hooks run in the container's cgroups, as the kubelet's do through the CRI's ExecSync
// and as `pod-init exec` does: a readiness probe, a liveness probe and a postStart hook each write their own
// /proc/self/cgroup into an emptyDir, and the container prints them next to its own (a preStop hook's too,
// at the stop). Their memory (v1) and v2 lines name the container's cgroup, not the pod's and not
// pod-init's. A postStart hook and an exec readiness probe that outlive their container (a shared pid
// namespace keeps them alive) are killed when the restart empties the container's cgroup, while the pod
// runs on.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startPod } from '../helpers/pod-runner';
import { privilegeSkipReason, titled } from '../helpers/privileges';
import { pollUntil } from '../helpers/wait';

const reason = privilegeSkipReason();
const stateRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'pod-init-probe-cgroups-'));
afterAll(() => fs.rmSync(stateRoot, { recursive: true, force: true }));

/** `/proc/PID/cgroup` as hierarchy → path: `memory` for the v1 memory hierarchy, `` for the v2 one. */
function cgroupPaths(text: string): Record<string, string> {
  const entries = text
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [, controllers, where] = /^\d+:([^:]*):(.*)$/.exec(line)!;
      return [controllers!, where!] as const;
    });
  return Object.fromEntries(entries);
}

/** Host pids whose command line is `sleep <arg>`. */
function sleepers(arg: string): number[] {
  return fs
    .readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .filter((d) => {
      try {
        return fs.readFileSync(`/proc/${d}/cmdline`, 'utf8') === `sleep\0${arg}\0`;
      } catch {
        return false;
      }
    })
    .map(Number);
}

describe.skipIf(reason)(titled("exec probes and hooks in the container's cgroups", reason), () => {
  it("a readiness probe, a liveness probe and postStart and preStop hooks see the container's memory and v2 cgroups", async () => {
    // Each writes its /proc/self/cgroup (to a temporary name first: the container reads only whole files).
    const write = (file: string) =>
      `{ exec: { command: [sh, -c, 'cat /proc/self/cgroup > /w/${file}.tmp && mv /w/${file}.tmp /w/${file}'] } }`;
    const pod = startPod(
      `apiVersion: v1
kind: Pod
metadata: { name: probe-cgroups }
spec:
  restartPolicy: Never
  terminationGracePeriodSeconds: 5
  volumes: [{ name: w, emptyDir: {} }]
  containers:
    - name: c
      image: host
      command:
        - sh
        - -c
        - >-
          trap 'sed "s|^|stop |" /w/stop; echo stopped; exit 0' TERM;
          until [ -f /w/ready ] && [ -f /w/live ] && [ -f /w/hook ]; do sleep 0.05; done;
          for f in ready live hook; do sed "s|^|$f |" /w/$f; done;
          sed "s|^|self |" /proc/self/cgroup;
          echo done;
          while :; do sleep 0.1; done
      volumeMounts: [{ name: w, mountPath: /w }]
      readinessProbe: ${write('ready')}
      livenessProbe: ${write('live')}
      lifecycle:
        postStart: ${write('hook')}
        preStop: ${write('stop')}
`,
      stateRoot,
    );
    try {
      await pod.started;
      await pollUntil(() => pod.runner.logs('c').some((l) => l.line === 'done'), 'the container to print the cgroups', 30_000); // prettier-ignore
      const lines = pod.runner.logs('c').map((l) => l.line);
      const of = (who: string) =>
        cgroupPaths(
          lines
            .filter((l) => l.startsWith(`${who} `))
            .map((l) => l.slice(who.length + 1))
            .join('\n'),
        );
      const self = of('self');
      // The container's own cgroups: its directory under the pod's, in the memory hierarchy and in v2.
      expect(self['memory']).toMatch(/\/pod[0-9a-f-]+\/c$/);
      expect(self['']).toMatch(/\/pod[0-9a-f-]+\/c$/);
      // The assertions below can fail: pod-init's own cgroups (where an unplaced probe would run) differ.
      const ours = cgroupPaths(fs.readFileSync('/proc/self/cgroup', 'utf8'));
      expect(ours['memory']).not.toBe(self['memory']);
      expect(ours['']).not.toBe(self['']);
      // preStop runs before the stop signal, whose trap prints what it wrote.
      pod.runner.delete(5);
      await pollUntil(() => pod.runner.logs('c').some((l) => l.line === 'stopped'), 'the container to stop', 30_000); // prettier-ignore
      lines.push(
        ...pod.runner
          .logs('c')
          .map((l) => l.line)
          .filter((l) => l.startsWith('stop ')),
      );
      for (const who of ['ready', 'live', 'hook', 'stop']) {
        const seen = of(who);
        expect({ who, memory: seen['memory'], v2: seen[''] }).toEqual({ who, memory: self['memory'], v2: self[''] });
        expect(seen).toEqual(self); // every hierarchy, not only those two
      }
    } finally {
      pod.runner.delete(0);
      await pod.runner.finished;
    }
  });

  it('a postStart hook and a readiness probe that outlive their container are killed with its cgroup; the pod goes on', async () => {
    // A shared pid namespace: a container's end does not end its hook or probe (no pid namespace of its
    // own to die with), and a probe's timeout (300 s) is far off. Each container's first run ends once the
    // test has seen both sleeps; its restart (OnFailure) empties the old cgroup before it makes the new one.
    const container = (name: string, extra: string) => `    - name: ${name}
      image: host
      command:
        - sh
        - -c
        - >-
          trap "exit 0" TERM;
          if [ -f /w/ran-${name} ]; then echo second; while :; do sleep 0.1; done; fi;
          touch /w/ran-${name};
          until [ -f /w/seen ]; do sleep 0.05; done;
          exit 1
      volumeMounts: [{ name: w, mountPath: /w }]
${extra}`;
    // Only the first attempt sleeps (1017: the hook, 1018: the probe); later ones end at once. The probe's
    // container comes first: a postStart holds the next container's start back.
    const once = (sleep: string) => `[sh, -c, '[ -f /w/${sleep} ] || { touch /w/${sleep}; exec sleep ${sleep}; }']`;
    const pod = startPod(
      `apiVersion: v1
kind: Pod
metadata: { name: hook-cgroup-kill }
spec:
  restartPolicy: OnFailure
  shareProcessNamespace: true
  terminationGracePeriodSeconds: 5
  volumes: [{ name: w, emptyDir: {} }]
  containers:
${container('p', `      readinessProbe: { exec: { command: ${once('1018')} }, timeoutSeconds: 300 }\n`)}${container('h', `      lifecycle:\n        postStart: { exec: { command: ${once('1017')} } }\n`)}`,
      stateRoot,
      { backoff: { initialMs: 100, maxMs: 200 } },
    );
    try {
      await pod.started;
      const found = async (arg: string) => (await pollUntil(() => { const p = sleepers(arg); return p.length === 1 ? p : undefined; }, `sleep ${arg}`, 30_000))[0]!; // prettier-ignore
      const hook = await found('1017');
      const probe = await found('1018');
      expect(cgroupPaths(fs.readFileSync(`/proc/${hook}/cgroup`, 'utf8'))['memory']).toMatch(/\/pod[0-9a-f-]+\/h$/);
      expect(cgroupPaths(fs.readFileSync(`/proc/${probe}/cgroup`, 'utf8'))['memory']).toMatch(/\/pod[0-9a-f-]+\/p$/);
      // Their root is the containers': both first runs end now.
      fs.writeFileSync(`/proc/${hook}/root/w/seen`, '');
      for (const name of ['h', 'p'])
        await pollUntil(() => pod.runner.logs(name).some((l) => l.line === 'second'), `${name} restarted`, 30_000); // prettier-ignore
      expect([pod.status('h')?.restartCount, pod.status('p')?.restartCount]).toEqual([1, 1]);
      // Each restart killed what was left in its container's cgroup, the pod still running.
      await pollUntil(() => sleepers('1017').length + sleepers('1018').length === 0, 'the sleeps gone');
      expect(pod.runner.logs('h').filter((l) => l.line === 'second')).toHaveLength(1);
    } finally {
      pod.runner.delete(0);
      await pod.runner.finished;
    }
  });
});
