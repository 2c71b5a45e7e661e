// exec-latency (issue 14): `pod-init exec NAME -- true` through the `pod-init` command (bin/pod-init, its
// native client: no Node) into a running pod (a busybox root of its own, started by `pod-init run`)
// against `nsenter -t PID -a true` into the same container (namespaces only: no cgroup, user,
// capabilities, seccomp or guard — the floor), the Node CLI's exec (POD_INIT_NATIVE_EXEC=0: what every
// exec cost before), `node -e 0` (Node's start) and `podman exec` (podman set up offline by
// ../shared/bench/podman-setup.sh; skipped with the reason otherwise). Also execInPod() in-process:
// the library's own part without Node's start (read the state, start the guard, enter, run, wait), and
// the same without the guard. Interleaved, so machine noise hits all alike.
'use strict';
const { spawn: cpSpawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execInPod, stateLocation } = require(path.join(__dirname, '..', 'dist'));
const { timed } = require('./timed');
const { summarize } = require('./stats');

const cli = path.join(__dirname, '..', 'pod-init.js');
const bin = path.join(__dirname, '..', 'bin', 'pod-init');

function which(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' }).stdout.trim() || undefined;
}

/** A root filesystem of the host's static busybox, or undefined without one. */
function busyboxRoot(dir) {
  const busybox = ['/bin/busybox', '/usr/bin/busybox'].find((p) => fs.existsSync(p));
  if (!busybox) return undefined;
  const root = path.join(dir, 'root');
  fs.mkdirSync(path.join(root, 'bin'), { recursive: true });
  fs.copyFileSync(busybox, path.join(root, 'bin/busybox'));
  fs.chmodSync(path.join(root, 'bin/busybox'), 0o755);
  for (const applet of ['sh', 'sleep', 'true']) fs.symlinkSync('busybox', path.join(root, 'bin', applet));
  return root;
}

