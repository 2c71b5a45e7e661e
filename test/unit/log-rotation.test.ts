import { describe, expect, it } from 'vitest';
import {
  kubeletLogRotation,
  parseLogRotation,
  rotatedName,
  rotatedStamp,
  rotationPlan,
  rotationTimestamp,
} from '../../src/pod/log-rotation';

describe('CRI log rotation names (the kubelet container log manager)', () => {
  const time = new Date(2026, 0, 2, 3, 4, 5); // local time, as the kubelet's clock.Now()

  it("stamps with Go's 20060102-150405 in local time", () => {
    expect(rotationTimestamp(time)).toBe('20260102-030405');
    expect(rotationTimestamp(new Date(2026, 11, 31, 23, 59, 59))).toBe('20261231-235959');
  });

  it('names the rotated file <base>.<stamp>; a name taken in the same second moves one second on', () => {
    expect(rotatedName('0.log', time, [])).toBe('0.log.20260102-030405');
    expect(rotatedName('0.log', time, ['20260102-030400'])).toBe('0.log.20260102-030405');
    expect(rotatedName('0.log', time, ['20260102-030405'])).toBe('0.log.20260102-030406');
    expect(rotatedName('0.log', time, ['20260102-030405', '20260102-030406'])).toBe('0.log.20260102-030407');
    expect(rotatedName('3.log', new Date(2026, 0, 2, 23, 59, 59), ['20260102-235959'])).toBe('3.log.20260103-000000');
  });

  it('recognizes rotated files of one log only, plain or gzipped', () => {
    expect(rotatedStamp('0.log', '0.log.20260102-030405')).toBe('20260102-030405');
    expect(rotatedStamp('0.log', '0.log.20260102-030405.gz')).toBe('20260102-030405');
    expect(rotatedStamp('0.log', '10.log.20260102-030405')).toBeUndefined();
    expect(rotatedStamp('1.log', '10.log.20260102-030405')).toBeUndefined();
    expect(rotatedStamp('0.log', '0.log.20260102-030405.tmp')).toBeUndefined();
    expect(rotatedStamp('0.log', '0.log')).toBeUndefined();
  });

  it('keeps maxFiles - 1 rotated files, removes the oldest, compresses all but the newest', () => {
    expect(rotationPlan(['b'], 5)).toEqual({ remove: [], compress: [] });
    expect(rotationPlan(['c', 'a', 'b'], 5)).toEqual({ remove: [], compress: ['a', 'b'] });
    expect(rotationPlan(['a', 'b', 'c', 'd', 'e'], 5)).toEqual({ remove: ['a'], compress: ['b', 'c', 'd'] });
    expect(rotationPlan(['a', 'b'], 2)).toEqual({ remove: ['a'], compress: [] });
  });
});

describe('--container-log-max-size / --container-log-max-files', () => {
  it('the kubelet defaults and quantities', () => {
    expect(parseLogRotation('10Mi', '5')).toEqual(kubeletLogRotation);
    expect(parseLogRotation('1k', '2')).toEqual({ maxBytes: 1000, maxFiles: 2 });
  });
  it.each([
    ['10MB', '5', '--container-log-max-size'],
    ['0', '5', '--container-log-max-size'],
    ['-1Mi', '5', '--container-log-max-size'],
    ['10Mi', '1', '--container-log-max-files'],
    ['10Mi', 'x', '--container-log-max-files'],
    ['10Mi', '-3', '--container-log-max-files'],
  ])('%s, %s: %s is refused', (size, files, flag) => {
    expect(parseLogRotation(size, files)).toMatchObject({ flag });
  });
});
