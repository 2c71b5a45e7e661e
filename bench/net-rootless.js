// net-rootless (issue 13): what a rootless pod's network helper adds to its start: a sandbox plus pasta (or
// slirp4netns) up to the helper's ready signal, against the same sandbox with loopback only. Measured as uid
// 65534 (bench/net-rootless-child.js); as root, in a private mount namespace whose /dev/net/tun is a 0666
// node of its own (the host's node is left as it is), as the tests do.
'use strict';
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { summarize } = require('./stats');

/** Runs the child as uid 65534 with an openable tun node; resolves with its JSON. */
function measureAsNobody(n) {
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
  const child = path.join(__dirname, 'net-rootless-child.js');
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
            String(n),
          ],
        ]
      : [process.execPath, [child, String(n)]];
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
