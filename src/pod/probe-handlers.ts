/**
 * One probe attempt, as the kubelet's probers do it (pkg/probe/exec, http, tcp; KUBERNETES.md B.8):
 * `exec` runs the command inside the container's namespaces and cgroups with its environment and user
 * (as the CRI's ExecSync, and `pod-init exec`), exit 0 is success, running past `timeoutSeconds` a failure; `httpGet` and `tcpSocket` connect from pod-init over
 * a socket made in the pod's network namespace (the kubelet connects from the node to the pod IP,
 * which here is the pod's own 127.0.0.1), 200 ≤ status < 400 is success, redirects to the same host
 * are followed.
 * @module
 */
import http from 'node:http';
import https from 'node:https';
import dns from 'node:dns/promises';
import net from 'node:net';
import type { PodProcess } from '../process/process';
import type { CapabilitySets } from '../security/capabilities';
import type { SeccompFilter } from '../security/seccomp';
import { socketInNetworkOf } from '../process/netns-socket';
import { spawnInContainer } from './container-spawn';

/** A v1 probe handler (grpc is validated, and reported as not carried out). */
export interface ProbeHandler {
  exec?: { command?: string[] };
  httpGet?: {
    path?: string;
    port: number | string;
    host?: string;
    scheme?: string;
    httpHeaders?: Array<{ name: string; value: string }>;
  };
  tcpSocket?: { port: number | string; host?: string };
  grpc?: { port: number; service?: string };
}

/** The outcome of one attempt: `error` results are discarded by the worker, as the kubelet's are. */
export interface ProbeOutcome {
  result: 'success' | 'failure' | 'warning' | 'error';
  /** Why, in the kubelet's words (the Unhealthy event's text). */
  output: string;
  /** An exec that failed: how it ended (`command 'x' exited with 1`), for hook messages. */
  exit?: string;
  /** An httpGet that got an answer: its status (an HTTP hook succeeds on any answer). */
  httpStatus?: number;
}

/** What an attempt needs to know of the container. */
export interface ProbeTarget {
  /** The container's process: exec joins its namespaces. */
  process: PodProcess;
  /** The pod's pause: sockets are made in its network namespace. */
  pause: PodProcess;
  env: Record<string, string>;
  /** The container's identity and confinement: exec probes and hooks get the same (src/pod/security). */
  uid?: number;
  gid?: number;
  groups?: number[];
  capabilities?: CapabilitySets;
  noNewPrivileges?: boolean;
  seccomp?: SeccompFilter;
  podIP: string;
  /**
   * The pod's IP is reachable from the host's network namespace (a root pod on the bridge): TCP and HTTP
   * probes and hooks dial from the host, as the kubelet's do, instead of from a socket inside the pod.
   */
  fromHost?: boolean;
  /**
   * The container's cgroup directories (one per v1 hierarchy, or the v2 one): exec probes and hooks are
   * placed there as `pod-init exec` is (SpawnOptions.cgroups), so their CPU, memory and pids count against
   * the container's limits and its cgroup's removal kills them.
   */
  cgroups?: string[];
  /**
   * `false`: exec probes and hooks never go through a keeper (src/pod/container-spawn.ts), each attaches the
   * confinement itself. Default: a keeper where one can serve.
   */
  keeper?: false;
  /** The container's workingDir: where exec probes and hooks run. */
  cwd?: string;
  /** The container's ports, for named probe ports. */
  ports: ReadonlyArray<{ name?: string; containerPort: number }>;
}

/** The kubelet's User-Agent for HTTP probes (`kube-probe/<major>.<minor>`). */
export const probeUserAgent = 'kube-probe/1.36';
const maxOutput = 10 * 1024; // the kubelet keeps the first 10 KiB of an exec probe's output

/**
 * Runs one attempt of `handler` against `target` with a timeout.
 *
 * @example
 * await runProbe({ tcpSocket: { port: 8080 } }, target, 1000); // { result: 'success', output: '' }
 */
export function runProbe(handler: ProbeHandler, target: ProbeTarget, timeoutMs: number): Promise<ProbeOutcome> {
  if (handler.exec) return execProbe(handler.exec.command ?? [], target, timeoutMs);
  if (handler.httpGet) return httpProbe(handler.httpGet, target, timeoutMs);
  if (handler.tcpSocket) return tcpProbe(handler.tcpSocket, target, timeoutMs);
  return Promise.resolve({ result: 'error', output: 'grpc probes are not carried out by pod-init' });
}

