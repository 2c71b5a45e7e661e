/**
 * Sockets made in another process's network namespace (the probes' httpGet and tcpSocket connect from
 * inside a pod that has no address the host reaches). See: setns(2), unix(7) SCM_RIGHTS.
 * @module
 */
import { native, pausePath } from '../native';
import type { PodProcess } from './process';
import { spawn } from './spawn';

/** Without root Node cannot enter a pod's network namespace (its user namespace owns it). */
let setnsRefused = false;

/**
 * A TCP socket (an fd) of `pause`'s network namespace: made by a thread of Node's that enters it, or,
 * when that is refused (no root), by `pod-pause socket` run inside the pod and passed back with
 * SCM_RIGHTS. The caller owns the fd (`new net.Socket({ fd })`).
 *
 * @example
 * const fd = await socketInNetworkOf(sandbox.pause, 4);
 * new net.Socket({ fd, readable: true, writable: true }).connect({ port: 8080, host: '127.0.0.1' });
 */
export async function socketInNetworkOf(pause: PodProcess, family: 4 | 6): Promise<number> {
  if (!setnsRefused) {
    try {
      return native.socketInNetns(pause.pidfd, family);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EPERM') throw error;
      setnsRefused = true;
    }
  }
  const [ours, theirs] = native.socketPair();
  // Each end is closed exactly once: a second close could hit an fd number already reused by a
  // concurrent probe.
  let theirsOpen = true;
  try {
    const helper = spawn({
      file: pausePath,
      argv0: 'pod-pause',
      args: ['socket', String(family)],
      env: {},
      cwd: '/',
      join: { process: pause, namespaces: ['user', 'net'] },
      stdio: ['ignore', theirs, 'ignore'],
      dieWithParent: true,
    });
    native.close(theirs);
    theirsOpen = false;
    const status = await helper.exited;
    const fd = native.receiveFd(ours);
    if (fd < 0) throw new Error(`pod-pause socket could not make a socket in the pod (${JSON.stringify(status)})`);
    return fd;
  } finally {
    native.close(ours);
    if (theirsOpen) native.close(theirs);
  }
}
