// $(VAR) expansion, after the kubelet's third_party/forked/golang/expansion tests (KUBERNETES.md A.3, E6).
import { describe, expect, it } from 'vitest';
import { expand, expandEnvList } from '../../src/pod/expand';

const vars: Record<string, string> = { VAR_A: 'A', VAR_B: 'B', VAR_C: 'C', VAR_REF: '$(VAR_A)', VAR_EMPTY: '' };
const lookup = (name: string) => vars[name];

describe('expand', () => {
  it.each([
    ['$(VAR_A)', 'A'],
    ['___$(VAR_B)___', '___B___'],
    ['$(VAR_A)-$(VAR_A)', 'A-A'],
    ['$(VAR_A)$(VAR_B)$(VAR_C)', 'ABC'],
    ['$(VAR_REF)', '$(VAR_A)'], // values are not expanded again
    ['$(VAR_EMPTY)', ''],
    ['$(UNKNOWN)', '$(UNKNOWN)'], // unknown references stay verbatim
    ['$$(VAR_A)', '$(VAR_A)'], // $$ escapes
    ['$$$(VAR_A)', '$A'],
    ['$$$$(VAR_A)', '$$(VAR_A)'],
    ['echo $$HOME', 'echo $HOME'],
    ['$HOME', '$HOME'], // a lone $ before anything but ( or $ stays
    ['$(VAR_A', '$(VAR_A'], // unclosed
    ['$', '$'],
    ['$()', '$()'], // an empty name is looked up and unknown
    ['f$(VAR_A)x$', 'fAx$'],
    ['', ''],
  ])('%j -> %j', (input, output) => {
    expect(expand(input, lookup)).toBe(output);
  });
});

describe('expandEnvList', () => {
  it('sees only variables defined earlier; later definitions win', () => {
    const env = expandEnvList([
      { name: 'A', value: 'x' },
      { name: 'B', value: '$(A)-$(C)' },
      { name: 'C', value: 'z' },
      { name: 'A', value: '$(A)$(A)' },
    ]);
    expect(Object.fromEntries(env)).toEqual({ A: 'xx', B: 'x-$(C)', C: 'z' });
  });

  it('starts from a base (service variables, defaults)', () => {
    const env = expandEnvList([{ name: 'URL', value: 'http://$(HOST):80' }], new Map([['HOST', 'web']]));
    expect(env.get('URL')).toBe('http://web:80');
  });
});
