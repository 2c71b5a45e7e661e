// `pod-init run FILE` through the CLI, against the kubelet's rules (KUBERNETES.md B.1-B.6, B.10-B.12):
// order of init and regular containers, restart policies and the crash-loop backoff, status shape,
// exit codes, graceful deletion, env expansion, sidecars, CRI logs, and validation that starts nothing.
import { spawn as cpSpawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { podCli, podManifest } from '../helpers/pod-cli';
import { privilegeSkipReason, titled } from '../helpers/privileges';
import { pausesOf } from '../helpers/procfs';
import { lineReader, pollUntil, readAll, waitForLine } from '../helpers/wait';

const reason = privilegeSkipReason();
const { stateRoot, run, cleanup } = podCli();

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- container states are read loosely here
type State = any;

type PodJson = {
  metadata: { uid: string; name: string; namespace: string };
  spec: { restartPolicy: string; terminationGracePeriodSeconds: number };
  status: {
    phase: string;
    conditions: Array<{ type: string; status: string; reason?: string }>;
    containerStatuses: Array<{ name: string; state: State; lastState: State; restartCount: number; ready: boolean }>;
    initContainerStatuses?: Array<{ name: string; state: State; ready: boolean }>;
  };
};

const pod = podManifest;

describe.skipIf(reason)(titled('pod-init run', reason), () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pod-init-run-'));
  });
  afterAll(() => {
    cleanup();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('runs init containers first, then containers in order; Never + exit 0 is Succeeded (exit 0)', async () => {
    const manifest = pod(
      'order',
      `  restartPolicy: Never
  initContainers:
    - { name: first, image: busybox, command: [sh, -c, "echo first"] }
    - { name: second, image: busybox, command: [sh, -c, "echo second"] }
  containers:
    - { name: main, image: busybox, command: [sh, -c, "echo main"] }
`,
    );
    const r = await run(['-o', 'json'], manifest);
    expect(r.code).toBe(0);
    const lines = r.stderr.split('\n').filter((l) => / \| /.test(l));
    expect(lines).toEqual(['first  | first', 'second | second', 'main   | main']);
    const final = JSON.parse(r.stdout) as PodJson;
    expect(final.status.phase).toBe('Succeeded');
    expect(final.metadata.namespace).toBe('default');
    expect(final.spec.restartPolicy).toBe('Never');
    expect(final.spec.terminationGracePeriodSeconds).toBe(30);
    expect(final.status.initContainerStatuses!.map((s) => s.state.terminated.reason)).toEqual([
      'Completed',
      'Completed',
    ]);
    expect(final.status.containerStatuses[0]!.state.terminated).toMatchObject({ exitCode: 0, reason: 'Completed' });
    expect(final.status.conditions.find((c) => c.type === 'Initialized')).toMatchObject({ status: 'True' });
    expect(final.status.conditions.find((c) => c.type === 'Ready')).toMatchObject({
      status: 'False',
      reason: 'PodCompleted',
    });
    expect(r.stderr).toMatch(/Normal\s+Started\s+pod\/order \(main\): Started container main/);
  });

  it('a failing container under Never fails the pod (exit 1, reason Error)', async () => {
    const r = await run(
      ['-q', '-o', 'json'],
      pod('fails', `  restartPolicy: Never\n  containers:\n    - { name: c, image: x, command: [sh, -c, "exit 3"] }\n`),
    );
    expect(r.code).toBe(1);
    const final = JSON.parse(r.stdout) as PodJson;
    expect(final.status.phase).toBe('Failed');
    expect(final.status.containerStatuses[0]!.state.terminated).toMatchObject({ exitCode: 3, reason: 'Error' });
  });

  it('OnFailure restarts with the backoff until it succeeds (first restart immediate)', async () => {
    const counter = path.join(dir, 'count');
    const script = `n=$(cat ${counter} 2>/dev/null || echo 0); echo $((n+1)) > ${counter}; echo "run $n"; [ $n -ge 2 ]`;
    const manifest = pod(
      'retries',
      // The counter in a hostPath volume: the host's files are read-only in a host-mode root otherwise.
      `  restartPolicy: OnFailure\n  volumes: [{ name: d, hostPath: { path: ${dir} } }]\n  containers:\n    - name: c\n      image: x\n      command: [sh, -c, '${script}']\n      volumeMounts: [{ name: d, mountPath: ${dir} }]\n`,
    );
    const r = await run(['-o', 'json', '--restart-backoff', '0.2,1'], manifest);
    expect(r.code).toBe(0);
    const final = JSON.parse(r.stdout) as PodJson;
    expect(final.status.phase).toBe('Succeeded');
    expect(final.status.containerStatuses[0]!.restartCount).toBe(2);
    expect(final.status.containerStatuses[0]!.lastState.terminated).toMatchObject({ exitCode: 1, reason: 'Error' });
    expect(r.stderr.match(/Warning BackOff/g)).toHaveLength(1); // 0 s, then 0.2 s: one wait
  });

  it('a missing executable is StartError with exit code 128', async () => {
    const r = await run(
      ['-q', '-o', 'json'],
      pod(
        'nostart',
        `  restartPolicy: Never\n  containers:\n    - { name: c, image: x, command: [no-such-binary-here] }\n`,
      ),
    );
    expect(r.code).toBe(1);
    const final = JSON.parse(r.stdout) as PodJson;
    expect(final.status.containerStatuses[0]!.state.terminated).toMatchObject({
      exitCode: 128,
      reason: 'StartError',
      message: 'exec: "no-such-binary-here": executable file not found in $PATH',
    });
  });

  it('expands $(VAR), fieldRefs and ConfigMap keys from the same file; $$ escapes', async () => {
    const manifest = `${pod(
      'envs',
      `  restartPolicy: Never
  containers:
    - name: c
      image: x
      command: [printf, '%s|%s|%s|%s|%s\\n', '$(GREETING)', '$(POD)', '$(COLOR)', '$$(LITERAL)', '$(HOSTNAME)']
      env:
        - { name: GREETING, value: "hello $(POD_MISSING)" }
        - name: POD
          valueFrom: { fieldRef: { fieldPath: metadata.name } }
        - name: COLOR
          valueFrom: { configMapKeyRef: { name: settings, key: color } }
`,
    )}---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  color: blue\n`;
    const r = await run([], manifest);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('c | hello $(POD_MISSING)|envs|blue|$(LITERAL)|envs');
  });

  it('SIGINT deletes the pod gracefully: SIGTERM to containers, terminal phase from exit codes', async () => {
    const manifest = pod(
      'graceful',
      `  containers:\n    - name: c\n      image: x\n      command: [sh, -c, 'trap "echo got TERM; exit 0" TERM; echo up; while :; do sleep 0.1; done']\n`,
    );
    let child: ChildProcess | undefined;
    const result = run(['-o', 'json'], manifest, (c) => (child = c));
    await waitForLine(child!.stderr, /c \| up/);
    child!.kill('SIGINT');
    const r = await result;
    expect(r.stderr).toMatch(/Normal\s+Killing\s+pod\/graceful \(c\): Stopping container c/);
    expect(r.stderr).toContain('c | got TERM');
    expect(r.code).toBe(0); // deleted, every container exited 0: Succeeded (since 1.27)
    expect((JSON.parse(r.stdout) as PodJson).status.phase).toBe('Succeeded');
  });

  it('--timeout deletes; a PID 1 without a TERM handler is SIGKILLed after the grace period (137)', async () => {
    const manifest = pod(
      'stubborn',
      `  terminationGracePeriodSeconds: 0\n  containers:\n    - { name: c, image: x, command: [sleep, "100"] }\n`,
    );
    // Long enough for the container to start on a loaded host (a root pod sets up its pod IP first).
    const r = await run(['-q', '-o', 'json', '--timeout', '2s'], manifest);
    expect(r.code).toBe(1);
    const final = JSON.parse(r.stdout) as PodJson;
    expect(final.status.containerStatuses[0]!.state.terminated).toMatchObject({ exitCode: 137, signal: 9 });
  });

  it('sidecars run beside the containers and are stopped after them', async () => {
    const manifest = pod(
      'sidecar',
      `  restartPolicy: Never
  initContainers:
    - name: helper
      image: x
      restartPolicy: Always
      command: [sh, -c, 'trap "echo helper stops; exit 0" TERM; echo helper up; while :; do sleep 0.1; done']
  containers:
    - { name: main, image: x, command: [sh, -c, "sleep 0.3; echo main done"] }
`,
    );
    const r = await run(['-o', 'json'], manifest);
    expect(r.code).toBe(0);
    const log = r.stderr;
    expect(log.indexOf('helper | helper up')).toBeLessThan(log.indexOf('main   | main done'));
    expect(log.indexOf('main   | main done')).toBeLessThan(log.indexOf('helper | helper stops'));
    const final = JSON.parse(r.stdout) as PodJson;
    expect(final.status.phase).toBe('Succeeded');
  });

  it('writes CRI logs and the final status under the state directory, and a status file', async () => {
    const statusFile = path.join(dir, 'status.json');
    const r = await run(
      ['-q', '-o', 'json', '--status-file', statusFile],
      pod(
        'logs',
        `  restartPolicy: Never\n  containers:\n    - { name: c, image: x, command: [sh, -c, "echo out; echo err >&2"] }\n`,
      ),
    );
    const final = JSON.parse(r.stdout) as PodJson;
    const state = path.join(stateRoot, `default_logs_${final.metadata.uid}`);
    const lines = fs.readFileSync(`${state}/c/0.log`, 'utf8').trim().split('\n').sort();
    expect(lines).toHaveLength(2);
    for (const line of lines)
      expect(line).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z (stdout F out|stderr F err)$/);
    expect(JSON.parse(fs.readFileSync(`${state}/status.json`, 'utf8')).status.phase).toBe('Succeeded');
    expect(JSON.parse(fs.readFileSync(statusFile, 'utf8')).status.phase).toBe('Succeeded');
    expect(fs.readdirSync(state).sort()).toEqual(['c', 'events.jsonl', 'status.json']); // only logs and the final status
  });

  it('--image NAME=DIR runs the container in that root filesystem (pivot_root), with /proc, /dev and volumes', async () => {
    const busybox = ['/bin/busybox', '/usr/bin/busybox'].find((p) => fs.existsSync(p));
    if (!busybox) {
      if (process.env.POD_INIT_REQUIRE_PRIVILEGES === '1')
        throw new Error('busybox-static is needed (.ci/run installs it)');
      console.warn('skipping the --image test: no static busybox (apt-get install busybox-static)');
      return;
    }
    const rootfs = path.join(dir, 'rootfs');
    fs.mkdirSync(path.join(rootfs, 'bin'), { recursive: true });
    fs.copyFileSync(busybox, path.join(rootfs, 'bin/busybox'));
    fs.chmodSync(path.join(rootfs, 'bin/busybox'), 0o755);
    for (const applet of ['sh', 'ls', 'cat', 'head']) fs.symlinkSync('busybox', path.join(rootfs, 'bin', applet));
    const manifest = pod(
      'image',
      `  restartPolicy: Never
  volumes: [{ name: data, emptyDir: {} }]
  containers:
    - name: c
      image: bb:1
      env: [{ name: PATH, value: /bin }]
      command: [sh, -c, 'ls /; echo "pid=$$$$"; head -1 /etc/hosts; ls /dev/null /dev/shm; echo hi > /data/x && cat /data/x']
      volumeMounts: [{ name: data, mountPath: /data }]
`,
    );
    const r = await run(['--image', `bb:1=${rootfs}`], manifest);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout
      .split('\n')
      .filter((l) => l.startsWith('c | '))
      .map((l) => l.slice(4));
    expect(lines.slice(0, 5)).toEqual(['bin', 'data', 'dev', 'etc', 'proc']); // the image's root, not the host's
    expect(lines).toContain('pid=1');
    expect(lines).toContain('# Kubernetes-managed hosts file.');
    expect(lines).toContain('/dev/null');
    expect(lines.at(-1)).toBe('hi');
    expect(r.stderr).not.toContain('running on the host'); // mapped: no notice
    expect(r.stdout).toContain('pod/image (c): Container image "bb:1" already present on machine');
  });

  it('--image with a missing directory is a usage error (exit 2)', async () => {
    const r = await run(['--image', 'bb=/no/such/rootfs'], pod('x', '  containers: []\n'));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--image must be NAME=DIR with an existing directory, received 'bb=/no/such/rootfs'");
  });

  it('/etc/hosts and /etc/hostname as the kubelet and the runtime write them; the host files stay', async () => {
    const hostHosts = fs.readFileSync('/etc/hosts', 'utf8');
    const manifest = pod(
      'hosts',
      `  restartPolicy: Never\n  hostname: web-0\n  subdomain: web\n  containers:\n    - { name: c, image: x, command: [sh, -c, "cat /etc/hosts /etc/hostname; hostname"] }\n`,
    );
    const r = await run([], manifest);
    expect(r.code).toBe(0);
    const lines = r.stdout
      .split('\n')
      .filter((l) => l.startsWith('c | '))
      .map((l) => l.slice(4));
    expect(lines[0]).toBe('# Kubernetes-managed hosts file.');
    // The pod's IP: on the bridge as root (the default), 127.0.0.1 without root.
    expect(lines.some((l) => /^\d+\.\d+\.\d+\.\d+\tweb-0\.web\.default\.svc\.cluster\.local\tweb-0$/.test(l))).toBe(
      true,
    );
    expect(lines.slice(-2)).toEqual(['web-0', 'web-0']); // /etc/hostname, then the uts hostname
    expect(fs.readFileSync('/etc/hosts', 'utf8')).toBe(hostHosts);
  });

  // A container that says "up" and exits 0 on SIGTERM; the pod's pause is SIGKILLed once it is up.
  const upUntilTerm = 'trap "exit 0" TERM; echo up; while :; do sleep 0.1; done';
  async function killPauseOnceUp(manifest: string) {
    let child: ChildProcess | undefined;
    const result = run(['-o', 'json'], manifest, (c) => (child = c));
    const log = lineReader(child!.stderr);
    await log.waitFor(/^c +\| up$/);
    process.kill(pausesOf(child!.pid!)[0]!, 'SIGKILL');
    return { child: child!, log, result };
  }

  it('a dead pause means a new sandbox: SandboxChanged, init containers run again, containers restart', async () => {
    const manifest = pod(
      'sandbox',
      `  terminationGracePeriodSeconds: 0
  initContainers:
    - { name: init, image: x, command: [sh, -c, "echo init ran"] }
  containers:
    - { name: c, image: x, command: [sh, -c, '${upUntilTerm}'] }
`,
    );
    const { child, log, result } = await killPauseOnceUp(manifest);
    await log.waitFor(/SandboxChanged/);
    await pollUntil(() => log.lines.filter((l) => /^c +\| up$/.test(l)).length === 2, 'c to run again');
    expect(log.lines.filter((l) => /^init +\| init ran$/.test(l))).toHaveLength(2);
    child.kill('SIGINT');
    const r = await result;
    expect(r.code).toBe(0);
    const final = JSON.parse(r.stdout) as PodJson;
    expect(final.status.containerStatuses[0]!.restartCount).toBe(1);
    expect(final.status.containerStatuses[0]!.lastState.terminated).toMatchObject({ exitCode: 137 });
  });

  it('a dead pause with restartPolicy Never ends the pod, its containers killed at once (no grace)', async () => {
    const manifest = pod(
      'sandbox-never',
      `  restartPolicy: Never
  hostPID: true # outside the pause's pid namespace: its death alone would not kill the container
  terminationGracePeriodSeconds: 30
  containers:
    - { name: c, image: x, command: [sh, -c, '${upUntilTerm}'] }
`,
    );
    const { result } = await killPauseOnceUp(manifest);
    const r = await result;
    const final = JSON.parse(r.stdout) as PodJson;
    // SIGKILL, not the SIGTERM its trap would have answered with exit 0 (the runtime kills the rest).
    expect(final.status.containerStatuses[0]!.state.terminated).toMatchObject({ exitCode: 137 });
    expect(final.status.phase).toBe('Failed');
    expect(r.code).toBe(1);
  });

  it("a dead pause under restartPolicy Never ends the pod, whatever the container's own restartPolicy", async () => {
    // The kubelet's shouldRestartOnFailure reads the pod's policy only: no new sandbox (README "A dead pause").
    const manifest = pod(
      'sandbox-never-always',
      `  restartPolicy: Never
  terminationGracePeriodSeconds: 0
  containers:
    - { name: c, image: x, restartPolicy: Always, command: [sh, -c, '${upUntilTerm}'] }
`,
    );
    const { log, result } = await killPauseOnceUp(manifest);
    const r = await result;
    expect(log.lines.some((l) => /SandboxChanged/.test(l))).toBe(true);
    const final = JSON.parse(r.stdout) as PodJson;
    expect(final.status.containerStatuses[0]!.restartCount).toBe(0);
    expect(final.status.containerStatuses[0]!.state.terminated).toMatchObject({ exitCode: 137 });
    expect(final.status.phase).toBe('Failed');
    expect(r.code).toBe(1);
  });

  it('a new sandbox starts every container of the old one, one with its own restartPolicy Never too', async () => {
    // computePodActions' sandbox branch (no init containers): every container but one that succeeded
    // under OnFailure; c was killed with the old sandbox (137) and its own policy would not restart it.
    const manifest = pod(
      'sandbox-container-never',
      `  terminationGracePeriodSeconds: 0
  containers:
    - { name: c, image: x, restartPolicy: Never, command: [sh, -c, '${upUntilTerm}'] }
`,
    );
    const { child, log, result } = await killPauseOnceUp(manifest);
    await log.waitFor(/SandboxChanged/);
    await pollUntil(() => log.lines.filter((l) => /^c +\| up$/.test(l)).length === 2, 'c to run in the new sandbox');
    child.kill('SIGINT');
    const r = await result;
    const final = JSON.parse(r.stdout) as PodJson;
    expect(final.status.containerStatuses[0]!.restartCount).toBe(1);
    expect(final.status.containerStatuses[0]!.lastState.terminated).toMatchObject({ exitCode: 137 });
  });

  it('activeDeadlineSeconds: the pod fails with DeadlineExceeded and its containers are stopped', async () => {
    const manifest = pod(
      'deadline',
      `  activeDeadlineSeconds: 1\n  terminationGracePeriodSeconds: 0\n  containers:\n    - name: c\n      image: x\n      command: [sh, -c, 'trap "exit 0" TERM; while :; do sleep 0.1; done']\n`,
    );
    const r = await run(['-o', 'json'], manifest);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /DeadlineExceeded\s+pod\/deadline: Pod was active on the node longer than the specified deadline/,
    );
    const final = JSON.parse(r.stdout) as PodJson & { status: { reason: string } };
    expect(final.status).toMatchObject({ phase: 'Failed', reason: 'DeadlineExceeded' });
    expect(final.status.containerStatuses[0]!.state.terminated).toMatchObject({ exitCode: 0 }); // SIGTERM handled
  });

  it('emptyDir is shared by the containers that mount it and outlives restarts; nothing is made on the host', async () => {
    const topLevel = `/pod-init-test-${process.pid}`;
    const manifest = `${pod(
      'volumes',
      `  restartPolicy: OnFailure
  volumes:
    - { name: shared, emptyDir: {} }
    - { name: settings, configMap: { name: cfg } }
    - { name: host, hostPath: { path: ${dir}, type: Directory } }
  initContainers:
    - name: writer
      image: x
      command: [sh, -c, "echo from-init > ${topLevel}/data/greeting"]
      volumeMounts: [{ name: shared, mountPath: ${topLevel}/data }]
  containers:
    - name: reader
      image: x
      command:
        - sh
        - -c
        - 'cat ${topLevel}/data/greeting ${topLevel}/cfg/color; echo run >> ${topLevel}/data/runs; n=$(wc -l < ${topLevel}/data/runs); echo "runs=$n"; (echo x > ${topLevel}/cfg/color) 2>/dev/null || echo read-only; ls ${dir} >/dev/null && echo host-ok; [ $n -ge 2 ]'
      volumeMounts:
        - { name: shared, mountPath: ${topLevel}/data }
        - { name: settings, mountPath: ${topLevel}/cfg }
        - { name: host, mountPath: ${dir}, readOnly: true }
`,
    )}---\napiVersion: v1\nkind: ConfigMap\nmetadata: { name: cfg }\ndata: { color: "green\\n" }\n`;
    const r = await run(['--restart-backoff', '0.1,1'], manifest);
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n').filter((l) => l.startsWith('reader |'));
    expect(lines).toEqual([
      'reader | from-init',
      'reader | green',
      'reader | runs=1',
      'reader | read-only',
      'reader | host-ok',
      'reader | from-init',
      'reader | green',
      'reader | runs=2', // the emptyDir kept the first run's line across the restart
      'reader | read-only',
      'reader | host-ok',
    ]);
    expect(fs.existsSync(topLevel)).toBe(false); // the mount point existed only in the containers' roots
  });

  it('a hostPath of type File that appears later: FailedMount, retried with backoff, then the container starts', async () => {
    const later = fs.mkdtempSync(path.join(os.tmpdir(), 'pod-init-later-'));
    const file = path.join(later, 'config');
    try {
      let child: ChildProcess | undefined;
      const done = run(
        [],
        pod(
          'later',
          `  restartPolicy: Never\n  volumes:\n    - { name: h, hostPath: { path: ${file}, type: File } }\n  containers:\n    - { name: c, image: x, command: [cat, /etc/later], volumeMounts: [{ name: h, mountPath: /etc/later }] }\n`,
        ),
        (c) => (child = c),
      );
      await waitForLine(child!.stdout!, /FailedMount/);
      fs.writeFileSync(file, 'it came\n');
      const r = await done;
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/^c \| it came$/m);
      // As in the kubelet, no image event before the volumes are there.
      expect(r.stdout.indexOf('Pulled')).toBeGreaterThan(r.stdout.lastIndexOf('FailedMount'));
    } finally {
      fs.rmSync(later, { recursive: true, force: true });
    }
  });

  it('a hostPath that fails its type check is FailedMount; the container waits (ContainerCreating)', async () => {
    const manifest = pod(
      'badmount',
      `  volumes:\n    - { name: h, hostPath: { path: /no/such/dir, type: Directory } }\n  containers:\n    - name: c\n      image: x\n      command: ["true"]\n      volumeMounts: [{ name: h, mountPath: /mnt }]\n`,
    );
    const r = await run(['-o', 'json', '--timeout', '500ms'], manifest);
    expect(r.stderr).toContain('FailedMount');
    expect(r.stderr).toContain('hostPath type check failed: /no/such/dir is not a directory');
    const final = JSON.parse(r.stdout) as PodJson;
    expect(final.status.containerStatuses[0]!.state.waiting).toMatchObject({ reason: 'ContainerCreating' });
    expect(final.status.phase).toBe('Failed'); // deleted at --timeout while Pending: the kubelet's terminal phase
    expect(r.code).toBe(1);
  });

  it('an invalid manifest exits 2 with every error by field path, and starts nothing', async () => {
    const manifest = pod(
      'Bad_Name',
      `  restartPolicy: Sometimes\n  containers:\n    - { name: web, image: x, command: ["true"] }\n    - { name: web, command: ["true"] }\n`,
    );
    const r = await run([], manifest);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('metadata.name: Invalid value: "Bad_Name"');
    expect(r.stderr).toContain('spec.containers[1].name: Duplicate value: "web"');
    expect(r.stderr).toContain('spec.containers[1].image: Required value');
    expect(r.stderr).toContain('spec.restartPolicy: Unsupported value: "Sometimes"');
    expect(r.stderr).not.toMatch(/at .*\.js:\d+/); // no stack trace
    expect(r.stdout).toBe('');
  });

  it('bad flags exit 2 naming the flag', async () => {
    const r = await run(['--timeout', 'soon'], pod('x', '  containers: []\n'));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--timeout must be a duration such as 30s, 2m or 1m30s, received 'soon'");
  });

  it('a manifest file that cannot be read exits 2 with its name and why, no stack trace', async () => {
    const child = cpSpawn(
      process.execPath,
      [path.resolve(__dirname, '../../pod-init.js'), 'run', '/no/such/pod.yaml'],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const [err, code] = await Promise.all([readAll(child.stderr), new Promise((resolve) => child.on('exit', resolve))]);
    expect(code).toBe(2);
    expect(err).toBe(
      "pod-init: FILE must be a readable manifest (YAML or JSON; - for stdin), received '/no/such/pod.yaml (ENOENT)'\n",
    );
  });
});
