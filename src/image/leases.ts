/**
 * Which images running pods use: a pod that runs a pulled image holds a lease file in the store,
 * `<store>/leases/<pid>-<start time>-<rand>.json` (`{pod, images: {reference: {config, diffIds}}}`),
 * written when it gets the image and removed when the pod ends. A lease whose process is gone (its pid
 * dead, or reused: field 22 of /proc/PID/stat differs) is stale and ignored (then removed), so a
 * pod-init killed with -9 never pins an image forever. `rmi` and `prune` (gc.ts) spare leased images.
 * @module
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { writeFileAtomically } from '../atomic-file';
import type { ImageRecord } from './store';

/** What one lease says. */
export interface LeaseContent {
  pid: number;
  startTime: string;
  /** `namespace/name` of the pod. */
  pod: string;
  images: Record<string, { config: string; diffIds: string[] }>;
}

function startTime(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

/**
 * A pod's lease on the images it runs.
 *
 * @example
 * const lease = new ImageLease('/var/lib/pod-init/images', 'default/web');
 * lease.hold('docker.io/library/busybox:1', record);
 * lease.release(); // at the pod's end
 */
export class ImageLease {
  readonly file: string;
  readonly #content: LeaseContent;

  constructor(storeDir: string, pod: string) {
    const dir = path.join(storeDir, 'leases');
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const start = startTime(process.pid) ?? '0';
    this.file = path.join(dir, `${process.pid}-${start}-${randomBytes(4).toString('hex')}.json`);
    this.#content = { pid: process.pid, startTime: start, pod, images: {} };
  }

  /** Adds an image to the lease (written at once, atomically). */
  hold(reference: string, record: Pick<ImageRecord, 'config' | 'diffIds'>): void {
    this.#content.images[reference] = { config: record.config, diffIds: record.diffIds };
    writeFileAtomically(this.file, JSON.stringify(this.#content));
  }

  release(): void {
    fs.rmSync(this.file, { force: true });
  }
}

/**
 * The live leases of a store; stale ones (their process gone) are removed.
 *
 * @example
 * liveLeases('/var/lib/pod-init/images').map((l) => l.pod);
 */
export function liveLeases(storeDir: string): LeaseContent[] {
  const dir = path.join(storeDir, 'leases');
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  const live: LeaseContent[] = [];
  for (const name of names.filter((n) => n.endsWith('.json'))) {
    let content: LeaseContent;
    try {
      content = JSON.parse(fs.readFileSync(path.join(dir, name), 'utf8')) as LeaseContent;
    } catch {
      continue; // being replaced (rename is atomic: a reader sees old or new) or not ours
    }
    if (startTime(content.pid) === content.startTime) live.push(content);
    else fs.rmSync(path.join(dir, name), { force: true });
  }
  return live;
}
