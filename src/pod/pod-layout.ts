/**
 * Where a pod's things live and what it is called on this host, from its runner's options and the
 * host's facts (no environment read): its state directory, the owners registry, the state root to check
 * private, the live-names registry, its hostname and its /dev/shm.
 * @module
 */
import path from 'node:path';
import { defaultOwnersDir } from './owners';
import type { PodNameRegistry } from './pod-names';
import type { PodRunnerOptions } from './runner-options';
import { defaultStateRoot } from './state-root';
import type { PodSpecObject } from './types';

/** The host's facts a layout depends on. */
export interface HostFacts {
  euid: number;
  /** os.tmpdir() */
  tmpdir: string;
  /** os.hostname(): a hostNetwork pod's hostname. */
  hostname: string;
}

/** A pod's places and names. */
export interface PodLayout {
  /** `<root>/<namespace>_<name>_<uid>`: logs, status.json, events.jsonl, roots and volumes. */
  stateDir: string;
  /** The registry of live pod-inits by pod uid (owners.ts). */
  ownersDir: string;
  /** The state root, when it is pod-init's own choice: made 0700 and checked private before use. */
  privateRoot?: string;
  /** The names of the live pods of the state root (pod-names.ts). */
  names: PodNameRegistry;
  /** The `--hosts` group's directory (hosts-group.ts). */
  hostsDir: string;
  /** The pod's hostname: spec.hostname, else its name cut to 63 characters; the host's with hostNetwork. */
  hostname: string;
  /** The pod's /dev/shm, a tmpfs in its mount namespace (undefined with hostIPC: the host's). */
  shm?: string;
}

/**
 * The layout of `pod` (its metadata defaulted: uid and namespace set).
 *
 * @example
 * podLayout(pod, {}, { euid: 0, tmpdir: '/tmp', hostname: 'h' }).stateDir;
 * // '/run/pod-init/default_web_0b6f…'
 */
export function podLayout(pod: PodSpecObject, options: PodRunnerOptions, host: HostFacts): PodLayout {
  const m = pod.metadata;
  const ownersDir = options.ownersDir ?? defaultOwnersDir(host.tmpdir, host.euid);
  const root = options.stateRoot ?? defaultStateRoot(host.euid);
  const stateDir = path.join(root, `${m.namespace}_${m.name}_${m.uid}`);
  const layout: PodLayout = {
    stateDir,
    ownersDir,
    names: { dir: path.join(root, '.names'), ownersDir },
    hostsDir: path.join(root, '.hosts'),
    hostname: pod.spec.hostNetwork ? host.hostname : (pod.spec.hostname ?? m.name.slice(0, 63).replace(/[-.]+$/, '')),
  };
  if (options.privateStateRoot ?? options.stateRoot === undefined) layout.privateRoot = root;
  if (!pod.spec.hostIPC) layout.shm = path.join(stateDir, 'shm');
  return layout;
}
