import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { claimPod } from '../../src/pod/owners';
import { claimPodName, PodAlreadyExistsError, releasePodName } from '../../src/pod/pod-names';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pod-init-names-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** A pid that no process has any more. */
function deadPid(): number {
  return spawnSync('true').pid!;
}

describe('one live pod per namespace/name', () => {
  it('a second live pod of the same namespace/name is refused in the API server words', () => {
    const dir = path.join(tmp, 'a');
    const names = { dir: path.join(dir, '.names'), ownersDir: dir };
    claimPod(dir, 'uid-1');
    claimPod(dir, 'uid-2');
    claimPodName(names, 'default', 'web', 'uid-1');
    let thrown: unknown;
    try {
      claimPodName(names, 'default', 'web', 'uid-2');
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(PodAlreadyExistsError);
    expect((thrown as Error).message).toBe('pods "web" already exists');
    expect((thrown as PodAlreadyExistsError).pod).toEqual({ namespace: 'default', name: 'web', uid: 'uid-1' });
    // Another namespace, or another name, is another pod.
    claimPodName(names, 'prod', 'web', 'uid-2');
    claimPodName(names, 'default', 'api', 'uid-2');
    // Another state root is another set of names.
    claimPodName({ dir: path.join(tmp, 'a2', '.names'), ownersDir: dir }, 'default', 'web', 'uid-2');
  });

  it('is free again once released, and only its holder releases it', () => {
    const dir = path.join(tmp, 'b');
    const names = { dir: path.join(dir, '.names'), ownersDir: dir };
    claimPod(dir, 'uid-1');
    claimPod(dir, 'uid-2');
    claimPodName(names, 'default', 'web', 'uid-1');
    releasePodName(names, 'default', 'web', 'uid-2'); // not its holder: nothing changes
    expect(() => claimPodName(names, 'default', 'web', 'uid-2')).toThrow(PodAlreadyExistsError);
    releasePodName(names, 'default', 'web', 'uid-1');
    claimPodName(names, 'default', 'web', 'uid-2');
  });

  it('a name held by a pod whose pod-init is gone (kill -9) is taken over', () => {
    const dir = path.join(tmp, 'c');
    const names = { dir: path.join(dir, '.names'), ownersDir: dir };
    claimPod(dir, 'uid-1');
    claimPod(dir, 'uid-2');
    claimPodName(names, 'default', 'web', 'uid-1');
    fs.writeFileSync(path.join(dir, 'uid-1'), `${deadPid()} 1\n`); // its owner record: a process that is gone
    claimPodName(names, 'default', 'web', 'uid-2');
    expect(fs.readFileSync(path.join(dir, '.names', 'default_web'), 'utf8')).toBe('uid-2\n');
  });
});
