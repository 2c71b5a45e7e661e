// `pod-init run -` through the CLI, for the integration tests: the manifest on stdin, every pod's
// state under one temporary root, and nothing left running when a test fails half-way.
import { spawn as cpSpawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readAll } from './wait';

const cli = path.resolve(__dirname, '../../pod-init.js');

/** What a `pod-init run` printed and how it ended. */
export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A v1 Pod manifest with `spec` (YAML indented by two spaces). */
export const podManifest = (name: string, spec: string): string =>
  `apiVersion: v1\nkind: Pod\nmetadata:\n  name: ${name}\nspec:\n${spec}`;

/**
 * A runner of `pod-init run -` whose pods keep their state under `stateRoot`; `cleanup()` kills what
 * is still running and removes the state.
 */
export function podCli(): {
  stateRoot: string;
  run: (args: string[], manifest: string, onStart?: (child: ChildProcess) => void) => Promise<RunResult>;
  cleanup: () => void;
} {
  const started = new Set<ChildProcess>();
  const stateRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'pod-init-state-'));
  const run = (args: string[], manifest: string, onStart?: (child: ChildProcess) => void): Promise<RunResult> => {
    const child = cpSpawn(process.execPath, [cli, 'run', '-', ...args], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, POD_INIT_STATE_DIR: stateRoot },
    });
    started.add(child);
    child.on('exit', () => started.delete(child));
    child.stdin!.end(manifest);
    onStart?.(child);
    return Promise.all([
      readAll(child.stdout!),
      readAll(child.stderr!),
      new Promise<number | null>((resolve) => child.on('exit', resolve)),
    ]).then(([stdout, stderr, code]) => ({ code, stdout, stderr }));
  };
  const cleanup = () => {
    for (const child of started) child.kill('SIGKILL'); // its pod dies with it (die-with-parent)
    fs.rmSync(stateRoot, { recursive: true, force: true });
  };
  return { stateRoot, run, cleanup };
}
