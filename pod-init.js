#!/usr/bin/env node
// The pod-init command: `node pod-init.js …` or `pod-init …` once installed. All of it is in dist/cli.js.
'use strict';
let cli;
try {
  cli = require('./dist/cli.js');
} catch (error) {
  if (error && error.code === 'MODULE_NOT_FOUND' && /dist[\\/]cli\.js/.test(String(error.message))) {
    process.stderr.write('pod-init: not built yet. Run `npm ci` (or `npm run build`) in ' + __dirname + '\n');
    process.exit(2);
  }
  throw error;
}
cli.main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
