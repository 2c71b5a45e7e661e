// net-setup (issue 13): a sandbox with its own network namespace plus a pod IP on the bridge (lease, veth with
// its peer as the pod's eth0, lo/eth0 up, address, default route: src/net/pod-network.ts) against the same
// sandbox with loopback only. The bridge is kept up by one lease held for the whole run (a host with pods
// running); each pod's lease and veth are released off the clock. Both kinds are timed in each round, in
// alternating order, and both torn down after (see the loop). Root only (skipped with a reason otherwise).
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { Sandbox } = require(path.join(__dirname, '..', 'dist'));
const { PodNetwork } = require(path.join(__dirname, '..', 'dist', 'net', 'pod-network'));
const { claimPod, releasePod } = require(path.join(__dirname, '..', 'dist', 'pod', 'owners'));
const { summarize } = require('./stats');

const ms = (t0) => Number(process.hrtime.bigint() - t0) / 1e6;

module.exports = function netBenches(report, { runs, log }) {
  return {
    async 'net-setup'() {
      if (process.geteuid() !== 0) return report.skip('net-setup', 'needs root (pod IPs are root-only for now)');
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pod-init-bench-net-'));
      const options = { ownersDir: path.join(dir, 'owners'), leaseDir: path.join(dir, 'leases') };
      claimPod(options.ownersDir, 'bench-anchor');
      const anchor = PodNetwork.reserve('bench-anchor', options);
      const n = Math.max(runs * 5, 30);
      const withNet = [];
      const loopback = [];
      const reserve = [];
      const attach = [];
      try {
        // Both kinds in each round, in alternating order, torn down together after both were timed: tearing a
        // network namespace down is the kernel's asynchronous work (cleanup_net) and holds rtnl, which the next
        // RTM_NEWLINK waits for. Timed always right after the loopback sandbox's destroy (as before), the veth
        // paid for that teardown: +3 to +5 ms here that were no work of pod-init's.
        for (let i = 0; i < n; i++) {
          const uid = `bench-${i}`;
          claimPod(options.ownersDir, uid);
          let plain;
          let pod;
          let network;
          const timePlain = async () => {
            const t0 = process.hrtime.bigint();
            plain = await Sandbox.create({ namespaces: ['mnt', 'pid', 'ipc', 'net', 'uts'] });
            loopback.push(ms(t0));
          };
          const timePod = async () => {
            const t0 = process.hrtime.bigint();
            pod = await Sandbox.create({ namespaces: ['mnt', 'pid', 'ipc', 'net', 'uts'] });
            const t1 = process.hrtime.bigint();
            network = PodNetwork.reserve(uid, options);
            const t2 = process.hrtime.bigint();
            network.attach(pod.pid);
            withNet.push(ms(t0));
            reserve.push(Number(t2 - t1) / 1e6);
            attach.push(ms(t2));
          };
          if (i % 2 === 0) {
            await timePlain();
            await timePod();
          } else {
            await timePod();
            await timePlain();
          }
          await plain.destroy();
          await pod.destroy();
          network.release();
          releasePod(options.ownersDir, uid);
        }
      } finally {
        anchor.release();
        releasePod(options.ownersDir, 'bench-anchor');
        fs.rmSync(dir, { recursive: true, force: true });
      }
      const a = summarize(withNet);
      const b = summarize(loopback);
      log(
        `net-setup: +${(a.median - b.median).toFixed(2)} ms for a pod IP (target <= 2 ms; p10 +${(a.p10 - b.p10).toFixed(2)}): ` +
          `lease and checks ${summarize(reserve).median.toFixed(2)} ms, veth and pod side ${summarize(attach).median.toFixed(2)} ms; ` +
          `load ${os.loadavg()[0].toFixed(1)}`,
      );
      report.add('net-setup', 'ms', a.median, 'the same sandbox, loopback only', b.median, { p99: a.p99, n: a.n });
    },
  };
};
