/**
 * `pod-init load -i FILE`: loads a local image source (an OCI image layout directory, an OCI archive or
 * a `docker save` archive, told apart by their contents) into the store, as `podman load` and
 * `docker load` do; prints each name loaded. Reads the environment for the store's default place.
 * @module
 */
import path from 'node:path';
import type { Command } from 'commander';
import { detectLocalSource, loadLocalImages } from '../image/local-image';
import { unpackOptions } from './pull-command';
import { ImageStore } from '../image/store';
import { runLocations } from './state-location';

/** What `pod-init load` was asked. */
export interface LoadOptions {
  /** `-i FILE`. */
  input: string;
  /** `--image-store DIR`. */
  storeDir: string;
}

function loadProgram(): Command {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { Command } = require('commander') as typeof import('commander');
  return new Command('pod-init load')
    .usage('[options] -i FILE')
    .description(
      'Load an image archive into the image store (as podman load): an OCI image layout directory, an OCI archive (tar of one) or a docker save tar.',
    )
    .requiredOption('-i, --input <file>', 'the archive or OCI layout directory')
    .option(
      '--image-store <dir>',
      'the image store (default: /var/lib/pod-init/images as root, else $XDG_DATA_HOME/pod-init/images)',
    )
    .exitOverride()
    .configureOutput({ writeOut: (s) => process.stdout.write(s), writeErr: (s) => process.stderr.write(s) });
}

/**
 * Parses `load`'s arguments.
 *
 * @example
 * parseLoadArgs(['-i', 'bb.tar']).input; // 'bb.tar'
 */
export function parseLoadArgs(args: string[]): LoadOptions {
  const program = loadProgram();
  program.parse(args, { from: 'user' });
  const o = program.opts<{ input: string; imageStore?: string }>();
  return {
    input: o.input,
    storeDir: path.resolve(o.imageStore ?? runLocations(process.env, process.geteuid?.() ?? 0).imageStoreDir),
  };
}

/**
 * Loads and prints `Loaded image: NAME` per name (podman's words); resolves with the exit code.
 *
 * @example
 * process.exitCode = await runLoad(parseLoadArgs(['-i', 'bb.tar']));
 */
export async function runLoad(options: LoadOptions): Promise<number> {
  try {
    const source = detectLocalSource(options.input);
    const loaded = await loadLocalImages(source, {
      store: new ImageStore(options.storeDir),
      unpack: unpackOptions((m) => process.stderr.write(`pod-init: warning: ${m}\n`)),
    });
    if (loaded.length === 0) process.stderr.write(`pod-init: warning: ${options.input}: its images have no names\n`);
    for (const image of loaded) process.stdout.write(`Loaded image: ${image.reference}\n`);
    return 0;
  } catch (error) {
    if (!(error instanceof Error) || !['LocalImageError', 'ArchiveError'].includes(error.name)) throw error;
    process.stderr.write(`pod-init: failed to load ${JSON.stringify(options.input)}: ${error.message}\n`);
    return 1;
  }
}
