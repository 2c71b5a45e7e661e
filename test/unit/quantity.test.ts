import { describe, expect, it } from 'vitest';
import { parseQuantity, QuantityError, quantityErrors, tryParseQuantity } from '../../src/manifest/quantity';

describe('parseQuantity', () => {
  it.each([
    ['100m', 0.1],
    ['1', 1],
    ['0', 0],
    ['2.5', 2.5],
    ['.5', 0.5],
    ['1.', 1],
    ['1Ki', 1024],
    ['1Gi', 1073741824],
    ['500Mi', 524288000],
    ['1.5Gi', 1610612736],
    ['1Ei', 2 ** 60],
    ['1k', 1000],
    ['1M', 1e6],
    ['1E', 1e18],
    ['1e3', 1000],
    ['1E3', 1000],
    ['1e-3', 0.001],
    ['1e+3', 1000],
    ['250u', 0.00025],
    ['5n', 5e-9],
    ['-1', -1],
    ['+1.5k', 1500],
    ['  1Gi  ', 1073741824],
    ['007', 7],
    [1.5, 1.5],
    [1e21, 1e21],
    ['0.1n', 1e-9], // non-zero values round up to the nearest nano unit
    ['1e-1000000000', 1e-9], // however far below a nano unit, at once
    ['-1e-1000000000', -1e-9],
  ])('%j is %d', (input, expected) => {
    expect(parseQuantity(input)).toBeCloseTo(expected, 12);
  });

  it.each([
    ['', quantityErrors.format],
    ['abc', quantityErrors.format],
    ['1GB', quantityErrors.format],
    ['2 Gi', quantityErrors.format],
    ['1Gi5x', quantityErrors.format],
    ['1K', quantityErrors.suffix],
    ['1ki', quantityErrors.suffix],
    ['1e', quantityErrors.suffix],
    ['1Ki5', quantityErrors.suffix],
    ['1mi', quantityErrors.suffix],
    // A suffix or a point without any digit is not a number (ParseQuantity: ErrNumeric).
    ['m', quantityErrors.numeric],
    ['Ki', quantityErrors.numeric],
    ['e3', quantityErrors.numeric],
    ['.', quantityErrors.numeric],
    ['-', quantityErrors.numeric],
  ])('rejects %j: %s', (input, reason) => {
    expect(() => parseQuantity(input)).toThrow(QuantityError);
    expect(tryParseQuantity(input)).toEqual({ ok: false, reason });
  });

  it('names the value and the API server reason in its message', () => {
    expect(() => parseQuantity('1GB')).toThrow(
      `invalid quantity "1GB": quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'`,
    );
    const error = new QuantityError('x', quantityErrors.suffix);
    expect(error.name).toBe('QuantityError');
    expect(error).toMatchObject({ value: 'x', reason: "unable to parse quantity's suffix" });
  });

  it('returns the value from tryParseQuantity', () => {
    expect(tryParseQuantity('2Gi')).toEqual({ ok: true, value: 2147483648 });
  });
});
