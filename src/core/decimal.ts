/**
 * Decimal strings of minor amounts. Nano fees are below one minor unit
 * ("0.2"), so amounts are held as thousandths in BigInt: exact at the fee
 * schedule's precision, and exact near Number.MAX_SAFE_INTEGER.
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
