/**
 * An OCI distribution (Docker Registry HTTP API v2) client: GET/HEAD of manifests and blobs with the
 * Accept types registries negotiate on, anonymous access, HTTP Basic and the Bearer token flow
 * (`WWW-Authenticate` → token endpoint, one token per realm, service and scope, cached until it
 * expires), redirects followed by hand (Authorization never sent to another host), plain HTTP only for
 * localhost, 127.0.0.0/8, ::1 and `--insecure-registry` hosts. A registry may have mirrors (containerd's
 * hosts.toml `[host."URL"]` entries): they are its endpoints, tried in order, the next one when an
 * endpoint is unreachable or lacks what was asked for (404); the one that answered is kept for the
 * requests after it.
 * @module
 */
import { registryHost } from './reference';
import { hostCAs, httpsFetch, type RegistryTrust, trustFor } from './tls';

/** A registry failure: `code` is the registry's error code when it sent one (MANIFEST_UNKNOWN, …). */
export class RegistryError extends Error {
  override name = 'RegistryError';
  readonly status: number | undefined;
  readonly code: string | undefined;
  constructor(message: string, status?: number, code?: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** Credentials for a registry. */
export interface Credentials {
  username: string;
  password: string;
}

/** How the client reaches registries. */
export interface RegistryOptions {
  /** Hosts (`host` or `host:port`) spoken to over plain HTTP, besides localhost and 127.0.0.0/8. */
  insecureRegistries?: readonly string[];
  /**
   * Credentials by registry domain (`127.0.0.1:5000`, `docker.io`); for a mirror, by the mirror's
   * `host:port` (a registry's credentials are never sent to a mirror).
   */
  credentials?: (domain: string) => Credentials | undefined;
  /**
   * Mirrors by registry domain (`docker.io` → `['http://127.0.0.1:5000']`): URLs (`scheme://host[:port][/path]`,
   * the API under `<path>/v2`) used instead of the registry's own endpoint, in order.
   */
  mirrors?: ReadonlyMap<string, readonly string[]>;
  /** CAs for https registries beyond Node's roots (tls.ts); a host with a certs directory is https even when local. */
  trust?: RegistryTrust;
}

/** One place a registry's API is reached. */
interface Endpoint {
  /** `http(s)://host[:port][/path]/v2`. */
  base: string;
  /** Whose credentials are sent: the registry's domain, or a mirror's `host:port`. */
  credentialsFor: string;
}

/**
 * The endpoint of a mirror URL (`http://127.0.0.1:5000`, `https://mirror.example/prefix`); throws on
 * anything else (a CLI reports it against its flag).
 *
 * @example
 * mirrorBase('http://127.0.0.1:5000'); // 'http://127.0.0.1:5000/v2'
 */
export function mirrorBase(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`${JSON.stringify(url)} is not a URL`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
    throw new Error(`${JSON.stringify(url)}: only http and https URLs`);
  if (parsed.search !== '' || parsed.hash !== '' || parsed.username !== '' || parsed.password !== '')
    throw new Error(`${JSON.stringify(url)}: no query, fragment or credentials in a mirror URL`);
  const path = parsed.pathname.replace(/\/+$/, '');
  return `${parsed.protocol}//${parsed.host}${path.endsWith('/v2') ? path : `${path}/v2`}`;
}

/** Manifest types, in the order registries are asked for them. */
export const manifestTypes = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.docker.distribution.manifest.v2+json',
];

interface Token {
  value: string;
  expires: number;
}

/** Whether `host` (with its port) is spoken to over plain HTTP. */
export function isInsecureHost(host: string, insecure: readonly string[] = []): boolean {
  const name = host.replace(/:\d+$/, '');
  return (
    name === 'localhost' ||
    name === '[::1]' ||
    /^127\.\d+\.\d+\.\d+$/.test(name) ||
    insecure.includes(host) ||
    insecure.includes(name)
  );
}

/** Parses a `WWW-Authenticate` header: its scheme and parameters. */
export function parseChallenge(header: string): { scheme: string; params: Record<string, string> } {
  const space = header.indexOf(' ');
  const scheme = (space < 0 ? header : header.slice(0, space)).toLowerCase();
  const params: Record<string, string> = {};
  const re = /([a-zA-Z_]+)=(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))/g;
  for (const m of (space < 0 ? '' : header.slice(space + 1)).matchAll(re))
    params[m[1]!.toLowerCase()] = m[2] ?? m[3] ?? '';
  return { scheme, params };
}

