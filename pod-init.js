#!/usr/bin/env node
// The pod-init command: `node pod-init.js …` or `pod-init …` once installed. All of it is in dist/cli.js.
//
// Start-up of `pod-init run`: `npm ci` (and `npm run build`, `npm test`) also bundle dist/cli.js with
// what it loads into dist/pod-init.bundle.js (scripts/bundle.js): one file instead of ~120 to find,
// read and compile. It runs with a V8 code cache, dist/pod-init.bundle.cache, written after the first
// run that did not find a usable one (its key: the bundle's content hash, Node's version and arch; V8
// checks its own flags). A bundle older than dist/cli.js (tsc ran alone) is not used.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const dist = path.join(__dirname, 'dist');

/** dist/cli.js, or undefined when it is not built. */
function plain() {
  try {
    return require('./dist/cli.js');
  } catch (error) {
    if (error && error.code === 'MODULE_NOT_FOUND' && /dist[\\/]cli\.js/.test(String(error.message))) return undefined;
    throw error;
  }
}

/** The bundle's exports and a function that saves a code cache for it, or undefined (no usable bundle). */
function bundled() {
  const file = path.join(dist, 'pod-init.bundle.js');
  let source;
  try {
    if (fs.statSync(file).mtimeMs < fs.statSync(path.join(dist, 'cli.js')).mtimeMs) return undefined;
    source = fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  const id = /^\/\/ pod-init bundle ([0-9a-f]+) /.exec(source);
  if (!id) return undefined;
  const vm = require('node:vm');
  const Module = require('node:module');
  const cacheFile = path.join(dist, 'pod-init.bundle.cache');
  const key = Buffer.from(`${id[1]} ${process.version} ${process.arch}\n`);
  let cachedData;
  try {
    const data = fs.readFileSync(cacheFile);
    if (data.subarray(0, key.length).equals(key)) cachedData = data.subarray(key.length);
  } catch {
    // no cache yet
  }
  const script = new vm.Script(Module.wrap(source), { filename: file, cachedData });
  const bundleModule = new Module(file, module);
  bundleModule.filename = file;
  bundleModule.paths = Module._nodeModulePaths(dist);
  script
    .runInThisContext()
    .call(bundleModule.exports, bundleModule.exports, Module.createRequire(file), bundleModule, file, dist);
  bundleModule.loaded = true;
  const saveCache =
    cachedData === undefined || script.cachedDataRejected
      ? () => {
          // After a run, with the functions it compiled; as a new file renamed into place (runs race).
          const tmp = `${cacheFile}.${process.pid}.tmp`;
          try {
            fs.writeFileSync(tmp, Buffer.concat([key, script.createCachedData()]));
            fs.renameSync(tmp, cacheFile);
          } catch {
            fs.rmSync(tmp, { force: true }); // a read-only install: no cache, the bundle is still used
          }
        }
      : undefined;
  return { cli: bundleModule.exports, saveCache };
}

const args = process.argv.slice(2);
// Only `run` takes the bundle: the other commands load a few files of dist/, which costs less than
// compiling the whole bundle, and they exec() or print before a cache could be written for them.
const loaded = (args[0] === 'run' ? bundled() : undefined) ?? { cli: plain(), saveCache: undefined };
if (loaded.cli === undefined) {
  process.stderr.write('pod-init: not built yet. Run `npm ci` (or `npm run build`) in ' + __dirname + '\n');
  process.exit(2);
}
loaded.cli.main(args).then((code) => {
  process.exitCode = code;
  if (loaded.saveCache) loaded.saveCache();
});
