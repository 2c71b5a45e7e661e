// The downward API in real containers under `pod-init run` (KUBERNETES.md A.3, SECURITY.md "resourceFieldRef
// (K12)"; e2e test/e2e/common/node/downwardapi.go): resourceFieldRef env variables, rounded up by the divisor,
// with the node's allocatable for an unset limit.
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
});
