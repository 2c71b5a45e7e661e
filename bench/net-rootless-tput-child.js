// The measuring half of net-throughput-rootless (bench/net-rootless.js), run as an ordinary user: for each
// rootless helper on PATH (pasta, slirp4netns), a sandbox whose network the helper serves with one published
// port HP -> 5201, an iperf3 server in the pod, and one TCP stream from 127.0.0.1:HP (pasta splices loopback
// connections; slirp4netns forwards them through its user-space stack), `rounds` x 2 s. Prints one JSON
// object: Gbit/s samples per helper, or why a helper was skipped.
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { iperfSend } = require('./iperf');
const dist = path.join(__dirname, '..', 'dist');
const { Sandbox } = require(dist);
const { RootlessNetwork, chooseRootlessHelper } = require(path.join(dist, 'net', 'rootless-network'));
const { parsePublish } = require(path.join(dist, 'net', 'publish-spec'));

const namespaces = ['mnt', 'pid', 'ipc', 'net', 'uts'];

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
            out[kind].push(await iperfSend(iperf3, '127.0.0.1', hostPort, 2));
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