function portNumber(port: number | string, target: ProbeTarget): number | undefined {
  if (typeof port === 'number') return port;
  if (/^\d+$/.test(port)) return Number(port);
  return target.ports.find((p) => p.name === port)?.containerPort;
}

async function execProbe(command: string[], target: ProbeTarget, timeoutMs: number): Promise<ProbeOutcome> {
  if (command.length === 0) return { result: 'error', output: 'exec probe without a command' };
  let child: PodProcess;
  try {
    // Through the container's keeper (inheriting its confinement) where it can, else a joined spawn.
    child = spawnInContainer(target, {
      file: command[0]!,
      args: command.slice(1),
      env: target.env,
      cwd: target.cwd ?? '/',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (error) {
    // The container went away meanwhile, or the command cannot run: an error, not a probe failure.
    return { result: 'error', output: (error as Error).message };
  }
  let output = '';
  const collect = (chunk: Buffer) => {
    if (output.length < maxOutput) output += chunk.toString('utf8');
  };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  let timedOut = false;
  // A hook's exec has no timeout of its own (Infinity): it ends with the container, or its grace.
  const timer = Number.isFinite(timeoutMs)
    ? setTimeout(() => {
        timedOut = true;
        child.kill('SIGKILL');
      }, timeoutMs)
    : undefined;
  const status = await child.exited;
  clearTimeout(timer);
  output = output.slice(0, maxOutput);
  if (timedOut) return { result: 'failure', output: `command ${JSON.stringify(command.join(' '))} timed out` };
  if (status.exitCode === 0) return { result: 'success', output };
  const how = status.signal !== null ? `was killed by ${status.signal}` : `exited with ${status.exitCode}`;
  return { result: 'failure', output, exit: `command '${command.join(' ')}' ${how}` };
}

/** A TCP connection to an IP address (names are resolved first): from the host when the pod IP is reachable there, else from the pod's network namespace. */
async function podSocket(target: ProbeTarget, ip: string, port: number): Promise<net.Socket> {
  if (target.fromHost === true) return net.connect({ port, host: ip, autoSelectFamily: false });
  const fd = await socketInNetworkOf(target.pause, net.isIPv6(ip) ? 6 : 4);
  const socket = new net.Socket({ fd, readable: true, writable: true });
  return socket.connect({ port, host: ip, autoSelectFamily: false });
}

/** The address of a probe's host, resolved as the node resolves it (the kubelet dials from the node). */
async function addressOf(host: string): Promise<string> {
  if (net.isIP(host)) return host;
  return (await dns.lookup(host)).address;
}

function dialError(host: string, port: number, error: NodeJS.ErrnoException): string {
  const reason = error.code === 'ECONNREFUSED' ? 'connection refused' : (error.message ?? String(error));
  return `dial tcp ${host}:${port}: connect: ${reason}`;
}

async function tcpProbe(
  action: NonNullable<ProbeHandler['tcpSocket']>,
  target: ProbeTarget,
  timeoutMs: number,
): Promise<ProbeOutcome> {
  const host = action.host || target.podIP;
  const port = portNumber(action.port, target);
  if (port === undefined) return { result: 'error', output: `unknown port ${action.port}` };
  let ip: string;
  try {
    ip = await addressOf(host);
  } catch (error) {
    return { result: 'failure', output: `dial tcp: lookup ${host}: ${(error as Error).message}` };
  }
  let socket: net.Socket;
  try {
    socket = await podSocket(target, ip, port);
  } catch (error) {
    return { result: 'error', output: (error as Error).message };
  }
  return new Promise<ProbeOutcome>((resolve) => {
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ result: 'failure', output: `dial tcp ${host}:${port}: i/o timeout` });
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ result: 'success', output: '' });
    });
    socket.once('error', (error) => {
      clearTimeout(timer);
      resolve({ result: 'failure', output: dialError(host, port, error) });
    });
  });
}

