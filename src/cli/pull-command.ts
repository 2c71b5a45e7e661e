/**
 * `pod-init pull IMAGE`: pulls an image into the store, as `crictl pull` does. Reads the
 * environment for the store's and the auth files' default places (lower layers read none).
 * @module
 */
import path from 'node:path';
import type { Command } from 'commander';
import { PodOptionError } from '../errors';
import { progressLine } from './pull-progress';
import { credentialsFrom } from '../image/credentials';
import { pullImage } from '../image/pull';
import { ImageReferenceError, parseReference } from '../image/reference';
import { RegistryClient, type RegistryOptions } from '../image/registry';
import { ImageStore } from '../image/store';
import { runLocations } from './state-location';
import { addRegistryFlags, type RegistryFlagValues, registryFlags } from '../image/registry-flags';
import type { RegistryTrust } from '../image/tls';
import { subordinateIds } from '../subordinate-ids';

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
  /** `--image-sync-fs`: one syncfs per unpacked layer before it is committed. */
  syncFs?: boolean;
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

/**
 * How layers are unpacked by this process: owners and devices as root, the `user.` opaque xattr
 * otherwise (owners then set through the caller's subordinate ids, when it has them).
 */
export function unpackOptions(warn: (m: string) => void, syncFs = false) {
  const root = process.geteuid?.() === 0;
  const xattrNamespace = root ? ('trusted' as const) : ('user' as const);
  return { chown: root, devices: root, xattrNamespace, syncFs, ...(root ? {} : subordinateIds()), warn };
}

function pullProgram(): Command {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { Command } = require('commander') as typeof import('commander');
  const command = new Command('pod-init pull')
    .usage('[options] IMAGE')
    .description('Pull an image from its registry into the image store (as crictl pull).')
    .argument('<image>', 'a reference: nginx, user/app:tag, host:5000/x@sha256:…')
    .option(
      '--image-store <dir>',
      'the image store (default: /var/lib/pod-init/images as root, else $XDG_DATA_HOME/pod-init/images)',
    )
    .option('-q, --quiet', 'no progress line on a terminal')
    .exitOverride()
    .configureOutput({ writeOut: (s) => process.stdout.write(s), writeErr: (s) => process.stderr.write(s) });
  return addRegistryFlags(command);
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
  const o = program.opts<RegistryFlagValues & { imageStore?: string; quiet?: boolean }>();
  const image = program.args[0]!;
  try {
    parseReference(image);
  } catch (error) {
    if (error instanceof ImageReferenceError)
      throw new PodOptionError('IMAGE', 'an image reference', `${image}: ${error.message}`);
    throw error;
  }
  const registry = registryFlags(o, process.env, process.geteuid?.() ?? 0);
  return {
    image,
    quiet: o.quiet === true,
    options: {
      ...registry,
      storeDir: path.resolve(o.imageStore ?? runLocations(process.env, process.geteuid?.() ?? 0).imageStoreDir),
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
      unpack: unpackOptions((m) => process.stderr.write(`pod-init: warning: ${m}\n`), options.syncFs === true),
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
