import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { takeApplyChanges, takeApplyRequest, writeApplyRequest } from '../../src/pod/apply-request';
import { changeContainerSpecs } from '../../src/pod/container-changes';
import type { ContainerSpec } from '../../src/pod/types';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pod-init-apply-request-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('changeContainerSpecs (runner.changeContainers)', () => {
  it('carries image, command and args into the specs; returns only the containers that differ', () => {
    const specs: ContainerSpec[] = [
      { name: 'a', image: 'x', command: ['sleep', '1'] },
      { name: 'b', image: 'x', command: ['sh'], args: ['-c', 'echo 1'] },
      { name: 'c', image: 'x' },
    ];
    const changed = changeContainerSpecs(
      specs,
      new Map([
        ['a', { image: 'x', command: ['sleep', '1'], args: null }], // what it has: no change
        ['b', { image: 'x', command: null, args: ['-c', 'echo 2'] }],
        ['c', { image: 'y' }],
        ['missing', { image: 'z' }],
      ]),
    );
    expect(changed).toEqual(['b', 'c']);
    expect(specs).toEqual([
      { name: 'a', image: 'x', command: ['sleep', '1'] },
      { name: 'b', image: 'x', args: ['-c', 'echo 2'] },
      { name: 'c', image: 'y' },
    ]);
    expect(changeContainerSpecs(specs, new Map([['b', { args: ['-c', 'echo 2'] }]]))).toEqual([]);
  });
});

describe('apply-request: the file between apply and the pod-init', () => {
  it('round-trips command and args (null: removed); the images are readable in the first format', () => {
    writeApplyRequest(dir, { a: { image: 'x', command: ['sh', '-c', 'echo 2'], args: null }, b: 'busybox' });
    const written = JSON.parse(fs.readFileSync(path.join(dir, 'apply-request'), 'utf8')) as Record<string, unknown>;
    expect(written.images).toEqual({ a: 'x', b: 'busybox' });
    expect(takeApplyChanges(dir)).toEqual(
      new Map([
        ['a', { image: 'x', command: ['sh', '-c', 'echo 2'], args: null }],
        ['b', { image: 'busybox' }],
      ]),
    );
    expect(fs.existsSync(path.join(dir, 'apply-request'))).toBe(false);
    expect(takeApplyChanges(dir)).toBeUndefined();
  });

  it('a request of the first format ({images}) gives image changes; takeApplyRequest still gives images', () => {
    fs.writeFileSync(path.join(dir, 'apply-request'), '{"images":{"app":"registry.local/app:2","bad":7}}\n');
    expect(takeApplyChanges(dir)).toEqual(new Map([['app', { image: 'registry.local/app:2' }]]));
    writeApplyRequest(dir, { app: { image: 'y', command: ['true'] } });
    expect(takeApplyRequest(dir)).toEqual(new Map([['app', 'y']]));
  });

  it('ill-formed fields are left out', () => {
    fs.writeFileSync(
      path.join(dir, 'apply-request'),
      '{"containers":{"a":{"command":"sh -c x","args":[1],"image":""},"b":null}}\n',
    );
    expect(takeApplyChanges(dir)).toEqual(new Map([['a', {}]]));
  });
});
