/**
 * `pod-init images` and `pod-init rmi NAME... | --prune`: the image store as podman shows it and crictl
 * trims it. `images` prints REPOSITORY TAG IMAGE ID CREATED SIZE (podman's columns and units; `-q` the
 * IDs, `-o json` the rows); `rmi` refuses an image a running pod uses (exit 1, naming the pod);
 * `rmi --prune` (crictl's spelling; `pod-init prune` is the pods' state) removes every image no running
 * pod uses and older than 2 min (the kubelet's ImageMinimumGCAge; `--min-age 0s` for all), then the
 * layers nothing refers to. Reads the environment
 * for the store's default place (lower layers read none).
 * @module
 */
import path from 'node:path';
import type { Command } from 'commander';
import { parseDuration } from '../duration';
import { PodOptionError } from '../errors';
import { imageRows, ImageRemoveError, minimumGcAgeMs, pruneImages, removeImage, type Removed } from '../image/gc';
import { ImageStore } from '../image/store';
import { runLocations } from './state-location';

/** What one of the three verbs was asked. */
export type ImagesVerb =
  | { verb: 'images'; storeDir: string; quiet: boolean; json: boolean }
  | { verb: 'rmi'; storeDir: string; names: string[] }
  | { verb: 'rmi --prune'; storeDir: string; minAgeMs: number };

const storeOption = [
  '--image-store <dir>',
  'the image store (default: /var/lib/pod-init/images as root, else $XDG_DATA_HOME/pod-init/images)',
] as const;

function program(verb: 'images' | 'rmi'): Command {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { Command } = require('commander') as typeof import('commander');
  const p = new Command(`pod-init ${verb}`)
    .option(...storeOption)
    .exitOverride()
    .showHelpAfterError(`(run pod-init ${verb} --help for usage)`);
  if (verb === 'images')
    p.description('List the images in the image store (as podman images).')
      .option('-q, --quiet', 'print the IMAGE IDs only')
      .option('-o, --output <format>', 'json (default: a table)');
  if (verb === 'rmi')
    p.description(
      'Remove images from the store (refused for an image a running pod uses), and their unused layers; ' +
        "--prune: every image no running pod uses, pulled more than --min-age ago (the kubelet's image GC).",
    )
      .usage('[options] NAME... | --prune')
      .argument('[name...]', 'a reference (busybox:1, host:5000/x:tag) or an IMAGE ID (prefix)')
      .option('--prune', 'remove every image no running pod uses (as crictl rmi --prune)')
      .option('--min-age <duration>', 'with --prune: spare images pulled more recently (ImageMinimumGCAge)', '2m');
  return p;
}

/**
 * Parses the arguments of `images`, `rmi` or `prune` (after the verb).
 *
 * @example
 * parseImagesArgs('rmi', ['busybox:1']); // { verb: 'rmi', names: ['busybox:1'], storeDir: … }
 */
export function parseImagesArgs(verb: 'images' | 'rmi', args: string[]): ImagesVerb {
  const p = program(verb);
  p.parse(args, { from: 'user' });
  const o = p.opts<{ imageStore?: string; quiet?: boolean; output?: string; minAge?: string; prune?: boolean }>();
  const storeDir = path.resolve(o.imageStore ?? runLocations(process.env, process.geteuid?.() ?? 0).imageStoreDir);
  if (verb === 'images') {
    if (o.output !== undefined && o.output !== 'json') throw new PodOptionError('--output', 'json', o.output);
    return { verb, storeDir, quiet: o.quiet === true, json: o.output === 'json' };
  }
  if (o.prune !== true) {
    if (p.args.length === 0) throw new PodOptionError('NAME', 'one image or more, or --prune', '(none)');
    return { verb: 'rmi', storeDir, names: p.args };
  }
  if (p.args.length > 0) throw new PodOptionError('--prune', 'no NAME with it', p.args.join(' '));
  const minAgeMs = o.minAge === undefined ? minimumGcAgeMs : parseDuration(o.minAge);
  if (minAgeMs === undefined) throw new PodOptionError('--min-age', 'a duration such as 2m, 1h or 0s', o.minAge);
  return { verb: 'rmi --prune', storeDir, minAgeMs };
}

