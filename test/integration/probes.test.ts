// Probes under PodRunner, as the kubelet runs them (KUBERNETES.md B.8; prober/worker.go, e2e
// "Probing container": readiness gates Ready without restarts, a failed liveness probe restarts the
// container, a startup probe holds liveness, readiness and the next init container back).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type PodObject, startPod } from '../helpers/pod-runner';
import { privilegeSkipReason, titled } from '../helpers/privileges';
import { pollUntil } from '../helpers/wait';

const reason = privilegeSkipReason();
const stateRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'pod-init-probes-'));
afterAll(() => fs.rmSync(stateRoot, { recursive: true, force: true }));

const start = (manifest: string) => startPod(manifest, stateRoot);

const header = (name: string) =>
  `apiVersion: v1\nkind: Pod\nmetadata: { name: ${name} }\nspec:\n  terminationGracePeriodSeconds: 1\n`;

describe.skipIf(reason)(titled('probes', reason), () => {
  it('readiness: httpGet (named port, kube-probe User-Agent) and tcpSocket gate Ready; no restart', async () => {
    const pod = start(`${header('ready')}  containers:
    - name: web
      image: x
      ports: [{ name: http, containerPort: 8080 }]
      command: [node, -e, 'let n = 0; require("http").createServer((q, s) => { console.log(q.url, q.headers["user-agent"]); s.statusCode = ++n === 1 ? 503 : 200; s.end(); }).listen(8080)']
      readinessProbe: { httpGet: { path: healthz, port: http }, periodSeconds: 1 } # no slash: Go adds it
    - name: db-client
      image: x
      command: [sleep, "1000"]
      readinessProbe: { tcpSocket: { port: 8080 }, periodSeconds: 1 }
`);
    await pod.started;
    await pollUntil(() => pod.condition('Ready') === 'True', 'the pod to be Ready');
    expect(pod.status('web')).toMatchObject({ ready: true, restartCount: 0 });
    expect(pod.status('db-client')).toMatchObject({ ready: true, restartCount: 0 });
    // Not ready before the probe said so: the first answer was 503.
    expect(pod.events.map((e) => e.message)).toContain(
      'Readiness probe failed: HTTP probe failed with statuscode: 503',
    );
    expect(pod.timeline.indexOf('Unhealthy web')).toBeLessThan(pod.timeline.indexOf('ready web'));
    expect(pod.runner.logs('web')[0]!.line).toBe('/healthz kube-probe/1.36');
    pod.runner.delete(0);
    await pod.runner.finished;
  });

  it('an httpGet the request refuses (a header value with a newline) is a failed probe, not a crash', async () => {
    const pod = start(`${header('badheader')}  containers:
    - name: c
      image: x
      command: [sleep, "1000"]
      readinessProbe: { httpGet: { path: /, port: 9, httpHeaders: [{ name: X-Probe, value: "a\\nb" }] }, periodSeconds: 1 }
`);
    await pod.started;
    await pollUntil(() => pod.events.find((e) => e.reason === 'Unhealthy'), 'a failed probe');
    expect(pod.events.find((e) => e.reason === 'Unhealthy')!.message).toMatch(
      /^Readiness probe failed: Get "http:\/\/[\d.]+:9\/": Invalid character in header content/, // the pod's IP
    );
    expect(pod.status('c')).toMatchObject({ ready: false, restartCount: 0 });
    pod.runner.delete(0);
    await pod.runner.finished;
  });

  it('liveness: a failing probe kills the container, which restarts (Unhealthy, Killing)', async () => {
    // The probe fails only once the trap is set (/w/first), and the grace is long: a BestEffort container
    // has cpu.shares 2, so on a loaded host the shell may wait a while for the CPU to run its trap.
    const pod = start(`apiVersion: v1\nkind: Pod\nmetadata: { name: alive }\nspec:
  terminationGracePeriodSeconds: 60
  volumes: [{ name: w, emptyDir: {} }]
  containers:
    - name: c
      image: x
      command: [sh, -c, 'trap "exit 7" TERM; if [ -f /w/first ]; then touch /w/healthy; fi; touch /w/first; while :; do sleep 0.1; done']
      volumeMounts: [{ name: w, mountPath: /w }]
      livenessProbe: { exec: { command: [sh, -c, 'test ! -f /w/first || cat /w/healthy'] }, periodSeconds: 1, failureThreshold: 1 }
`);
    await pod.started;
    await pollUntil(() => pod.status('c')?.restartCount === 1 && pod.status('c')?.ready === true, 'a restart');
    expect(pod.status('c')!.lastState.terminated).toMatchObject({ exitCode: 7, reason: 'Error' });
    const messages = pod.events.map((e) => `${e.reason}: ${e.message}`);
    expect(messages).toContain('Unhealthy: Liveness probe failed: cat: /w/healthy: No such file or directory\n');
    expect(messages).toContain('Killing: Container c failed liveness probe, will be restarted');
    pod.runner.delete(0);
    await pod.runner.finished;
  });

  it('startup: started stays false until it succeeds, and a sidecar holds the next init container until then', async () => {
    const pod = start(`${header('startup')}  volumes: [{ name: w, emptyDir: {} }]
  initContainers:
    - name: sidecar
      image: x
      restartPolicy: Always
      command: [sh, -c, 'sleep 0.5; touch /w/up; exec sleep 1000']
      volumeMounts: [{ name: w, mountPath: /w }]
      startupProbe: { exec: { command: [cat, /w/up] }, periodSeconds: 1, failureThreshold: 5 }
    - name: after
      image: x
      command: [cat, /w/up]
      volumeMounts: [{ name: w, mountPath: /w }]
  containers:
    - { name: main, image: x, command: [sleep, "1000"] }
`);
    await pod.started;
    await pollUntil(() => pod.status('main')?.started === true, 'main to start');
    const t = pod.timeline;
    expect(t.indexOf('Started sidecar')).toBeLessThan(t.indexOf('started sidecar'));
    expect(t.indexOf('started sidecar')).toBeLessThan(t.indexOf('Started after'));
    expect(pod.runner.logs('after').map((l) => l.line)).toEqual([]); // cat of an empty file: it existed
    pod.runner.delete(0);
    const final = (await pod.runner.finished) as PodObject;
    expect(final.status.initContainerStatuses!.find((s) => s.name === 'after')!.lastState).toEqual({});
  });
});
