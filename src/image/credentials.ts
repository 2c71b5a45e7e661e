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

/**
 * A lookup of credentials by registry domain from `files` (missing ones skipped; a file that is
 * not JSON is an error naming it).
 *
 * @example
 * const lookup = credentialsFrom([`${process.env.XDG_RUNTIME_DIR}/containers/auth.json`]);
 * lookup('127.0.0.1:5000'); // { username: 'u', password: 'p' } or undefined
 */
export function credentialsFrom(files: readonly string[]): (domain: string) => Credentials | undefined {
  const entries: Array<[string, Credentials]> = [];
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
    for (const [key, value] of Object.entries(parsed.auths ?? {})) {
      let creds: Credentials | undefined;
      if (value.auth) {
        const decoded = Buffer.from(value.auth, 'base64').toString('utf8');
        const colon = decoded.indexOf(':');
        if (colon > 0) creds = { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
      } else if (value.username !== undefined && value.password !== undefined)
        creds = { username: value.username, password: value.password };
      if (creds) entries.push([keyHost(key), creds]);
    }
  }
  return (domain) => {
    const names = domain === 'docker.io' ? ['docker.io', 'index.docker.io', 'registry-1.docker.io'] : [domain];
    return entries.find(([host]) => names.includes(host))?.[1];
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
