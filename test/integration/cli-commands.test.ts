// `pod-init help CMD` and `pod-init run --dry-run` (issue 11 §2, §5): no pod is started, so no
// privileges are needed.
import { spawn as cpSpawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { readAll } from '../helpers/wait';

const cli = path.resolve(__dirname, '../../pod-init.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pod-init-commands-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** `pod-init ARGS` with `stdin` as its input; its state root would be `<tmp>/state`. */
async function cliRun(args: string[], stdin = ''): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = cpSpawn(process.execPath, [cli, ...args], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, POD_INIT_STATE_DIR: path.join(tmp, 'state') },
  });
  child.stdin.end(stdin);
  const [stdout, stderr, code] = await Promise.all([
    readAll(child.stdout),
    readAll(child.stderr),
    new Promise<number | null>((resolve) => child.on('exit', resolve)),
  ]);
  return { code, stdout, stderr };
}

const manifest = `apiVersion: v1
kind: Pod
metadata: { name: web, uid: 11111111-2222-3333-4444-555555555555 }
spec:
  containers:
    - name: web
      image: nginx:1.27
      command: [sh, -c, 'echo a long line that a YAML writer folding at 80 columns would have cut in two pieces']
      env: [{ name: ENABLED, value: "yes" }, { name: MODE, value: "0644" }]
---
apiVersion: v1
kind: Service
metadata: { name: web }
spec: { ports: [{ port: 80 }] }
`;

describe('pod-init help CMD', () => {
  it.each(['run', 'init', 'pause'])('help %s prints what %s --help prints', async (command) => {
    const [help, flag] = await Promise.all([cliRun(['help', command]), cliRun([command, '--help'])]);
    expect(flag.code).toBe(0);
    expect(flag.stdout).toMatch(/^Usage: pod-init /);
    expect(help).toEqual(flag);
  });
});

describe('pod-init init --help', () => {
  it("says once what Node's start costs CMD (the inherited signal state) and what keeps it", async () => {
    const r = await cliRun(['init', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout.match(/Node resets\s+the mask and the ignored signals/g)).toHaveLength(1);
    expect(r.stdout).toMatch(/pod-pause init \[options\] -- CMD/);
  });
});

describe('pod-init run --dry-run', () => {
  it('prints the defaulted Pod as YAML that reads back the same, and starts nothing', async () => {
    const r = await cliRun(['run', '--dry-run', '-'], manifest);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^Warning: skipped .*Service\/web/m);
    expect(r.stderr).not.toMatch(/no --image/);
    const pod = YAML.parse(r.stdout, { version: '1.1' }) as {
      metadata: Record<string, unknown>;
      spec: Record<string, unknown> & { containers: Array<{ env: Array<{ value: unknown }>; command: string[] }> };
      status?: unknown;
    };
    expect(pod.metadata).toEqual({ name: 'web', namespace: 'default' }); // no uid: the API server sets it
    expect(pod.spec).toMatchObject({
      restartPolicy: 'Always',
      terminationGracePeriodSeconds: 30,
      serviceAccountName: 'default',
      dnsPolicy: 'ClusterFirst',
    });
    expect(pod.spec.containers[0]!.env.map((e) => e.value)).toEqual(['yes', '0644']); // still strings in YAML 1.1
    expect(pod.spec.containers[0]!.command[2]).toMatch(/in two pieces$/);
    expect(r.stdout.split('\n').every((line) => line.length < 200)).toBe(true);
    expect(r.stdout).toMatch(/two pieces\n/); // one line: not folded
    // Defaulting is idempotent: the printed Pod dry-runs to itself.
    const again = await cliRun(['run', '--dry-run', '-'], r.stdout);
    expect(again.stdout).toBe(r.stdout);
    expect(fs.existsSync(path.join(tmp, 'state'))).toBe(false); // nothing of a pod was made
  });

  it('-o json prints JSON; an invalid Pod is exit 2 with its field path', async () => {
    const json = await cliRun(['run', '--dry-run', '-o', 'json', '-'], manifest);
    expect(json.code).toBe(0);
    expect((JSON.parse(json.stdout) as { kind: string }).kind).toBe('Pod');
    const bad = await cliRun(
      ['run', '--dry-run', '-'],
      manifest.replace('name: web\n      image', 'name: Web\n      image'),
    );
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/spec\.containers\[0\]\.name: Invalid value: "Web"/);
    expect(bad.stderr).not.toMatch(/\n\s+at /);
    expect(bad.stdout).toBe('');
  });
});
