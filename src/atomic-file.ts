/**
 * A file replaced atomically, safely in a directory others can write: the new content goes to a
 * temporary file of a random name beside it, created with O_EXCL|O_NOFOLLOW (a name planted ahead,
 * a symlink included, is an error, never followed), then renamed over the target (rename replaces a
 * symlink at the target itself, never what it points to).
 * @module
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/** `.<name>.<12 random hex>.tmp` beside `file`. */
function temporaryName(file: string): string {
  return path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
}

/**
 * Writes `content` to `file` atomically (mode 0644 before the umask).
 *
 * @example
 * writeFileAtomically('/tmp/status.json', JSON.stringify(pod));
 */
export function writeFileAtomically(file: string, content: string, tmp = temporaryName(file)): void {
  const { O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW } = fs.constants;
  const fd = fs.openSync(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o644);
  let renamed = false;
  try {
    try {
      fs.writeSync(fd, content);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
    renamed = true;
  } finally {
    if (!renamed) fs.rmSync(tmp, { force: true });
  }
}
