/**
 * The file half of the request channels (delete-request.ts, apply-request.ts): one JSON object in
 * `<pod state dir>/<name>`, renamed into place by the asking command, read once and removed by the
 * pod's pod-init when the signal comes.
 * @module
 */
import fs from 'node:fs';
import path from 'node:path';
import { writeFileAtomically } from '../atomic-file';

/**
 * Writes request `name` (`delete-request`, `apply-request`) into a pod's state directory, atomically.
 *
 * @example
 * writeRequest('/run/pod-init/default_web_1234', 'delete-request', { gracePeriodSeconds: 1 });
 */
export function writeRequest(stateDir: string, name: string, body: object): void {
  writeFileAtomically(path.join(stateDir, name), `${JSON.stringify(body)}\n`);
}

/**
 * Reads and removes request `name`: its JSON object, or undefined when there is none or it is not
 * JSON (never through a symlink).
 *
 * @example
 * const body = takeRequest(runner.stateDir, 'delete-request') as { gracePeriodSeconds?: unknown } | undefined;
 */
export function takeRequest(stateDir: string, name: string): Record<string, unknown> | undefined {
  const file = path.join(stateDir, name);
  let text: string;
  try {
    const fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
    try {
      text = fs.readFileSync(fd, 'utf8');
    } finally {
      fs.closeSync(fd);
    }
    fs.rmSync(file, { force: true });
  } catch {
    return undefined;
  }
  try {
    const body: unknown = JSON.parse(text);
    return typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
