/**
 * The pod's pod-init side of exec-spec.ts: records a started container instance's spec, forgets it
 * when the instance ends. The one writer of both forms: exec.json (the Node CLI and the library) and
 * exec.records (the native `pod-init exec` client; exec-records.ts).
 * @module
 */
import fs from 'node:fs';
import path from 'node:path';
import { writeFileAtomically } from '../atomic-file';
import { type ExecSpec, execSpecFile, readExecSpec } from './exec-spec';
import { execRecords, execRecordsName } from './exec-records';

/**
 * Records a container instance's spec (written as a whole, readable by its owner only).
 *
 * @example
 * writeExecSpec('/run/pod-init/default_web_uid', 'app', { pid, startTime, env, cwd: '/' });
 */
export function writeExecSpec(stateDir: string, container: string, spec: ExecSpec): void {
  const file = execSpecFile(stateDir, container);
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const old = process.umask(0o077);
  try {
    // The records first: a reader that finds exec.json finds its records too (or a newer instance's).
    writeFileAtomically(path.join(path.dirname(file), execRecordsName), execRecords(spec));
    writeFileAtomically(file, JSON.stringify(spec));
  } finally {
    process.umask(old);
  }
}

/**
 * Forgets the spec of the instance whose process was `pid` (it ended); a newer one's stays.
 *
 * @example
 * forgetExecSpec(stateDir, 'app', 4242);
 */
export function forgetExecSpec(stateDir: string, container: string, pid: number): void {
  try {
    if (readExecSpec(stateDir, container)?.pid === pid) {
      fs.rmSync(execSpecFile(stateDir, container), { force: true });
      fs.rmSync(path.join(stateDir, container, execRecordsName), { force: true });
    }
  } catch {
    // unreadable: the start time check keeps exec from joining a recycled pid anyway
  }
}
