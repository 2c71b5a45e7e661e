// Detached pods through the CLI: `run -d` hands the pod to a supervisor (its own session) that survives
// the shell that launched it — SIGHUP and SIGKILL to that shell's process group — and `delete --wait`
// returns once that supervisor has exited, its pause and pod cgroups gone. `get -w` streams a restart,
// `events` lists the kubelet's events, `apply` creates, says unchanged, restarts a container whose image or
// command changed (only that one), refuses what else the API server forbids, and takes -f DIR with several Pods as delete -f does. Every test's pods are deleted in afterAll, failed tests' too.
import { spawn as cpSpawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { podInit, rowOf, startPodInit } from '../helpers/ops-cli';
import { podCli, podManifest } from '../helpers/pod-cli';
import { privilegeSkipReason, titled } from '../helpers/privileges';
import { lineReader, pollUntil } from '../helpers/wait';

const reason = privilegeSkipReason();
const cli = path.resolve(__dirname, '../../pod-init.js');
// podCli() only for its temporary state root (and its removal): every pod here is detached.
const { stateRoot, cleanup } = podCli();
const work = fs.mkdtempSync(path.join(stateRoot, '..', 'pod-init-detach-work-'));
const watchers = new Set<ChildProcess>();

/** Deletes every pod of the state root (--now, waiting for their supervisors), then removes the state. */
async function deleteAll(): Promise<void> {
  for (const w of watchers) w.kill('SIGKILL');
  const listed = await podInit(stateRoot, ['get', '-A', '-o', 'json']);
  const items = (JSON.parse(listed.stdout || '{"items":[]}') as { items: PodJson[] }).items;
  for (const pod of items)
    await podInit(stateRoot, ['delete', '-n', pod.metadata.namespace, pod.metadata.name, '--now', '--wait']);
  // What a supervisor that died (or was killed by a test) left: swept, as the next pod-init would.
  await podInit(stateRoot, ['prune', '-A']);
}
afterAll(async () => {
  await deleteAll();
  cleanup();
  fs.rmSync(work, { recursive: true, force: true });
}, 60_000);

interface PodJson {
  metadata: { name: string; namespace: string; uid: string };
  status?: { phase?: string };
}

const manifestFile = (name: string, text: string): string => {
  const file = path.join(work, `${name}.yaml`);
  fs.writeFileSync(file, text);
  return file;
};

/** A pod whose container exits 0 on SIGTERM. */
const trapping = (name: string) =>
  podManifest(
    name,
    `  terminationGracePeriodSeconds: 30\n  containers:\n    - { name: app, image: x, command: [sh, -c, "trap 'exit 0' TERM; while true; do sleep 0.1; done"] }\n`,
  );

async function podJson(name: string): Promise<PodJson> {
  return JSON.parse((await podInit(stateRoot, ['get', name, '-o', 'json'])).stdout) as PodJson;
}

/** Processes whose /proc entry satisfies `match` (pid → its stat line). */
function processes(match: (pid: number) => boolean): number[] {
  const out: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (match(Number(entry))) out.push(Number(entry));
    } catch {
      // exited meanwhile
    }
  }
  return out;
}

/** Whether a process runs (a zombie does not). */
function running(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

/** The pod's supervisor: `pod-init run --supervise UID …`. */
const supervisorOf = (uid: string) =>
  processes((pid) =>
    fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').includes(`--supervise ${uid} `),
  );
/** The pod's pause (pod-pause in the pod's cgroup). */
const pauseOf = (uid: string) =>
  processes(
    (pid) =>
      fs.readFileSync(`/proc/${pid}/stat`, 'utf8').includes('(pod-pause) ') &&
      fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8').includes(`pod${uid}`),
  );

/** Pod cgroups of `uid` under any hierarchy's kubepods. */
function podCgroupsOf(uid: string): string[] {
  const found: string[] = [];
  const walk = (dir: string, depth: number) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries)
      if (e.isDirectory()) {
        if (e.name === `pod${uid}`) found.push(path.join(dir, e.name));
        else if (depth < 3) walk(path.join(dir, e.name), depth + 1);
      }
  };
  for (const hierarchy of fs.readdirSync('/sys/fs/cgroup')) walk(path.join('/sys/fs/cgroup', hierarchy, 'kubepods'), 0);
  walk('/sys/fs/cgroup/kubepods', 0);
  return found;
}

const statusOf = async (name: string) => rowOf((await podInit(stateRoot, ['get', name])).stdout, name)?.STATUS;

