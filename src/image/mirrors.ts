/**
 * Registry mirrors as `--registry-mirror` gives them: `DOMAIN=URL` (containerd's hosts.toml
 * `[host."URL"]` under `certs.d/DOMAIN`), or a bare `URL` for docker.io (dockerd's `--registry-mirror`).
 * @module
 */
import { mirrorBase } from './registry';

const domainPattern =
  /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*|\[[a-fA-F0-9:]+\])(?::[0-9]+)?$/;

/**
 * Mirrors by registry domain, in the order given; throws an Error saying what is wrong with a value.
 *
 * @example
 * parseRegistryMirrors(['docker.io=http://127.0.0.1:5000', 'https://mirror.example']);
 * // Map { 'docker.io' => ['http://127.0.0.1:5000', 'https://mirror.example'] }
 */
export function parseRegistryMirrors(values: readonly string[]): Map<string, string[]> {
  const mirrors = new Map<string, string[]>();
  for (const value of values) {
    const eq = value.indexOf('=');
    let domain = eq > 0 ? value.slice(0, eq) : 'docker.io';
    const url = eq > 0 ? value.slice(eq + 1) : value;
    if (!domainPattern.test(domain)) throw new Error(`${JSON.stringify(domain)} is not a registry name`);
    if (domain === 'index.docker.io' || domain === 'registry-1.docker.io') domain = 'docker.io';
    mirrorBase(url); // throws when it is not one
    mirrors.set(domain, [...(mirrors.get(domain) ?? []), url]);
  }
  return mirrors;
}
