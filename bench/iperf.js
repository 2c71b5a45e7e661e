// One iperf3 TCP stream as a bench sample: shared by net-rootless.js and its child (net-rootless-tput-child.js).
'use strict';
const { spawn } = require('node:child_process');
const { clearTimeout } = require('node:timers');

/**
 * Gbit/s received of one iperf3 TCP stream to host:port for `seconds`. The client is killed (and the sample
 * fails) if it is not done 15 s after its time: iperf3 has no timeout of its own once a test runs.
 */
function iperfSend(iperf3, host, port, seconds) {
  return new Promise((resolve, reject) => {
    const child = spawn(iperf3, ['-c', host, '-p', String(port), '-t', String(seconds), '-J'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const watchdog = setTimeout(() => child.kill('SIGKILL'), (seconds + 15) * 1000);
    let out = '';
    child.stdout.on('data', (chunk) => (out += chunk));
    child.on('exit', (status, signal) => {
      clearTimeout(watchdog);
      if (status !== 0) return reject(new Error(`iperf3 exited ${status ?? signal}: ${out.slice(0, 300)}`));
      const json = JSON.parse(out);
      if (json.end?.sum_received === undefined) return reject(new Error(`iperf3: ${json.error ?? out.slice(0, 300)}`));
      resolve(json.end.sum_received.bits_per_second / 1e9);
    });
  });
}

module.exports = { iperfSend };
