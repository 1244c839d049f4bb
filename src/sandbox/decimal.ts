/**
 * Sums of decimal-string minor amounts (statements carry Nano fees such as
 * "0.2"). Amounts are held as thousandths in BigInt, matching the precision
 * of the fee schedule in core/pricing.ts, so sums stay exact.
 */
import { fromMilli, toMilli } from '../core/decimal.js';

/** Sum of decimal strings, as a decimal string. */
export function sumDecimal(values: Iterable<string>): string {
  let total = 0n;
  for (const v of values) total += toMilli(v);
  return fromMilli(total);
}
