// `pod-init run -f a.yaml -f b.yaml`, `-f DIR`, and several Pods in one file, through the CLI: the Pods run
// together, each with its own status and the ConfigMaps of its namespace from any file; logs are prefixed
// POD/CONTAINER; `-o json` is a v1.List; SIGINT deletes them all; one invalid Pod or two Pods of one name
// exit 2 before any starts.
import { spawn as cpSpawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { podInit } from '../helpers/ops-cli';
import { podCli, podManifest } from '../helpers/pod-cli';
import { privilegeSkipReason, titled } from '../helpers/privileges';
import { pausesOf } from '../helpers/procfs';
import { lineReader, pollUntil, readAll } from '../helpers/wait';

const reason = privilegeSkipReason();
const cli = path.resolve(__dirname, '../../pod-init.js');
// podCli() for its temporary state root (and its removal); the runs here read files, not stdin.
const { stateRoot, run: runStdin, cleanup } = podCli();
const work = fs.mkdtempSync(path.join(stateRoot, '..', 'pod-init-multi-work-'));
const started = new Set<ChildProcess>();
afterAll(() => {
  for (const child of started) child.kill('SIGKILL'); // its pods die with it (die-with-parent)
  cleanup();
  fs.rmSync(work, { recursive: true, force: true });
});

interface PodJson {
  metadata: { name: string; uid: string };
  status: { phase: string; containerStatuses: Array<{ state: { terminated?: { exitCode: number } } }> };
}
interface ListJson {
  apiVersion: string;
  kind: string;
  items: PodJson[];
}

/** Writes `files` (name → text) into a new directory of `work`; returns its path. */
function files(named: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(work, 'in-'));
  for (const [name, text] of Object.entries(named)) fs.writeFileSync(path.join(dir, name), text);
  return dir;
}

/** `pod-init run ARGS` in `cwd`; `onStart` sees the child before its output is read. */
function run(args: string[], cwd: string, onStart?: (child: ChildProcess) => void) {
  const child = cpSpawn(process.execPath, [cli, 'run', ...args], {
    cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, POD_INIT_STATE_DIR: stateRoot },
  });
  started.add(child);
  child.on('exit', () => started.delete(child));
  onStart?.(child);
  return Promise.all([
    onStart ? Promise.resolve('') : readAll(child.stdout),
    onStart ? Promise.resolve('') : readAll(child.stderr),
    new Promise<number | null>((resolve) => child.on('exit', resolve)),
  ]).then(([stdout, stderr, code]) => ({ code, stdout, stderr }));
}

const once = (name: string, command: string) =>
  podManifest(
    name,
    `  restartPolicy: Never\n  containers:\n    - name: app\n      image: x\n      command: [sh, -c, '${command}']\n` +
      `      env:\n        - { name: GREETING, valueFrom: { configMapKeyRef: { name: settings, key: greeting, optional: true } } }\n`,
  );
const settings = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  greeting: hello-from-c\n';

