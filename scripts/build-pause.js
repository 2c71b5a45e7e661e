#!/usr/bin/env node
// Builds build/Release/pod-pause, every pod's PID 1 and the native init: static, stripped, and linked
// against musl when `musl-gcc` is on PATH (Debian's musl-tools) — its resident size is then ~90 kB
// instead of ~750 kB with glibc (`npm run bench`'s pause-rss row). Without musl-gcc it is linked
// statically against glibc, as before. binding.gyp runs this as an action: node-gyp has no per-target
// compiler, and the addon itself must stay on the system's C++ toolchain.
//
// With --client it builds the `pod-init` command instead (package.json "bin": bin/pod-init): the small
// static program that runs `pod-init exec` without Node and execs Node for everything else
// (native/client/). npm links a package's bins before its install script runs, so package.json's
// preinstall builds it (and binding.gyp again, for `npx node-gyp rebuild` after native changes).
//
//   node scripts/build-pause.js OUTPUT [--libc=musl|glibc] [--client]
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const native = path.join(root, 'native');
// Everything C in native/ is pod-pause's; of the C++ files, the parts of the spawn it shares with the addon.
const cSources = fs.readdirSync(native).filter((f) => f.endsWith('.c'));
const cxxSources = ['enter.cc', 'keeper.cc', 'plan.cc', 'child_setup.cc'];
const warnings = ['-Wall', '-Wextra', '-Werror'];
const common = ['-O2', '-fstack-protector', ...warnings];

function run(command, args) {
  execFileSync(command, args, { stdio: 'inherit' });
}

function has(command) {
  try {
    execFileSync(command, ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** A directory with only the kernel's uapi headers (linux/, asm/, asm-generic/): musl has none of its own. */
function kernelHeaders(dir) {
  let multiarch = '';
  try {
    multiarch = execFileSync('gcc', ['-print-multiarch'], { encoding: 'utf8' }).trim();
  } catch {
    // not Debian-like: asm/ is in /usr/include itself
  }
  const asm = [path.join('/usr/include', multiarch, 'asm'), '/usr/include/asm'].find((p) => fs.existsSync(p));
  fs.mkdirSync(dir, { recursive: true });
  for (const [name, target] of [
    ['linux', '/usr/include/linux'],
    ['asm-generic', '/usr/include/asm-generic'],
    ['asm', asm],
  ]) {
    if (target === undefined || !fs.existsSync(target)) throw new Error(`kernel headers: ${target ?? 'asm/'} missing`);
    fs.symlinkSync(target, path.join(dir, name));
  }
}

function build(output, libc, client) {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'pod-pause-build-'));
  const dir = client ? path.join(native, 'client') : native;
  const sources = client ? fs.readdirSync(dir).filter((f) => f.endsWith('.c')) : cSources;
  const cxx = client ? ['plan_blob.cc'] : cxxSources;
  try {
    const objects = [];
    const cc = libc === 'musl' ? 'musl-gcc' : 'gcc';
    const cxxCompiler = libc === 'musl' ? 'musl-gcc' : 'g++';
    const extra = [];
    if (libc === 'musl') {
      kernelHeaders(path.join(work, 'include'));
      extra.push('-isystem', path.join(work, 'include'));
    }
    for (const file of sources) {
      const object = path.join(work, `${file}.o`);
      run(cc, [...common, ...extra, '-std=c99', '-c', path.join(dir, file), '-o', object]);
      objects.push(object);
    }
    for (const file of cxx) {
      const object = path.join(work, `${file}.o`);
      // C++ without its library: these files use only C headers, no exceptions, no RTTI, no new.
      const lang = libc === 'musl' ? ['-x', 'c++'] : [];
      run(
        cxxCompiler,
        [...common, ...extra, ...lang, '-std=c++17', '-fno-exceptions', '-fno-rtti', '-c'].concat([
          path.join(dir, file),
          '-o',
          object,
        ]),
      );
      objects.push(object);
    }
    const temp = `${output}.tmp`;
    run(libc === 'musl' ? 'musl-gcc' : 'g++', ['-static', '-s', '-o', temp, ...objects]);
    fs.renameSync(temp, output);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

const client = process.argv.includes('--client');
const positional = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const output = path.resolve(positional[0] ?? path.join(root, client ? 'bin/pod-init' : 'build/Release/pod-pause'));
const asked = (process.argv.find((a) => a.startsWith('--libc=')) ?? '').slice('--libc='.length);
const libc = asked || (has('musl-gcc') ? 'musl' : 'glibc');
fs.mkdirSync(path.dirname(output), { recursive: true });
build(output, libc, client);
