#!/usr/bin/env node
// `npm run bench [-- --json] [--iterations N] [--runs N] [--samples N] [--only NAME] [--no-install]`: pod-init side by side with its
// peers, in one process, iterations interleaved (pod-init, peer, pod-init, ...) so that machine noise
// hits both alike. Prints medians and p99 as a table, or one JSON object per line with --json:
// {"name","unit","value","peer","peerValue","ratio"} (ratio = value / peerValue; lower is better).
'use strict';
const { spawn: cpSpawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { Sandbox, spawn } = require(path.join(__dirname, '..', 'dist'));
const { summarize, Report } = require('./stats');
const initBenches = require('./init');
const podBenches = require('./pod');
const cliBenches = require('./cli');
const rootfsBenches = require('./rootfs');
const imageBenches = require('./image');
const imageStepBenches = require('./image-step');
const netBenches = require('./net');
const execBenches = require('./exec');
const netRootlessBenches = require('./net-rootless');
const portBenches = require('./ports');

const args = process.argv.slice(2);
const json = args.includes('--json');
const option = (name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
const iterations = Number(option('--iterations', 300));
const runs = Number(option('--runs', 10));
const samples = Number(option('--samples', 2000));
const only = option('--only', undefined);
const report = new Report(json);
const log = (text) => {
  if (!json) process.stderr.write(`${text}\n`);
};

const ms = (t0) => Number(process.hrtime.bigint() - t0) / 1e6;
function which(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' }).stdout.trim() || undefined;
}
function cpRun(file, argv) {
  return new Promise((resolve, reject) => {
    const child = cpSpawn(file, argv, { stdio: 'ignore' });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${file} exited ${code}`))));
  });
}

/** Runs `ours` and `theirs` alternately, `n` times each, after a short warm-up. */
async function sideBySide(n, ours, theirs) {
  for (let i = 0; i < 10; i++) {
    await ours();
    await theirs();
  }
  const a = [];
  const b = [];
  for (let i = 0; i < n; i++) {
    let t0 = process.hrtime.bigint();
    await ours();
    a.push(ms(t0));
    t0 = process.hrtime.bigint();
    await theirs();
    b.push(ms(t0));
  }
  return [summarize(a), summarize(b)];
}

function addPair(name, peer, [ours, theirs]) {
  report.add(name, 'ms', ours.median, peer, theirs.median, { p99: ours.p99, peerP99: theirs.p99, n: ours.n });
  report.add(`${name}-p99`, 'ms', ours.p99, peer, theirs.p99, { n: ours.n });
}

const benches = {
  async 'spawn-join'() {
    const pod = await Sandbox.create();
    try {
      const ours = () => pod.spawn({ file: '/bin/true', stdio: 'ignore' }).exited;
      addPair(
        'spawn-join',
        "child_process.spawn('/bin/true')",
        await sideBySide(iterations, ours, () => cpRun('/bin/true', [])),
      );
    } finally {
      await pod.destroy();
    }
  },

  async sandbox() {
    const unshare = which('unshare');
    if (!unshare) return report.skip('sandbox', 'unshare(1) not found (apt-get install util-linux)');
    const ours = async () => (await Sandbox.create({ dieWithParent: false })).destroy();
    const theirs = () => cpRun(unshare, ['--fork', '--pid', '--net', '--ipc', '--uts', '--mount', 'true']);
    addPair(
      'sandbox',
      'unshare --fork --pid --net --ipc --uts --mount true',
      await sideBySide(Math.max(200, iterations / 2), ours, theirs),
    );
  },

  async 'join-vs-nsenter'() {
    const nsenter = which('nsenter');
    if (!nsenter) return report.skip('join-vs-nsenter', 'nsenter(1) not found (apt-get install util-linux)');
    const pod = await Sandbox.create();
    try {
      const ours = () => pod.spawn({ file: '/bin/true', stdio: 'ignore' }).exited;
      const theirs = () => cpRun(nsenter, ['-t', String(pod.pid), '-n', '-i', '-u', '-p', '-m', 'true']);
      addPair('join-vs-nsenter', 'nsenter -t PAUSE -n -i -u -p -m true', await sideBySide(iterations, ours, theirs));
    } finally {
      await pod.destroy();
    }
  },

  async 'pause-rss'() {
    const catatonit = which('catatonit');
    if (!catatonit) return report.skip('pause-rss', 'catatonit not found (apt-get install catatonit)');
    const rss = (pid) => {
      const line = fs.readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmRSS:\s+(\d+)/);
      return Number(line[1]);
    };
    const pod = await Sandbox.create();
    // catatonit -P as PID 1 of its own pid namespace, like the pause.
    const peer = spawn({ file: catatonit, args: ['-P'], newNamespaces: ['pid', 'mnt'], stdio: 'ignore' });
    try {
      await new Promise((r) => setTimeout(r, 300)); // both idle (not a test: a benchmark settling)
      report.add('pause-rss', 'kB', rss(pod.pid), 'catatonit -P', rss(peer.pid));
    } finally {
      peer.kill('SIGKILL');
      await peer.exited;
      await pod.destroy();
    }
  },
};

async function main() {
  if (process.geteuid() !== 0) log('note: not root; pods get a user namespace of their own (rootless mode)');
  if (!args.includes('--no-install')) spawnSync('bash', [path.join(__dirname, 'peers.sh')], { stdio: 'inherit' });
  const init = initBenches(report, { runs, samples, log });
  const all = {
    ...benches,
    ...init,
    ...podBenches(report, { runs, log }),
    ...cliBenches(report, { runs, log }),
    ...rootfsBenches(report, { iterations, log }),
    ...imageBenches(report, { runs, log }),
    ...imageStepBenches(report, { runs, log }),
    ...netBenches(report, { runs, log }),
    ...execBenches(report, { runs, log }),
    ...netRootlessBenches(report, { runs, log }),
    ...portBenches(report, { runs, log }),
  };
  delete all.cleanup;
  try {
    for (const [name, run] of Object.entries(all)) {
      if (only && !name.startsWith(only)) continue;
      log(`running ${name} ...`);
      await run();
    }
  } finally {
    init.cleanup();
  }
  report.print();
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
