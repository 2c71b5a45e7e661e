// The downward API in real containers under `pod-init run` (KUBERNETES.md A.3, SECURITY.md "resourceFieldRef
// (K12)"; e2e test/e2e/common/node/downwardapi.go, downwardapi_volume.go, projected_*.go): resourceFieldRef env
// variables, rounded up by the divisor, with the node's allocatable for an unset limit; downwardAPI and projected
// volumes read in the container through the kubelet's ..data layout, read-only.
import os from 'node:os';
import { afterAll, describe, expect, it } from 'vitest';
import { podCli, podManifest } from '../helpers/pod-cli';
import { privilegeSkipReason, titled } from '../helpers/privileges';

const reason = privilegeSkipReason();
const { run, cleanup } = podCli();

const linesOf = (out: string, container: string) =>
  out
    .split('\n')
    .filter((l) => l.startsWith(`${container} `))
    .map((l) => l.replace(/^[^|]*\| /, ''));

describe.skipIf(reason)(titled('pod-init run: the downward API', reason), () => {
  afterAll(cleanup);

  it('resourceFieldRef env: limits and requests divided and rounded up; an unset limit is the node allocatable', async () => {
    const ref = (name: string, resource: string, divisor?: string, containerName?: string) =>
      `        - { name: ${name}, valueFrom: { resourceFieldRef: { resource: ${resource}${divisor ? `, divisor: ${divisor}` : ''}${containerName ? `, containerName: ${containerName}` : ''} } } }`;
    const manifest = podManifest(
      'resfield',
      `  restartPolicy: Never
  containers:
    - name: c
      image: x
      resources: { limits: { cpu: 250m, memory: 64Mi }, requests: { cpu: 100m, memory: 32Mi } }
      env:
${ref('CPU_LIMIT', 'limits.cpu')}
${ref('CPU_LIMIT_M', 'limits.cpu', '1m')}
${ref('CPU_REQUEST_M', 'requests.cpu', '1m')}
${ref('MEM_LIMIT', 'limits.memory')}
${ref('MEM_LIMIT_MI', 'limits.memory', '1Mi')}
${ref('MEM_REQUEST_M', 'requests.memory', '1M')}
${ref('OTHER_CPU_M', 'limits.cpu', '1m', 'other')}
${ref('OTHER_MEM', 'limits.memory', undefined, 'other')}
      command: [printenv, CPU_LIMIT, CPU_LIMIT_M, CPU_REQUEST_M, MEM_LIMIT, MEM_LIMIT_MI, MEM_REQUEST_M, OTHER_CPU_M, OTHER_MEM]
    - name: other
      image: x
      command: ['true']
`,
    );
    const r = await run(['-o', 'json'], manifest);
    expect(r.code, r.stderr).toBe(0);
    expect(linesOf(r.stderr, 'c')).toEqual([
      '1',
      '250',
      '100',
      `${64 * 2 ** 20}`,
      '64',
      '34', // 33554432 / 10^6 = 33.55…, up
      `${os.cpus().length * 1000}`,
      `${os.totalmem()}`,
    ]);
  });

  it('downwardAPI and projected volumes: labels/annotations formatted, resource values, items and modes, read-only', async () => {
    const manifest = `apiVersion: v1
kind: Pod
metadata:
  name: dapi
  labels: { tier: front, app: shop }
  annotations: { note: "say \\"hi\\"" }
spec:
  restartPolicy: Never
  volumes:
    - name: info
      downwardAPI:
        defaultMode: 0600
        items:
          - { path: labels, fieldRef: { fieldPath: metadata.labels } }
          - { path: meta/annotations, fieldRef: { fieldPath: metadata.annotations }, mode: 0444 }
          - { path: mem, resourceFieldRef: { containerName: c, resource: limits.memory, divisor: 1Mi } }
          - { path: cpu, resourceFieldRef: { containerName: c, resource: limits.cpu, divisor: 1m } }
    - name: all
      projected:
        sources:
          - configMap: { name: app, items: [{ key: app.conf, path: conf/app.conf }] }
          - secret: { name: creds }
          - downwardAPI: { items: [{ path: name, fieldRef: { fieldPath: metadata.name } }] }
  containers:
    - name: c
      image: x
      resources: { limits: { memory: 48Mi } }
      volumeMounts: [{ name: info, mountPath: /info }, { name: all, mountPath: /all }]
      command:
        - sh
        - -c
        - >-
          cat /info/labels; echo; cat /info/meta/annotations; echo; cat /info/mem; echo; cat /info/cpu; echo;
          stat -L -c %a /info/labels /info/meta/annotations; readlink /info/labels;
          cat /all/conf/app.conf /all/password; echo; cat /all/name; echo;
          touch /info/x 2>/dev/null && echo writable || echo read-only
---
apiVersion: v1
kind: ConfigMap
metadata: { name: app }
data: { app.conf: "key=value\\n" }
---
apiVersion: v1
kind: Secret
metadata: { name: creds }
stringData: { password: pw }
`;
    const r = await run(['-o', 'json'], manifest);
    expect(r.code, r.stderr).toBe(0);
    expect(linesOf(r.stderr, 'c')).toEqual([
      'app="shop"',
      'tier="front"',
      'note="say \\"hi\\""',
      '48',
      `${os.cpus().length * 1000}`,
      '600',
      '444',
      '..data/labels',
      'key=value',
      'pw',
      'dapi',
      'read-only',
    ]);
  });

  it('fsGroup owns a downwardAPI volume: group and g+r on a 0600 file, readable by a non-root user through the group', async () => {
    const manifest = `apiVersion: v1
kind: Pod
metadata: { name: dapi-fsgroup }
spec:
  restartPolicy: Never
  securityContext: { runAsUser: 1000, runAsGroup: 1000, fsGroup: 2000 }
  volumes:
    - name: info
      downwardAPI: { defaultMode: 0600, items: [{ path: name, fieldRef: { fieldPath: metadata.name } }] }
  containers:
    - name: c
      image: x
      volumeMounts: [{ name: info, mountPath: /info }]
      command: [sh, -c, 'stat -L -c "%g %a" /info/name; cat /info/name; echo']
`;
    const r = await run(['-o', 'json'], manifest);
    expect(r.code, r.stderr).toBe(0);
    // The kubelet's SetVolumeOwnership on a read-only volume: group fsGroup, mode | 0440.
    expect(linesOf(r.stderr, 'c')).toEqual(['2000 640', 'dapi-fsgroup']);
  });
});
