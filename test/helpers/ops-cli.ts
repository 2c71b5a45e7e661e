// `pod-init get` / `pod-init logs` through the CLI against a podCli() state root, for the integration tests:
// through the `pod-init` command npm links (bin/pod-init: exec natively, Node for everything else).
import { spawn as cpSpawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { readAll } from './wait';

/** The `pod-init` command (package.json "bin"), built by `npm ci`. */
export const podInitBin = path.resolve(__dirname, '../../bin/pod-init');

/** What a command printed and how it ended. */
export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Starts `pod-init ARGS` with the pods of `stateRoot`; the caller awaits or kills it. */
export function startPodInit(stateRoot: string, args: string[], env: NodeJS.ProcessEnv = {}): ChildProcess {
  return cpSpawn(podInitBin, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, POD_INIT_STATE_DIR: stateRoot, ...env },
  });
}

/** Runs `pod-init ARGS` to its end (with `env` added to the environment). */
export async function podInit(stateRoot: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  const child = startPodInit(stateRoot, args, env);
  const [stdout, stderr, code] = await Promise.all([
    readAll(child.stdout),
    readAll(child.stderr),
    new Promise<number | null>((resolve) => child.on('exit', resolve)),
  ]);
  return { code, stdout, stderr };
}

/** The row of pod `name` in a `pod-init get` table, by column header (cells cut at the headers' starts). */
export function rowOf(table: string, name: string): Record<string, string> | undefined {
  const [header, ...rows] = table.split('\n');
  const titles = header!.split(/ {3,}/);
  let from = 0;
  const starts = titles.map((t) => (from = header!.indexOf(t, from)));
  const row = rows.find((r) => r.slice(starts[0], starts[1]).trim() === name);
  if (row === undefined) return undefined;
  return Object.fromEntries(titles.map((t, i) => [t, row.slice(starts[i], starts[i + 1]).trim()]));
}
