/**
 * An OCI distribution (Docker Registry HTTP API v2) client: GET/HEAD of manifests and blobs with the
 * Accept types registries negotiate on, anonymous access, HTTP Basic and the Bearer token flow
 * (`WWW-Authenticate` → token endpoint, one token per realm, service and scope, cached until it
 * expires), redirects followed by hand (Authorization never sent to another host), plain HTTP only for
 * localhost, 127.0.0.0/8, ::1 and `--insecure-registry` hosts.
 * @module
 */
import { registryHost } from './reference';

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
  /** Credentials by registry domain (`127.0.0.1:5000`, `docker.io`). */
  credentials?: (domain: string) => Credentials | undefined;
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
  /** The auth scheme a registry asked for last (so later requests send it at once). */
  readonly #schemes = new Map<string, { scheme: string; params: Record<string, string> }>();

  constructor(options: RegistryOptions = {}) {
    this.#options = options;
  }

  /** The base URL of a registry domain. */
  baseUrl(domain: string): string {
    const host = registryHost(domain);
    return `${isInsecureHost(host, this.#options.insecureRegistries) ? 'http' : 'https'}://${host}/v2`;
  }

  /**
   * A request for `/v2/<repository><suffix>`, authorized as the registry asks (one retry after a 401);
   * errors other than 2xx are thrown as {@link RegistryError} with the registry's message.
   */
  async request(
    domain: string,
    repository: string,
    suffix: string,
    init: { method?: 'GET' | 'HEAD'; accept?: readonly string[]; headers?: Record<string, string> } = {},
  ): Promise<Response> {
    const url = `${this.baseUrl(domain)}/${repository}${suffix}`;
    const scope = `repository:${repository}:pull`;
    for (let attempt = 0; ; attempt++) {
      const headers: Record<string, string> = { ...init.headers };
      if (init.accept) headers.accept = init.accept.join(', ');
      const auth = await this.#authorization(domain, scope, attempt > 0);
      if (auth) headers.authorization = auth;
      const res = await this.#fetch(url, init.method ?? 'GET', headers);
      if (res.status === 401 && attempt === 0) {
        const challenge = res.headers.get('www-authenticate');
        await res.body?.cancel();
        if (!challenge) throw new RegistryError(`${domain}: 401 Unauthorized without a challenge`, 401, 'UNAUTHORIZED');
        this.#schemes.set(domain, parseChallenge(challenge));
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
        res = await fetch(current, { method, headers, redirect: 'manual' });
      } catch (error) {
        const cause = (error as { cause?: { code?: string; message?: string } }).cause;
        throw new RegistryError(
          `${method} ${current}: ${cause?.code ?? cause?.message ?? (error as Error).message}`,
          undefined,
          'UNAVAILABLE',
        );
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

  async #authorization(domain: string, scope: string, renew: boolean): Promise<string | undefined> {
    const challenge = this.#schemes.get(domain);
    if (!challenge) return undefined;
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
