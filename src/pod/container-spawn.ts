/**
 * How exec probes and exec hooks start their process in a running container: through the container
 * instance's keeper (src/keeper.ts, native/keeper.cc) — started on the first such process and kept until
 * the instance's process exits — which forks it already confined, or, where a keeper cannot serve, as a
 * joined spawn that attaches the same confinement itself. Both give the process the container's
 * namespaces, cgroups, ids, capabilities, no_new_privs and seccomp filter.
 * @module
 */
import { Keeper, processFailed } from '../keeper';
import type { PodProcess } from '../process/process';
import { keeperDenied } from '../security/keeper-syscalls';
import { type KeeperSpawnOptions, type SpawnOptions, spawn } from '../process/spawn';
import type { ProbeTarget } from './probe-handlers';

/** What the process itself gets; the rest is the container's (the target's). */
export type ContainerSpawnOptions = Omit<KeeperSpawnOptions, 'env'> & { env: Record<string, string> };

type Entry = { keeper: Keeper } | { unusable: string };
const keepers = new WeakMap<PodProcess, Entry>();

function confinement(target: ProbeTarget): Omit<SpawnOptions, 'file'> {
  return {
    join: { process: target.process },
    dieWithParent: true,
    ...(target.uid !== undefined ? { uid: target.uid } : {}),
    ...(target.gid !== undefined ? { gid: target.gid } : {}),
    ...(target.groups !== undefined ? { groups: target.groups } : {}),
    ...(target.capabilities !== undefined ? { capabilities: target.capabilities } : {}),
    ...(target.noNewPrivileges === true ? { noNewPrivileges: true } : {}),
    ...(target.seccomp !== undefined ? { seccomp: target.seccomp } : {}),
    ...(target.cgroups !== undefined ? { cgroups: target.cgroups } : {}),
  };
}

/** Why the target gets no keeper, or undefined when it may have one. */
function unusable(target: ProbeTarget): string | undefined {
  if (target.keeper === false) return 'turned off';
  if (process.geteuid?.() !== 0) return 'not root';
  // Nothing to inherit: a joined spawn attaches nothing either.
  if (target.seccomp === undefined && target.cgroups === undefined) return 'no seccomp filter or cgroups';
  if (target.seccomp !== undefined) {
    const denied = keeperDenied(target.seccomp.bpf);
    if (denied.length > 0) return `the seccomp profile denies ${denied.join(', ')}`;
  }
  return undefined;
}

function keeperOf(target: ProbeTarget): Keeper | undefined {
  const known = keepers.get(target.process);
  if (known) return 'keeper' in known && known.keeper.alive ? known.keeper : undefined;
  if (!target.process.running) return undefined;
  const why = unusable(target);
  if (why !== undefined) {
    keepers.set(target.process, { unusable: why });
    return undefined;
  }
  let keeper: Keeper;
  try {
    keeper = Keeper.start(confinement(target) as Parameters<typeof Keeper.start>[0]);
  } catch (error) {
    keepers.set(target.process, { unusable: (error as Error).message });
    return undefined;
  }
  keepers.set(target.process, { keeper });
  // It holds the instance's namespaces and sits in its cgroups: it ends with the instance's process.
  void target.process.exited.then(() => keeper.close());
  return keeper;
}

/**
 * Starts `options` in the target's container: through its keeper when it has one (or can start one), else
 * as a joined spawn. Throws as spawn() does when the process cannot start (a missing command, say).
 *
 * @example
 * const child = spawnInContainer(target, { file: 'cat', args: ['/tmp/healthy'], env, cwd: '/', stdio: ['ignore', 'pipe', 'pipe'] });
 * await child.exited; // { exitCode: 0, signal: null }
 */
export function spawnInContainer(target: ProbeTarget, options: ContainerSpawnOptions): PodProcess {
  const keeper = keeperOf(target);
  if (keeper !== undefined) {
    try {
      return keeper.spawn(options);
    } catch (error) {
      if (processFailed(error)) throw error;
      // The keeper is gone or stuck: this instance uses the joined spawn from now on.
      keeper.close();
      keepers.set(target.process, { unusable: (error as Error).message });
    }
  }
  return spawn({ ...options, ...confinement(target) });
}

/**
 * @internal Why the target's instance has no keeper ('' while it has one; undefined before its first exec).
 *
 * @example
 * keeperState(target); // '' once an exec probe went through its keeper
 */
export function keeperState(target: ProbeTarget): string | undefined {
  const entry = keepers.get(target.process);
  if (entry === undefined) return undefined;
  return 'keeper' in entry ? '' : entry.unusable;
}
