/**
 * What `apply` changes in a running pod's containers (runner.changeContainers): a new image, command
 * or args per container, carried into the pod's spec. The kubelet restarts a running container whose
 * spec hash changed; before 1.31 that hash covered the whole container spec, so a command change
 * restarted it too. The API server lets a running pod change only images: command and args are
 * pod-init's own extension on this host (apply-command.ts warns).
 * @module
 */
import type { ContainerSpec } from './types';

/**
 * One container's change: a field that is absent stays as it is; `command` or `args` null removes it
 * (the image's entrypoint or cmd then applies, as in a manifest without it).
 */
export interface ContainerChange {
  image?: string;
  command?: string[] | null;
  args?: string[] | null;
}

const sameList = (a: readonly string[] | undefined, b: readonly string[] | undefined): boolean =>
  a === undefined || b === undefined ? a === b : a.length === b.length && a.every((x, i) => x === b[i]);

/**
 * Carries `changes` (by container name) into `specs` in place; returns the names of the containers
 * that changed (a change to what a container already has is none).
 *
 * @example
 * changeContainerSpecs(pod.spec.containers, new Map([['app', { command: ['sh', '-c', 'echo v2'] }]])); // ['app']
 */
export function changeContainerSpecs(
  specs: readonly ContainerSpec[],
  changes: ReadonlyMap<string, ContainerChange>,
): string[] {
  const changed: string[] = [];
  for (const spec of specs) {
    const change = changes.get(spec.name);
    if (change === undefined) continue;
    let differs = false;
    if (change.image !== undefined && change.image !== '' && change.image !== spec.image) {
      spec.image = change.image;
      differs = true;
    }
    for (const field of ['command', 'args'] as const) {
      const value = change[field];
      if (value === undefined || sameList(spec[field], value ?? undefined)) continue;
      if (value !== null) spec[field] = [...value];
      else if (field === 'command') delete spec.command;
      else delete spec.args;
      differs = true;
    }
    if (differs) changed.push(spec.name);
  }
  return changed;
}
