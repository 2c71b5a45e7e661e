#!/usr/bin/env node
// `npm start`: a pod of two members built from what every machine here has (node). A web server
// listens on 127.0.0.1 inside the pod's own network namespace; a sidecar reaches it over localhost
// once a second. Their output is prefixed by name; Ctrl-C (or --requests N) ends the pod cleanly.
// The full Kubernetes manifest runner (`pod-init run pod.yaml`) will take this demo's place.
'use strict';
const path = require('node:path');
const readline = require('node:readline');
const { Sandbox, namespaceId } = require(path.join(__dirname, '..', 'dist'));

const requestsFlag = process.argv.indexOf('--requests');
const maxRequests = requestsFlag > 0 ? Number(process.argv[requestsFlag + 1]) : Infinity;
const colors = { web: 36, sidecar: 35, pod: 33 };
const tty = process.stdout.isTTY;
function say(who, line) {
  const name = tty ? `\x1b[${colors[who]}m${who.padEnd(8)}\x1b[0m` : who.padEnd(8);
  process.stdout.write(`${name}| ${line}\n`);
}
function prefix(who, stream) {
  readline.createInterface({ input: stream }).on('line', (line) => say(who, line));
}

const webCode = `
const http = require('http');
const os = require('os');
http.createServer((req, res) => {
  console.log(req.method + ' ' + req.url + ' from ' + req.socket.remoteAddress);
  res.end('hello from ' + os.hostname() + ' (pid ' + process.pid + ' in the pod)\\n');
}).listen(8080, '127.0.0.1', () => console.log('listening on 127.0.0.1:8080'));`;

const sidecarCode = `
let n = 0;
const max = ${Number.isFinite(maxRequests) ? maxRequests : 'Infinity'};
async function tick() {
  try {
    const res = await fetch('http://127.0.0.1:8080/');
    console.log('got: ' + (await res.text()).trim());
    if (++n >= max) return;
  } catch (e) {
    console.log('waiting for the web server (' + (e.cause?.code ?? e.message) + ')');
  }
  setTimeout(tick, n === 0 ? 100 : 1000);
}
tick();`;

async function main() {
  const pod = await Sandbox.create({ hostname: 'demo-pod' });
  say('pod', `sandbox up: pod-pause is pid ${pod.pid} (PID 1 inside), hostname demo-pod`);
  say('pod', `own net namespace: ${pod.namespaceId('net') !== namespaceId('self', 'net')}; Ctrl-C to stop`);
  const start = (name, code) => {
    const member = pod.spawn({ file: process.execPath, args: ['-e', code], stdio: ['ignore', 'pipe', 'pipe'] });
    prefix(name, member.stdout);
    prefix(name, member.stderr);
    say('pod', `started ${name} (pid ${member.pid})`);
    return member;
  };
  const web = start('web', webCode);
  const sidecar = start('sidecar', sidecarCode);

  let stopping = false;
  const stop = async (why) => {
    if (stopping) return;
    stopping = true;
    say('pod', `stopping (${why}): killing members, then pod-pause`);
    await pod.destroy();
    say('pod', `done: web ${JSON.stringify(web.exitStatus)}, pause ${JSON.stringify(pod.pause.exitStatus)}`);
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
  const status = await sidecar.exited;
  await stop(`sidecar exited ${JSON.stringify(status)}`);
  process.exitCode = status.exitCode === 0 ? 0 : 1;
}

main().catch((error) => {
  console.error(`demo failed: ${error.message}${error.hint ? `\nhint: ${error.hint}` : ''}`);
  process.exitCode = 1;
});
