/**
 * Kubernetes resource quantities (`k8s.io/apimachinery/pkg/api/resource`): `<number><suffix>` where the suffix is
 * binary (`Ki Mi Gi Ti Pi Ei`), decimal (`n u m "" k M G T P E`) or an exponent (`e3`, `E-2`). The parser follows
 * `ParseQuantity` character by character, so what it accepts and the messages it rejects with are the API server's.
 * @module
 */

/** The API server's parse errors, verbatim. */
export const quantityErrors = {
  format: "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'",
  suffix: "unable to parse quantity's suffix",
  numeric: 'unable to parse numeric part of quantity',
} as const;

/**
 * A quantity that does not parse. `reason` is the API server's text; `message` adds the value.
 *
 * @example
 * try {
 *   parseQuantity('1GB');
 * } catch (error) {
 *   if (error instanceof QuantityError) console.error(error.reason); // quantities must match the regular expression ...
 * }
 */
export class QuantityError extends Error {
  readonly reason: string;
  readonly value: string;

  constructor(value: string, reason: string) {
    super(`invalid quantity ${JSON.stringify(value)}: ${reason}`);
    this.reason = reason;
    this.value = value;
  }
}
Object.defineProperty(QuantityError.prototype, 'name', { value: 'QuantityError', enumerable: false });

const decimalSuffixes: Record<string, number> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const binarySuffixes: Record<string, number> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };
const suffixChars = 'eEinumkKMGTP';

interface Parts {
  negative: boolean;
  digits: string; // numerator and denominator digits, without the point (empty when there are none)
  fractionDigits: number;
  suffix: string;
}

/** `parseQuantityString`: sign, digits, optional fraction, then the suffix. */
function split(str: string): Parts | undefined {
  let pos = 0;
  const negative = str[0] === '-';
  if (str[0] === '-' || str[0] === '+') pos++;
  const start = pos;
  while (pos < str.length && str[pos]! >= '0' && str[pos]! <= '9') pos++;
  let digits = str.slice(start, pos);
  let fractionDigits = 0;
  if (str[pos] === '.') {
    const from = ++pos;
    while (pos < str.length && str[pos]! >= '0' && str[pos]! <= '9') pos++;
    digits += str.slice(from, pos);
    fractionDigits = pos - from;
  }
  const suffixStart = pos;
  while (pos < str.length && suffixChars.includes(str[pos]!)) pos++;
  if (str[pos] === '-' || str[pos] === '+') pos++;
  while (pos < str.length && str[pos]! >= '0' && str[pos]! <= '9') pos++;
  if (pos < str.length) return undefined;
  return { negative, digits, fractionDigits, suffix: str.slice(suffixStart) };
}

/** The suffix as a power: base 10 or 2 and its exponent (`quantitySuffixer.interpret`). */
function interpret(suffix: string): { base: 10 | 2; exponent: number } | undefined {
  if (suffix in decimalSuffixes) return { base: 10, exponent: decimalSuffixes[suffix]! };
  if (suffix in binarySuffixes) return { base: 2, exponent: binarySuffixes[suffix]! };
  if (suffix.length > 1 && (suffix[0] === 'e' || suffix[0] === 'E') && /^[-+]?\d+$/.test(suffix.slice(1))) {
    const exponent = Number(suffix.slice(1));
    if (Number.isSafeInteger(exponent)) return { base: 10, exponent };
  }
  return undefined;
}

/** A quantity's parts and suffix power, or the API server's error for text that is not a quantity. */
function decompose(input: string | number): { parts: Parts; power: { base: 10 | 2; exponent: number } } {
  const str = String(input).trim();
  const parts = str === '' ? undefined : split(str);
  if (parts === undefined) throw new QuantityError(str, quantityErrors.format);
  const power = interpret(parts.suffix);
  if (power === undefined) throw new QuantityError(str, quantityErrors.suffix);
  // `m`, `Ki`, `e3`, `.` or a lone sign: the pattern matches, but there is no number to parse.
  if (parts.digits === '') throw new QuantityError(str, quantityErrors.numeric);
  return { parts, power };
}

