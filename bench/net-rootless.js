// net-rootless (issue 13): what a rootless pod's network helper adds to its start: a sandbox plus pasta (or
// slirp4netns) up to the helper's ready signal, against the same sandbox with loopback only. Measured as uid
// 65534 (bench/net-rootless-child.js); as root, in a private mount namespace whose /dev/net/tun is a 0666
// node of its own (the host's node is left as it is), as the tests do.
// net-throughput-rootless: host -> rootless pod TCP through a published port (127.0.0.1:HP; pasta splices it,
// slirp4netns forwards it) as uid 65534 (bench/net-rootless-tput-child.js), against the root baseline of the
// same run (host -> pod IP over the veth), as NETWORKING.md §6.8 describes; iperf3, one stream, 6 x 2 s each.
'use strict';
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { iperfSend } = require('./iperf');
const { summarize } = require('./stats');

const dist = path.join(__dirname, '..', 'dist');
const iperf3 = ['/usr/bin/iperf3', '/usr/local/bin/iperf3'].find((file) => fs.existsSync(file));

/**
 * One sample into a sandbox: a one-off iperf3 server (`-s -1`: iperf3 3.12's long-lived server was seen to
 * fail with "select failed: Bad file descriptor" and leave the next client hanging) started in `pod`, then
 * one stream to host:port.
 */
async function sampleInto(pod, host, port, seconds) {
  const sink = pod.spawn({
    file: iperf3,
    args: ['-s', '-1', '-p', '5201', '--forceflush'],
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    await new Promise((resolve, reject) => {
      sink.stdout.once('data', resolve);
      sink.stdout.once('end', () => reject(new Error('the iperf3 server in the pod ended')));
    });
    return await iperfSend(iperf3, host, port, seconds);
  } finally {
    sink.kill('SIGKILL');
    await sink.exited;
  }
}

/**
 * The root baseline of net-throughput: a pod IP on the bridge; `measure(sample)` runs while it is up, each
 * `sample()` one stream host -> pod IP. The bench's own owners and lease directories.
 */
async function withVethPod(measure) {
  const { Sandbox } = require(dist);
  const { PodNetwork } = require(path.join(dist, 'net', 'pod-network'));
  const { claimPod, releasePod } = require(path.join(dist, 'pod', 'owners'));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pod-init-bench-tput-root-'));
  const options = { ownersDir: path.join(dir, 'owners'), leaseDir: path.join(dir, 'net', 'leases') };
  claimPod(options.ownersDir, 'bench-tput-root');
  const network = PodNetwork.reserve('bench-tput-root', options);
  const pod = await Sandbox.create({ namespaces: ['mnt', 'pid', 'ipc', 'net', 'uts'] });
  try {
    network.attach(pod.pid);
    return await measure(() => sampleInto(pod, network.address, 5201, 2));
  } finally {
    await pod.destroy();
    network.release();
    releasePod(options.ownersDir, 'bench-tput-root');
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs a child script as uid 65534 with an openable tun node; resolves with its JSON. */
function measureAsNobody(n, childFile = 'net-rootless-child.js', extra = []) {
  const mountPoint = fs.mkdtempSync(path.join(os.tmpdir(), 'pod-init-bench-tun-'));
  const script = [
    'set -e',
    'mount -t tmpfs -o mode=0755,size=64k tmpfs "$1"',
    'mknod -m 0666 "$1/tun" c 10 200',
    'mount --bind "$1/tun" /dev/net/tun',
    'umount "$1"',
    'shift',
    'exec setpriv --reuid=65534 --regid=65534 --clear-groups -- "$@"',
  ].join('\n');
  const child = path.join(__dirname, childFile);
  const argv =
    process.geteuid() === 0
      ? [
          'unshare',
          [
            '-m',
            '--propagation',
            'private',
            '--',
            'sh',
            '-c',
            script,
            'sh',
            mountPoint,
            process.execPath,
            child,
            ...(childFile === 'net-rootless-child.js' ? [String(n)] : extra),
          ],
        ]
      : [process.execPath, [child, ...(childFile === 'net-rootless-child.js' ? [String(n)] : extra)]];
  return new Promise((resolve, reject) => {
    const proc = spawn(argv[0], argv[1], { cwd: '/', stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    proc.stdout.on('data', (d) => (out += d));
    proc.stderr.on('data', (d) => (err += d));
    proc.on('exit', (code) => {
      fs.rmSync(mountPoint, { recursive: true, force: true });
      if (code === 0) resolve(JSON.parse(out));
      else reject(new Error(`net-rootless: the measuring child failed (${code}): ${err}`));
    });
  });
}

module.exports = function netRootlessBenches(report, { runs, log }) {
  return {
    async 'net-throughput-rootless'() {
      if (process.geteuid() !== 0)
        return report.skip('net-throughput-rootless', 'needs root for its baseline (host -> pod IP over the veth)');
      if (iperf3 === undefined) return report.skip('net-throughput-rootless', 'needs iperf3 (Debian iperf3)');
      const hostPort = 20000 + ((process.pid + 7) % 20000);
      // The root baseline before and after the rootless helpers (as uid 65534), 3 + 3 streams of 2 s.
      const baseline = [];
      let result;
      await withVethPod(async (sample) => {
        for (let i = 0; i < 3; i++) baseline.push(await sample());
        result = await measureAsNobody(0, 'net-rootless-tput-child.js', [iperf3, String(hostPort), '3']);
        for (let i = 0; i < 3; i++) baseline.push(await sample());
      });
      const b = summarize(baseline);
      const spread = (xs) => `${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)}`;
      for (const kind of ['pasta', 'slirp4netns']) {
        if (result[`${kind}-skipped`]) {
          report.skip(`net-throughput-${kind}`, result[`${kind}-skipped`]);
          continue;
        }
        const a = summarize(result[kind]);
        log(
          `net-throughput-${kind}: 127.0.0.1:hostPort as uid 65534 ${a.median.toFixed(2)} Gbit/s (${spread(result[kind])}) ` +
            `vs the root baseline host -> pod IP ${b.median.toFixed(2)} Gbit/s (${spread(baseline)}): ratio ` +
            `${(a.median / b.median).toFixed(2)} (target >= 0.8); load ${os.loadavg()[0].toFixed(1)}`,
        );
        report.add(`net-throughput-${kind}`, 'Gbit/s', a.median, 'root: host -> pod IP over the veth', b.median, {
          n: a.n,
        });
      }
    },

    async 'net-rootless'() {
      const result = await measureAsNobody(Math.max(20, runs * 2));
      const base = summarize(result.loopback);
      for (const kind of ['pasta', 'slirp4netns']) {
        if (result[`${kind}-skipped`]) {
          report.skip(`net-rootless-${kind}`, result[`${kind}-skipped`]);
          continue;
        }
        const a = summarize(result[kind]);
        const ready = summarize(result[`${kind}-ready`]);
        log(
          `net-rootless: ${kind} adds +${(a.median - base.median).toFixed(1)} ms to a sandbox's start ` +
            `(helper to ready ${ready.median.toFixed(1)} ms, p99 ${ready.p99.toFixed(1)}; n=${a.n})`,
        );
        report.add(`net-rootless-${kind}`, 'ms', a.median, 'the same sandbox, loopback only', base.median, {
          p99: a.p99,
          n: a.n,
        });
      }
    },
  };
};
