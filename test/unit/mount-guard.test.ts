// A mount step's `guard` (src/spawn.ts): what is checked by fd in the child is validated before any
// process is made, with the option's path (the checks themselves run in test/escapes/mask-source).
import { describe, expect, it } from 'vitest';
import { PodOptionError, spawn } from '../../src';
import type { MountStep } from '../../src/process/spawn';

const start = (step: MountStep) => () => spawn({ file: 'true', newNamespaces: ['mnt'], mounts: [step] });

describe('MountStep guard', () => {
  it('refuses an unknown source or target check, and a source check without a source', () => {
    const bad: Array<[MountStep, string]> = [
      [
        { type: 'mount', source: '/dev/null', target: '/x', guard: { source: 'nope' as 'tmpfs' } },
        'options.mounts[0].guard.source',
      ],
      [{ type: 'mount', target: '/x', guard: { source: 'dev-null' } }, 'options.mounts[0].guard.source'],
      [
        { type: 'mount', source: 'tmpfs', target: '/x', guard: { target: 'tmpfs' as 'proc' } },
        'options.mounts[0].guard.target',
      ],
    ];
    for (const [step, field] of bad) {
      expect(start(step)).toThrow(PodOptionError);
      expect(start(step)).toThrow(field);
    }
  });
});
