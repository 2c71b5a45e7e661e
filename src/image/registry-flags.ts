/**
 * The registry flags `pod-init run` and `pod-init pull` share (`--insecure-registry`, `--authfile`,
 * `--registry-mirror`, `--registry-ca`, `--registry-certs-dir`, and `--image-sync-fs` for the store): declared once, checked once (a bad
 * value is a PodOptionError naming its flag), turned into what the pull needs.
 * @module
 */
import path from 'node:path';
import type { Command } from 'commander';
import { PodOptionError } from '../errors';
import { defaultAuthFiles } from './credentials';
import { parseRegistryMirrors } from './mirrors';
import { checkCaFile, defaultCertsDirs, type RegistryTrust } from './tls';

/** The flags as commander (or run's plain reader) leaves them. */
export interface RegistryFlagValues {
  insecureRegistry?: string[];
  authfile?: string;
  registryMirror?: string[];
  registryCa?: string[];
  registryCertsDir?: string[];
  imageSyncFs?: boolean;
}

/** What a pull needs from them. */
export interface RegistryFlags {
  insecureRegistries: string[];
  authFiles: string[];
  mirrors: Map<string, string[]>;
  trust: RegistryTrust;
  /** `--image-sync-fs`: one syncfs(2) per unpacked layer before it is committed (unpack.ts `syncFs`). */
  syncFs: boolean;
}

const repeat = (v: string, prev: string[]) => [...prev, v];

/**
 * Declares the registry flags on `command`; `mirrorNote` ends `--registry-mirror`'s help.
 *
 * @example
 * addRegistryFlags(new Command('pod-init pull'));
 */
export function addRegistryFlags(command: Command, mirrorNote = ''): Command {
  return command
    .option(
      '--insecure-registry <host>',
      'pull from HOST over plain HTTP (repeatable; localhost and 127.0.0.0/8 always are)',
      repeat,
      [],
    )
    .option('--authfile <file>', 'registry credentials (auth.json format) instead of the default files')
    .option(
      '--registry-mirror <[domain=]url>',
      `pull DOMAIN's images (docker.io without DOMAIN=) from URL (repeatable, tried in order)${mirrorNote}`,
      repeat,
      [],
    )
    .option(
      '--registry-ca <file>',
      'a PEM CA bundle trusted for https registries, besides the system roots (repeatable)',
      repeat,
      [],
    )
    .option(
      '--registry-certs-dir <dir>',
      'per-registry CAs in DIR/HOST[:PORT]/*.crt (repeatable; default /etc/containers/certs.d, /etc/docker/certs.d)',
      repeat,
      [],
    )
    .option(
      '--image-sync-fs',
      "sync the store's filesystem once per unpacked layer before committing it (survives a power cut; slower)",
    );
}

/**
 * Checks the flags' values and resolves their defaults (auth files and certs dirs from `env`).
 *
 * @example
 * registryFlags({ registryMirror: ['http://127.0.0.1:5000'] }, process.env, process.geteuid!());
 */
export function registryFlags(o: RegistryFlagValues, env: NodeJS.ProcessEnv, euid: number): RegistryFlags {
  let mirrors: Map<string, string[]>;
  try {
    mirrors = parseRegistryMirrors(o.registryMirror ?? []);
  } catch (error) {
    throw new PodOptionError('--registry-mirror', '[DOMAIN=]URL with an http or https URL', (error as Error).message);
  }
  for (const file of o.registryCa ?? []) {
    const problem = checkCaFile(file);
    if (problem !== undefined)
      throw new PodOptionError('--registry-ca', 'a readable PEM file of CA certificates', `${file} (${problem})`);
  }
  const certsDirs = (o.registryCertsDir ?? []).map((d) => path.resolve(d));
  return {
    insecureRegistries: o.insecureRegistry ?? [],
    authFiles: o.authfile !== undefined ? [o.authfile] : defaultAuthFiles(env),
    mirrors,
    trust: {
      caFiles: (o.registryCa ?? []).map((f) => path.resolve(f)),
      certsDirs: certsDirs.length > 0 ? certsDirs : defaultCertsDirs(env, euid),
    },
    syncFs: o.imageSyncFs === true,
  };
}
