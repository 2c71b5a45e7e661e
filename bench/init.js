// The init-mode benchmarks (INIT.md E): pod-init's init mode side by side with tini, dumb-init and
// catatonit — reap-10k, signal-forward, init-rss, init-start. Used by bench/run.js.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { pausePath, spawn } = require(path.join(__dirname, '..', 'dist'));
const { summarize } = require('./stats');

const cli = path.join(__dirname, '..', 'pod-init.js');

function which(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' }).stdout.trim() || undefined;
}

function compileHelpers() {
  const cc = which('cc');
  if (!cc) return undefined;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pod-init-bench-'));
  for (const name of ['orphans', 'sigchild']) {
    const r = spawnSync(cc, ['-O2', '-o', path.join(dir, name), path.join(__dirname, 'helpers', `${name}.c`)], {
      stdio: 'inherit',
    });
    if (r.status !== 0) return undefined;
  }
  return dir;
}

/** The inits compared, each as [file, argv0, args for a command]. */
function inits() {
  const list = { 'pod-init': { file: pausePath, argv0: 'pod-init', args: (cmd) => ['init', '--', ...cmd] } };
  const tini = which('tini');
  const dumb = which('dumb-init');
  const cat = which('catatonit');
  if (tini) list.tini = { file: tini, args: (cmd) => ['-s', '--', ...cmd] };
  if (dumb) list['dumb-init'] = { file: dumb, args: (cmd) => [...cmd] };
  if (cat) list.catatonit = { file: cat, args: (cmd) => ['--', ...cmd] };
  return list;
}

function start(init, cmd, { pid1 = false, stdio = ['ignore', 'pipe', 'inherit'] } = {}) {
  return spawn({
    file: init.file,
    argv0: init.argv0 ?? path.basename(init.file),
    args: init.args(cmd),
    stdio,
    newSession: true,
    dieWithParent: true,
    ...(pid1 ? { newNamespaces: ['pid', 'mnt'] } : {}),
  });
}

function readText(stream) {
  return new Promise((resolve) => {
    let text = '';
    stream.setEncoding('utf8');
    stream.on('data', (d) => (text += d));
    stream.on('end', () => resolve(text));
  });
}

/** Reads fixed-size records from a stream, one promise at a time. */
function recordReader(stream, size) {
  let buffer = Buffer.alloc(0);
  let waiting;
  stream.on('data', (chunk) => {
    buffer = Buffer.concat([buffer, chunk]);
    if (waiting && buffer.length >= size) {
      const record = buffer.subarray(0, size);
      buffer = buffer.subarray(size);
      const resolve = waiting;
      waiting = undefined;
      resolve(record);
    }
  });
  return () =>
    new Promise((resolve) => {
      if (buffer.length >= size) {
        const record = buffer.subarray(0, size);
        buffer = buffer.subarray(size);
        resolve(record);
      } else waiting = resolve;
    });
}

/** SIGKILL an init and what it runs (not PID 1 here, so its children would outlive it). */
async function stop(proc) {
  for (const task of fs.readdirSync(`/proc/${proc.pid}/task`)) {
    const kids = fs.readFileSync(`/proc/${proc.pid}/task/${task}/children`, 'utf8').split(' ').filter(Boolean);
    for (const kid of kids) process.kill(Number(kid), 'SIGKILL');
  }
  proc.kill('SIGKILL');
  await proc.exited;
  proc.stdout?.destroy();
}

function vmRss(pid) {
  return Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))[1]);
}

