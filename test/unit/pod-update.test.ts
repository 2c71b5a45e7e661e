import { describe, expect, it } from 'vitest';
import { canonicalJson, comparePods, type ComparedPod, unifiedDiff } from '../../src/ops/pod-update';

const pod = (spec: Record<string, unknown>, metadata: Partial<ComparedPod['metadata']> = {}): ComparedPod => ({
  metadata: { name: 'web', ...metadata },
  spec,
});
const containers = (...images: string[]) =>
  images.map((image, i) => ({ name: `c${i}`, image, command: ['sleep', '1'] }));

describe('apply: what the API server lets change in a running pod', () => {
  it('the same spec in another key order is unchanged', () => {
    const a = pod({ containers: containers('a'), restartPolicy: 'Always' });
    const b = pod({ restartPolicy: 'Always', containers: [{ command: ['sleep', '1'], image: 'a', name: 'c0' }] });
    expect(comparePods(a, b)).toEqual({ kind: 'unchanged' });
  });

  it('images, labels, a lower activeDeadlineSeconds, added tolerations are allowed', () => {
    const current = pod({ containers: containers('a', 'b'), activeDeadlineSeconds: 60, tolerations: [{ key: 'k' }] });
    const next = pod(
      {
        containers: containers('a', 'b2'),
        activeDeadlineSeconds: 30,
        tolerations: [{ key: 'k' }, { key: 'l' }],
      },
      { labels: { app: 'web' } },
    );
    expect(comparePods(current, next)).toEqual({
      kind: 'allowed',
      changes: ['metadata.labels', 'spec.containers[1].image', 'spec.activeDeadlineSeconds', 'spec.tolerations'],
    });
  });

  it('terminationGracePeriodSeconds only from negative to 1', () => {
    const current = pod({ containers: containers('a'), terminationGracePeriodSeconds: -1 });
    expect(comparePods(current, pod({ containers: containers('a'), terminationGracePeriodSeconds: 1 })).kind).toBe(
      'allowed',
    );
    expect(comparePods(current, pod({ containers: containers('a'), terminationGracePeriodSeconds: 5 })).kind).toBe(
      'forbidden',
    );
  });

  it('a changed command is Forbidden in the API server words, with a unified diff', () => {
    const current = pod({ containers: containers('a') });
    const next = pod({ containers: [{ name: 'c0', image: 'a', command: ['sleep', '2'] }] });
    const verdict = comparePods(current, next);
    expect(verdict.kind).toBe('forbidden');
    const message = (verdict as { message: string }).message;
    expect(message.split('\n')[0]).toBe(
      'The Pod "web" is invalid: spec: Forbidden: pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)',
    );
    expect(message).toContain('-        "1"\n+        "2"\n');
  });

  it("with { commands: true } command and args of any container are changes too (pod-init's extension)", () => {
    const current = pod({ containers: containers('a', 'b'), initContainers: [{ name: 'i', image: 'a', args: ['1'] }] });
    const next = pod({
      containers: [
        { name: 'c0', image: 'a', command: ['sleep', '2'] },
        { name: 'c1', image: 'b2', command: ['sleep', '1'], args: ['x'] },
      ],
      initContainers: [{ name: 'i', image: 'a' }],
    });
    expect(comparePods(current, next, { commands: true })).toEqual({
      kind: 'allowed',
      changes: [
        'spec.containers[0].command',
        'spec.containers[1].image',
        'spec.containers[1].args',
        'spec.initContainers[0].args',
      ],
    });
    // The API server's verdict is unchanged without the option.
    expect(comparePods(current, next).kind).toBe('forbidden');
    // Anything else still forbidden with the option.
    const env = pod({
      containers: [{ ...containers('a')[0], command: ['sleep', '2'], env: [{ name: 'A', value: '1' }] }],
    });
    const verdict = comparePods(pod({ containers: containers('a') }), env, { commands: true });
    expect(verdict.kind).toBe('forbidden');
    expect((verdict as { message: string }).message).toMatch(/^\+ +"name": "A"/m);
  });

  it('removed tolerations, a raised or removed deadline, added containers are refused', () => {
    const current = pod({ containers: containers('a'), activeDeadlineSeconds: 60, tolerations: [{ key: 'k' }] });
    expect(comparePods(current, pod({ containers: containers('a'), activeDeadlineSeconds: 60 })).kind).toBe(
      'forbidden',
    );
    expect(
      comparePods(
        current,
        pod({ containers: containers('a'), activeDeadlineSeconds: 90, tolerations: [{ key: 'k' }] }),
      ),
    ).toEqual({
      kind: 'forbidden',
      message:
        'The Pod "web" is invalid: spec.activeDeadlineSeconds: Invalid value: 90: must be less than or equal to previous value',
    });
    expect(comparePods(current, pod({ containers: containers('a'), tolerations: [{ key: 'k' }] }))).toMatchObject({
      message: expect.stringContaining('must not update from a positive integer to nil value') as string,
    });
    expect(
      comparePods(
        current,
        pod({ containers: containers('a', 'b'), activeDeadlineSeconds: 60, tolerations: [{ key: 'k' }] }),
      ),
    ).toEqual({
      kind: 'forbidden',
      message: 'The Pod "web" is invalid: spec.containers: Forbidden: pod updates may not add or remove containers',
    });
  });
});

describe('unifiedDiff', () => {
  it('hunks with 3 lines of context, removals before additions', () => {
    const a = ['1', '2', '3', '4', '5', '6', '7', '8', '9', '10', '11', '12'];
    const b = ['1', '2', '3', '4', 'five', '6', '7', '8', '9', '10', '11', 'twelve'];
    expect(unifiedDiff(a, b)).toBe(
      '@@ -2,11 +2,11 @@\n 2\n 3\n 4\n-5\n+five\n 6\n 7\n 8\n 9\n 10\n 11\n-12\n+twelve\n',
    );
    expect(unifiedDiff(['a', 'b'], ['a', 'c'])).toBe('@@ -1,2 +1,2 @@\n a\n-b\n+c\n');
    expect(unifiedDiff(['a'], ['a'])).toBe('');
  });

  it('far-apart changes are separate hunks', () => {
    const a = Array.from({ length: 20 }, (_, i) => `${i}`);
    const b = a.map((l, i) => (i === 1 || i === 18 ? `x${l}` : l));
    expect(unifiedDiff(a, b).match(/^@@/gm)).toHaveLength(2);
  });

  it('canonicalJson sorts keys at every depth', () => {
    expect(canonicalJson({ b: 1, a: { d: 2, c: [{ f: 1, e: 2 }] } })).toBe('{"a":{"c":[{"e":2,"f":1}],"d":2},"b":1}');
  });
});
