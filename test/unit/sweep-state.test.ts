// sweepStaleState: which state directories count as left by a dead pod-init, and what is kept of them.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { claimPod } from '../../src/pod/owners';
import { isFinalStatus } from '../../src/pod/final-status';
import { sweepStaleState } from '../../src/pod/sweep-state';
import { isPodGone } from '../../src/pod/owners';

let root: string;
let owners: string;
beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'pod-init-sweep-state-'));
  owners = path.join(root, 'owners');
  fs.mkdirSync(owners);
});
afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

/** A state directory as a running pod has it: logs, roots, volumes, etc-hosts. */
function stateDir(name: string, uid: string): string {
  const dir = path.join(root, 'state', `default_${name}_${uid}`);
  fs.mkdirSync(path.join(dir, 'web'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'web', '0.log'), 'line\n');
  fs.mkdirSync(path.join(dir, 'roots', 'web', 'x'), { recursive: true });
  fs.mkdirSync(path.join(dir, 'volumes', 'scratch'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'etc-hosts'), '127.0.0.1 localhost\n');
  fs.writeFileSync(path.join(dir, 'events.jsonl'), '{"type":"Normal","reason":"Started"}\n');
  return dir;
}

describe('sweepStaleState', () => {
  it('sweeps a pod whose owner is dead: keeps the logs, writes Failed/NodeLost; the record still says it is gone', () => {
    const dir = stateDir('web', 'dead-uid');
    fs.writeFileSync(path.join(owners, 'dead-uid'), '999999999 12345\n'); // no such pid
    const messages: string[] = [];
    const swept = sweepStaleState(path.join(root, 'state'), owners, (m) => messages.push(m));
    expect(swept).toHaveLength(1);
    expect(swept[0]).toMatchObject({ dir, podUid: 'dead-uid' });
    expect([...swept[0]!.removed].sort()).toEqual(['etc-hosts', 'roots', 'volumes']);
    expect(fs.readdirSync(dir).sort()).toEqual(['events.jsonl', 'status.json', 'web']); // describe shows the events
    expect(fs.readFileSync(path.join(dir, 'web', '0.log'), 'utf8')).toBe('line\n');
    const status = JSON.parse(fs.readFileSync(path.join(dir, 'status.json'), 'utf8'));
    expect(status).toMatchObject({
      metadata: { name: 'web', namespace: 'default', uid: 'dead-uid' },
      status: { phase: 'Failed', reason: 'NodeLost' },
    });
    expect(messages).toEqual([
      expect.stringMatching(
        /^Removed the state of pod default\/web \(dead-uid\), left behind by a pod-init that is gone: .*kept its logs/,
      ),
    ]);
    // Kept, so that the cgroup sweep and the user namespace blocks know the pod is gone (owners.ts isPodGone).
    expect(isPodGone(owners, 'dead-uid')).toBe(true);
  });

  it("removes a running container's exec spec (its process is gone) and keeps the container's logs", () => {
    const dir = stateDir('exec', 'exec-uid');
    fs.writeFileSync(path.join(dir, 'web', 'exec.json'), '{"pid":999999999,"startTime":"1","env":{},"cwd":"/"}');
    fs.writeFileSync(path.join(dir, 'web', 'exec.records'), 'pid\x00999999999\x00'); // the native client's form
    fs.writeFileSync(path.join(owners, 'exec-uid'), '999999999 12345\n');
    const swept = sweepStaleState(path.join(root, 'state'), owners, () => undefined);
    expect(swept[0]!.removed).toEqual(expect.arrayContaining(['web/exec.json', 'web/exec.records']));
    expect(fs.readdirSync(path.join(dir, 'web'))).toEqual(['0.log']);
  });

  it('leaves alone a live owner, a pod without an owner record (starting), and a finished pod', () => {
    const live = stateDir('live', 'live-uid');
    claimPod(owners, 'live-uid');
    const starting = stateDir('starting', 'no-record');
    const finished = stateDir('finished', 'finished-uid');
    fs.writeFileSync(path.join(finished, 'status.json'), '{"status":{"phase":"Succeeded"}}\n');
    fs.writeFileSync(path.join(owners, 'finished-uid'), '999999999 12345\n');
    const before = [live, starting, finished].map((d) => fs.readdirSync(d).sort());
    expect(sweepStaleState(path.join(root, 'state'), owners, () => undefined)).toEqual([]);
    expect([live, starting, finished].map((d) => fs.readdirSync(d).sort())).toEqual(before);
  });

  it('sweeps a pod whose owner died while its status.json said Running, keeping its spec', () => {
    const dir = stateDir('busy', 'busy-uid');
    const running = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'busy', namespace: 'default', uid: 'busy-uid' },
      spec: { containers: [{ name: 'web' }] },
      status: { phase: 'Running', containerStatuses: [{ name: 'web', state: { running: {} } }] },
    };
    fs.writeFileSync(path.join(dir, 'status.json'), JSON.stringify(running));
    fs.writeFileSync(path.join(owners, 'busy-uid'), '999999999 12345\n');
    expect(sweepStaleState(path.join(root, 'state'), owners, () => undefined)).toHaveLength(1);
    const status = JSON.parse(fs.readFileSync(path.join(dir, 'status.json'), 'utf8'));
    expect(status).toMatchObject({ spec: running.spec, status: { phase: 'Failed', reason: 'NodeLost' } });
    expect(isFinalStatus(status)).toBe(true);
  });

  it('a terminal phase with a container still running is not final', () => {
    expect(isFinalStatus({ status: { phase: 'Failed', containerStatuses: [{ state: { running: {} } }] } })).toBe(false);
    expect(isFinalStatus({ status: { phase: 'Failed', containerStatuses: [{ state: { terminated: {} } }] } })).toBe(
      true,
    );
    expect(isFinalStatus({})).toBe(false);
  });

  it('a missing state root is nothing to sweep', () => {
    expect(sweepStaleState(path.join(root, 'nothing'), owners, () => undefined)).toEqual([]);
  });
});
