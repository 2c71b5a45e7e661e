// image-present, overlay-root, image-pull-rss (issue 12), against the image-pull bench's image (4 gzip
// layers of this host's files) on Debian's docker-registry at 127.0.0.1:
// - image-present: a pod's image step (src/pod/image-step.ts, in-process) with the image in the store under
//   `imagePullPolicy: Always` — one manifest HEAD, no blob — against `podman pull` of an image already in its
//   storage; the requests each makes are counted once through a proxy and logged.
// - overlay-root: a container's overlay root over the pulled layers (src/pod/rootfs.ts overlayData, the
//   mount(2) the child makes) mounted, and torn down (umount, then removeInstanceRoot as at the instance's
//   end), against `mount -t overlay` / `umount` + `rm -rf` of the same; and the teardown without `volatile`.
// - image-pull-rss: peak RSS (VmHWM, /usr/bin/time %M) of `pod-init pull` of a one-layer image of random
//   data, 16 MB and 64 MB: flat when the peak grows far less than the layer.
'use strict';
const { spawnSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { has, ociLayout, startRegistry, push, countingProxy } = require('./image-setup');
const { timed } = require('./timed');
const { summarize } = require('./stats');

const dist = path.join(__dirname, '..', 'dist');
const cli = path.join(__dirname, '..', 'pod-init.js');
const ms = (t0) => Number(process.hrtime.bigint() - t0) / 1e6;
const sources = ['/usr/lib/python3.11', '/usr/share/zoneinfo', '/usr/lib/x86_64-linux-gnu/gconv', '/usr/share/perl5'];

/** Why the image benches cannot run here, or undefined. */
function missing() {
  for (const tool of ['docker-registry', 'skopeo'])
    if (!has(tool)) return `${tool} not found (apt-get install docker-registry skopeo)`;
  if (!sources.some((p) => fs.existsSync(p))) return 'none of the source directories of the test image exist';
  return undefined;
}

/** Runs `fn({ dir, registry, ref, store })` with the bench image pushed and pulled into `store` by pod-init. */
async function withPulledImage(log, fn) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pod-init-bench-step-'));
  let registry;
  try {
    const layout = path.join(dir, 'layout');
    const size = ociLayout(
      layout,
      sources.filter((p) => fs.existsSync(p)),
      'v1',
    );
    log(`  image: ${(size / 1e6).toFixed(1)} MB compressed`);
    registry = await startRegistry(dir);
    const ref = push(layout, 'v1', registry, 'bench/img:1');
    const store = path.join(dir, 'store');
    await timed(process.execPath, [cli, 'pull', ref, '--image-store', store]);
    return await fn({ dir, registry, ref, store });
  } finally {
    registry?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** podman with its own root and runroot under `root` (`reset` removes it). */
function podman(root) {
  const base = ['--root', path.join(root, 'root'), '--runroot', path.join(root, 'run'), '--storage-driver', 'overlay'];
  return {
    pull: (ref) => timed('podman', [...base, 'pull', '--quiet', '--tls-verify=false', ref]),
    reset() {
      spawnSync('podman', [...base, 'system', 'reset', '-f'], { stdio: 'ignore' });
      spawnSync('umount', ['-R', path.join(root, 'root', 'overlay')], { stdio: 'ignore' });
    },
  };
}

/** The image step of a one-container pod (`Always`), as the runner makes it; resolves when it is done. */
function imageStep(ImageStep, ref, store) {
  const step = new ImageStep({
    pod: {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'bench', namespace: 'default' },
      spec: { containers: [{ name: 'c', image: ref, imagePullPolicy: 'Always' }] },
    },
    related: { configMaps: new Map(), secrets: new Map() },
    images: new Map(),
    imagePull: { storeDir: store },
    imageBackoff: { initialMs: 10_000, maxMs: 300_000 },
    root: true,
    euid: 0,
    say: () => {},
  });
  return step
    .ensure(
      () => false,
      (container, waiting) => {
        if (waiting !== undefined) throw new Error(`image step: ${waiting.reason}: ${waiting.message}`);
      },
    )
    .finally(() => step.release());
}

/** Peak RSS in kB of `file args` run to its end (GNU time's %M: the child's VmHWM). */
async function peakRss(file, args, dir) {
  const out = path.join(dir, 'time.out');
  await timed('/usr/bin/time', ['-f', '%M', '-o', out, file, ...args]);
  return Number(fs.readFileSync(out, 'utf8').trim().split('\n').pop());
}

module.exports = function imageStepBenches(report, { runs, log }) {
  return {
    async 'image-present'() {
      const why = missing();
      if (why) return report.skip('image-present', why);
      const { ImageStep } = require(path.join(dist, 'pod', 'image-step.js'));
      await withPulledImage(log, async ({ dir, registry, ref, store }) => {
        const peer = has('podman') ? podman(path.join(dir, 'podman')) : undefined;
        try {
          // The requests each sends with the image present, counted once through a proxy.
          const proxy = await countingProxy(registry.host);
          try {
            const viaProxy = `${proxy.host}/bench/img:1`;
            await timed(process.execPath, [cli, 'pull', viaProxy, '--image-store', store]);
            if (peer) await peer.pull(viaProxy);
            proxy.requests.length = 0;
            await imageStep(ImageStep, viaProxy, store);
            log(`  pod-init's image step (Always, present) sent: ${proxy.requests.join(', ')}`);
            if (proxy.requests.some((r) => r.includes('/blobs/'))) throw new Error('the image step fetched a blob');
            if (peer) {
              proxy.requests.length = 0;
              await peer.pull(viaProxy);
              log(`  podman pull (present) sent: ${proxy.requests.join(', ')}`);
            }
          } finally {
            await proxy.close();
          }
          if (peer) await peer.pull(ref);
          const ours = async () => {
            const t0 = process.hrtime.bigint();
            await imageStep(ImageStep, ref, store);
            return ms(t0);
          };
          for (let i = 0; i < 5; i++) await ours();
          const a = [];
          const b = [];
          const count = Math.max(10, runs);
          for (let i = 0; i < count; i++) {
            a.push(await ours());
            if (peer) b.push(await peer.pull(ref));
            else for (let j = 0; j < 9; j++) a.push(await ours());
          }
          const mine = summarize(a);
          if (peer)
            report.add('image-present', 'ms', mine.median, 'podman pull (image in its storage)', summarize(b).median, {
              p99: mine.p99,
              n: mine.n,
            });
          else {
            log(`  image step (Always, present): median ${mine.median.toFixed(2)} ms, p99 ${mine.p99.toFixed(2)} ms`);
            report.skip('image-present', 'podman not found (bash ../shared/bench/podman-setup.sh)');
          }
        } finally {
          peer?.reset();
        }
      });
    },

    async 'overlay-root'() {
      const why = missing();
      if (why) return report.skip('overlay-root', why);
      if (process.geteuid() !== 0) return report.skip('overlay-root', 'needs root (overlay mounts on the host)');
      const { native } = require(path.join(dist, 'native.js'));
      const { overlayData } = require(path.join(dist, 'pod', 'rootfs.js'));
      const { removeInstanceRoot } = require(path.join(dist, 'pod', 'container-root.js'));
      const { storedImage } = require(path.join(dist, 'image', 'pull.js'));
      const { ImageStore } = require(path.join(dist, 'image', 'store.js'));
      await withPulledImage(log, async ({ dir, ref, store }) => {
        const layers = [...storedImage(new ImageStore(store), ref).layers].reverse(); // top first
        let n = 0;
        // A container instance's directory: root (mount point), upper, work — as container-root.ts makes them.
        const instance = () => {
          const at = path.join(dir, 'roots', String(n++));
          fs.mkdirSync(path.join(at, 'root'), { recursive: true });
          fs.mkdirSync(path.join(at, 'upper'), { mode: 0o700 });
          fs.mkdirSync(path.join(at, 'work'), { mode: 0o700 });
          return at;
        };
        const data = (at, volatile) => {
          const d = overlayData({
            lower: layers[0],
            lowers: layers.slice(1),
            upper: path.join(at, 'upper'),
            work: path.join(at, 'work'),
            userNamespace: false,
          });
          return volatile ? d : d.replace(',volatile', '');
        };
        // What a container does between: writes a file (so the upper layer has something to sync).
        const write = (at) => fs.writeFileSync(path.join(at, 'root', 'tmp-file'), crypto.randomBytes(64 << 10));
        const t = { mount: [], umount: [], umountOnly: [], umountPlain: [], mountExec: [], umountExec: [] };
        const ours = (volatile) => {
          const at = instance();
          let t0 = process.hrtime.bigint();
          native.mount('overlay', path.join(at, 'root'), 'overlay', 0, data(at, volatile));
          const mounted = ms(t0);
          write(at);
          t0 = process.hrtime.bigint();
          native.umount(path.join(at, 'root'), 0);
          const unmounted = ms(t0);
          removeInstanceRoot(at);
          return [mounted, ms(t0), unmounted];
        };
        const theirs = async () => {
          const at = instance();
          const mounted = await timed('mount', [
            '-t',
            'overlay',
            'overlay',
            '-o',
            data(at, true),
            path.join(at, 'root'),
          ]);
          write(at);
          const t0 = process.hrtime.bigint();
          await timed('umount', [path.join(at, 'root')]);
          await timed('rm', ['-rf', at]);
          return [mounted, ms(t0)];
        };
        for (let i = 0; i < 5; i++) {
          ours(true);
          ours(false);
          await theirs();
        }
        const count = Math.max(30, runs * 3);
        for (let i = 0; i < count; i++) {
          const [m, u, uo] = ours(true);
          t.mount.push(m);
          t.umount.push(u);
          t.umountOnly.push(uo);
          t.umountPlain.push(ours(false)[1]);
          const [me, ue] = await theirs();
          t.mountExec.push(me);
          t.umountExec.push(ue);
        }
        const s = Object.fromEntries(Object.entries(t).map(([k, v]) => [k, summarize(v)]));
        const extra = (x) => ({ p99: x.p99, n: x.n });
        report.add('overlay-root-mount', 'ms', s.mount.median, 'mount -t overlay (same data)', s.mountExec.median, {
          ...extra(s.mount),
          layers: layers.length,
        });
        report.add(
          'overlay-root-teardown',
          'ms',
          s.umount.median,
          'umount(8) + rm -rf of the instance directory',
          s.umountExec.median,
          extra(s.umount),
        );
        log(`  umount(2) alone: median ${s.umountOnly.median.toFixed(3)} ms, p99 ${s.umountOnly.p99.toFixed(3)} ms`);
        report.add(
          'overlay-root-volatile',
          'ms',
          s.umount.median,
          'the same teardown without volatile',
          s.umountPlain.median,
          extra(s.umountPlain),
        );
      });
    },

    async 'image-pull-rss'() {
      const why = missing();
      if (why) return report.skip('image-pull-rss', why);
      if (!fs.existsSync('/usr/bin/time'))
        return report.skip('image-pull-rss', '/usr/bin/time not found (apt-get install time)');
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pod-init-bench-rss-'));
      let registry;
      try {
        registry = await startRegistry(dir);
        const sizes = { small: 16 << 20, large: 64 << 20 };
        const refs = {};
        for (const [name, bytes] of Object.entries(sizes)) {
          const src = path.join(dir, `src-${name}`, 'data');
          fs.mkdirSync(src, { recursive: true });
          // Random bytes: the layer does not shrink in gzip (level 1: fast; the pull inflates it all the same).
          fs.writeFileSync(path.join(src, 'blob'), crypto.randomBytes(bytes));
          const layout = path.join(dir, `layout-${name}`);
          ociLayout(layout, [src], 'v1', 1);
          refs[name] = push(layout, 'v1', registry, `bench/rss-${name}:1`);
          fs.rmSync(path.join(dir, `src-${name}`), { recursive: true, force: true });
        }
        let n = 0;
        const peak = async (name) => {
          const store = path.join(dir, `store-${n++}`);
          try {
            return await peakRss(process.execPath, [cli, 'pull', refs[name], '--image-store', store], dir);
          } finally {
            fs.rmSync(store, { recursive: true, force: true });
          }
        };
        const kb = { small: [], large: [] };
        for (let i = 0; i < 3; i++) for (const name of ['small', 'large']) kb[name].push(await peak(name));
        const small = summarize(kb.small).median;
        const large = summarize(kb.large).median;
        log(`  peak RSS: ${kb.small.join(', ')} kB (16 MiB layer); ${kb.large.join(', ')} kB (64 MiB layer)`);
        log(`  growth ${large - small} kB for ${(sizes.large - sizes.small) >> 10} kB more layer`);
        report.add('image-pull-rss', 'kB', large, 'the same pull of a 4× smaller layer (16 MiB)', small, {
          layerKb: sizes.large >> 10,
        });
      } finally {
        registry?.stop();
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
  };
};
