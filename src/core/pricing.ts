/**
 * Pricing bands (CONTRACT section 9). The band thresholds, cadences and fees
 * live here and nowhere else: the sandbox, the readiness probe and the Express
 * template all ask this module.
 *
 * | band     | JPY     | USD (cents) | settlement                         | fee per payment                  |
 * | -------- | ------- | ----------- | ---------------------------------- | -------------------------------- |
 * | standard | 501+    | 301+        | per payment, on-chain              | plan %, min JPY 30 / USD 0.20    |
 * | micro    | 50-500  | 31-300      | weekly, or early at 10,000 exposure| JPY 2 / USD 0.01                 |
 * | nano     | 1-49    | 1-30        | monthly, same early threshold      | JPY 0.2 / USD 0.001              |
 *
 * All fees are seller-borne: the buyer is debited the gross amount and the
 * provider receives gross minus the protocol fee. Nano fees are below one
 * minor unit, so fee and receivable amounts are decimal strings.
 */
import { fromMilli } from './decimal.js';
import { SiglumeValidationError } from './errors.js';
import type { DirectRequestPaymentCurrency } from './validation.js';

/** Pricing band of a payment, decided by currency and amount. */
export type DirectRequestPaymentPricingBand = 'standard' | 'micro' | 'nano';

/** Settlement cadence of a band. */
export type DirectRequestPaymentSettlementCadence = 'per_payment' | 'weekly' | 'monthly';

/** Billing plans that set the Standard fee rate (`free` is legacy Launch). */
export type DirectRequestPaymentBillingPlan = 'launch' | 'free' | 'starter' | 'growth' | 'pro';

/** Lowest amount (minor units) of each band, per currency. */
export const PRICING_BAND_THRESHOLDS = /* @__PURE__ */ Object.freeze({
  JPY: Object.freeze({ nano: 1, micro: 50, standard: 501 }),
  USD: Object.freeze({ nano: 1, micro: 31, standard: 301 }),
} as const);

/** Exposure (minor units) at which a Micro / Nano batch settles before its cadence. */
export const SETTLEMENT_THRESHOLD_MINOR = 10_000;

/** Standard fee rate per plan, in basis points (1.8% = 180). */
export const STANDARD_FEE_BPS = /* @__PURE__ */ Object.freeze({ launch: 180, free: 180, starter: 100, growth: 70, pro: 50 } as const);

// Fees in thousandths of a minor unit, so Nano's sub-minor fees stay exact integers.
const MILLI = 1000;
const STANDARD_MIN_FEE_MILLI = { JPY: 30 * MILLI, USD: 20 * MILLI } as const;
const FLAT_FEE_MILLI = {
  micro: { JPY: 2 * MILLI, USD: 1 * MILLI },
  nano: { JPY: 200, USD: 100 },
} as const;

function checkAmount(amountMinor: number): void {
  if (typeof amountMinor !== 'number' || !Number.isSafeInteger(amountMinor) || amountMinor <= 0) {
    throw new SiglumeValidationError('amount_minor', 'Invalid amount_minor: must be a positive safe integer');
  }
}

// Own-property check: a plan like "toString" must be rejected, not looked up on Object.prototype.
function checkPlan(plan: string): asserts plan is DirectRequestPaymentBillingPlan {
  if (typeof plan !== 'string' || !Object.hasOwn(STANDARD_FEE_BPS, plan)) {
    throw new SiglumeValidationError('billing_plan', 'Invalid billing_plan: must be one of launch, free, starter, growth, pro');
  }
}

// Case-insensitive in, upper-case out, as everywhere currency is an input.
function normalizeCurrency(currency: string): DirectRequestPaymentCurrency {
  const upper = typeof currency === 'string' ? currency.toUpperCase() : currency;
  if (upper !== 'JPY' && upper !== 'USD') {
    throw new SiglumeValidationError('currency', 'Invalid currency: must be "JPY" or "USD"');
  }
  return upper;
}

/**
 * The pricing band of an amount.
 *
 * @example
 * pricingBandFor('JPY', 4200); // 'standard'
 * pricingBandFor('USD', 150);  // 'micro'
 */
export function pricingBandFor(currency: DirectRequestPaymentCurrency, amountMinor: number): DirectRequestPaymentPricingBand {
  checkAmount(amountMinor);
  const t = PRICING_BAND_THRESHOLDS[normalizeCurrency(currency)];
  if (amountMinor >= t.standard) return 'standard';
  if (amountMinor >= t.micro) return 'micro';
  return 'nano';
}

/** Settlement cadence of a band: standard -> per_payment, micro -> weekly, nano -> monthly. */
export function settlementCadenceFor(band: DirectRequestPaymentPricingBand): DirectRequestPaymentSettlementCadence {
  return band === 'standard' ? 'per_payment' : band === 'micro' ? 'weekly' : 'monthly';
}

/** The smallest Standard-band amount for a currency (the readiness probe's default). */
export function minimumStandardAmountMinor(currency: DirectRequestPaymentCurrency): number {
  return PRICING_BAND_THRESHOLDS[normalizeCurrency(currency)].standard;
}


/** Seller-borne accounting of one payment; minor amounts are decimal strings. */
export interface DirectRequestPaymentFeeBreakdown {
  pricing_band: DirectRequestPaymentPricingBand;
  settlement_cadence: DirectRequestPaymentSettlementCadence;
  /** What the buyer pays: always the gross amount. */
  buyer_debit_minor: string;
  provider_gross_amount_minor: string;
  protocol_fee_minor: string;
  /** gross - protocol fee. */
  provider_receivable_minor: string;
}

/**
 * Fees for one payment. Standard: the plan's rate of the amount, rounded half
 * up to a whole minor unit, never below JPY 30 / USD 0.20. Micro and Nano: the
 * flat per-payment fee.
 *
 * @example
 * feeBreakdownFor('JPY', 4200, 'launch').protocol_fee_minor; // '76' (1.8% of 4200 = 75.6)
 * feeBreakdownFor('JPY', 30).protocol_fee_minor;            // '0.2'
 */
export function feeBreakdownFor(
  currency: DirectRequestPaymentCurrency,
  amountMinor: number,
  plan: DirectRequestPaymentBillingPlan = 'launch',
): DirectRequestPaymentFeeBreakdown {
  currency = normalizeCurrency(currency);
  const band = pricingBandFor(currency, amountMinor);
  // Checked for every band, so a typo in the plan fails on a Micro test payment too.
  checkPlan(plan);
  let feeMilli: bigint;
  if (band === 'standard') {
    const bps = STANDARD_FEE_BPS[plan];
    const feeMinor = (BigInt(amountMinor) * BigInt(bps) + 5_000n) / 10_000n;
    const minMilli = BigInt(STANDARD_MIN_FEE_MILLI[currency]);
    feeMilli = feeMinor * 1000n > minMilli ? feeMinor * 1000n : minMilli;
  } else {
    feeMilli = BigInt(FLAT_FEE_MILLI[band][currency]);
  }
  const grossMilli = BigInt(amountMinor) * 1000n;
  return {
    pricing_band: band,
    settlement_cadence: settlementCadenceFor(band),
    buyer_debit_minor: String(amountMinor),
    provider_gross_amount_minor: String(amountMinor),
    protocol_fee_minor: fromMilli(feeMilli),
    provider_receivable_minor: fromMilli(grossMilli - feeMilli),
  };
}
