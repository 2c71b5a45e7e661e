// pod-run (issue: the manifest runner): a 3-container pod (restartPolicy Never, trivial commands) run
// to completion with `pod-init run`, against `podman kube play` + wait for every container +
// `podman pod rm` (podman set up offline by ../shared/bench/podman-setup.sh). Also pod-init's own
// breakdown in-process: parse + validate, sandbox, first container started, teardown.
'use strict';
const { spawn: cpSpawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { loadPod, PodRunner } = require(path.join(__dirname, '..', 'dist'));
const { summarize } = require('./stats');

// `unconfined`: every container privileged (all capabilities, no seccomp, no masks, the host's /dev),
// for what confinement costs a pod (with `cgroups: false` in-process).
const manifest = (image, unconfined = false) => `apiVersion: v1
kind: Pod
metadata:
  name: bench-pod
spec:
  restartPolicy: Never
  containers:
${['a', 'b', 'c']
  .map(
    (name) =>
      `    - { name: ${name}, image: ${image}, command: ["true"]${unconfined ? ', securityContext: { privileged: true }' : ''} }`,
  )
  .join('\n')}
`;

function run(file, args) {
  return new Promise((resolve, reject) => {
    const child = cpSpawn(file, args, { stdio: 'ignore' });
    child.on('error', reject);
    child.on('exit', (code) => resolve(code));
  });
}

module.exports = function podBenches(report, { runs, log }) {
  return {
    async 'pod-run'() {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pod-init-bench-pod-'));
      const ours = path.join(dir, 'pod.yaml');
      const theirs = path.join(dir, 'podman.yaml');
      fs.writeFileSync(ours, manifest('busybox'));
      fs.writeFileSync(theirs, manifest('localhost/bb:latest'));
      const env = { ...process.env, POD_INIT_STATE_DIR: path.join(dir, 'state') };
      const cli = path.join(__dirname, '..', 'pod-init.js');
      const podInit = async (withEnv = env) => {
        const t0 = process.hrtime.bigint();
        await new Promise((resolve) =>
          cpSpawn(process.execPath, [cli, 'run', '-q', ours], { stdio: 'ignore', env: withEnv }).on('exit', resolve),
        );
        return Number(process.hrtime.bigint() - t0) / 1e6;
      };
      // NODE_EXTRA_CA_CERTS makes every Node process parse the whole CA bundle before any JavaScript
      // runs (~90 ms here): also measured without it, as most users run.
      const extraCa = process.env.NODE_EXTRA_CA_CERTS !== undefined;
      const plainEnv = { ...env };
      delete plainEnv.NODE_EXTRA_CA_CERTS;
      const c = [];
      const podman = spawnSync('sh', ['-c', 'command -v podman'], { encoding: 'utf8' }).stdout.trim();
      const image = podman && spawnSync(podman, ['image', 'exists', 'localhost/bb:latest']).status === 0;
      try {
        const n = Math.max(5, runs);
        const a = [];
        const b = [];
        for (let i = 0; i < n; i++) {
          a.push(await podInit());
          if (extraCa) c.push(await podInit(plainEnv));
          if (image) {
            const t0 = process.hrtime.bigint();
            await run(podman, ['kube', 'play', '--quiet', theirs]);
            for (const c of ['a', 'b', 'c']) await run(podman, ['wait', `bench-pod-${c}`]);
            await run(podman, ['pod', 'rm', '-f', 'bench-pod']);
            b.push(Number(process.hrtime.bigint() - t0) / 1e6);
          }
          log(`  pod-run ${i + 1}/${n}`);
        }
        if (image)
          report.add('pod-run', 'ms', summarize(a).median, 'podman kube play + wait + pod rm', summarize(b).median, {
            runs: n,
          });
        else report.skip('pod-run', 'podman or its localhost/bb image missing: run ../shared/bench/podman-setup.sh');
        if (image && extraCa)
          report.add(
            'pod-run-without-extra-ca',
            'ms',
            summarize(c).median,
            'podman kube play + wait + pod rm',
            summarize(b).median,
            {
              runs: n,
              note: 'NODE_EXTRA_CA_CERTS unset for pod-init',
            },
          );
        if (!image) log(`  pod-init run alone: median ${summarize(a).median.toFixed(1)} ms`);

        // Where pod-init's time goes, in-process (no Node start-up).
        // Also the whole run in-process with and without the pod's cgroups (PodRunnerOptions.cgroups:
        // false), interleaved: what the cgroup defence costs a pod.
        const phases = { parse: [], sandbox: [], firstStarted: [], teardown: [] };
        const whole = { cgroups: [], noCgroups: [], unconfined: [] };
        const unconfinedPod = manifest('busybox', true);
        for (let i = 0; i < n; i++) {
          const t00 = process.hrtime.bigint();
          const { pod: bare } = loadPod(unconfinedPod, ours);
          const unconfined = new PodRunner(bare, { stateRoot: path.join(dir, 'state'), cgroups: false });
          await unconfined.start();
          await unconfined.finished;
          whole.unconfined.push(Number(process.hrtime.bigint() - t00) / 1e6);
          const t0 = process.hrtime.bigint();
          const { pod: plain } = loadPod(fs.readFileSync(ours, 'utf8'), ours);
          const noCg = new PodRunner(plain, { stateRoot: path.join(dir, 'state'), cgroups: false });
          await noCg.start();
          await noCg.finished;
          whole.noCgroups.push(Number(process.hrtime.bigint() - t0) / 1e6);
          const t1 = process.hrtime.bigint();
          let t = t1;
          const lap = () => {
            const now = process.hrtime.bigint();
            const ms = Number(now - t) / 1e6;
            t = now;
            return ms;
          };
          const { pod } = loadPod(fs.readFileSync(ours, 'utf8'), ours);
          phases.parse.push(lap());
          const runner = new PodRunner(pod, { stateRoot: path.join(dir, 'state') });
          // The first status is emitted once the sandbox is up, the first event when a container starts.
          runner.once('status', () => phases.sandbox.push(lap()));
          runner.once('event', () => phases.firstStarted.push(lap()));
          let exits = 0;
          runner.on('status', (object) => {
            const done = (object.status.containerStatuses ?? []).filter((c) => c.state.terminated).length;
            if (done === 3 && exits === 0) {
              exits = 1;
              lap();
            }
          });
          await runner.start();
          await runner.finished;
          phases.teardown.push(lap());
          whole.cgroups.push(Number(process.hrtime.bigint() - t1) / 1e6);
        }
        for (const [name, values] of Object.entries(phases))
          report.add(`pod-run-${name}`, 'ms', summarize(values).median, 'pod-run total', summarize(a).median);
        report.add(
          'pod-run-in-process',
          'ms',
          summarize(whole.cgroups).median,
          'the same without the pod cgroups',
          summarize(whole.noCgroups).median,
          { runs: n },
        );
        report.add(
          'pod-run-confinement',
          'ms',
          summarize(whole.cgroups).median,
          'the same pod unconfined (privileged containers, no cgroups)',
          summarize(whole.unconfined).median,
          { runs: n, note: "in-process: the defences' share of a pod's run" },
        );
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
  };
};