/**
 * Parses a quantity to a number in base units: cores for `cpu`, bytes for `memory` and storage. Like the API server
 * it trims spaces, accepts bare numbers, and rounds a non-zero value up to the nearest nano unit.
 *
 * @example
 * parseQuantity('100m'); // 0.1
 * parseQuantity('1Gi'); // 1073741824
 * parseQuantity('1e3'); // 1000
 * parseQuantity('500Mi'); // 524288000
 * parseQuantity('1GB'); // throws QuantityError: invalid quantity "1GB": quantities must match the regular expression ...
 */
export function parseQuantity(input: string | number): number {
  const { parts, power } = decompose(input);
  let mantissa = BigInt(parts.digits);
  let scale = -parts.fractionDigits; // value = mantissa * 10^scale * base^exponent
  if (power.base === 2) mantissa *= 2n ** BigInt(power.exponent);
  else scale += power.exponent;
  if (scale < -9 && mantissa !== 0n) {
    // Round up to nano, as ParseQuantity does. A mantissa with fewer digits than the shift is below one nano unit
    // and rounds up to exactly one (without building 10^shift, which for `1e-1000000000` would not fit a BigInt).
    const shift = -9 - scale;
    if (shift > mantissa.toString().length) {
      mantissa = 1n;
    } else {
      const unit = 10n ** BigInt(shift);
      mantissa = (mantissa + unit - 1n) / unit;
    }
    scale = -9;
  }
  const magnitude = scale >= 0 ? Number(mantissa) * 10 ** scale : Number(mantissa) / 10 ** -scale;
  return parts.negative ? -magnitude : magnitude;
}

/**
 * Parses a quantity without throwing: the value, or the API server's reason it does not parse.
 *
 * @example
 * tryParseQuantity('2Gi'); // { ok: true, value: 2147483648 }
 * tryParseQuantity('2 Gb'); // { ok: false, reason: "quantities must match the regular expression ..." }
 */
export function tryParseQuantity(input: string | number): { ok: true; value: number } | { ok: false; reason: string } {
  try {
    return { ok: true, value: parseQuantity(input) };
  } catch (error) {
    if (error instanceof QuantityError) return { ok: false, reason: error.reason };
    throw error;
  }
}

const int64Max = 2n ** 63n - 1n;

/**
 * A quantity as a whole number of units (`scale` 0, Go's `Value()`) or of thousandths (`scale` 3, `MilliValue()`),
 * rounded up as the API machinery rounds (towards +∞), exactly (no floating point); a value past int64 is clamped to
 * int64's maximum.
 *
 * @example
 * scaledValue('250m', 3); // 250n
 * scaledValue('250m', 0); // 1n
 * scaledValue('1.5Ki', 0); // 1536n
 */
export function scaledValue(input: string | number, scale: 0 | 3): bigint {
  const { parts, power } = decompose(input);
  let mantissa = BigInt(parts.digits);
  let exponent = scale - parts.fractionDigits; // value × 10^scale = mantissa × 10^exponent (× 2^binary)
  if (power.base === 2) mantissa *= 2n ** BigInt(power.exponent);
  else exponent += power.exponent;
  if (mantissa === 0n) return 0n;
  let magnitude: bigint;
  let exact = true;
  if (exponent >= 0) {
    magnitude = exponent > 40 ? int64Max + 1n : mantissa * 10n ** BigInt(exponent);
  } else if (-exponent > mantissa.toString().length) {
    magnitude = 0n; // below one unit: rounds to 1 (positive) or 0 (negative)
    exact = false;
  } else {
    const unit = 10n ** BigInt(-exponent);
    magnitude = mantissa / unit;
    exact = mantissa % unit === 0n;
  }
  const rounded = parts.negative ? -magnitude : exact ? magnitude : magnitude + 1n;
  return rounded > int64Max ? int64Max : rounded;
}
