// `pod-init delete`'s flags (delete-command.ts): kubectl's grace rules and the ways to name a pod.
import { describe, expect, it } from 'vitest';
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
    expect(() => parseDeleteArgs(['-f', '/nonexistent/pod.yaml'])).toThrow(/^--filename must be a readable manifest/);
  });
});
