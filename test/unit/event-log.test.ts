// events.jsonl (event-log.ts): appended and read back in order, capped to the newest events past its
// size, a torn last line skipped, and a missing state directory only losing the event.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EventLog, readEvents } from '../../src/pod/event-log';

const dirs: string[] = [];
const tempDir = () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pod-init-event-log-'));
  dirs.push(dir);
  return dir;
};
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

const event = (i: number) => ({
  type: 'Normal' as const,
  reason: 'BackOff',
  message: `event ${i}`,
  time: new Date(1_800_000_000_000 + i * 1000).toISOString(),
});

describe('EventLog', () => {
  it('appends events that readEvents gives back in order, container included', () => {
    const file = path.join(tempDir(), 'events.jsonl');
    const log = new EventLog(file);
    log.append(event(1));
    log.append({ ...event(2), type: 'Warning', container: 'app' });
    expect(readEvents(file)).toEqual([event(1), { ...event(2), type: 'Warning', container: 'app' }]);
  });

  it('past maxBytes keeps only the newest `keep` events, and stays under the cap', () => {
    const file = path.join(tempDir(), 'events.jsonl');
    const log = new EventLog(file, { maxBytes: 2000, keep: 5 });
    for (let i = 0; i < 200; i++) log.append(event(i));
    expect(fs.statSync(file).size).toBeLessThanOrEqual(2000);
    const kept = readEvents(file).map((e) => e.message);
    expect(kept.at(-1)).toBe('event 199');
    expect(kept.length).toBeGreaterThanOrEqual(5);
    expect(kept).not.toContain('event 0');
    // The control: without the cap every event is there.
    const uncapped = path.join(tempDir(), 'events.jsonl');
    const all = new EventLog(uncapped, { maxBytes: 1e9 });
    for (let i = 0; i < 200; i++) all.append(event(i));
    expect(readEvents(uncapped)).toHaveLength(200);
  });

  it('skips a torn last line; a missing file is no events; a missing directory loses only the event', () => {
    const dir = tempDir();
    const file = path.join(dir, 'events.jsonl');
    fs.writeFileSync(file, `${JSON.stringify(event(1))}\n{"type":"Nor`);
    expect(readEvents(file)).toEqual([event(1)]);
    expect(readEvents(path.join(dir, 'none.jsonl'))).toEqual([]);
    expect(() => new EventLog(path.join(dir, 'gone', 'events.jsonl')).append(event(1))).not.toThrow();
  });
});
