/**
 * Trust for https registries beyond Node's default roots: a CA bundle for every registry
 * (`--registry-ca FILE`) and per-registry directories as containers/image and Docker read them
 * (`<certs dir>/<host[:port]>/*.crt`, e.g. /etc/containers/certs.d/reg.example:5000/ca.crt). A registry
 * with a certs directory of its own is spoken to over https even on localhost or 127.0.0.0/8. Requests
 * that need such trust go through node:https (Node 20's fetch takes no CA) and come back as a fetch
 * Response, so the registry client reads them alike.
 * @module
 */
import fs from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { Readable } from 'node:stream';
import tls from 'node:tls';

/** Where extra trust comes from. */
export interface RegistryTrust {
  /** PEM files (bundles) trusted for every https registry, with the default roots. */
  caFiles?: readonly string[];
  /** Directories of `<host[:port]>/*.crt` CA files (e.g. /etc/containers/certs.d). */
  certsDirs?: readonly string[];
}

function readPem(file: string): string {
  const text = fs.readFileSync(file, 'utf8');
  if (!text.includes('-----BEGIN CERTIFICATE-----')) throw new Error(`${file}: no PEM certificate in it`);
  return text;
}

/**
 * The CA certificates of `host` (`host:port`) from its certs directories: undefined when none has one.
 *
 * @example
 * hostCAs(['/etc/containers/certs.d'], 'reg.example:5000'); // ['-----BEGIN CERTIFICATE-----…']
 */
export function hostCAs(certsDirs: readonly string[], host: string): string[] | undefined {
  const found: string[] = [];
  for (const dir of certsDirs) {
    const hostDir = path.join(dir, host);
    let names: string[];
    try {
      names = fs.readdirSync(hostDir);
    } catch {
      continue;
    }
    for (const name of names.filter((n) => n.endsWith('.crt')).sort()) found.push(readPem(path.join(hostDir, name)));
  }
  return found.length > 0 ? found : undefined;
}

/**
 * The CAs to trust for `host`, or undefined for Node's defaults alone: the default roots plus the
 * bundle files plus the host's certs directory entries.
 *
 * @example
 * trustFor({ caFiles: ['/etc/pki/reg-ca.pem'] }, 'reg.example'); // [...tls.rootCertificates, '<pem>']
 */
export function trustFor(trust: RegistryTrust, host: string): string[] | undefined {
  const own = hostCAs(trust.certsDirs ?? [], host) ?? [];
  const bundle = (trust.caFiles ?? []).map(readPem);
  if (own.length === 0 && bundle.length === 0) return undefined;
  return [...tls.rootCertificates, ...bundle, ...own];
}

/**
 * A request over node:https trusting `ca`, answered as a fetch Response (redirects not followed).
 *
 * @example
 * const res = await httpsFetch('https://reg.example/v2/', 'GET', {}, ca);
 */
export function httpsFetch(
  url: string,
  method: string,
  headers: Record<string, string>,
  ca: string[],
): Promise<Response> {
  return new Promise((resolve, reject) => {
    const req = https.request(url, { method, headers, ca }, (res) => {
      const status = res.statusCode ?? 502;
      const out = new Headers();
      for (const [k, v] of Object.entries(res.headers))
        if (v !== undefined) for (const one of Array.isArray(v) ? v : [v]) out.append(k, one);
      const empty = method === 'HEAD' || status === 204 || status === 304;
      if (empty) res.resume();
      const body = empty ? null : (Readable.toWeb(res) as unknown as ReadableStream<Uint8Array>);
      resolve(new Response(body, { status, statusText: res.statusMessage ?? '', headers: out }));
    });
    req.on('error', (error) => reject(new TypeError('fetch failed', { cause: error })));
    req.end();
  });
}

/**
 * The certs directories read by default, as containers/image reads them: $XDG_CONFIG_HOME/containers/certs.d
 * (rootless), /etc/containers/certs.d and /etc/docker/certs.d.
 *
 * @example
 * defaultCertsDirs(process.env, process.geteuid()); // ['/etc/containers/certs.d', '/etc/docker/certs.d'] as root
 */
export function defaultCertsDirs(env: NodeJS.ProcessEnv, euid: number): string[] {
  const user =
    euid === 0
      ? []
      : [path.join(env.XDG_CONFIG_HOME ?? path.join(env.HOME ?? '/', '.config'), 'containers', 'certs.d')];
  return [...user, '/etc/containers/certs.d', '/etc/docker/certs.d'];
}

/**
 * Checks a `--registry-ca` file (readable, PEM): the message says what is wrong, for the CLI to report.
 *
 * @example
 * checkCaFile('/etc/pki/reg-ca.pem'); // undefined when usable
 */
export function checkCaFile(file: string): string | undefined {
  try {
    readPem(file);
    return undefined;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code ?? (error as Error).message;
  }
}
