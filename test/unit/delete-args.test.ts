// `pod-init delete`'s flags (delete-command.ts): kubectl's grace rules and the ways to name a pod.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseApplyArgs } from '../../src/cli/apply-command';
import { parseDeleteArgs } from '../../src/cli/delete-command';

const grace = (...args: string[]) => parseDeleteArgs(['web', ...args]).gracePeriod;

describe('parseDeleteArgs', () => {
  it("computes the grace as kubectl does: -1 the pod's own, 0 means 1 unless --force, --now is 1", () => {
    expect(grace()).toBeUndefined();
    expect(grace('--grace-period', '-1')).toBeUndefined();
    expect(grace('--grace-period', '5')).toBe(5);
    expect(grace('--grace-period=0')).toBe(1);
    expect(grace('--grace-period', '0', '--force')).toBe(0);
    expect(grace('--force')).toBe(0);
    expect(grace('--now')).toBe(1);
  });

  it('names pods as kubectl does (pod NAME, pods/NAME, NAME...), in -n NS; --wait defaults to true', () => {
    expect(parseDeleteArgs(['pod', 'a', 'b', '-n', 'ns'])).toEqual({
      pods: [
        { namespace: 'ns', name: 'a' },
        { namespace: 'ns', name: 'b' },
      ],
      gracePeriod: undefined,
      wait: true,
    });
    expect(parseDeleteArgs(['pods/a', 'po/b']).pods.map((p) => p.name)).toEqual(['a', 'b']);
    expect(parseDeleteArgs(['a', '--wait=false']).wait).toBe(false);
    expect(parseDeleteArgs(['a', '--wait']).wait).toBe(true);
  });

  it('refuses bad input naming the flag', () => {
    expect(() => parseDeleteArgs([])).toThrow(/^NAME must be one or more pod names, or -f FILE/);
    expect(() => parseDeleteArgs(['a', '--grace-period', '-2'])).toThrow(/^--grace-period must be an integer ≥ -1/);
    expect(() => parseDeleteArgs(['a', '--now', '--grace-period', '3'])).toThrow(/^--now must be absent/);
    expect(() => parseDeleteArgs(['a', '--wait=soon'])).toThrow(/^--wait must be true or false/);
    expect(() => parseDeleteArgs(['deployment/a'])).toThrow(/^NAME must be a pod/);
    expect(() => parseDeleteArgs(['-f', '/nonexistent/pod.yaml'])).toThrow(/^FILE must be a readable manifest/);
  });
});

describe('-f FILE|DIR (repeatable) for delete and apply', () => {
  let dir = '';
  const pod = (name: string, namespace?: string) =>
    `apiVersion: v1\nkind: Pod\nmetadata:\n  name: ${name}\n${namespace ? `  namespace: ${namespace}\n` : ''}` +
    'spec:\n  containers:\n    - { name: app, image: x }\n';
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pod-init-delete-args-'));
    fs.mkdirSync(path.join(dir, 'pods'));
    fs.writeFileSync(path.join(dir, 'pods', 'a.yaml'), pod('a'));
    fs.writeFileSync(path.join(dir, 'pods', 'b.yaml'), `${pod('b', 'ns')}---\n${pod('c')}`);
    fs.writeFileSync(path.join(dir, 'd.yaml'), pod('d'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('delete -f DIR -f FILE names every Pod of them, in order, with its namespace (else -n)', () => {
    expect(parseDeleteArgs(['-f', path.join(dir, 'pods'), '-f', path.join(dir, 'd.yaml'), '-n', 'x']).pods).toEqual([
      { namespace: 'x', name: 'a' },
      { namespace: 'ns', name: 'b' },
      { namespace: 'x', name: 'c' },
      { namespace: 'x', name: 'd' },
    ]);
    expect(() => parseDeleteArgs(['-f', path.join(dir, 'pods'), 'a'])).toThrow(/^NAME must be absent with --filename/);
  });

  it('apply keeps every -f in order and hands them to the supervisors as run -d -f ...', () => {
    const options = parseApplyArgs(['-f', 'pods/', '--filename=d.yaml', '--restart-backoff', '0']);
    expect(options.files).toEqual(['pods/', 'd.yaml']);
    expect(options.runArgs).toEqual(['--restart-backoff', '0', '-d', '-f', 'pods/', '-f', 'd.yaml']);
    expect(() => parseApplyArgs(['--restart-backoff', '0'])).toThrow(/^--filename must be the manifests to apply/);
  });
});