/** Polls `check` every 20 ms until it returns something, for at most `ms`. */
async function poll(check, ms, what) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`exec-latency: timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** `podman exec` into a running container of localhost/bb, or the reason it cannot run. */
function podmanPeer() {
  const podman = which('podman');
  if (!podman) return { why: 'podman is not installed (../shared/bench/podman-setup.sh)' };
  if (spawnSync(podman, ['image', 'exists', 'localhost/bb:latest']).status !== 0)
    return { why: 'no localhost/bb image: run ../shared/bench/podman-setup.sh' };
  spawnSync(podman, ['rm', '-f', 'pod-init-bench-exec'], { stdio: 'ignore' });
  const started = spawnSync(
    podman,
    ['run', '-d', '--name', 'pod-init-bench-exec', 'localhost/bb:latest', 'sleep', '100000'],
    { encoding: 'utf8' },
  );
  if (started.status !== 0) return { why: `podman run failed: ${started.stderr.trim().split('\n').pop()}` };
  const probe = spawnSync(podman, ['exec', 'pod-init-bench-exec', 'true'], { encoding: 'utf8' });
  if (probe.status !== 0) {
    spawnSync(podman, ['rm', '-f', 'pod-init-bench-exec'], { stdio: 'ignore' });
    return { why: `podman exec failed: ${probe.stderr.trim().split('\n').pop()}` };
  }
  return {
    run: () => timed(podman, ['exec', 'pod-init-bench-exec', 'true']),
    stop: () => spawnSync(podman, ['rm', '-f', '-t', '0', 'pod-init-bench-exec'], { stdio: 'ignore' }),
  };
}

module.exports = function execBenches(report, { runs, log }) {
  return {
    async 'exec-latency'() {
      if (process.geteuid() !== 0) return report.skip('exec-latency', 'needs root (nsenter -a into the pod)');
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pod-init-bench-exec-'));
      const root = busyboxRoot(dir);
      if (!root) {
        fs.rmSync(dir, { recursive: true, force: true });
        return report.skip('exec-latency', 'no static busybox (apt-get install busybox-static)');
      }
      const env = { ...process.env, POD_INIT_STATE_DIR: path.join(dir, 'state') };
      const manifest = path.join(dir, 'pod.yaml');
      fs.writeFileSync(
        manifest,
        'apiVersion: v1\nkind: Pod\nmetadata: { name: bench-exec }\nspec:\n  containers:\n' +
          '    - { name: app, image: bb, command: [sleep, "100000"], env: [{ name: PATH, value: /bin }] }\n',
      );
      const pod = cpSpawn(process.execPath, [cli, 'run', '-q', '--image', `bb=${root}`, manifest], {
        stdio: 'ignore',
        env,
      });
      const podEnded = new Promise((resolve) => pod.on('exit', resolve));
      const peer = podmanPeer();
      try {
        const spec = await poll(
          () => {
            const state = path.join(dir, 'state');
            const podDir =
              fs.existsSync(state) && fs.readdirSync(state).find((d) => d.startsWith('default_bench-exec_'));
            const file = podDir && path.join(state, podDir, 'app', 'exec.json');
            return file && fs.existsSync(file) && JSON.parse(fs.readFileSync(file, 'utf8'));
          },
          30_000,
          'the pod to run',
        );
        const ours = () => timed(bin, ['exec', 'bench-exec', '--', 'true'], env);
        const nodeCli = () => timed(bin, ['exec', 'bench-exec', '--', 'true'], { ...env, POD_INIT_NATIVE_EXEC: '0' });
        const nsenter = () => timed(which('nsenter'), ['-t', String(spec.pid), '-a', 'true'], env);
        const node = () => timed(process.execPath, ['-e', '0'], env);
        const location = stateLocation(env, 0);
        const inProcess = async () => {
          const t0 = process.hrtime.bigint();
          const session = await execInPod(location, { name: 'bench-exec', command: ['true'] });
          const code = await session.exitCode;
          if (code !== 0) throw new Error(`execInPod true exited ${code}`);
          return Number(process.hrtime.bigint() - t0) / 1e6;
        };
        const unguarded = async () => {
          const t0 = process.hrtime.bigint();
          const session = await execInPod(location, { name: 'bench-exec', command: ['true'], dieWithCaller: false });
          if ((await session.exitCode) !== 0) throw new Error('execInPod true failed');
          return Number(process.hrtime.bigint() - t0) / 1e6;
        };
        // podman here may lose its own container mid-run (its state refreshed under it: "acquiring lock 0 …
        // file exists"); then its row is skipped with that reason, not the whole benchmark.
        let podmanFailed;
        const podman = async () => {
          if (podmanFailed === undefined) {
            try {
              return await peer.run();
            } catch (error) {
              podmanFailed = String(error.message).split('\n').slice(0, 2).join(' ');
            }
          }
          return NaN;
        };
        const steps = [ours, nsenter, node, inProcess, unguarded, nodeCli, ...(peer.run ? [podman] : [])];
        for (let i = 0; i < 5; i++) for (const step of steps) await step();
        const n = Math.max(30, runs * 3);
        const samples = steps.map(() => []);
        for (let i = 0; i < n; i++) for (const [k, step] of steps.entries()) samples[k].push(await step());
        if (podmanFailed !== undefined) {
          samples.pop();
          peer.why = `podman exec failed during the run: ${podmanFailed}`;
        }
        const [a, b, c, d, g, f, e] = samples.map((s) => summarize(s));
        report.add('exec-latency', 'ms', a.median, 'nsenter -t PID -a true', b.median, {
          p99: a.p99,
          peerP99: b.p99,
          n,
        });
        report.add('exec-latency-node', 'ms', a.median, 'node -e 0', c.median, { p99: a.p99, peerP99: c.p99, n });
        report.add('exec-latency-node-cli', 'ms', a.median, 'the Node CLI (POD_INIT_NATIVE_EXEC=0)', f.median, {
          p99: a.p99,
          peerP99: f.p99,
          n,
        });
        report.add('exec-in-process', 'ms', d.median, 'nsenter -t PID -a true', b.median, { p99: d.p99, n });
        report.add('exec-in-process-unguarded', 'ms', g.median, 'nsenter -t PID -a true', b.median, { p99: g.p99, n });
        if (e)
          report.add('exec-latency-podman', 'ms', a.median, 'podman exec', e.median, { p99: a.p99, peerP99: e.p99, n });
        else report.skip('exec-latency-podman', peer.why);
        log(
          `  exec-latency: pod-init exec ${a.median.toFixed(1)} ms (the Node CLI ${f.median.toFixed(1)} ms, ` +
            `execInPod in-process ${d.median.toFixed(1)} ms, ` +
            `without the guard ${g.median.toFixed(1)} ms, ` +
            `node -e 0 ${c.median.toFixed(1)} ms) vs nsenter ${b.median.toFixed(1)} ms` +
            (e ? `, podman exec ${e.median.toFixed(1)} ms` : `; podman: ${peer.why}`),
        );
      } finally {
        peer.stop?.();
        spawnSync(process.execPath, [cli, 'delete', 'bench-exec', '--now'], { stdio: 'ignore', env });
        await podEnded;
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
  };
};
