// image-pull (issue 12): `pod-init pull` of an image from a registry on 127.0.0.1 into an empty store —
// manifest, blobs, digests, unpacked layers — against `podman pull` into an empty storage (which also
// unpacks) and `skopeo copy` into an OCI layout (which does not unpack: a floor, not a peer). The image:
// 4 gzip layers made from this host's files (python3.11, zoneinfo, gconv, perl5: ~25 MB compressed), pushed with skopeo to Debian's
// docker-registry. Skipped with a reason when docker-registry or skopeo is missing; podman when absent.
'use strict';
const { spawnSync, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { has, ociLayout, startRegistry } = require('./image-setup');
const { timed } = require('./timed');
const { summarize } = require('./stats');

module.exports = function imageBenches(report, { runs, log }) {
  return {
    async 'image-pull'() {
      for (const tool of ['docker-registry', 'skopeo'])
        if (!has(tool)) return report.skip('image-pull', `${tool} not found (apt-get install docker-registry skopeo)`);
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pod-init-bench-image-'));
      let registry;
      try {
        // Four layers of this host's files: many small ones (python, zoneinfo) and some large (gconv).
        const sources = [
          '/usr/lib/python3.11',
          '/usr/share/zoneinfo',
          '/usr/lib/x86_64-linux-gnu/gconv',
          '/usr/share/perl5',
        ].filter((p) => fs.existsSync(p));
        if (sources.length === 0)
          return report.skip('image-pull', 'none of the source directories of the test image exist');
        const layout = path.join(dir, 'layout');
        const size = ociLayout(layout, sources.slice(0, 4), 'v1');
        log(`  image: ${sources.slice(0, 4).length} layers, ${(size / 1e6).toFixed(1)} MB compressed`);
        registry = await startRegistry(dir);
        execFileSync('skopeo', [
          'copy',
          '--quiet',
          '--dest-tls-verify=false',
          `oci:${layout}:v1`,
          `docker://${registry.host}/bench/img:1`,
        ]);
        const ref = `${registry.host}/bench/img:1`;
        const cli = path.join(__dirname, '..', 'pod-init.js');
        const env = { ...process.env, POD_INIT_STATE_DIR: path.join(dir, 'state') };
        let n = 0;
        const fresh = (name) => path.join(dir, `${name}-${n++}`);
        const ours = () => {
          const store = fresh('store');
          return timed(process.execPath, [cli, 'pull', ref, '--image-store', store], env).finally(() =>
            fs.rmSync(store, { recursive: true, force: true }),
          );
        };
        const skopeo = () => {
          const out = fresh('oci');
          return timed('skopeo', [
            'copy',
            '--quiet',
            '--src-tls-verify=false',
            `docker://${ref}`,
            `oci:${out}:v1`,
          ]).finally(() => fs.rmSync(out, { recursive: true, force: true }));
        };
        const podman = has('podman')
          ? () => {
              const root = fresh('podman');
              return timed('podman', [
                '--root',
                path.join(root, 'root'),
                '--runroot',
                path.join(root, 'run'),
                '--storage-driver',
                'overlay',
                'pull',
                '--quiet',
                '--tls-verify=false',
                ref,
              ]).finally(() => {
                spawnSync(
                  'podman',
                  ['--root', path.join(root, 'root'), '--runroot', path.join(root, 'run'), 'system', 'reset', '-f'],
                  {
                    stdio: 'ignore',
                  },
                );
                spawnSync('umount', ['-R', path.join(root, 'root', 'overlay')], { stdio: 'ignore' });
                fs.rmSync(root, { recursive: true, force: true });
              });
            }
          : undefined;
        await ours(); // warm: page cache, code cache
        await skopeo();
        if (podman) await podman();
        const count = Math.max(5, Math.ceil(runs / 2));
        const a = [];
        const b = [];
        const c = [];
        for (let i = 0; i < count; i++) {
          a.push(await ours());
          b.push(await skopeo());
          if (podman) c.push(await podman());
        }
        const mine = summarize(a).median;
        if (podman) report.add('image-pull', 'ms', mine, 'podman pull (empty storage, unpacked)', summarize(c).median);
        else report.skip('image-pull', 'podman not found (bash ../shared/bench/podman-setup.sh)');
        report.add('image-pull-vs-skopeo', 'ms', mine, 'skopeo copy to an OCI layout (no unpack)', summarize(b).median);
      } finally {
        registry?.stop();
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
  };
};
