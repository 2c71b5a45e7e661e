// parseExecArgs: kubectl exec's flags (-i, -t, -it, -c, -n, --container=, pod/NAME) and the usage errors
// (no command after --, no pod, two pods, an unknown flag) that the CLI turns into exit 2.
import { describe, expect, it } from 'vitest';
import { parseExecArgs } from '../../src/cli/exec-command';
import { PodOptionError } from '../../src/errors';

describe('parseExecArgs', () => {
  it('reads the flags before -- and keeps everything after it as the command', () => {
    expect(parseExecArgs(['-it', 'web', '-c', 'app', '-n', 'dev', '--', 'sh', '-c', 'echo -n x'])).toEqual({
      name: 'web',
      namespace: 'dev',
      container: 'app',
      stdin: true,
      tty: true,
      quiet: false,
      command: ['sh', '-c', 'echo -n x'],
      help: false,
    });
    const long = parseExecArgs(['pod/web', '--stdin', '--container=side', '--namespace=x', '--', 'ls', '--', 'y']);
    expect(long).toMatchObject({ name: 'web', stdin: true, tty: false, container: 'side', namespace: 'x' });
    expect(long.command).toEqual(['ls', '--', 'y']);
    expect(parseExecArgs(['-t', 'web', '-capp', '--', 'tty'])).toMatchObject({
      tty: true,
      stdin: false,
      container: 'app',
    });
    expect(parseExecArgs(['web', '--', 'true'])).toMatchObject({ namespace: 'default', container: undefined });
  });

  it('refuses what kubectl refuses, naming the argument', () => {
    const refused = (args: string[], field: RegExp) => {
      expect(() => parseExecArgs(args)).toThrow(PodOptionError);
      expect(() => parseExecArgs(args)).toThrow(field);
    };
    refused(['web'], /COMMAND/);
    refused(['web', 'ls'], /COMMAND/);
    refused(['web', '--'], /COMMAND/);
    refused(['--', 'ls'], /NAME/);
    refused(['web', 'db', '--', 'ls'], /COMMAND/);
    refused(['-x', 'web', '--', 'ls'], /-x/);
    refused(['web', '-c', '--', 'ls'], /-c/);
  });

  it('--help needs nothing else', () => {
    expect(parseExecArgs(['--help']).help).toBe(true);
  });
});