describe.skipIf(reason)(titled('detached pods (run -d, apply, get -w, events)', reason), () => {
  it('a detached pod survives its launching shell (SIGHUP, SIGKILL to its group); delete --wait leaves nothing', async () => {
    const file = manifestFile('survivor', trapping('survivor'));
    const shell = cpSpawn(
      'sh',
      ['-c', `"${process.execPath}" "${cli}" run -d "${file}"; echo "launched $?"; exec sleep 600`],
      {
        detached: true, // a session and process group of its own, as a terminal's shell has
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, POD_INIT_STATE_DIR: stateRoot },
      },
    );
    const lines = lineReader(shell.stdout);
    const shellGone = new Promise((resolve) => shell.once('exit', resolve));
    await lines.waitFor(/^launched \d+$/);
    expect(lines.lines).toEqual(['pod/survivor created', 'launched 0']);
    const { uid } = (await podJson('survivor')).metadata;
    const [supervisor] = supervisorOf(uid);
    expect(supervisor).toBeDefined();
    const session = (pid: number) => {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[3]);
    };
    expect(session(supervisor!)).toBe(supervisor); // its own session (setsid), not the shell's
    expect(session(shell.pid!)).toBe(shell.pid);
    // What a closed terminal does to its session's foreground group, then worse.
    process.kill(-shell.pid!, 'SIGHUP');
    process.kill(-shell.pid!, 'SIGKILL');
    await shellGone;
    expect(running(supervisor!)).toBe(true);
    expect(await statusOf('survivor')).toBe('Running');
    const [pause] = pauseOf(uid);
    expect(pause).toBeDefined();
    expect(podCgroupsOf(uid).length).toBeGreaterThan(0);
    const log = fs.readFileSync(path.join(stateRoot, `default_survivor_${uid}`, 'supervisor.log'), 'utf8');
    expect(log).toMatch(/supervisor pid \d+ started/);
    expect(log).toContain('Started container app');

    const deleted = await podInit(stateRoot, ['delete', 'survivor', '--wait']);
    expect(deleted).toMatchObject({ code: 0, stdout: 'pod "survivor" deleted\n', stderr: '' });
    // Already so when delete returned: no polling.
    expect(running(supervisor!)).toBe(false);
    expect(running(pause!)).toBe(false);
    expect(podCgroupsOf(uid)).toEqual([]);
    expect(await statusOf('survivor')).toBe('Completed'); // the TERM trap's exit 0: a graceful delete
  }, 90_000);

  it('a bad manifest exits 2 with nothing started; a second pod of the same name is AlreadyExists', async () => {
    const bad = manifestFile('bad', podManifest('bad', '  containers:\n    - { name: app, image: x, command: 7 }\n'));
    const before = fs.readdirSync(stateRoot);
    const refused = await podInit(stateRoot, ['run', '-d', bad]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('spec.containers[0].command');
    expect(fs.readdirSync(stateRoot)).toEqual(before);

    const file = manifestFile('twice', trapping('twice'));
    expect(await podInit(stateRoot, ['run', '-d', file])).toMatchObject({ code: 0, stdout: 'pod/twice created\n' });
    const dirs = fs.readdirSync(stateRoot).filter((d) => d.startsWith('default_twice_'));
    const again = await podInit(stateRoot, ['run', '-d', file]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('pods "twice" already exists');
    expect(again.stdout).toBe('');
    // The refused pod's state directory went with it.
    expect(fs.readdirSync(stateRoot).filter((d) => d.startsWith('default_twice_'))).toEqual(dirs);
    expect(await podInit(stateRoot, ['delete', '-f', file, '--grace-period', '2'])).toMatchObject({
      code: 0,
      stdout: 'pod "twice" deleted\n',
    });
    // The asked grace reached the detached pod's supervisor (its final status says so).
    const final = JSON.parse((await podInit(stateRoot, ['get', 'twice', '-o', 'json'])).stdout) as {
      metadata: { deletionGracePeriodSeconds?: number };
    };
    expect(final.metadata.deletionGracePeriodSeconds).toBe(2);
  }, 60_000);

  it('get -w streams a restart, events -w its events; events lists Started (x2), Killing', async () => {
    const flags = fs.mkdtempSync(path.join(work, 'flags-'));
    const watch = startPodInit(stateRoot, ['get', 'pods', '-w']);
    watchers.add(watch);
    const rows = lineReader(watch.stdout);
    const eventWatch = startPodInit(stateRoot, ['events', '-w']);
    watchers.add(eventWatch);
    const eventRows = lineReader(eventWatch.stdout);
    const file = manifestFile(
      'restarter',
      podManifest(
        'restarter',
        `  volumes: [{ name: flags, hostPath: { path: ${flags} } }]\n  containers:\n    - name: app\n      image: x\n      command: [sh, -c, "trap 'exit 0' TERM; if [ ! -e ${flags}/once ]; then touch ${flags}/once; exit 1; fi; while true; do sleep 0.1; done"]\n      volumeMounts: [{ name: flags, mountPath: ${flags} }]\n`,
      ),
    );
    expect(await podInit(stateRoot, ['run', '-d', file, '--restart-backoff', '0'])).toMatchObject({
      code: 0,
      stdout: 'pod/restarter created\n',
    });
    await rows.waitFor(/^restarter +1\/1 +Running +1 \(\S+ ago\) +\S+$/);
    expect(rows.lines[0]).toMatch(/^NAME +READY +STATUS +RESTARTS +AGE$/);
    expect(rows.lines.filter((l) => l.startsWith('NAME'))).toHaveLength(1); // the header once
    watch.kill('SIGTERM');
    // events -w: each event as it comes, a repeated one again with its count.
    await eventRows.waitFor(/^\S+ \(x2 over \S+\) +Normal +Started +pod\/restarter +Started container app$/);
    expect(eventRows.lines.filter((l) => /Normal +Started +pod\/restarter/.test(l)).length).toBeGreaterThanOrEqual(2);
    expect(eventRows.lines.filter((l) => l.startsWith('LAST SEEN'))).toHaveLength(1);
    eventWatch.kill('SIGTERM');

    expect(await podInit(stateRoot, ['delete', 'restarter', '--now'])).toMatchObject({ code: 0 });
    const events = await podInit(stateRoot, ['events']);
    expect(events.code).toBe(0);
    const [header, ...lines] = events.stdout.trimEnd().split('\n');
    expect(header).toMatch(/^LAST SEEN +TYPE +REASON +OBJECT +MESSAGE$/);
    const restarter = lines.filter((l) => l.includes(' pod/restarter '));
    expect(
      restarter.some((l) => /^\S+ \(x2 over \S+\) +Normal +Started +pod\/restarter +Started container app$/.test(l)),
    ).toBe(true);
    expect(restarter.some((l) => /Normal +Killing +pod\/restarter +Stopping container app$/.test(l))).toBe(true);
    const all = await podInit(stateRoot, ['events', '-A']);
    expect(all.stdout.split('\n')[0]).toMatch(/^NAMESPACE +LAST SEEN +TYPE/);
    expect(all.stdout).toMatch(/^default +\S+/m);
    const none = await podInit(stateRoot, ['events', '-n', 'nothing-here']);
    expect(none).toMatchObject({ code: 0, stdout: '', stderr: 'No resources found in nothing-here namespace.\n' });
  }, 90_000);

  it('get -w of a missing pod is NotFound', async () => {
    const missing = await podInit(stateRoot, ['get', 'nosuch', '-w']);
    expect(missing).toMatchObject({ code: 1, stderr: 'Error from server (NotFound): pods "nosuch" not found\n' });
  });

  it('apply: created, unchanged, Forbidden with a diff, add/remove containers refused; delete -f', async () => {
    const base = trapping('applied');
    const file = manifestFile('applied', base);
    expect(await podInit(stateRoot, ['apply', '-f', file])).toMatchObject({ code: 0, stdout: 'pod/applied created\n' });
    const uid = (await podJson('applied')).metadata.uid;
    expect(await podInit(stateRoot, ['apply', '-f', file])).toMatchObject({
      code: 0,
      stdout: 'pod/applied unchanged\n',
    });
    // env (with a command change beside it: still refused whole, in the API server's words and diff).
    const changed = manifestFile(
      'applied-env',
      base.replace('image: x,', 'image: x, env: [{ name: ADDED, value: "1" }],').replace('sleep 0.1', 'sleep 0.2'),
    );
    const forbidden = await podInit(stateRoot, ['apply', '-f', changed]);
    expect(forbidden.code).toBe(1);
    expect(forbidden.stderr).toContain(
      'The Pod "applied" is invalid: spec: Forbidden: pod updates may not change fields other than `spec.containers[*].image`',
    );
    expect(forbidden.stderr).toMatch(/^@@ -\d+,\d+ \+\d+,\d+ @@$/m);
    expect(forbidden.stderr).toMatch(/^\+ +"name": "ADDED",?$/m);
    expect(forbidden.stderr).toMatch(/^-.*sleep 0\.1.*$/m);
    expect(forbidden.stderr).not.toContain('Warning:');
    const added = manifestFile('applied-add', `${base}    - { name: more, image: x, command: [sleep, '600'] }\n`);
    const refused = await podInit(stateRoot, ['apply', '-f', added]);
    expect(refused).toMatchObject({
      code: 1,
      stderr:
        'The Pod "applied" is invalid: spec.containers: Forbidden: pod updates may not add or remove containers\n',
    });
    // Nothing of it reached the pod: the same one runs, unchanged.
    expect((await podJson('applied')).metadata.uid).toBe(uid);
    expect(await statusOf('applied')).toBe('Running');
    const list = JSON.parse((await podInit(stateRoot, ['get', '-o', 'json'])).stdout) as {
      kind: string;
      items: PodJson[];
    };
    expect(list.kind).toBe('List');
    expect(list.items.map((p) => p.metadata.name)).toContain('applied');
    expect(await podInit(stateRoot, ['delete', '-f', file])).toMatchObject({
      code: 0,
      stdout: 'pod "applied" deleted\n',
    });
    expect(supervisorOf(uid)).toEqual([]);
  }, 60_000);

  it('apply -f DIR of two pods: created, unchanged twice, one refused; delete -f DIR -f missing deletes both, NotFound, exit 1', async () => {
    const dir = fs.mkdtempSync(path.join(work, 'apply-dir-'));
    fs.writeFileSync(path.join(dir, 'a.yaml'), trapping('dir-a'));
    fs.writeFileSync(path.join(dir, 'b.yaml'), trapping('dir-b'));
    const missing = manifestFile('dir-missing', trapping('dir-missing'));
    expect(await podInit(stateRoot, ['apply', '-f', dir])).toMatchObject({
      code: 0,
      stdout: 'pod/dir-a created\npod/dir-b created\n',
    });
    const uids = [(await podJson('dir-a')).metadata.uid, (await podJson('dir-b')).metadata.uid];
    for (const uid of uids) expect(pauseOf(uid)).toHaveLength(1);
    expect(await podInit(stateRoot, ['apply', '-f', dir])).toMatchObject({
      code: 0,
      stdout: 'pod/dir-a unchanged\npod/dir-b unchanged\n',
    });
    // A forbidden change to the first: refused (exit 1), the second still applied after it.
    fs.writeFileSync(
      path.join(dir, 'a.yaml'),
      trapping('dir-a').replace('image: x,', 'image: x, ports: [{ containerPort: 8080 }],'),
    );
    const refused = await podInit(stateRoot, ['apply', '-f', dir]);
    expect(refused).toMatchObject({ code: 1, stdout: 'pod/dir-b unchanged\n' });
    expect(refused.stderr).toMatch(/^The Pod "dir-a" is invalid: spec: Forbidden: /);
    expect((await podJson('dir-a')).metadata.uid).toBe(uids[0]);
    // The missing pod first: its NotFound does not stop the others; the exit code says it at the end.
    expect(await podInit(stateRoot, ['delete', '-f', missing, '-f', dir, '--now'])).toMatchObject({
      code: 1,
      stdout: 'pod "dir-a" deleted\npod "dir-b" deleted\n',
      stderr: 'Error from server (NotFound): pods "dir-missing" not found\n',
    });
    for (const uid of uids) {
      expect(supervisorOf(uid)).toEqual([]);
      expect(pauseOf(uid)).toEqual([]);
      expect(podCgroupsOf(uid)).toEqual([]);
    }
  }, 60_000);

  it("apply of a new image restarts only that container (the kubelet's definition change), whatever the policy", async () => {
    const loop = "trap 'exit 0' TERM; while true; do sleep 0.1; done";
    const two = (imageOfB: string) =>
      podManifest(
        'images',
        `  restartPolicy: Never\n  terminationGracePeriodSeconds: 30\n  containers:\n    - { name: a, image: x, command: [sh, -c, "${loop}"] }\n    - { name: b, image: ${imageOfB}, command: [sh, -c, "${loop}"] }\n`,
      );
    const file = manifestFile('images', two('x'));
    expect(await podInit(stateRoot, ['apply', '-f', file])).toMatchObject({ code: 0, stdout: 'pod/images created\n' });
    const changed = manifestFile('images-b', two('busybox'));
    expect(await podInit(stateRoot, ['apply', '-f', changed])).toMatchObject({
      code: 0,
      stdout: 'pod/images configured\n',
    });
    type Status = { name: string; image: string; restartCount: number; state: { running?: object } };
    const statuses = async () =>
      (
        JSON.parse((await podInit(stateRoot, ['get', 'images', '-o', 'json'])).stdout) as {
          status: { containerStatuses: Status[] };
        }
      ).status.containerStatuses;
    const after = await pollUntil(
      async () => {
        const s = await statuses();
        return s.find((c) => c.name === 'b' && c.restartCount === 1 && c.state.running) ? s : undefined;
      },
      'b restarted with its new image',
      30_000,
    );
    expect(after.map((c) => [c.name, c.image, c.restartCount])).toEqual([
      ['a', 'x', 0],
      ['b', 'busybox', 1],
    ]);
    expect(await podInit(stateRoot, ['apply', '-f', changed])).toMatchObject({ stdout: 'pod/images unchanged\n' });
    const events = (await podInit(stateRoot, ['events'])).stdout;
    expect(events).toMatch(/Normal +Killing +pod\/images +Container b definition changed, will be restarted$/m);
    expect(events).not.toMatch(/Killing +pod\/images +Container a /);
    await podInit(stateRoot, ['delete', 'images', '--now']);
  }, 60_000);

  it('apply of a changed command restarts only that container, which runs the new command; a run init container is not re-run; a sidecar restarts for new args', async () => {
    const loop = "trap 'exit 0' TERM; while true; do sleep 0.1; done";
    const pod = (versionOfB: string, versionOfInit: string, versionOfSide = 'v1') =>
      podManifest(
        'cmds',
        `  restartPolicy: Never\n  terminationGracePeriodSeconds: 30\n` +
          `  initContainers:\n    - { name: init, image: x, command: [sh, -c, "echo init-${versionOfInit}"] }\n` +
          `    - { name: side, image: x, restartPolicy: Always, command: [sh, -c, "echo side-$0; ${loop}"], args: [${versionOfSide}] }\n` +
          `  containers:\n    - { name: a, image: x, command: [sh, -c, "echo a-v1; ${loop}"] }\n` +
          `    - { name: b, image: x, command: [sh, -c, "echo b-${versionOfB}; ${loop}"] }\n`,
      );
    const file = manifestFile('cmds', pod('v1', 'v1'));
    expect(await podInit(stateRoot, ['apply', '-f', file])).toMatchObject({ code: 0, stdout: 'pod/cmds created\n' });
    type Status = { name: string; containerID?: string; restartCount: number; state: { running?: object } };
    const pods = async () =>
      JSON.parse((await podInit(stateRoot, ['get', 'cmds', '-o', 'json'])).stdout) as PodJson & {
        spec: { containers: Array<{ command: string[] }> };
        status: { containerStatuses: Status[]; initContainerStatuses: Status[] };
      };
    const uid = (await pods()).metadata.uid;
    // The host pid of each container's shell: its command line carries its marker, its cgroup the pod's uid.
    const shellOf = (marker: string) =>
      processes(
        (pid) =>
          fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(`echo ${marker};`) &&
          fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8').includes(`pod${uid}`),
      );
    const before = await pollUntil(
      async () => {
        const p = await pods();
        const ok = p.status.containerStatuses.every((c) => c.state.running) && shellOf('a-v1').length === 1;
        return ok && shellOf('b-v1').length === 1 ? p : undefined;
      },
      'a and b running',
      30_000,
    );
    const [pidOfA] = shellOf('a-v1');
    const idOfA = before.status.containerStatuses.find((c) => c.name === 'a')!.containerID;
    const changed = manifestFile('cmds-b', pod('v2', 'v2'));
    const applied = await podInit(stateRoot, ['apply', '-f', changed]);
    expect(applied).toMatchObject({ code: 0, stdout: 'pod/cmds configured\n' });
    expect(applied.stderr).toBe(
      'Warning: spec.containers[1].command, spec.initContainers[0].command: the API server refuses this change to a running pod (only image may change); pod-init carries it out on this host, a cluster would refuse this apply\n',
    );
    const after = await pollUntil(
      async () => {
        const p = await pods();
        const b = p.status.containerStatuses.find((c) => c.name === 'b')!;
        return b.restartCount === 1 && b.state.running && shellOf('b-v2').length === 1 ? p : undefined;
      },
      'b restarted with its new command',
      30_000,
    );
    expect(after.status.containerStatuses.map((c) => [c.name, c.restartCount])).toEqual([
      ['a', 0],
      ['b', 1],
    ]);
    // a: the same instance, the same process, still running; b's old shell is gone.
    expect(after.status.containerStatuses.find((c) => c.name === 'a')!.containerID).toBe(idOfA);
    expect(shellOf('a-v1')).toEqual([pidOfA]);
    expect(running(pidOfA!)).toBe(true);
    expect(shellOf('b-v1')).toEqual([]);
    // The init container that has run is not run again (its spec says the new command all the same).
    expect(after.status.initContainerStatuses.map((c) => [c.name, c.restartCount])).toEqual([
      ['init', 0],
      ['side', 0],
    ]);
    expect((await podInit(stateRoot, ['logs', 'cmds', '-c', 'init'])).stdout).toBe('init-v1\n');
    expect((await podInit(stateRoot, ['logs', 'cmds', '-c', 'b'])).stdout).toBe('b-v2\n');
    expect((await podInit(stateRoot, ['logs', 'cmds', '-c', 'b', '--previous'])).stdout).toBe('b-v1\n');
    expect((await podInit(stateRoot, ['logs', 'cmds', '-c', 'a'])).stdout).toBe('a-v1\n');
    expect(after.spec.containers[1]!.command.join(' ')).toContain('echo b-v2;');
    expect(await podInit(stateRoot, ['apply', '-f', changed])).toMatchObject({
      code: 0,
      stdout: 'pod/cmds unchanged\n',
    });
    const events = (await podInit(stateRoot, ['events'])).stdout;
    expect(events).toMatch(/Normal +Killing +pod\/cmds +Container b definition changed, will be restarted$/m);
    expect(events).not.toMatch(/Killing +pod\/cmds +Container (a|init|side) /);
    // A sidecar (a restartable init container) that runs is restarted for new args; the others go on.
    const sideArgs = await podInit(stateRoot, ['apply', '-f', manifestFile('cmds-side', pod('v2', 'v2', 'v2'))]);
    expect(sideArgs).toMatchObject({ code: 0, stdout: 'pod/cmds configured\n' });
    expect(sideArgs.stderr).toMatch(/^Warning: spec\.initContainers\[1\]\.args: the API server refuses/);
    const third = await pollUntil(
      async () => {
        const p = await pods();
        const side = p.status.initContainerStatuses.find((c) => c.name === 'side')!;
        return side.restartCount === 1 && side.state.running ? p : undefined;
      },
      'the sidecar restarted with its new args',
      30_000,
    );
    expect((await podInit(stateRoot, ['logs', 'cmds', '-c', 'side'])).stdout).toBe('side-v2\n');
    expect(third.status.containerStatuses.map((c) => [c.name, c.restartCount])).toEqual([
      ['a', 0],
      ['b', 1],
    ]);
    expect(shellOf('a-v1')).toEqual([pidOfA]);
    await podInit(stateRoot, ['delete', 'cmds', '--now', '--wait']);
    expect(pauseOf(uid)).toEqual([]);
  }, 60_000);

  it("a killed supervisor: the pod's guard takes the pod with it, get says Unknown, delete says so, prune sweeps it", async () => {
    const file = manifestFile('orphan', trapping('orphan'));
    expect(await podInit(stateRoot, ['run', '-d', file])).toMatchObject({ code: 0, stdout: 'pod/orphan created\n' });
    const { uid } = (await podJson('orphan')).metadata;
    const [supervisor] = supervisorOf(uid);
    const [pause] = pauseOf(uid);
    expect(supervisor).toBeDefined();
    expect(pause).toBeDefined();
    process.kill(supervisor!, 'SIGKILL');
    await pollUntil(() => !running(pause!), 'the pause killed by the guard', 10_000);
    expect(await statusOf('orphan')).toBe('Unknown');
    const deleted = await podInit(stateRoot, ['delete', 'orphan']);
    expect(deleted.code).toBe(0);
    expect(deleted.stderr).toContain('pod "orphan" is not running: its pod-init is gone (killed or crashed)');
    expect(deleted.stderr).toContain('hint: pod-init prune');
    // (What the dead supervisor could not remove: its cgroups. Any pod-init starting meanwhile on this host
    // sweeps them too, so only their absence after the prune is asserted.)
    const pruned = await podInit(stateRoot, ['prune']);
    expect(pruned.code).toBe(0);
    expect(pruned.stdout.split('\n')).toContain('pod/orphan pruned'); // with the finished pods of earlier tests
    expect(podCgroupsOf(uid)).toEqual([]);
  }, 60_000);
});