/**
 * go-units' HumanDuration, as podman prints CREATED ("2 weeks", "About an hour").
 *
 * @example
 * humanDuration(90 * 60_000); // '2 hours'
 */
export function humanDuration(ms: number): string {
  const s = Math.floor(ms / 1000);
  const m = Math.floor(s / 60);
  const h = Math.floor(s / 3600);
  if (s < 1) return 'Less than a second';
  if (s === 1) return '1 second';
  if (s < 60) return `${s} seconds`;
  if (m === 1) return 'About a minute';
  if (m < 60) return `${m} minutes`;
  if (h === 1) return 'About an hour';
  if (h < 48) return `${h} hours`;
  if (h < 24 * 7 * 2) return `${Math.floor(h / 24)} days`;
  if (h < 24 * 30 * 2) return `${Math.floor(h / 24 / 7)} weeks`;
  if (h < 24 * 365 * 2) return `${Math.floor(h / 24 / 30)} months`;
  return `${Math.floor(h / 24 / 365)} years`;
}

/**
 * go-units' HumanSizeWithPrecision(size, 3), as podman prints SIZE: decimal units, 3 significant digits.
 *
 * @example
 * humanSize(4_493_000); // '4.49 MB'
 */
export function humanSize(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'];
  let size = bytes;
  let i = 0;
  while (size >= 1000 && i < units.length - 1) {
    size /= 1000;
    i++;
  }
  return `${Number(size.toPrecision(3))} ${units[i]}`;
}

/** podman's tabwriter: cells at least 12 wide, 2 spaces of padding. */
function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(12, ...rows.map((r) => r[c]!.length + 2)));
  return (
    rows.map((r) => r.map((cell, c) => (c < r.length - 1 ? cell.padEnd(widths[c]!) : cell)).join('')).join('\n') + '\n'
  );
}

function removed(out: NodeJS.WritableStream, r: Removed): void {
  for (const image of r.images) out.write(`Untagged: ${image}\n`);
  if (r.layers > 0 || r.bytes > 0) out.write(`Deleted ${r.layers} layers, ${humanSize(r.bytes)} freed\n`);
}

/**
 * Runs the verb; resolves with the exit code (rmi: 1 when any name could not be removed).
 *
 * @example
 * process.exitCode = await runImagesVerb(parseImagesArgs('images', []), process.stdout, process.stderr);
 */
export async function runImagesVerb(
  options: ImagesVerb,
  out: NodeJS.WritableStream,
  err: NodeJS.WritableStream,
  now = Date.now(),
): Promise<number> {
  const store = new ImageStore(options.storeDir);
  if (options.verb === 'images') {
    const rows = imageRows(store);
    if (options.json) out.write(`${JSON.stringify(rows, null, 2)}\n`);
    else if (options.quiet) for (const r of rows) out.write(`${r.imageId}\n`);
    else
      out.write(
        table([
          ['REPOSITORY', 'TAG', 'IMAGE ID', 'CREATED', 'SIZE'],
          ...rows.map((r) => [
            r.repository,
            r.tag,
            r.imageId,
            r.created === undefined || Number.isNaN(Date.parse(r.created))
              ? 'unknown'
              : `${humanDuration(now - Date.parse(r.created))} ago`,
            humanSize(r.size),
          ]),
        ]),
      );
    return 0;
  }
  if (options.verb === 'rmi --prune') {
    removed(out, await pruneImages(store, options.minAgeMs, now));
    return 0;
  }
  let code = 0;
  for (const name of options.names) {
    try {
      removed(out, await removeImage(store, name));
    } catch (error) {
      if (!(error instanceof ImageRemoveError)) throw error;
      err.write(`pod-init: ${error.message}\n`);
      code = 1;
    }
  }
  return code;
}
