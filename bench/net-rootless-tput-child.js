// The measuring half of net-throughput-rootless (bench/net-rootless.js), run as an ordinary user: for each
// rootless helper on PATH (pasta, slirp4netns), a sandbox whose network the helper serves with one published
// port HP -> 5201, an iperf3 server in the pod, and one TCP stream from 127.0.0.1:HP (pasta splices loopback
// connections; slirp4netns forwards them through its user-space stack), `rounds` x 2 s. Prints one JSON
// object: Gbit/s samples per helper, or why a helper was skipped.
'use strict';
const { spawn } = require('node:child_process');
const { clearTimeout } = require('node:timers');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const dist = path.join(__dirname, '..', 'dist');
const { Sandbox } = require(dist);
const { RootlessNetwork, chooseRootlessHelper } = require(path.join(dist, 'net', 'rootless-network'));
const { parsePublish } = require(path.join(dist, 'net', 'publish-spec'));

const namespaces = ['mnt', 'pid', 'ipc', 'net', 'uts'];

/** Gbit/s received of one iperf3 TCP stream to 127.0.0.1:port for `seconds` (killed 15 s after its time). */
function send(iperf3, port, seconds) {
  return new Promise((resolve, reject) => {
    const child = spawn(iperf3, ['-c', '127.0.0.1', '-p', String(port), '-t', String(seconds), '-J'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const watchdog = setTimeout(() => child.kill('SIGKILL'), (seconds + 15) * 1000);
    let out = '';
    child.stdout.on('data', (chunk) => (out += chunk));
    child.on('exit', (status, signal) => {
      clearTimeout(watchdog);
      if (status !== 0) return reject(new Error(`iperf3 exited ${status ?? signal}: ${out.slice(0, 300)}`));
      const json = JSON.parse(out);
      if (json.end?.sum_received === undefined) return reject(new Error(`iperf3: ${json.error ?? out.slice(0, 300)}`));
      resolve(json.end.sum_received.bits_per_second / 1e9);
    });
  });
}

/** Resolves with the first line of `stream`. */
function firstLine(stream) {
  return new Promise((resolve, reject) => {
    let text = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk) => {
      text += chunk;
      if (text.includes('\n')) resolve(text.split('\n')[0]);
    });
    stream.on('end', () => reject(new Error(`the sink ended before it was ready: ${text}`)));
  });
}

async function main() {
  const [iperf3, portText, roundsText] = process.argv.slice(2);
  const hostPort = Number(portText);
  const rounds = Number(roundsText ?? 3);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pod-init-bench-rootless-tput-'));
  const out = {};
  try {
    for (const kind of ['pasta', 'slirp4netns']) {
      const helper = chooseRootlessHelper(kind, process.env.PATH ?? '');
      if ('notice' in helper) {
        out[`${kind}-skipped`] = helper.notice;
        continue;
      }
      const pod = await Sandbox.create({ namespaces });
      const network = RootlessNetwork.start({
        helper,
        pid: pod.pid,
        mappings: [parsePublish(`${hostPort}:5201`)],
        dir,
      });
      try {
        await network.ready;
        out[kind] = [];
        for (let i = 0; i < rounds * 2; i++) {
          // A one-off server per sample (iperf3 3.12's long-lived one was seen to fail and hang the next client).
          const sink = pod.spawn({
            file: iperf3,
            args: ['-s', '-1', '-p', '5201', '--forceflush'],
            stdio: ['ignore', 'pipe', 'inherit'],
          });
          try {
            await firstLine(sink.stdout);
            out[kind].push(await send(iperf3, hostPort, 2));
          } finally {
            sink.kill('SIGKILL');
            await sink.exited;
          }
        }
      } finally {
        await network.stop();
        await pod.destroy();
      }
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  process.stdout.write(JSON.stringify(out) + '\n');
}

main().catch((error) => {
  process.stderr.write(`${error.stack}\n`);
  process.exit(1);
});
