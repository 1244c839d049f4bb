/**
 * Sums of decimal-string minor amounts (statements carry Nano fees such as
 * "0.2"). Amounts are held as thousandths in BigInt, matching the precision
 * of the fee schedule in core/pricing.ts, so sums stay exact.
 */

/** Parses a non-negative decimal string with up to three fraction digits into thousandths. */
export function toMilli(value: string): bigint {
  const [whole = '0', frac = ''] = value.split('.');
  return BigInt(whole) * 1000n + BigInt((frac + '000').slice(0, 3));
}

/** Formats thousandths as the shortest decimal string ("4200", "0.2", "17.001"). */
export function fromMilli(milli: bigint): string {
  const sign = milli < 0n ? '-' : '';
  const abs = milli < 0n ? -milli : milli;
  const whole = abs / 1000n;
  const frac = abs % 1000n;
  if (frac === 0n) return `${sign}${whole}`;
  return `${sign}${whole}.${String(frac).padStart(3, '0').replace(/0+$/, '')}`;
}

/** Sum of decimal strings, as a decimal string. */
export function sumDecimal(values: Iterable<string>): string {
  let total = 0n;
  for (const v of values) total += toMilli(v);
  return fromMilli(total);
}
