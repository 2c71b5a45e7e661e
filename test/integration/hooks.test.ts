// Lifecycle hooks and the kubelet's container stop (KUBERNETES.md B.9, B.10; kuberuntime_container.go
// killContainer, lifecycle/handlers.go; e2e "Container Lifecycle Hook" and "should call sidecar
// container PreStop hook simultaneously"): postStart blocks the next start and its failure kills the
// container; preStop runs before the stop signal, sidecars' at once, their stop signal after the main
// containers; lifecycle.stopSignal replaces SIGTERM.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type PodObject, startPod } from '../helpers/pod-runner';
import { privilegeSkipReason, titled } from '../helpers/privileges';
import { pollUntil } from '../helpers/wait';

const reason = privilegeSkipReason();
const stateRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'pod-init-hooks-'));
afterAll(() => fs.rmSync(stateRoot, { recursive: true, force: true }));

const start = (manifest: string) => startPod(manifest, stateRoot);

const header = (name: string, extra = '') =>
  `apiVersion: v1\nkind: Pod\nmetadata: { name: ${name} }\nspec:\n  terminationGracePeriodSeconds: 5\n${extra}`;

describe.skipIf(reason)(titled('lifecycle hooks', reason), () => {
  it('postStart runs in the container and holds the next container back; it is ContainerCreating meanwhile', async () => {
    const pod = start(`${header('poststart', '  restartPolicy: Never\n')}  volumes: [{ name: w, emptyDir: {} }]
  containers:
    - name: a
      image: x
      command: [sh, -c, 'trap "exit 0" TERM; while :; do sleep 0.1; done']
      volumeMounts: [{ name: w, mountPath: /w }]
      lifecycle:
        postStart: { exec: { command: [sh, -c, 'sleep 0.3; echo "hook saw pid $$$$" > /w/hook'] } }
    - name: b
      image: x
      command: [cat, /w/hook]
      volumeMounts: [{ name: w, mountPath: /w }]
`);
    await pod.started;
    await pollUntil(() => pod.status('b')?.state.terminated !== undefined, 'b to run');
    expect(pod.runner.logs('b').map((l) => l.line)).toEqual([expect.stringMatching(/^hook saw pid \d+$/)]);
    const t = pod.timeline;
    expect(t.indexOf('Started a')).toBeLessThan(t.indexOf('creating a'));
    expect(t.indexOf('creating a')).toBeLessThan(t.indexOf('Started b'));
    expect(pod.status('b')!.state.terminated.exitCode).toBe(0); // the file was there: b waited for the hook
    pod.runner.delete(0);
    await pod.runner.finished;
  });

  it('a failed postStart is FailedPostStartHook: the container is killed', async () => {
    // The hook fails only once the container's trap is set (/w/up): its TERM is then answered with exit 3.
    const pod = start(`${header('poststart-fails', '  restartPolicy: Never\n')}  volumes: [{ name: w, emptyDir: {} }]
  containers:
    - name: c
      image: x
      command: [sh, -c, 'trap "exit 3" TERM; touch /w/up; while :; do sleep 0.1; done']
      volumeMounts: [{ name: w, mountPath: /w }]
      lifecycle:
        postStart: { exec: { command: [sh, -c, 'until [ -f /w/up ]; do sleep 0.05; done; echo no; exit 1'] } }
`);
    await pod.started;
    const final = (await pod.runner.finished) as PodObject;
    expect(final.status.phase).toBe('Failed');
    expect(final.status.containerStatuses[0]!.state.terminated).toMatchObject({ exitCode: 3 });
    const failed = pod.events.find((e) => e.reason === 'FailedPostStartHook')!;
    const script = 'until [ -f /w/up ]; do sleep 0.05; done; echo no; exit 1';
    expect(failed.message).toBe(
      `Exec lifecycle hook ([sh -c ${script}]) for Container "c" in Pod "${pod.runner.podRef}" failed - error: command 'sh -c ${script}' exited with 1, message: "no\\n"`,
    );
    expect(pod.events.filter((e) => e.reason === 'Killing').map((e) => e.message)).toEqual(['FailedPostStartHook']);
  });

  it('preStop runs before the stop signal; a sidecar’s preStop at once, its signal after the main container', async () => {
    const pod = start(`${header('prestop')}  initContainers:
    - name: side
      image: x
      restartPolicy: Always
      command: [sh, -c, 'trap "echo side term; exit 0" TERM; echo side up; while :; do sleep 0.1; done']
      lifecycle:
        preStop: { exec: { command: [sh, -c, 'echo side prestop > /proc/1/fd/1'] } }
  containers:
    - name: main
      image: x
      command: [sh, -c, 'trap "sleep 0.5; echo main term; exit 0" TERM; echo main up; while :; do sleep 0.1; done']
      lifecycle:
        preStop: { exec: { command: [sh, -c, 'echo main prestop > /proc/1/fd/1'] } }
    - name: failing
      image: x
      command: [sh, -c, 'trap "exit 0" TERM; while :; do sleep 0.1; done']
      lifecycle:
        preStop: { exec: { command: ["false"] } }
`);
    await pod.started;
    await pollUntil(
      () => pod.timeline.includes('main: main up') && pod.status('failing')?.state.running,
      'main to run',
    );
    pod.runner.delete();
    await pod.runner.finished;
    const t = pod.timeline;
    const at = (entry: string) => {
      expect(t, entry).toContain(entry);
      return t.indexOf(entry);
    };
    expect(at('main: main prestop')).toBeLessThan(at('main: main term'));
    expect(at('side: side prestop')).toBeLessThan(at('main: main term')); // at once, not after main
    expect(at('main: main term')).toBeLessThan(at('side: side term'));
    expect(pod.events.find((e) => e.reason === 'FailedPreStopHook')!.message).toMatch(
      /^Exec lifecycle hook \(\[false\]\) for Container "failing" in Pod ".*" failed - error: command 'false' exited with 1/,
    );
  });

  it('lifecycle.stopSignal replaces SIGTERM', async () => {
    const pod = start(`${header('stopsignal', '  os: { name: linux }\n')}  containers:
    - name: c
      image: x
      command: [sh, -c, 'trap "echo got USR1; exit 0" USR1; trap "echo got TERM; exit 1" TERM; echo up; while :; do sleep 0.1; done']
      lifecycle: { stopSignal: SIGUSR1 }
`);
    await pod.started;
    await pollUntil(() => pod.timeline.includes('c: up'), 'c to run');
    pod.runner.delete();
    const final = (await pod.runner.finished) as PodObject;
    expect(pod.runner.logs('c').map((l) => l.line)).toEqual(['up', 'got USR1']);
    expect(final.status.containerStatuses[0]!.state.terminated.exitCode).toBe(0);
  });
});