async function until(check, ms = 5000) {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('benchmark setup timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
}

function comparisons(report, name, unit, values, extra = {}) {
  const ours = values['pod-init'];
  for (const [peer, value] of Object.entries(values)) {
    if (peer === 'pod-init') continue;
    report.add(peer === 'tini' ? name : `${name}-vs-${peer}`, unit, ours, peer, value, extra);
  }
}

module.exports = function initBenches(report, { runs, samples, log }) {
  let helpers;
  const needHelpers = () => (helpers ??= compileHelpers());
  const cleanup = () => helpers && fs.rmSync(helpers, { recursive: true, force: true });

  return {
    cleanup,

    async 'reap-10k'() {
      if (process.geteuid() !== 0) return report.skip('reap-10k', 'needs root (PID 1 of a new pid namespace)');
      if (!needHelpers()) return report.skip('reap-10k', 'no C compiler for bench/helpers (apt-get install gcc)');
      const list = inits();
      if (!list.tini) return report.skip('reap-10k', 'tini not installed (apt-get install tini)');
      const times = Object.fromEntries(Object.keys(list).map((k) => [k, []]));
      for (let run = 0; run < runs; run++) {
        for (const [name, init] of Object.entries(list)) {
          const proc = start(init, [path.join(helpers, 'orphans'), '10000'], { pid1: true });
          const text = await readText(proc.stdout);
          await proc.exited;
          times[name].push(Number(text.trim()));
        }
        log(`  reap-10k run ${run + 1}/${runs}`);
      }
      const medians = Object.fromEntries(Object.entries(times).map(([k, v]) => [k, summarize(v).median]));
      comparisons(report, 'reap-10k', 'ms', medians, { runs });
    },

    async 'signal-forward'() {
      if (!needHelpers()) return report.skip('signal-forward', 'no C compiler for bench/helpers (apt-get install gcc)');
      const list = inits();
      if (!list.tini) return report.skip('signal-forward', 'tini not installed (apt-get install tini)');
      const direct = { file: path.join(helpers, 'sigchild'), args: () => [] };
      const measure = async (init) => {
        const proc = start(init, [path.join(helpers, 'sigchild')]);
        const next = recordReader(proc.stdout, 8);
        await next(); // the zero stamp: ready
        const latencies = [];
        for (let i = 0; i < samples; i++) {
          const t0 = process.hrtime.bigint();
          proc.kill('SIGUSR1');
          const stamp = (await next()).readBigInt64LE(0);
          latencies.push(Number(stamp - t0) / 1000);
        }
        await stop(proc);
        return summarize(latencies);
      };
      const results = {};
      for (const [name, init] of Object.entries(list)) results[name] = await measure(init);
      results.direct = await measure(direct);
      comparisons(
        report,
        'signal-forward',
        'µs',
        Object.fromEntries(Object.entries(results).map(([k, v]) => [k, v.median])),
        { samples },
      );
      comparisons(
        report,
        'signal-forward-p99',
        'µs',
        Object.fromEntries(Object.entries(results).map(([k, v]) => [k, v.p99])),
        { samples },
      );
    },

    async 'init-rss'() {
      const list = inits();
      if (!list.tini) return report.skip('init-rss', 'tini not installed (apt-get install tini)');
      const viaNode = { file: process.execPath, argv0: 'node', args: (cmd) => [cli, '--', ...cmd] };
      const rss = {};
      for (const [name, init] of Object.entries({ ...list, 'pod-init': viaNode })) {
        const proc = start(init, ['sleep', '100'], { stdio: 'ignore' });
        // Idle means: CMD runs and (through Node) pod-init has handed over to its native init.
        await until(() => fs.readFileSync(`/proc/${proc.pid}/task/${proc.pid}/children`, 'utf8').trim() !== '');
        if (name === 'pod-init')
          await until(() => fs.readFileSync(`/proc/${proc.pid}/comm`, 'utf8').trim() === 'pod-pause');
        rss[name] = vmRss(proc.pid);
        await stop(proc);
      }
      comparisons(report, 'init-rss', 'kB', rss, { note: 'node pod-init.js, after it exec()s its native init' });
      log(`  (Node itself idles at ~40 MB before the hand-over; it is gone once CMD runs)`);
    },

    async 'init-start'() {
      const list = inits();
      if (!list.tini) return report.skip('init-start', 'tini not installed (apt-get install tini)');
      const viaNode = { file: process.execPath, argv0: 'node', args: (cmd) => [cli, '--', ...cmd] };
      const candidates = { 'pod-init': viaNode, native: list['pod-init'], tini: list.tini };
      const times = { 'pod-init': [], native: [], tini: [] };
      for (let i = 0; i < Math.max(20, Math.floor(runs * 5)); i++) {
        for (const [name, init] of Object.entries(candidates)) {
          const t0 = process.hrtime.bigint();
          await start(init, ['/bin/true'], { stdio: 'ignore' }).exited;
          times[name].push(Number(process.hrtime.bigint() - t0) / 1e6);
        }
      }
      const m = Object.fromEntries(Object.entries(times).map(([k, v]) => [k, summarize(v).median]));
      report.add('init-start', 'ms', m['pod-init'], 'tini -s -- /bin/true', m.tini, {
        via: 'node pod-init.js -- /bin/true',
      });
      report.add('init-start-native', 'ms', m.native, 'tini -s -- /bin/true', m.tini, {
        via: 'pod-pause init -- /bin/true',
      });
    },
  };
};