async function httpProbe(
  action: NonNullable<ProbeHandler['httpGet']>,
  target: ProbeTarget,
  timeoutMs: number,
): Promise<ProbeOutcome> {
  const scheme = (action.scheme ?? 'HTTP').toLowerCase();
  const host = action.host || target.podIP;
  const port = portNumber(action.port, target);
  if (port === undefined) return { result: 'error', output: `unknown port ${action.port}` };
  let url: URL;
  try {
    // As Go's url.URL{Scheme, Host, Path}.String(): a path without its leading slash gets one.
    const p = action.path || '/';
    url = new URL(`${scheme}://${net.isIPv6(host) ? `[${host}]` : host}:${port}${p.startsWith('/') ? p : `/${p}`}`);
  } catch (error) {
    return { result: 'failure', output: `invalid probe URL: ${(error as Error).message}` };
  }
  const deadline = Date.now() + timeoutMs; // Infinity for a hook without a grace to keep to
  for (let redirects = 0; ; redirects++) {
    let response: Awaited<ReturnType<typeof httpGet>>;
    try {
      response = await httpGet(url, action.httpHeaders ?? [], target, Math.max(1, deadline - Date.now()));
    } catch (error) {
      response = { error: (error as Error).message };
    }
    if ('error' in response) return { result: 'failure', output: `Get "${url.href}": ${response.error}` };
    const { status, location } = response;
    if (status >= 300 && status < 400 && location !== undefined) {
      if (redirects >= 10)
        return { result: 'failure', output: `Get "${url.href}": stopped after 10 redirects`, httpStatus: status };
      let next: URL;
      try {
        next = new URL(location, url);
      } catch {
        return { result: 'failure', output: `Get "${url.href}": invalid redirect ${JSON.stringify(location)}` };
      }
      if (next.hostname !== url.hostname)
        return { result: 'warning', output: 'Probe terminated redirects, Response body: ', httpStatus: status };
      url = next;
      continue;
    }
    if (status >= 200 && status < 400) return { result: 'success', output: '', httpStatus: status };
    return { result: 'failure', output: `HTTP probe failed with statuscode: ${status}`, httpStatus: status };
  }
}

async function httpGet(
  url: URL,
  headers: ReadonlyArray<{ name: string; value: string }>,
  target: ProbeTarget,
  timeoutMs: number,
): Promise<{ status: number; location?: string } | { error: string }> {
  const port = Number(url.port) || (url.protocol === 'https:' ? 443 : 80);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  let ip: string;
  try {
    ip = await addressOf(host);
  } catch (error) {
    return { error: `dial tcp: lookup ${host}: ${(error as Error).message}` };
  }
  const socket = await podSocket(target, ip, port); // a failure here is a prober error
  const requestHeaders: Record<string, string> = { 'User-Agent': probeUserAgent, Accept: '*/*' };
  for (const h of headers) requestHeaders[h.name] = h.value; // the probe's own headers win, Host included
  return new Promise((resolve) => {
    let settled = false;
    const done = (value: { status: number; location?: string } | { error: string }) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(value);
    };
    const options: https.RequestOptions = {
      method: 'GET',
      host,
      port,
      path: `${url.pathname}${url.search}`,
      headers: requestHeaders,
      rejectUnauthorized: false, // the kubelet does not verify the certificate either
      createConnection: () => socket,
    };
    if (url.protocol === 'https:') {
      options.createConnection = (opts: object) =>
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        (require('node:tls') as typeof import('node:tls')).connect({
          ...(opts as object),
          socket,
          rejectUnauthorized: false,
          servername: net.isIP(host) ? '' : host,
        });
    }
    let request: http.ClientRequest;
    try {
      request = (url.protocol === 'https:' ? https : http).request(options, (response) => {
        response.destroy(); // the body is not needed: never wait for it (an endless one would hold the socket)
        done({
          status: response.statusCode ?? 0,
          ...(response.headers.location ? { location: response.headers.location } : {}),
        });
      });
    } catch (error) {
      // A header value the request refuses (a newline, say): the probe fails, its socket goes.
      socket.destroy();
      resolve({ error: (error as Error).message });
      return;
    }
    const timer = Number.isFinite(timeoutMs)
      ? setTimeout(() => {
          request.destroy();
          done({ error: 'context deadline exceeded (Client.Timeout exceeded while awaiting headers)' });
        }, timeoutMs)
      : undefined;
    request.on('error', (error: NodeJS.ErrnoException) => done({ error: dialError(host, port, error) }));
    request.end();
  });
}
