// One command run to its end, timed: what the CLI-level benchmarks (cli-start, get-latency, exec-latency,
// image-pull) compare.
'use strict';
const { spawn: cpSpawn } = require('node:child_process');

/** Milliseconds from spawn to exit; rejects on a non-zero exit, with the command's stderr. */
function timed(file, args, env) {
  const t0 = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    const child = cpSpawn(file, args, { stdio: ['ignore', 'ignore', 'pipe'], env });
    let err = '';
    child.stderr.on('data', (c) => (err += c));
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0
        ? resolve(Number(process.hrtime.bigint() - t0) / 1e6)
        : reject(new Error(`${[file, ...args].join(' ')} exited ${code}: ${err}`)),
    );
  });
}

module.exports = { timed };
