// logTarget: which CRI file an instance's log is, and the API server's words when there is none.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ListedPod } from '../../src/ops/pod-list';
import { logTarget } from '../../src/ops/pod-logs';

let dir: string;
beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pod-init-log-target-'))));
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function listed(statuses: Array<{ name: string; restartCount: number; state: object }>): ListedPod {
  return {
    dir,
    live: true,
    pod: {
      metadata: { name: 'web' },
      spec: { initContainers: [{ name: 'init' }], containers: [{ name: 'app' }, { name: 'side' }] },
      status: { containerStatuses: statuses },
    },
  };
}

describe('logTarget', () => {
  it('no container named on a pod with several: the choices, init containers apart', () => {
    expect(() => logTarget(listed([]), {})).toThrow(
      'Error from server (BadRequest): a container name must be specified for pod web, choose one of: [app side] or one of the init containers: [init]',
    );
  });

  it('the current instance is <restartCount>.log; --previous the one before', () => {
    fs.mkdirSync(path.join(dir, 'app'));
    fs.writeFileSync(path.join(dir, 'app', '2.log'), '');
    fs.writeFileSync(path.join(dir, 'app', '1.log'), '');
    const pod = listed([{ name: 'app', restartCount: 2, state: { running: {} } }]);
    expect(logTarget(pod, { container: 'app' })).toEqual({
      container: 'app',
      file: path.join(dir, 'app', '2.log'),
      instance: 2,
    });
    expect(logTarget(pod, { container: 'app', previous: true }).file).toBe(path.join(dir, 'app', '1.log'));
  });

  it('a container waiting to start, and no previous instance', () => {
    const pod = listed([{ name: 'side', restartCount: 0, state: { waiting: { reason: 'ContainerCreating' } } }]);
    expect(() => logTarget(pod, { container: 'side' })).toThrow(
      'Error from server (BadRequest): container "side" in pod "web" is waiting to start: ContainerCreating',
    );
    expect(() => logTarget(pod, { container: 'side', previous: true })).toThrow(
      'Error from server (BadRequest): previous terminated container "side" in pod "web" not found',
    );
  });
});
