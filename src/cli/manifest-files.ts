/**
 * The inputs of `pod-init run FILE` and `-f FILE|DIR|-` (repeatable) as texts: a directory gives its
 * `.yaml`, `.yml` and `.json` files, sorted by name, not its subdirectories (kubectl's `-f DIR` without
 * `--recursive`); `-` is stdin.
 * @module
 */
import fs from 'node:fs';
import path from 'node:path';
import { PodOptionError } from '../errors';
import type { ManifestInput } from '../manifest';

const manifestExtensions = ['.yaml', '.yml', '.json'];

function unreadable(file: string, error: unknown): PodOptionError {
  const why = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
  return new PodOptionError('FILE', 'a readable manifest (YAML or JSON; - for stdin)', `${file} (${why})`);
}

/** The manifest files of a directory, sorted; none is a mistake (kubectl: "no objects passed"). */
function directoryFiles(dir: string): string[] {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch (error) {
    throw unreadable(dir, error);
  }
  const files = entries
    .filter((e) => manifestExtensions.includes(path.extname(e.name)) && (e.isFile() || e.isSymbolicLink()))
    .map((e) => path.join(dir, e.name))
    .filter((f) => fs.statSync(f, { throwIfNoEntry: false })?.isFile() === true)
    .sort();
  if (files.length === 0)
    throw new PodOptionError('-f', 'a directory holding .yaml, .yml or .json manifests', `${dir} (none there)`);
  return files;
}

/**
 * Reads every input, directories expanded; throws PodOptionError naming what cannot be read.
 *
 * @example
 * const inputs = readManifests(['web.yaml', 'config/']); // [{ text, source: 'web.yaml' }, { text, source: 'config/a.yaml' }, ...]
 */
export function readManifests(files: readonly string[]): ManifestInput[] {
  const inputs: ManifestInput[] = [];
  for (const file of files) {
    const stat = file === '-' ? undefined : fs.statSync(file, { throwIfNoEntry: false });
    for (const one of stat?.isDirectory() === true ? directoryFiles(file) : [file]) {
      try {
        inputs.push({ text: fs.readFileSync(one === '-' ? 0 : one, 'utf8'), source: one === '-' ? '<stdin>' : one });
      } catch (error) {
        throw unreadable(one, error);
      }
    }
  }
  return inputs;
}
