// CriRecordJoiner: records split across reads, partial records joined per stream, tags ignored.
import { describe, expect, it } from 'vitest';
import { CriRecordJoiner } from '../../src/ops/cri-records';

const t = '2026-12-06T12:00:00.000000000Z';

describe('CriRecordJoiner', () => {
  it('waits for the newline of a record split across reads', () => {
    const j = new CriRecordJoiner();
    expect(j.push(`${t} stdout F hel`)).toEqual([]);
    expect(j.push(`lo\n`)).toEqual([{ time: t, stream: 'stdout', line: 'hello' }]);
  });

  it('joins P records with the F that ends them, per stream, across interleaving', () => {
    const j = new CriRecordJoiner();
    const lines = j.push(
      `${t} stdout P ab\n${t} stderr F err\n${t} stdout P cd\n${t} stdout F ef\n${t} stdout F \n${t} stdout F:x tagged\n`,
    );
    expect(lines.map((l) => [l.stream, l.line])).toEqual([
      ['stderr', 'err'],
      ['stdout', 'abcdef'],
      ['stdout', ''],
      ['stdout', 'tagged'],
    ]);
  });

  it('skips what is not a record', () => {
    expect(new CriRecordJoiner().push('garbage\n')).toEqual([]);
  });
});
