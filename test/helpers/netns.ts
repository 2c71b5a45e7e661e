import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { waitForLine } from './wait';

/** A network namespace of the test's own: held by a `sleep` under `unshare --net`, gone when it is killed. */
export interface TestNetns {
  /** The holder (a pod's pause stands in). */
  child: ChildProcess;
  /** An open /proc/PID/ns/net. */
  fd: number;
  /** Kills the holder and closes the fd: the kernel then deletes the namespace and every link in it. */
  close(): Promise<void>;
}

/**
 * A fresh network namespace. The holder says `ready` only after unshare(2) ran, so its ns/net is the new one.
 *
 * @example
 * const ns = await testNetns();
 * try { ... } finally { await ns.close(); }
 */
export async function testNetns(): Promise<TestNetns> {
  const child = spawn('unshare', ['--net', '--', 'sh', '-c', 'echo ready; exec sleep 1000'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    await waitForLine(child.stdout, /^ready$/);
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  const fd = fs.openSync(`/proc/${child.pid}/ns/net`, 'r');
  return {
    child,
    fd,
    async close() {
      fs.closeSync(fd);
      child.kill('SIGKILL');
      await exited;
    },
  };
}
