/**
 * `pod-init pull IMAGE`: pulls an image into the store, as `crictl pull` does. Reads the
 * environment for the store's and the auth files' default places (lower layers read none).
 * @module
 */
import path from 'node:path';
import type { Command } from 'commander';
import { PodOptionError } from '../errors';
import { progressLine } from '../cli/pull-progress';
import { credentialsFrom, defaultAuthFiles } from './credentials';
import { parseRegistryMirrors } from './mirrors';
import { pullImage } from './pull';
import { ImageReferenceError, parseReference } from './reference';
import { RegistryClient, type RegistryOptions } from './registry';
import { defaultImageStoreDir, ImageStore } from './store';
import { checkCaFile, defaultCertsDirs, type RegistryTrust } from './tls';

/** Options every command that pulls shares. */
export interface ImageOptions {
  /** `--image-store DIR`. */
  storeDir: string;
  /** `--insecure-registry HOST` (repeatable). */
  insecureRegistries: string[];
  /** `--authfile FILE`, else the default auth files. */
  authFiles: string[];
  /** `--registry-mirror [DOMAIN=]URL` (repeatable). */
  mirrors: Map<string, string[]>;
  /** `--registry-ca FILE`, `--registry-certs-dir DIR`. */
  trust: RegistryTrust;
}

/**
 * The registry client's options from {@link ImageOptions}.
 *
 * @example
 * new RegistryClient(registryOptions(options));
 */
export function registryOptions(options: ImageOptions): RegistryOptions {
  return {
    insecureRegistries: options.insecureRegistries,
    credentials: credentialsFrom(options.authFiles),
    mirrors: options.mirrors,
    trust: options.trust,
  };
}

/** How layers are unpacked by this process: owners and devices as root, the `user.` opaque xattr otherwise. */
export function unpackOptions(warn: (m: string) => void) {
  const root = process.geteuid?.() === 0;
  return { chown: root, devices: root, xattrNamespace: root ? ('trusted' as const) : ('user' as const), warn };
}

function pullProgram(): Command {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { Command } = require('commander') as typeof import('commander');
  return new Command('pod-init pull')
    .usage('[options] IMAGE')
    .description('Pull an image from its registry into the image store (as crictl pull).')
    .argument('<image>', 'a reference: nginx, user/app:tag, host:5000/x@sha256:…')
    .option(
      '--image-store <dir>',
      'the image store (default: /var/lib/pod-init/images as root, else $XDG_DATA_HOME/pod-init/images)',
    )
    .option(
      '--insecure-registry <host>',
      'speak plain HTTP to HOST (repeatable; localhost and 127.0.0.0/8 always are)',
      (v: string, prev: string[]) => [...prev, v],
      [],
    )
    .option('-q, --quiet', 'no progress line on a terminal')
    .option('--authfile <file>', 'registry credentials (auth.json format) instead of the default files')
    .option(
      '--registry-mirror <[domain=]url>',
      "pull DOMAIN's images (docker.io without DOMAIN=) from URL (repeatable, tried in order)",
      (v: string, prev: string[]) => [...prev, v],
      [],
    )
    .option(
      '--registry-ca <file>',
      'a PEM CA bundle trusted for https registries, besides the system roots (repeatable)',
      (v: string, prev: string[]) => [...prev, v],
      [],
    )
    .option(
      '--registry-certs-dir <dir>',
      'per-registry CAs in DIR/HOST[:PORT]/*.crt (repeatable; default /etc/containers/certs.d, /etc/docker/certs.d)',
      (v: string, prev: string[]) => [...prev, v],
      [],
    )
    .exitOverride()
    .configureOutput({ writeOut: (s) => process.stdout.write(s), writeErr: (s) => process.stderr.write(s) });
}

/**
 * Parses `pull`'s arguments into the image and {@link ImageOptions}.
 *
 * @example
 * parsePullArgs(['127.0.0.1:5000/bb:1', '--image-store', '/tmp/s']).image; // '127.0.0.1:5000/bb:1'
 */
export function parsePullArgs(args: string[]): { image: string; options: ImageOptions; quiet: boolean } {
  const program = pullProgram();
  program.parse(args, { from: 'user' });
  const o = program.opts<{
    imageStore?: string;
    insecureRegistry: string[];
    authfile?: string;
    registryMirror: string[];
    quiet?: boolean;
    registryCa: string[];
    registryCertsDir: string[];
  }>();
  for (const file of o.registryCa) {
    const problem = checkCaFile(file);
    if (problem !== undefined)
      throw new PodOptionError('--registry-ca', 'a readable PEM file of CA certificates', `${file} (${problem})`);
  }
  const image = program.args[0]!;
  try {
    parseReference(image);
  } catch (error) {
    if (error instanceof ImageReferenceError)
      throw new PodOptionError('IMAGE', 'an image reference', `${image}: ${error.message}`);
    throw error;
  }
  let mirrors: Map<string, string[]>;
  try {
    mirrors = parseRegistryMirrors(o.registryMirror);
  } catch (error) {
    throw new PodOptionError('--registry-mirror', '[DOMAIN=]URL with an http or https URL', (error as Error).message);
  }
  return {
    image,
    quiet: o.quiet === true,
    options: {
      mirrors,
      trust: {
        caFiles: o.registryCa.map((f) => path.resolve(f)),
        certsDirs:
          o.registryCertsDir.length > 0
            ? o.registryCertsDir.map((d) => path.resolve(d))
            : defaultCertsDirs(process.env, process.geteuid?.() ?? 0),
      },
      storeDir: path.resolve(o.imageStore ?? defaultImageStoreDir()),
      insecureRegistries: o.insecureRegistry,
      authFiles: o.authfile !== undefined ? [o.authfile] : defaultAuthFiles(process.env),
    },
  };
}

/**
 * Pulls and prints the image's reference and digest; resolves with the exit code.
 *
 * @example
 * process.exitCode = await runPull(parsePullArgs(['busybox:1.36']));
 */
export async function runPull({
  image,
  options,
  quiet = false,
}: {
  image: string;
  options: ImageOptions;
  quiet?: boolean;
}): Promise<number> {
  const store = new ImageStore(options.storeDir);
  const started = Date.now();
  try {
    const pulled = await pullImage(image, {
      store,
      client: new RegistryClient(registryOptions(options)),
      unpack: unpackOptions((m) => process.stderr.write(`pod-init: warning: ${m}\n`)),
      ...(process.stderr.isTTY && !quiet ? { onProgress: progressLine(process.stderr) } : {}),
    });
    process.stdout.write(
      `${pulled.reference} ${pulled.record.digest} (${pulled.record.size} bytes, ${Date.now() - started} ms)\n`,
    );
    return 0;
  } catch (error) {
    if (!(error instanceof Error) || !['RegistryError', 'LayerError', 'TarFormatError'].includes(error.name))
      throw error;
    process.stderr.write(`pod-init: failed to pull image ${JSON.stringify(image)}: ${error.message}\n`);
    return 1;
  }
}
