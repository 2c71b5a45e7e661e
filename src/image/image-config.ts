/**
 * An image config applied to a container as the kubelet and containerd do (CRI `WithProcessArgs`,
 * `WithImageConfig`): `command` replaces the Entrypoint and drops Cmd; `args` replace Cmd; neither
 * runs Entrypoint + Cmd. The image's Env comes first, the container's env overrides it by name.
 * @module
 */
import type { ImageConfig } from './pull';

/**
 * The argv of a container of an image: `argv` is the container's own command + args, already
 * expanded ($(VAR)); `hasCommand`/`hasArgs` say which of them the container set.
 *
 * @example
 * imageArgv({ hasCommand: false, hasArgs: true }, ['-c', 'echo hi'], { config: { Entrypoint: ['sh'], Cmd: ['x'] } });
 * // ['sh', '-c', 'echo hi']
 */
export function imageArgv(
  set: { hasCommand: boolean; hasArgs: boolean },
  argv: readonly string[],
  config: ImageConfig,
): string[] {
  if (set.hasCommand) return [...argv];
  let entrypoint = config.config?.Entrypoint ?? [];
  if (entrypoint.length === 1 && entrypoint[0] === '') entrypoint = []; // [""] counts as unset
  return [...entrypoint, ...(set.hasArgs ? argv : (config.config?.Cmd ?? []))];
}

/**
 * The image's Env under the container's: a name the container sets replaces the image's. Names in
 * `defaults` (the runtime's own PATH, unless the container set it) give way to the image's.
 *
 * @example
 * imageEnv({ config: { Env: ['PATH=/bin', 'A=1'] } }, new Map([['A', '2']])); // PATH=/bin, A=2
 */
export function imageEnv(
  config: ImageConfig,
  env: ReadonlyMap<string, string>,
  defaults: ReadonlySet<string> = new Set(),
): Map<string, string> {
  const merged = new Map<string, string>();
  for (const entry of config.config?.Env ?? []) {
    const eq = entry.indexOf('=');
    if (eq > 0) merged.set(entry.slice(0, eq), entry.slice(eq + 1));
  }
  for (const [name, value] of env) {
    if (defaults.has(name) && merged.has(name)) continue;
    merged.delete(name); // the container's order after the image's
    merged.set(name, value);
  }
  return merged;
}

/**
 * An image's StopSignal as a signal name (`SIGUSR1`, `USR1` → `SIGUSR1`); undefined when unset or a
 * number (the caller then uses SIGTERM).
 *
 * @example
 * imageStopSignal('USR1'); // 'SIGUSR1'
 */
export function imageStopSignal(signal: string | undefined): string | undefined {
  if (signal === undefined || signal === '' || /^\d+$/.test(signal)) return undefined;
  const upper = signal.toUpperCase();
  return upper.startsWith('SIG') ? upper : `SIG${upper}`;
}
