#!/usr/bin/env node
// clang-format check of native/ (or --fix to rewrite). Skips with a notice when clang-format is not
// installed, so `npm run lint` works on a machine without it — except in CI (CI=true, as .ci/run sets
// it, having installed clang-format): there a missing clang-format fails the check.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const fix = process.argv.includes('--fix');
const dir = path.join(__dirname, '..', 'native');
const files = [dir, path.join(dir, 'client')].flatMap((d) =>
  fs
    .readdirSync(d)
    .filter((f) => /\.(c|cc|h)$/.test(f))
    .map((f) => path.join(d, f)),
);
const probe = spawnSync('clang-format', ['--version']);
if (probe.error) {
  process.stderr.write('clang-format not installed: native/ format not checked (apt-get install clang-format)\n');
  process.exit(process.env.CI === 'true' ? 1 : 0);
}
const result = spawnSync('clang-format', [fix ? '-i' : '--dry-run', '--Werror', ...files], { stdio: 'inherit' });
process.exit(result.status ?? 1);
