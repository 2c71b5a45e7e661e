/**
 * The request channel of `pod-init apply` for a running pod, as delete-request.ts is delete's: the
 * applying command writes `<pod state dir>/apply-request` (JSON, renamed into place) and then sends
 * SIGUSR2 to the pod's pod-init (its pid from the owners registry). That pod-init reads and removes
 * the file and carries the change out (runner.changeContainers). What travels here: each container's
 * image, command and args.
 *
 * The file: `{"images": {NAME: IMAGE}, "containers": {NAME: {"image", "command", "args"}}}`. `images`
 * is the first format's, still written, so a pod-init that predates `containers` (a supervisor started
 * by an older pod-init) carries out the image changes; it ignores the rest. `command`/`args` null: removed.
 * @module
 */
import type { ContainerChange } from './container-changes';
import { takeRequest, writeRequest } from './request-file';

const requestName = 'apply-request';

/** The signal that says a request is waiting (SIGUSR1 is Node's inspector's). */
export const applySignal = 'SIGUSR2';

/**
 * Asks for new container images (`NAME: IMAGE`) or whole changes (`NAME: {image, command, args}`); the
 * caller signals the pod-init ({@link applySignal}) next.
 *
 * @example
 * writeApplyRequest('/run/pod-init/default_web_1234', { app: 'registry.local/app:2' });
 * writeApplyRequest('/run/pod-init/default_web_1234', { app: { image: 'x', command: ['sh', '-c', 'echo 2'], args: null } });
 * process.kill(ownerPid, applySignal);
 */
export function writeApplyRequest(stateDir: string, changes: Record<string, string | ContainerChange>): void {
  const images: Record<string, string> = {};
  const containers: Record<string, ContainerChange> = {};
  for (const [name, change] of Object.entries(changes)) {
    const c = typeof change === 'string' ? { image: change } : change;
    if (c.image !== undefined && c.image !== '') images[name] = c.image;
    containers[name] = c;
  }
  writeRequest(stateDir, requestName, { images, containers });
}

const stringList = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');

/**
 * Reads and removes the pending request: the change of each container by name (what the file does not
 * say well formed is left out); undefined when there is none or it is unreadable. A file of the first
 * format (`images` only) gives image changes.
 *
 * @example
 * const changes = takeApplyChanges(runner.stateDir);
 * if (changes) await runner.changeContainers(changes);
 */
export function takeApplyChanges(stateDir: string): Map<string, ContainerChange> | undefined {
  const body = takeRequest(stateDir, requestName);
  if (body === undefined) return undefined;
  const changes = new Map<string, ContainerChange>();
  const { images, containers } = body;
  if (typeof containers === 'object' && containers !== null) {
    for (const [name, raw] of Object.entries(containers as Record<string, unknown>)) {
      if (typeof raw !== 'object' || raw === null) continue;
      const r = raw as Record<string, unknown>;
      const change: ContainerChange = {};
      if (typeof r.image === 'string' && r.image !== '') change.image = r.image;
      for (const field of ['command', 'args'] as const)
        if (r[field] === null || stringList(r[field])) change[field] = r[field] as string[] | null;
      changes.set(name, change);
    }
    return changes;
  }
  if (typeof images !== 'object' || images === null) return undefined;
  for (const [name, image] of Object.entries(images))
    if (typeof image === 'string' && image !== '') changes.set(name, { image });
  return changes;
}

/**
 * Reads and removes the pending request: the new images by container name (the first format's reading,
 * kept for library users; {@link takeApplyChanges} gives command and args too).
 *
 * @example
 * const images = takeApplyRequest(runner.stateDir);
 * if (images) await runner.changeImages(images);
 */
export function takeApplyRequest(stateDir: string): Map<string, string> | undefined {
  const changes = takeApplyChanges(stateDir);
  if (changes === undefined) return undefined;
  const images = new Map<string, string>();
  for (const [name, c] of changes) if (c.image !== undefined) images.set(name, c.image);
  return images;
}