describe.skipIf(reason !== undefined)(titled('pod-init run with several Pods', reason ?? ''), () => {
  it('-f a -f b -f c: both pods run, the ConfigMap of a third file reaches them, logs say which pod', async () => {
    const dir = files({
      'a.yaml': once('web', 'echo "web says $GREETING"'),
      'b.yaml': once('db', 'echo "db says ${GREETING:-nothing}"; exit 3'),
      'c.yaml': settings,
    });
    const r = await run(['-f', 'a.yaml', '-f', 'b.yaml', '-f', 'c.yaml'], dir);
    expect(r.stdout).toMatch(/^web\/app \| web says hello-from-c$/m);
    expect(r.stdout).toMatch(/^db\/app {2}\| db says hello-from-c$/m);
    expect(r.stdout).toMatch(/event: Normal\s+Started\s+pod\/web \(app\)/);
    expect(r.stdout).toMatch(/event: Normal\s+Started\s+pod\/db \(app\)/);
    expect(r.code).toBe(1); // db Failed: 0 only when every pod Succeeded
  });

  it('-f DIR: its manifests in name order, not its subdirectories; -o json is a v1.List of the final Pods', async () => {
    const dir = files({
      '2-db.yml': once('db', 'echo db done'),
      '1-web.json': JSON.stringify({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'web' },
        spec: { restartPolicy: 'Never', containers: [{ name: 'app', image: 'x', command: ['true'] }] },
      }),
      '3-settings.yaml': settings,
      'notes.txt': 'not a manifest',
    });
    fs.mkdirSync(path.join(dir, 'sub'));
    fs.writeFileSync(path.join(dir, 'sub', 'other.yaml'), once('other', 'true'));
    const statusFile = path.join(dir, 'status.json');
    const r = await run(['-f', dir, '-o', 'json', '--status-file', statusFile], dir);
    expect(r.code).toBe(0);
    const status = JSON.parse(fs.readFileSync(statusFile, 'utf8')) as ListJson;
    expect(status.kind).toBe('List');
    expect(status.items.map((p) => [p.metadata.name, p.status.phase])).toEqual([
      ['web', 'Succeeded'],
      ['db', 'Succeeded'],
    ]);
    const list = JSON.parse(r.stdout) as ListJson;
    expect([list.apiVersion, list.kind]).toEqual(['v1', 'List']);
    expect(list.items.map((p) => [p.metadata.name, p.status.phase])).toEqual([
      ['web', 'Succeeded'],
      ['db', 'Succeeded'],
    ]);
    expect(new Set(list.items.map((p) => p.metadata.uid)).size).toBe(2); // two pods, not one twice
    expect(r.stderr).toMatch(/^db\/app {1,2}\| db done$/m); // with -o, logs go to stderr
  });

  it('one file with two Pods; --dry-run prints the List of defaulted Pods and starts nothing', async () => {
    const dir = files({ 'both.yaml': `${once('one', 'true')}---\n${once('two', 'true')}` });
    const dry = await run(['both.yaml', '--dry-run', '-o', 'json'], dir);
    expect(dry.code).toBe(0);
    const list = JSON.parse(dry.stdout) as { kind: string; items: Array<PodJson & { spec: { dnsPolicy: string } }> };
    expect(list.kind).toBe('List');
    expect(list.items.map((p) => [p.metadata.name, p.spec.dnsPolicy])).toEqual([
      ['one', 'ClusterFirst'],
      ['two', 'ClusterFirst'],
    ]);
    expect(fs.readdirSync(stateRoot).filter((e) => /_(one|two)_/.test(e))).toEqual([]);
    const r = await run(['both.yaml', '-q', '-o', 'yaml'], dir);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^kind: List$/m);
    expect(r.stdout.match(/^ +phase: Succeeded$/gm)).toHaveLength(2);
  });

  it('an invalid second Pod: exit 2 naming its file and field, and the first Pod never started', async () => {
    const marker = path.join(work, 'first-pod-ran');
    // The container's /tmp is its own: the marker goes through a hostPath volume.
    const good = podManifest(
      'good',
      `  restartPolicy: Never\n  volumes:\n    - { name: out, hostPath: { path: ${work}, type: Directory } }\n` +
        `  containers:\n    - name: app\n      image: x\n      command: [touch, /out/first-pod-ran]\n` +
        `      volumeMounts: [{ name: out, mountPath: /out }]\n`,
    );
    const dir = files({
      'a.yaml': good,
      'b.yaml': podManifest('bad', '  containers:\n    - { name: app, command: ["true"] }\n'),
    });
    const r = await run(['-f', 'a.yaml', '-f', 'b.yaml'], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      'pod-init: b.yaml:1 (pod "bad"): the Pod is invalid:\n* spec.containers[0].image: Required value\n',
    );
    expect(fs.existsSync(marker)).toBe(false);
    expect(fs.readdirSync(stateRoot).filter((e) => /_(good|bad)_/.test(e))).toEqual([]);
    // The control: the good Pod alone does run (and leaves the marker).
    expect((await run(['-f', 'a.yaml'], dir)).code).toBe(0);
    expect(fs.existsSync(marker)).toBe(true);
  });

  it('two Pods of one namespace and name: exit 2 naming both places, nothing started', async () => {
    const dir = files({ 'a.yaml': once('same', 'true'), 'b.yaml': once('same', 'true') });
    const r = await run(['-f', 'a.yaml', '-f', 'b.yaml'], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      'pod-init: the manifests cannot be run:\n' +
        '* b.yaml:1: Pod "same" of namespace "default" is defined twice (first at a.yaml:1): names are unique per namespace\n',
    );
    expect(fs.readdirSync(stateRoot).filter((e) => /_same_/.test(e))).toEqual([]);
  });

  it('SIGINT deletes both pods gracefully: each container gets its SIGTERM, no pause is left', async () => {
    const upUntilTerm = (name: string) =>
      podManifest(
        name,
        `  containers:\n    - name: app\n      image: x\n      command: [sh, -c, 'trap "echo got TERM; exit 0" TERM; echo up; while :; do sleep 0.1; done']\n`,
      );
    const dir = files({ 'a.yaml': upUntilTerm('left'), 'b.yaml': upUntilTerm('right') });
    let child: ChildProcess | undefined;
    const result = run(['-f', 'a.yaml', '-f', 'b.yaml', '-o', 'json'], dir, (c) => (child = c));
    const log = lineReader(child!.stderr);
    const stdout = readAll(child!.stdout);
    await log.waitFor(/^left\/app {1,2}\| up$/);
    await log.waitFor(/^right\/app \| up$/);
    expect(pausesOf(child!.pid!)).toHaveLength(2);
    child!.kill('SIGINT');
    const r = await result;
    await log.ended;
    expect(log.lines).toContain('pod-init: SIGINT: deleting the pods gracefully (again to kill now)');
    expect(log.lines.filter((l) => /^(left|right)\/app {1,2}\| got TERM$/.test(l))).toHaveLength(2);
    expect(r.code).toBe(0); // deleted, every container exited 0: both Succeeded
    const list = JSON.parse(await stdout) as ListJson;
    expect(list.items.map((p) => [p.metadata.name, p.status.phase])).toEqual([
      ['left', 'Succeeded'],
      ['right', 'Succeeded'],
    ]);
  });

  it('-d: one supervisor per Pod, each with the ConfigMap of another file; each deleted by its name', async () => {
    const sleeper = (name: string) =>
      podManifest(
        name,
        `  terminationGracePeriodSeconds: 1\n  containers:\n    - name: app\n      image: x\n` +
          `      command: [sh, -c, 'echo "$(GREETING)"; exec sleep 1000']\n` +
          `      env: [{ name: GREETING, valueFrom: { configMapKeyRef: { name: settings, key: greeting } } }]\n`,
      );
    const dir = files({ 'pods.yaml': `${sleeper('bg1')}---\n${sleeper('bg2')}`, 'settings.yaml': settings });
    try {
      const r = await run(['-d', '-f', 'pods.yaml', '-f', 'settings.yaml'], dir);
      expect(r.stdout).toBe('pod/bg1 created\npod/bg2 created\n');
      expect(r.code).toBe(0);
      for (const name of ['bg1', 'bg2'])
        await pollUntil(
          async () => (await podInit(stateRoot, ['logs', name])).stdout === 'hello-from-c\n',
          `${name} to log the ConfigMap's value`,
        );
      const listed = JSON.parse((await podInit(stateRoot, ['get', '-o', 'json'])).stdout) as ListJson;
      const uids = listed.items.filter((p) => /^bg[12]$/.test(p.metadata.name)).map((p) => p.metadata.uid);
      expect(new Set(uids).size).toBe(2);
      // Deleting one leaves the other running: they are two pods, with two supervisors.
      expect((await podInit(stateRoot, ['delete', 'bg1', '--wait'])).code).toBe(0);
      const after = JSON.parse((await podInit(stateRoot, ['get', 'bg2', '-o', 'json'])).stdout) as PodJson;
      expect(after.status.phase).toBe('Running');
    } finally {
      for (const name of ['bg1', 'bg2']) await podInit(stateRoot, ['delete', name, '--now', '--wait']);
    }
  });

  it('- (stdin) with -f: the Pod from stdin, its ConfigMap from a file', async () => {
    const dir = files({ 'settings.yaml': settings });
    const r = await runStdin(['-f', path.join(dir, 'settings.yaml')], once('piped', 'echo "piped says $GREETING"'));
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^app \| piped says hello-from-c$/m); // one Pod: prefixed as always, by container
  });

  it('pod-init delete NAME deletes only that pod of a run with several; SIGTERM then ends the other', async () => {
    const upUntilTerm = (name: string) =>
      podManifest(
        name,
        `  containers:\n    - name: app\n      image: x\n      command: [sh, -c, 'trap "echo got TERM; exit 0" TERM; echo up; while :; do sleep 0.1; done']\n`,
      );
    const dir = files({ 'both.yaml': `${upUntilTerm('one')}---\n${upUntilTerm('other')}` });
    let child: ChildProcess | undefined;
    const result = run(['both.yaml', '-o', 'json'], dir, (c) => (child = c));
    const log = lineReader(child!.stderr);
    const stdout = readAll(child!.stdout);
    await log.waitFor(/^one\/app {3}\| up$/);
    await log.waitFor(/^other\/app \| up$/);
    expect((await podInit(stateRoot, ['delete', 'one', '--wait'])).code).toBe(0);
    await log.waitFor(/^one\/app {3}\| got TERM$/);
    expect(pausesOf(child!.pid!)).toHaveLength(1); // one's sandbox is gone, other's stays
    expect(log.lines.some((l) => l.startsWith('other/app | got TERM'))).toBe(false);
    child!.kill('SIGTERM');
    const r = await result;
    await log.ended;
    expect(log.lines).toContain('other/app | got TERM');
    expect(r.code).toBe(0);
    const list = JSON.parse(await stdout) as ListJson;
    expect(list.items.map((p) => [p.metadata.name, p.status.phase])).toEqual([
      ['one', 'Succeeded'],
      ['other', 'Succeeded'],
    ]);
  });
});
