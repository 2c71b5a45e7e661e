import { describe, expect, it } from 'vitest';
import { imageArgv, imageEnv, imageStopSignal } from '../../../src/image/image-config';

const config = { config: { Entrypoint: ['/entry'], Cmd: ['cmd', 'x'], Env: ['PATH=/img/bin', 'A=image', 'B=image'] } };

describe('imageArgv (the Kubernetes command/args table)', () => {
  it.each([
    [false, false, [], ['/entry', 'cmd', 'x']],
    [true, false, ['/c'], ['/c']],
    [false, true, ['a1'], ['/entry', 'a1']],
    [true, true, ['/c', 'a1'], ['/c', 'a1']],
  ])('command %s, args %s', (hasCommand, hasArgs, argv, expected) => {
    expect(imageArgv({ hasCommand, hasArgs }, argv, config)).toEqual(expected);
  });

  it('an Entrypoint of [""] is unset; nothing at all is an empty argv (no command specified)', () => {
    expect(imageArgv({ hasCommand: false, hasArgs: false }, [], { config: { Entrypoint: [''], Cmd: ['sh'] } })).toEqual(
      ['sh'],
    );
    expect(imageArgv({ hasCommand: false, hasArgs: false }, [], {})).toEqual([]);
  });
});

describe('imageEnv', () => {
  it("puts the container's env over the image's, and the image's PATH over the runtime default", () => {
    const env = new Map([
      ['PATH', '/usr/bin'],
      ['HOSTNAME', 'h'],
      ['A', 'container'],
    ]);
    expect([...imageEnv(config, env, new Set(['PATH']))]).toEqual([
      ['PATH', '/img/bin'],
      ['B', 'image'],
      ['HOSTNAME', 'h'],
      ['A', 'container'],
    ]);
    expect(imageEnv(config, env).get('PATH')).toBe('/usr/bin');
  });
});

describe('imageStopSignal', () => {
  it.each([
    ['SIGUSR1', 'SIGUSR1'],
    ['usr1', 'SIGUSR1'],
    ['SIGRTMIN+3', 'SIGRTMIN+3'],
    ['9', undefined],
    [undefined, undefined],
  ])('%s is %s', (input, name) => expect(imageStopSignal(input)).toBe(name));
});