/**
 * A client for one process's pulls; tokens are shared by its requests.
 *
 * @example
 * const client = new RegistryClient();
 * const res = await client.request('127.0.0.1:5000', 'bb', '/manifests/1', { accept: manifestTypes });
 */
export class RegistryClient {
  readonly #options: RegistryOptions;
  readonly #tokens = new Map<string, Token>();
  /** The auth scheme an endpoint asked for last (so later requests send it at once). */
  readonly #schemes = new Map<string, { scheme: string; params: Record<string, string> }>();
  /** The endpoint of a domain that answered last. */
  readonly #current = new Map<string, number>();
  /** CAs by host (undefined: Node's defaults), read once per client. */
  readonly #cas = new Map<string, string[] | undefined>();

  constructor(options: RegistryOptions = {}) {
    this.#options = options;
  }

  /** The base URL of a registry domain (its first endpoint: a mirror when it has one). */
  baseUrl(domain: string): string {
    return this.#endpoints(domain)[0]!.base;
  }

  #endpoints(domain: string): Endpoint[] {
    const mirrors = this.#options.mirrors?.get(domain);
    if (mirrors !== undefined && mirrors.length > 0)
      return mirrors.map((url) => {
        const base = mirrorBase(url);
        return { base, credentialsFor: new URL(base).host };
      });
    const host = registryHost(domain);
    const ownCAs = hostCAs(this.#options.trust?.certsDirs ?? [], host) !== undefined;
    const scheme = !ownCAs && isInsecureHost(host, this.#options.insecureRegistries) ? 'http' : 'https';
    return [{ base: `${scheme}://${host}/v2`, credentialsFor: domain }];
  }

  /**
   * A request for `/v2/<repository><suffix>`, authorized as the registry asks (one retry after a 401);
   * errors other than 2xx are thrown as {@link RegistryError} with the registry's message. With
   * mirrors, the next endpoint is tried when one is unreachable or answers 404.
   */
  async request(
    domain: string,
    repository: string,
    suffix: string,
    init: { method?: 'GET' | 'HEAD'; accept?: readonly string[]; headers?: Record<string, string> } = {},
  ): Promise<Response> {
    const endpoints = this.#endpoints(domain);
    const first = this.#current.get(domain) ?? 0;
    for (let i = 0; ; i++) {
      const at = (first + i) % endpoints.length;
      try {
        const res = await this.#request(endpoints[at]!, repository, suffix, init);
        this.#current.set(domain, at);
        return res;
      } catch (error) {
        const next =
          i + 1 < endpoints.length &&
          error instanceof RegistryError &&
          (error.code === 'UNAVAILABLE' || error.status === 404);
        if (!next) throw error;
      }
    }
  }

  async #request(
    endpoint: Endpoint,
    repository: string,
    suffix: string,
    init: { method?: 'GET' | 'HEAD'; accept?: readonly string[]; headers?: Record<string, string> },
  ): Promise<Response> {
    const url = `${endpoint.base}/${repository}${suffix}`;
    const scope = `repository:${repository}:pull`;
    const label = new URL(endpoint.base).host;
    for (let attempt = 0; ; attempt++) {
      const headers: Record<string, string> = { ...init.headers };
      if (init.accept) headers.accept = init.accept.join(', ');
      const auth = await this.#authorization(endpoint, scope, attempt > 0);
      if (auth) headers.authorization = auth;
      const res = await this.#fetch(url, init.method ?? 'GET', headers);
      if (res.status === 401 && attempt === 0) {
        const challenge = res.headers.get('www-authenticate');
        await res.body?.cancel();
        if (!challenge) throw new RegistryError(`${label}: 401 Unauthorized without a challenge`, 401, 'UNAUTHORIZED');
        this.#schemes.set(endpoint.base, parseChallenge(challenge));
        continue;
      }
      if (res.status >= 200 && res.status < 300) return res;
      throw await registryError(res, url);
    }
  }

