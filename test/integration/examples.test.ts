// The manifests in examples/ run as the README says (the demo pod itself is run by .ci/run).
import { spawn as cpSpawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadPod } from '../../src';
import { privilegeSkipReason, titled } from '../helpers/privileges';
import { readAll } from '../helpers/wait';

const reason = privilegeSkipReason();
const root = path.resolve(__dirname, '../..');
const stateRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'pod-init-examples-'));
afterAll(() => fs.rmSync(stateRoot, { recursive: true, force: true }));

function run(file: string, ...args: string[]) {
  const child = cpSpawn(
    process.execPath,
    [path.join(root, 'pod-init.js'), 'run', path.join(root, 'examples', file), ...args],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, POD_INIT_STATE_DIR: stateRoot },
    },
  );
  return Promise.all([readAll(child.stdout), readAll(child.stderr), new Promise((r) => child.on('exit', r))]);
}

describe('examples/', () => {
  it('every manifest is valid, with no warning', () => {
    const files = fs.readdirSync(path.join(root, 'examples')).filter((f) => f.endsWith('.yaml'));
    expect(files.length).toBeGreaterThanOrEqual(4);
    for (const file of files) {
      const { warnings } = loadPod(fs.readFileSync(path.join(root, 'examples', file), 'utf8'), file);
      expect(warnings, file).toEqual([]);
    }
  });
});

describe.skipIf(reason)(titled('examples/ run', reason), () => {
  it('war-copy: the init container hands the application to the server', async () => {
    const [out, err, code] = await run('war-copy.yaml');
    expect(code, `${out}\n${err}`).toBe(0);
    expect(out).toContain('server   | application running from the shared volume, pid 1');
  });

  it('downward-api: labels and annotations as files, the memory limit in env, the node CPUs as the cpu limit', async () => {
    const [out, err, code] = await run('downward-api.yaml', '-o', 'json');
    expect(code, `${out}\n${err}`).toBe(0);
    expect(err.split('\n').filter((l) => l.startsWith('app |'))).toEqual([
      'app | labels:',
      'app | app="shop"',
      'app | tier="front"',
      'app | annotations: build="2026-12-06"',
      'app | memory limit: 64 Mi',
      `app | cpu limit: ${os.cpus().length * 1000}m`,
    ]);
  });

  it('config-files: ConfigMap keys as files in /etc, a 16 MiB scratch tmpfs, a termination message', async () => {
    const [out, err, code] = await run('config-files.yaml', '-o', 'json');
    expect(code, `${out}\n${err}`).toBe(0);
    const lines = err.split('\n').filter((l) => l.startsWith('app |'));
    expect(lines).toEqual([
      'app | app.conf:',
      'app | color=blue',
      'app | size=10',
      'app | greeting: hello',
      'app | scratch: tmpfs, 16384 KiB',
    ]);
    const pod = JSON.parse(out) as {
      status: { containerStatuses: Array<{ state: { terminated: { message: string } } }> };
    };
    expect(pod.status.containerStatuses[0]!.state.terminated.message).toBe('read 2 settings\n');
    expect(fs.existsSync('/etc/app')).toBe(false);
  });

  it('probes: Ready via the readiness probe, restarted by the liveness probe, preStop before SIGTERM', async () => {
    const [out, err, code] = await run('probes.yaml', '--timeout', '8s', '-o', 'json');
    const pod = JSON.parse(out) as { status: { containerStatuses: Array<{ restartCount: number }> } };
    expect(pod.status.containerStatuses[0]!.restartCount, err).toBeGreaterThanOrEqual(1);
    expect(err).toContain('Liveness probe failed: HTTP probe failed with statuscode: 500');
    expect(err).toContain('Container web failed liveness probe, will be restarted');
    expect(err).toMatch(/web +\| first probe; postStart wrote: started-at-\d\d:\d\d:\d\d/);
    expect(err.indexOf('draining (preStop)')).toBeGreaterThan(0);
    expect(err.indexOf('draining (preStop)')).toBeLessThan(err.indexOf('SIGTERM: bye'));
    expect(code).toBe(0); // deleted; the last instance exited 0 on SIGTERM
  });

  it('wait-for-port: the app starts only after the port answers', async () => {
    const [out, err, code] = await run('wait-for-port.yaml', '-o', 'yaml');
    expect(code, `${out}\n${err}`).toBe(0); // the final Pod (yaml) and the log say why, if not
    expect(err.indexOf('fake-db     | db listening on 5432')).toBeLessThan(err.indexOf('app         | app starts'));
    expect(err).toContain('app         | app starts');
  });

  it('crash-loop: restarts with the backoff until deleted, then Failed', async () => {
    const [out, , code] = await run(
      'crash-loop.yaml',
      '--restart-backoff',
      '0.2,0.4',
      '--timeout',
      '10s', // two restarts take about 1 s idle; a loaded 2-core host needs the margin
      '-o',
      'json',
      '-q',
    );
    expect(code).toBe(1);
    const final = JSON.parse(out) as { status: { phase: string; containerStatuses: Array<{ restartCount: number }> } };
    expect(final.status.phase).toBe('Failed');
    expect(final.status.containerStatuses[0]!.restartCount).toBeGreaterThanOrEqual(2);
  });
});
