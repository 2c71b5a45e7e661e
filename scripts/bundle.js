#!/usr/bin/env node
// dist/cli.js and everything it loads (yaml, commander, bindings, dist/**) bundled into one file,
// dist/pod-init.bundle.js, which pod-init.js runs: one file to read and compile instead of ~120, and
// one V8 code cache for it (written beside it by pod-init.js after a run). Run after tsc (npm ci,
// npm run build and npm test do). The bundle's first line carries a hash of its content: the code
// cache is keyed by it, as V8 itself checks only the source's length.
'use strict';
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
const dist = path.join(root, 'dist');
const out = path.join(dist, 'pod-init.bundle.js');

async function main() {
  const { rolldown } = await import('rolldown');
  const bundle = await rolldown({
    input: path.join(dist, 'cli.js'),
    platform: 'node',
    logLevel: 'warn',
    // The addon is found at run time (bindings) and loaded with require(): nothing else is left out.
    external: [/\.node$/],
  });
  const { output } = await bundle.generate({ format: 'cjs', codeSplitting: false, comments: false });
  await bundle.close();
  if (output.length !== 1) throw new Error(`expected one chunk, got ${output.length}`);
  const code = output[0].code;
  const hash = crypto.createHash('sha256').update(code).digest('hex').slice(0, 32);
  for (const stale of fs.readdirSync(dist).filter((f) => f.startsWith('pod-init.bundle.')))
    fs.rmSync(path.join(dist, stale), { force: true });
  fs.writeFileSync(out, `// pod-init bundle ${hash} (scripts/bundle.js; do not edit)\n${code}`);
  process.stdout.write(`scripts/bundle.js: ${path.relative(root, out)} ${(code.length / 1024).toFixed(0)} KiB\n`);
}

main().catch((error) => {
  process.stderr.write(`scripts/bundle.js: ${error.stack ?? error}\n`);
  process.exit(1);
});
