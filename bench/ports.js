// net-publish and net-throughput (issue 13, published ports; root only, skipped with a reason otherwise).
// net-publish: a sandbox with a pod IP and one published TCP port (host port held, claim, the pod's nft table
// made while the sandbox is, as PodRunner does) against the same with a pod IP only; n >= 20, interleaved;
// the bridge and its loopback guard are kept up by an anchor pod for the whole run. Also: `nft -f` of a pod's
// table and `nft delete table` alone (the delete is off the reporting path in PodRunner).
// net-throughput: host -> pod TCP through the published port 127.0.0.1:HP (nft DNAT, masquerade, route_localnet)
// against host -> pod IP over the veth; one TCP stream, 2 s each, 3 interleaved rounds x 2; the ratio of the
// medians, and its spread. iperf3 (Debian `iperf3`) when it is on PATH, as NETWORKING.md measured; else a node
// sender and sink, whose own cost (~2 Gbit/s here) hides most of the kernel path's (the output says which).
'use strict';
const { spawn: cpSpawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const dist = path.join(__dirname, '..', 'dist');
const { Sandbox } = require(dist);
const { PodNetwork } = require(path.join(dist, 'net', 'pod-network'));
const { PodPorts } = require(path.join(dist, 'net', 'pod-ports'));
const { applyNft, deleteNftTable, podTableName, podTableScript } = require(path.join(dist, 'net', 'nft'));
const { parsePublish } = require(path.join(dist, 'net', 'port-mappings'));
const { claimPod, releasePod } = require(path.join(dist, 'pod', 'owners'));
const { summarize } = require('./stats');

const ms = (t0) => Number(process.hrtime.bigint() - t0) / 1e6;
const namespaces = ['mnt', 'pid', 'ipc', 'net', 'uts'];
const hostPort = 20000 + (process.pid % 20000);
const iperf3 = ['/usr/bin/iperf3', '/usr/local/bin/iperf3'].find((file) => fs.existsSync(file));

/** Where a pod with ports spends its time: hold, claim, rules (ms). */
const parts = { hold: [], claim: [], rules: [] };

/** A pod (sandbox, IP, ports) of the bench's own roots. */
async function pod(dir, uid, mappings) {
  const ownersDir = path.join(dir, 'owners');
  const options = { ownersDir, leaseDir: path.join(dir, 'net', 'leases') };
  claimPod(ownersDir, uid);
  let t0 = process.hrtime.bigint();
  const ports =
    mappings === undefined
      ? undefined
      : PodPorts.hold({
          podUid: uid,
          namespace: 'bench',
          name: uid,
          mappings,
          egress: false,
          ownersDir,
          netDir: path.join(dir, 'net'),
          bridge: 'pod-init0',
        });
  if (ports) parts.hold.push(ms(t0));
  const network = PodNetwork.reserve(uid, options);
  t0 = process.hrtime.bigint();
  ports?.claim();
  if (ports) parts.claim.push(ms(t0));
  const ready = ports?.apply(network.address);
  const sandbox = await Sandbox.create({ namespaces });
  network.attach(sandbox.pid);
  t0 = process.hrtime.bigint();
  await ready;
  if (ports) parts.rules.push(ms(t0)); // what is left of the rules once the sandbox is up
  return {
    sandbox,
    address: network.address,
    async close() {
      ports?.release();
      await sandbox.destroy();
      network.release();
      releasePod(ownersDir, uid);
    },
  };
}

/** Runs a command in the pause's network namespace (nsenter) and resolves with its first line. */
function inPod(pid, argv) {
  const child = cpSpawn('nsenter', ['-t', String(pid), '-n', ...argv], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const line = new Promise((resolve, reject) => {
    let text = '';
    child.stdout.on('data', (chunk) => {
      text += chunk;
      if (text.includes('\n')) resolve(text.split('\n')[0]);
    });
    child.on('exit', (code) => reject(new Error(`the sink exited (${code}) before it was ready`)));
  });
  return { child, line };
}

/** Gbit/s of one TCP stream to host:port for `seconds` (iperf3, else a node sender). */
function send(host, port, seconds) {
  if (iperf3 !== undefined)
    return new Promise((resolve, reject) => {
      const child = cpSpawn(iperf3, ['-c', host, '-p', String(port), '-t', String(seconds), '-J'], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let out = '';
      child.stdout.on('data', (chunk) => (out += chunk));
      child.on('exit', (status) => {
        if (status !== 0) return reject(new Error(`iperf3 exited ${status}: ${out.slice(0, 300)}`));
        resolve(JSON.parse(out).end.sum_received.bits_per_second / 1e9);
      });
    });
  const code = `
    const s = require('net').connect(${port}, '${host}');
    const chunk = Buffer.alloc(1 << 20);
    let bytes = 0, t0;
    s.on('connect', () => { t0 = process.hrtime.bigint(); pump(); });
    function pump() {
      while (Number(process.hrtime.bigint() - t0) < ${seconds} * 1e9) {
        bytes += chunk.length;
        if (!s.write(chunk)) return s.once('drain', pump);
      }
      const secs = Number(process.hrtime.bigint() - t0) / 1e9;
      console.log((bytes * 8 / secs / 1e9).toFixed(3));
      s.destroy();
    }`;
  return new Promise((resolve, reject) => {
    const child = cpSpawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk) => (out += chunk));
    child.on('exit', (status) => (status === 0 ? resolve(Number(out.trim())) : reject(new Error(`sender ${status}`))));
  });
}

module.exports = function portBenches(report, { runs, log }) {
  return {
    async 'net-publish'() {
      if (process.geteuid() !== 0) return report.skip('net-publish', 'needs root (published ports are root-only)');
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pod-init-bench-ports-'));
      let anchor;
      try {
        anchor = await pod(dir, 'bench-anchor', [parsePublish(`127.0.0.1:${hostPort}:80`)]); // bridge + guard
      } catch (error) {
        fs.rmSync(dir, { recursive: true, force: true });
        throw error;
      }
      const n = Math.max(runs * 2, 20);
      const withPorts = [];
      const ipOnly = [];
      const nftAdd = [];
      const nftDelete = [];
      try {
        for (let i = 0; i < n; i++) {
          let t0 = process.hrtime.bigint();
          const plain = await pod(dir, `bench-ip-${i}`, undefined);
          ipOnly.push(ms(t0));
          await plain.close();
          t0 = process.hrtime.bigint();
          const published = await pod(dir, `bench-ports-${i}`, [parsePublish(`${hostPort + 1}:80`)]);
          withPorts.push(ms(t0));
          await published.close();
          const uid = `bench-nft-${i}`;
          const script = podTableScript({
            podUid: uid,
            address: '10.88.255.254',
            bridge: 'pod-init0',
            mappings: [parsePublish(`${hostPort + 2}:80`)],
            egress: false,
          });
          t0 = process.hrtime.bigint();
          await applyNft(script);
          nftAdd.push(ms(t0));
          t0 = process.hrtime.bigint();
          deleteNftTable(podTableName(uid));
          nftDelete.push(ms(t0));
        }
      } finally {
        await anchor.close();
        fs.rmSync(dir, { recursive: true, force: true });
      }
      const a = summarize(withPorts);
      const b = summarize(ipOnly);
      const add = summarize(nftAdd);
      const del = summarize(nftDelete);
      log(
        `net-publish: +${(a.median - b.median).toFixed(2)} ms for one published port over a pod IP alone ` +
          `(nft -f of the table ${add.median.toFixed(2)} ms median, p99 ${add.p99.toFixed(2)}, run while the sandbox is made; ` +
          `nft delete table ${del.median.toFixed(2)} ms, after the end is reported); holding the port ` +
          `${summarize(parts.hold).median.toFixed(2)} ms, the claim ${summarize(parts.claim).median.toFixed(2)} ms, ` +
          `waiting for the rules after the sandbox ${summarize(parts.rules).median.toFixed(2)} ms`,
      );
      report.add('net-publish', 'ms', a.median, 'the same with a pod IP only', b.median, { p99: a.p99, n: a.n });
    },

    async 'net-throughput'() {
      if (process.geteuid() !== 0) return report.skip('net-throughput', 'needs root (published ports are root-only)');
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pod-init-bench-tput-'));
      let p;
      try {
        p = await pod(dir, 'bench-tput', [parsePublish(`127.0.0.1:${hostPort + 3}:5201`)]);
      } catch (error) {
        fs.rmSync(dir, { recursive: true, force: true });
        throw error;
      }
      const sink = inPod(
        p.sandbox.pid,
        iperf3 !== undefined
          ? [iperf3, '-s', '-p', '5201', '--forceflush']
          : [
              process.execPath,
              '-e',
              `require('net').createServer((s) => s.resume()).listen(5201, '0.0.0.0', () => console.log('ready'))`,
            ],
      );
      const published = [];
      const direct = [];
      try {
        await sink.line;
        for (let round = 0; round < 3; round++) {
          for (let k = 0; k < 2; k++) {
            direct.push(await send(p.address, 5201, 2));
            published.push(await send('127.0.0.1', hostPort + 3, 2));
          }
        }
      } finally {
        sink.child.kill('SIGKILL');
        await p.close();
        fs.rmSync(dir, { recursive: true, force: true });
      }
      const a = summarize(published);
      const b = summarize(direct);
      const spread = (xs) => `${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)}`;
      log(
        `net-throughput: 127.0.0.1:hostPort ${a.median.toFixed(2)} Gbit/s (${spread(published)}) vs pod IP ` +
          `${b.median.toFixed(2)} Gbit/s (${spread(direct)}): ratio ${(a.median / b.median).toFixed(2)} (target >= 0.8; ` +
          `${iperf3 !== undefined ? 'iperf3' : 'node sender and sink: install iperf3 for the kernel path'})`,
      );
      report.add('net-throughput', 'Gbit/s', a.median, 'host -> pod IP over the veth', b.median, { n: a.n });
    },
  };
};
