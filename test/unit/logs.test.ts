import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CriLogWriter } from '../../src/pod/logs';

const dirs: string[] = [];
function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pod-init-logs-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
  vi.restoreAllMocks();
});

const time = new Date('2026-01-02T03:04:05.678Z');

describe('CriLogWriter', () => {
  it('appends CRI lines in order, creating the directory and a 0600 file; close flushes', async () => {
    const file = path.join(tempDir(), 'web', '0.log');
    const log = new CriLogWriter(file);
    for (let i = 0; i < 1000; i++) log.write(time, i % 2 ? 'stderr' : 'stdout', `line ${i}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
    log.write(time, 'stdout', 'é€😀 last');
    await log.close();
    log.write(time, 'stdout', 'after close');
    const lines = fs.readFileSync(file, 'utf8').split('\n');
    expect(lines).toHaveLength(1002);
    expect(lines[0]).toBe('2026-01-02T03:04:05.678000000Z stdout F line 0');
    expect(lines[999]).toBe('2026-01-02T03:04:05.678000000Z stderr F line 999');
    expect(lines[1000]).toBe('2026-01-02T03:04:05.678000000Z stdout F é€😀 last');
    expect(lines[1001]).toBe('');
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(fs.statSync(path.dirname(file)).mode & 0o777).toBe(0o700);
  });

  it('appends to a file that exists; closing at once writes nothing and resolves', async () => {
    const file = path.join(tempDir(), '0.log');
    fs.writeFileSync(file, 'before\n');
    await new CriLogWriter(file).close();
    const log = new CriLogWriter(file);
    log.write(time, 'stdout', 'x');
    await log.close();
    expect(fs.readFileSync(file, 'utf8')).toBe('before\n2026-01-02T03:04:05.678000000Z stdout F x\n');
  });

  it('a file that cannot be opened is reported once and does not throw', async () => {
    const file = path.join(tempDir(), '0.log');
    fs.mkdirSync(file); // a directory where the file should be
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const log = new CriLogWriter(file);
    log.write(time, 'stdout', 'lost');
    await log.close();
    log.write(time, 'stdout', 'lost too');
    const reports = stderr.mock.calls.map((c) => String(c[0])).filter((s) => s.includes('log file'));
    expect(reports).toEqual([`pod-init: log file ${file}: EISDIR: illegal operation on a directory, open '${file}'\n`]);
  });
});
