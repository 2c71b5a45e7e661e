/**
 * Registry credentials from the auth files podman and docker write (`{"auths": {"<registry>":
 * {"auth": "base64(user:password)"}}}`): the first file that has an entry for a registry wins.
 * Docker Hub's entries are keyed `https://index.docker.io/v1/` or `docker.io`. Credential helpers
 * (`credHelpers`, `credsStore`) are not supported.
 * @module
 */
import fs from 'node:fs';
import path from 'node:path';
import { homeDirectory } from '../home-dir';
import type { Credentials } from './registry';

interface AuthFile {
  auths?: Record<string, { auth?: string; username?: string; password?: string }>;
}

function keyHost(key: string): string {
  return key.replace(/^https?:\/\//, '').replace(/\/.*$/, '');
}

type Entries = Array<[string, Credentials]>;

function entriesOf(auths: AuthFile['auths']): Entries {
  const entries: Entries = [];
  for (const [key, value] of Object.entries(auths ?? {})) {
    if (value === null || typeof value !== 'object') continue;
    let creds: Credentials | undefined;
    if (value.auth) {
      const decoded = Buffer.from(value.auth, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon > 0) creds = { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
    } else if (value.username !== undefined && value.password !== undefined)
      creds = { username: value.username, password: value.password };
    if (creds) entries.push([keyHost(key), creds]);
  }
  return entries;
}

function lookup(entries: Entries): (domain: string) => Credentials | undefined {
  return (domain) => {
    const names = domain === 'docker.io' ? ['docker.io', 'index.docker.io', 'registry-1.docker.io'] : [domain];
    return entries.find(([host]) => names.includes(host))?.[1];
  };
}

/**
 * A lookup of credentials by registry domain from `files` (missing ones skipped; a file that is
 * not JSON is an error naming it).
 *
 * @example
 * const lookup = credentialsFrom([`${process.env.XDG_RUNTIME_DIR}/containers/auth.json`]);
 * lookup('127.0.0.1:5000'); // { username: 'u', password: 'p' } or undefined
 */
export function credentialsFrom(files: readonly string[]): (domain: string) => Credentials | undefined {
  const entries: Entries = [];
  for (const file of files) {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    let parsed: AuthFile;
    try {
      parsed = JSON.parse(text) as AuthFile;
    } catch (error) {
      throw new Error(`${file}: not JSON (${(error as Error).message})`);
    }
    entries.push(...entriesOf(parsed.auths));
  }
  return lookup(entries);
}

/**
 * An imagePullSecret's data: `.dockerconfigjson` (`{"auths": {...}}`, type kubernetes.io/dockerconfigjson)
 * or `.dockercfg` (the `auths` object itself, type kubernetes.io/dockercfg).
 */
export interface PullSecret {
  name: string;
  data: Record<string, Buffer>;
}

/**
 * A lookup of credentials from a Pod's imagePullSecrets (in the order listed, the first match wins),
 * as the kubelet's MakeDockerKeyring reads them (by key, `.dockerconfigjson` first): entries match a
 * registry by host (`host:port`; docker.io's aliases). A secret with neither key, or content that is not
 * JSON, contributes nothing — `problems` says which, for the caller to report.
 *
 * @example
 * const { credentials } = credentialsFromPullSecrets([{ name: 'reg', data: { '.dockerconfigjson': bytes } }]);
 */
export function credentialsFromPullSecrets(secrets: readonly PullSecret[]): {
  credentials: (domain: string) => Credentials | undefined;
  problems: string[];
} {
  const entries: Entries = [];
  const problems: string[] = [];
  for (const secret of secrets) {
    const key = ['.dockerconfigjson', '.dockercfg'].find((k) => secret.data[k] !== undefined);
    if (key === undefined) {
      problems.push(`secret ${JSON.stringify(secret.name)} has neither .dockerconfigjson nor .dockercfg`);
      continue;
    }
    try {
      const parsed = JSON.parse(secret.data[key]?.toString('utf8') ?? '') as AuthFile & AuthFile['auths'];
      entries.push(...entriesOf(key === '.dockerconfigjson' ? parsed.auths : (parsed as AuthFile['auths'])));
    } catch {
      problems.push(`secret ${JSON.stringify(secret.name)}: ${key} is not JSON`);
    }
  }
  return { credentials: lookup(entries), problems };
}

/**
 * The first lookup that has credentials for a domain (pull secrets before the node's files, as the kubelet).
 *
 * @example
 * firstCredentials(fromSecrets, credentialsFrom(files))('127.0.0.1:5000');
 */
export function firstCredentials(
  ...lookups: Array<(domain: string) => Credentials | undefined>
): (domain: string) => Credentials | undefined {
  return (domain) => {
    for (const l of lookups) {
      const c = l(domain);
      if (c) return c;
    }
    return undefined;
  };
}

/**
 * The auth files read by default, in containers/image's order: $REGISTRY_AUTH_FILE,
 * $XDG_RUNTIME_DIR/containers/auth.json, $XDG_CONFIG_HOME/containers/auth.json, $DOCKER_CONFIG/config.json
 * or ~/.docker/config.json.
 *
 * @example
 * defaultAuthFiles(process.env);
 */
export function defaultAuthFiles(env: NodeJS.ProcessEnv): string[] {
  const home = homeDirectory(env); // undefined for a uid with no passwd entry and no $HOME
  const under = (dir: string | undefined, fallback: string) =>
    dir ?? (home === undefined ? undefined : path.join(home, fallback));
  const config = under(env.XDG_CONFIG_HOME, '.config');
  const docker = under(env.DOCKER_CONFIG, '.docker');
  return [
    env.REGISTRY_AUTH_FILE,
    env.XDG_RUNTIME_DIR ? path.join(env.XDG_RUNTIME_DIR, 'containers/auth.json') : undefined,
    config === undefined ? undefined : path.join(config, 'containers/auth.json'),
    docker === undefined ? undefined : path.join(docker, 'config.json'),
  ].filter((f): f is string => f !== undefined);
}
