// Termination messages as the kubelet reads them (src/pod/termination.ts; kuberuntime_container.go).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { lastBytes, messageShare, terminationMessage, truncateBytes } from '../../src/pod/termination';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pod-init-message-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('terminationMessage', () => {
  const file = (content: string) => {
    const p = path.join(tmp, `m${Math.random()}`);
    fs.writeFileSync(p, content);
    return p;
  };
  const lines = Array.from({ length: 100 }, (_, i) => `line ${i + 1}`);

  it('a FIFO or a symlink in place of the file is read as empty, without blocking (the test has a deadline)', () => {
    const fifo = path.join(tmp, 'fifo');
    execFileSync('mkfifo', [fifo]);
    const fallback = { policy: 'FallbackToLogsOnError', logTail: ['last line'] };
    expect(terminationMessage({ ...fallback, file: fifo, exitCode: 1 })).toBe('last line\n');
    expect(terminationMessage({ policy: 'File', logTail: [], file: fifo, exitCode: 0 })).toBeUndefined();
    const link = path.join(tmp, 'link');
    fs.symlinkSync(file('secret of the host'), link);
    expect(terminationMessage({ policy: 'File', logTail: [], file: link, exitCode: 0 })).toBeUndefined();
  }, 5000);

  it('is what the file says, its last 4096 bytes', () => {
    expect(terminationMessage({ file: file('bye'), policy: 'File', exitCode: 0, logTail: lines })).toBe('bye');
    const long = terminationMessage({ file: file(`${'x'.repeat(5000)}END`), policy: 'File', exitCode: 1, logTail: [] });
    expect(long).toBe(`${'x'.repeat(4093)}END`);
  });

  it('falls back to the logs only with FallbackToLogsOnError, a failure and nothing written', () => {
    const fallback = { policy: 'FallbackToLogsOnError', logTail: lines };
    expect(terminationMessage({ ...fallback, file: file(''), exitCode: 1 })).toBe(
      `${lines.slice(20).join('\n')}\n`.slice(0, 2048),
    );
    expect(terminationMessage({ ...fallback, file: path.join(tmp, 'missing'), exitCode: 2 })).toBeDefined();
    expect(terminationMessage({ ...fallback, file: file(''), exitCode: 0 })).toBeUndefined();
    expect(terminationMessage({ ...fallback, file: file('own'), exitCode: 1 })).toBe('own');
    expect(terminationMessage({ file: file(''), policy: 'File', exitCode: 1, logTail: lines })).toBeUndefined();
  });

  it('the last 80 lines are cut to 2048 bytes', () => {
    const wide = Array.from({ length: 80 }, () => 'y'.repeat(99));
    const message = terminationMessage({
      file: undefined,
      policy: 'FallbackToLogsOnError',
      exitCode: 1,
      logTail: wide,
    });
    expect(Buffer.byteLength(message!)).toBe(2048);
  });
});

describe('limits', () => {
  it('cuts bytes without splitting a character, and shares 12 KiB', () => {
    expect(truncateBytes('héllo', 2)).toBe('h');
    expect(truncateBytes('héllo', 3)).toBe('hé');
    expect(truncateBytes('short', 100)).toBe('short');
    expect(lastBytes('héllo', 4)).toBe('llo');
    expect(lastBytes('héllo', 5)).toBe('éllo');
    expect(messageShare(1)).toBe(12288);
    expect(messageShare(5)).toBe(2457);
  });
});
