// The measuring half of net-rootless (bench/net-rootless.js), run as an ordinary user: per round, a sandbox
// with loopback only, and the same sandbox plus a rootless helper up to its ready signal (pasta's pid file,
// slirp4netns's ready fd), interleaved. Prints one JSON object: samples in ms per helper.
'use strict';
const path = require('node:path');
const fs = require('node:fs');
const os = require('node:os');
const dist = path.join(__dirname, '..', 'dist');
const { Sandbox } = require(dist);
const { RootlessNetwork, chooseRootlessHelper } = require(path.join(dist, 'net', 'rootless-network'));

const ms = (t0) => Number(process.hrtime.bigint() - t0) / 1e6;
const namespaces = ['mnt', 'pid', 'ipc', 'net', 'uts'];

async function main() {
  const n = Number(process.argv[2] ?? 20);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pod-init-bench-rootless-'));
  const out = { loopback: [] };
  try {
    const helpers = [];
    for (const kind of ['pasta', 'slirp4netns']) {
      const helper = chooseRootlessHelper(kind, process.env.PATH ?? '');
      if ('notice' in helper) out[`${kind}-skipped`] = helper.notice;
      else {
        helpers.push(helper);
        out[kind] = [];
        out[`${kind}-ready`] = [];
      }
    }
    for (let i = 0; i < n; i++) {
      let t0 = process.hrtime.bigint();
      const plain = await Sandbox.create({ namespaces });
      out.loopback.push(ms(t0));
      await plain.destroy();
      for (const helper of helpers) {
        t0 = process.hrtime.bigint();
        const pod = await Sandbox.create({ namespaces });
        const t1 = process.hrtime.bigint();
        const network = RootlessNetwork.start({ helper, pid: pod.pid, mappings: [], dir });
        await network.ready;
        out[helper.kind].push(ms(t0));
        out[`${helper.kind}-ready`].push(ms(t1));
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