  async #fetch(url: string, method: string, headers: Record<string, string>): Promise<Response> {
    let current = url;
    for (let hops = 0; hops < 10; hops++) {
      let res: Response;
      try {
        const ca = current.startsWith('https:') ? this.#trust(new URL(current).host) : undefined;
        res = ca
          ? await httpsFetch(current, method, headers, ca)
          : await fetch(current, { method, headers, redirect: 'manual' });
      } catch (error) {
        const cause = (error as { cause?: { code?: string; message?: string } }).cause;
        const why = cause?.code ?? cause?.message ?? (error as Error).message;
        // A certificate nobody here vouches for: say where trust comes from.
        const hint = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ALTNAME/.test(why)
          ? ' (trust its CA with --registry-ca FILE or <certs dir>/HOST/ca.crt)'
          : '';
        throw new RegistryError(`${method} ${current}: ${why}${hint}`, undefined, 'UNAVAILABLE');
      }
      const location = res.headers.get('location');
      if (res.status < 300 || res.status >= 400 || !location) return res;
      await res.body?.cancel();
      const next = new URL(location, current);
      if (next.host !== new URL(current).host) delete headers.authorization; // never across hosts
      current = next.toString();
    }
    throw new RegistryError(`${url}: too many redirects`);
  }

  #trust(host: string): string[] | undefined {
    if (!this.#cas.has(host)) this.#cas.set(host, trustFor(this.#options.trust ?? {}, host));
    return this.#cas.get(host);
  }

  async #authorization(endpoint: Endpoint, scope: string, renew: boolean): Promise<string | undefined> {
    const challenge = this.#schemes.get(endpoint.base);
    if (!challenge) return undefined;
    const domain = endpoint.credentialsFor;
    const creds = this.#options.credentials?.(domain);
    if (challenge.scheme === 'basic') {
      if (!creds)
        throw new RegistryError(`${domain}: authentication required (no credentials for it)`, 401, 'UNAUTHORIZED');
      return `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString('base64')}`;
    }
    if (challenge.scheme !== 'bearer')
      throw new RegistryError(`${domain}: unsupported auth scheme ${challenge.scheme}`);
    const { realm, service } = challenge.params;
    if (!realm) throw new RegistryError(`${domain}: Bearer challenge without a realm`);
    const key = `${realm}|${service ?? ''}|${scope}`;
    const cached = this.#tokens.get(key);
    if (cached && !renew && cached.expires > Date.now()) return `Bearer ${cached.value}`;
    const url = new URL(realm);
    if (service) url.searchParams.set('service', service);
    url.searchParams.append('scope', scope);
    const headers: Record<string, string> = {};
    if (creds) headers.authorization = `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString('base64')}`;
    const res = await this.#fetch(url.toString(), 'GET', headers);
    if (res.status !== 200) throw await registryError(res, url.toString(), 'token request: ');
    const body = (await res.json()) as { token?: string; access_token?: string; expires_in?: number };
    const value = body.token ?? body.access_token;
    if (!value) throw new RegistryError(`${realm}: the token response has no token`);
    // expires_in defaults to 60 s (token.md); 10 s of margin so a token never expires in flight
    this.#tokens.set(key, { value, expires: Date.now() + Math.max((body.expires_in ?? 60) - 10, 1) * 1000 });
    return `Bearer ${value}`;
  }
}

async function registryError(res: Response, url: string, prefix = ''): Promise<RegistryError> {
  let code: string | undefined;
  let message = `${res.status} ${res.statusText}`;
  try {
    const text = await res.text();
    const body = JSON.parse(text) as { errors?: Array<{ code?: string; message?: string }> };
    const first = body.errors?.[0];
    if (first?.code) {
      code = first.code;
      message = `${first.code.toLowerCase().replace(/_/g, ' ')}: ${first.message ?? ''}`.replace(/: $/, '');
    }
  } catch {
    // not the registry's JSON: the status says it
  }
  if (res.status === 401 && code === undefined) code = 'UNAUTHORIZED';
  return new RegistryError(`${prefix}${message} (${url})`, res.status, code);
}
