// parseCpArgs: kubectl cp's sides ([NS/]NAME:PATH vs a local path, ./a:b local), -c/-n/-q and the usage
// errors the CLI turns into exit 2; checkContainerPath: ".." refused, empty refused.
import { describe, expect, it } from 'vitest';
import { parseCpArgs } from '../../src/cli/cp-command';
import { PodOptionError } from '../../src/errors';
import { checkContainerPath } from '../../src/ops/copy';

describe('parseCpArgs', () => {
  it('tells the remote side from the local one', () => {
    expect(parseCpArgs(['web:/etc/hosts', 'hosts'])).toEqual({
      source: { namespace: undefined, name: 'web', path: '/etc/hosts' },
      destination: { local: 'hosts' },
      namespace: 'default',
      container: undefined,
      quiet: false,
      help: false,
    });
    expect(parseCpArgs(['-c', 'app', '-n', 'dev', './a:b', 'ns/web:rel/x'])).toMatchObject({
      source: { local: './a:b' },
      destination: { namespace: 'ns', name: 'web', path: 'rel/x' },
      namespace: 'dev',
      container: 'app',
    });
    expect(parseCpArgs(['--container=side', '-q', '/tmp/x', 'web:/'])).toMatchObject({ container: 'side', quiet: true }); // prettier-ignore
    expect(parseCpArgs(['-capp', 'web:/x', 'y'])).toMatchObject({ container: 'app' });
  });

  it('refuses what kubectl refuses, naming the argument', () => {
    expect(() => parseCpArgs(['web:/x'])).toThrow(/source and destination are required/);
    expect(() => parseCpArgs(['a', 'b'])).toThrow(/one of src or dest must be a remote file specification/);
    expect(() => parseCpArgs(['a:x', 'b:y'])).toThrow(/one of src or dest must be a local file specification/);
    expect(() => parseCpArgs(['--bogus', 'a:x', 'y'])).toThrow(PodOptionError);
    expect(() => parseCpArgs(['a:x', 'y', '-c'])).toThrow(/-c must be a value after it/);
  });
});

describe('checkContainerPath', () => {
  it('refuses ".." components and an empty path, and nothing else', () => {
    for (const p of ['/var/log', 'rel/x', '/', 'a..b/..c', '/x/./y']) expect(() => checkContainerPath(p)).not.toThrow();
    for (const p of ['..', '../etc', '/data/../../etc/passwd', 'a/..'])
      expect(() => checkContainerPath(p)).toThrow(/without "\.\." components/);
    expect(() => checkContainerPath('')).toThrow(/filepath can not be empty/);
  });
});
