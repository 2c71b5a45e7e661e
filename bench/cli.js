// cli-start (issue 11 §5): what `pod-init run` costs before any pod, as `pod-init run --dry-run FILE`
// (read, validate, default and print the Pod; start nothing) against `node -e 0`, Node's own start.
// cli-start-bin: the same through the `pod-init` command npm links (bin/pod-init, which execs Node for
// every verb but exec) against `node pod-init.js` directly: what that extra exec costs. cli-launcher: that
// cost alone, without Node's noise: bin/pod-init with a `node` on PATH that is /bin/true, against /bin/true.
// get-latency (issue 14): `pod-init get` over a state root holding 100 pods, against `node -e 0`.
// Interleaved, so machine noise hits both alike; both with and without NODE_EXTRA_CA_CERTS as the
// environment has it (Node 20 parses that bundle before any JavaScript, for both alike).
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { timed } = require('./timed');
const { summarize } = require('./stats');

const manifest = `apiVersion: v1
kind: Pod
metadata:
  name: bench-cli
spec:
  restartPolicy: Never
  containers:
    - { name: a, image: busybox, command: ["true"], env: [{ name: MODE, value: prod }] }
    - { name: b, image: busybox, command: ["true"], readinessProbe: { exec: { command: ["true"] } } }
    - { name: c, image: busybox, command: ["true"], resources: { limits: { cpu: 100m, memory: 64Mi } } }
`;

module.exports = function cliBenches(report, { runs, log }) {
  return {
    async 'cli-start'() {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pod-init-bench-cli-'));
      try {
        const file = path.join(dir, 'pod.yaml');
        fs.writeFileSync(file, manifest);
        const cli = path.join(__dirname, '..', 'pod-init.js');
        const env = { ...process.env, POD_INIT_STATE_DIR: path.join(dir, 'state') };
        const ours = () => timed(process.execPath, [cli, 'run', '--dry-run', file], env);
        const theirs = () => timed(process.execPath, ['-e', '0'], env);
        const bin = path.join(__dirname, '..', 'bin', 'pod-init');
        const viaBin = () => timed(bin, ['run', '--dry-run', file], env);
        for (let i = 0; i < 5; i++) {
          await ours(); // warms the page cache and writes the code cache
          await theirs();
          await viaBin();
        }
        const n = Math.max(30, runs * 3);
        const a = [];
        const b = [];
        const c = [];
        for (let i = 0; i < n; i++) {
          a.push(await ours());
          b.push(await theirs());
          c.push(await viaBin());
        }
        if (fs.existsSync(env.POD_INIT_STATE_DIR)) throw new Error('cli-start: --dry-run made a state directory');
        const [x, y, z] = [summarize(a), summarize(b), summarize(c)];
        report.add('cli-start', 'ms', x.median, 'node -e 0', y.median, { p99: x.p99, peerP99: y.p99, n });
        report.add('cli-start-bin', 'ms', z.median, 'node pod-init.js', x.median, { p99: z.p99, peerP99: x.p99, n });
        const stub = path.join(dir, 'stub');
        fs.mkdirSync(stub);
        fs.symlinkSync('/bin/true', path.join(stub, 'node'));
        const launcher = () => timed(bin, ['get'], { ...env, PATH: stub });
        const alone = () => timed('/bin/true', ['get'], env);
        const l = [];
        const t = [];
        // CPU time too (the children's, /proc/self/stat cutime + cstime): on a loaded host the wall times
        // are mostly waiting for a core, and the launcher's share vanishes in that noise.
        const cpu = [0, 0];
        const childCpuMs = () => {
          const fields = fs.readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ');
          return (Number(fields[13]) + Number(fields[14])) * 10; // USER_HZ 100
        };
        for (let i = 0; i < Math.max(200, runs * 20); i++) {
          let c0 = childCpuMs();
          l.push(await launcher());
          cpu[0] += childCpuMs() - c0;
          c0 = childCpuMs();
          t.push(await alone());
          cpu[1] += childCpuMs() - c0;
        }
        const [u, v] = [summarize(l), summarize(t)];
        const [cpuMs, peerCpuMs] = cpu.map((c) => c / l.length);
        report.add('cli-launcher', 'ms', u.median, '/bin/true', v.median, {
          p99: u.p99,
          peerP99: v.p99,
          n: l.length,
          cpuMs,
          peerCpuMs,
        });
        log(
          `  cli-start: ${x.median.toFixed(1)} ms vs node -e 0 ${y.median.toFixed(1)} ms; ` +
            `through bin/pod-init ${z.median.toFixed(1)} ms; bin/pod-init alone ${(u.median - v.median).toFixed(2)} ms ` +
            `wall, ${(cpuMs - peerCpuMs).toFixed(2)} ms CPU`,
        );
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },

    async 'get-latency'() {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pod-init-bench-get-'));
      try {
        // 100 pods as `pod-init run` leaves them once ended: a state directory each with its status.json
        // (what `get` reads: one file per pod, no daemon). Ended pods need no live pod-init behind them.
        const stateRoot = path.join(dir, 'state');
        for (let i = 0; i < 100; i++) {
          const uid = `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
          const name = `pod-${i}`;
          const podDir = path.join(stateRoot, `default_${name}_${uid}`);
          fs.mkdirSync(podDir, { recursive: true });
          const terminated = { exitCode: 0, reason: 'Completed', startedAt: '2026-12-06T10:00:00Z' };
          const status = {
            apiVersion: 'v1',
            kind: 'Pod',
            metadata: { name, namespace: 'default', uid, creationTimestamp: '2026-12-06T10:00:00Z' },
            spec: {
              containers: [
                { name: 'a', image: 'busybox' },
                { name: 'b', image: 'busybox' },
              ],
            },
            status: {
              phase: 'Succeeded',
              podIP: '127.0.0.1',
              containerStatuses: ['a', 'b'].map((c) => ({
                name: c,
                ready: false,
                restartCount: 0,
                state: { terminated: { ...terminated, finishedAt: '2026-12-06T10:00:01Z' } },
              })),
            },
          };
          fs.writeFileSync(path.join(podDir, 'status.json'), JSON.stringify(status, null, 2));
        }
        const cli = path.join(__dirname, '..', 'pod-init.js');
        const env = { ...process.env, POD_INIT_STATE_DIR: stateRoot };
        const ours = () => timed(process.execPath, [cli, 'get'], env);
        const theirs = () => timed(process.execPath, ['-e', '0'], env);
        for (let i = 0; i < 3; i++) {
          await ours();
          await theirs();
        }
        const n = Math.max(20, runs * 2);
        const a = [];
        const b = [];
        for (let i = 0; i < n; i++) {
          a.push(await ours());
          b.push(await theirs());
        }
        const [x, y] = [summarize(a), summarize(b)];
        report.add('get-latency', 'ms', x.median, 'node -e 0 (100 pods listed)', y.median, { p99: x.p99, n });
        log(`  get-latency (100 pods): ${x.median.toFixed(1)} ms vs node -e 0 ${y.median.toFixed(1)} ms`);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
  };
};
