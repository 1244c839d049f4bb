/**
 * Schemas for the self-service merchant calls: setup, read, challenge-secret
 * rotation and billing mandate (contract section 4).
 */
import { z } from 'zod';
import {
  billingPlanSchema,
  checkoutOriginsSchema,
  currencySchema,
  merchantKeySchema,
  positiveSafeIntegerSchema,
  tokenForCurrency,
  tokenSymbolSchema,
  type DirectRequestPaymentCurrency,
  type DirectRequestPaymentTokenSymbol,
  absoluteUrlSchema,
} from '../../core/validation.js';
import { optionalString, requiredResponseString, strictInput } from './common.js';

/** Currencies a merchant accepts, each mapped to the token it settles in. */
export type DirectRequestPaymentAllowedCurrencies = Partial<
  Record<DirectRequestPaymentCurrency, DirectRequestPaymentTokenSymbol>
>;

const ALLOWED_CURRENCIES_SHAPE = 'must be an array of currencies such as ["JPY"] or a map such as {"JPY": "JPYC"}';

/**
 * `allowed_currencies`: `["JPY", "USD"]` or `{ JPY: "JPYC", USD: "USDC" }`,
 * both sent as the map. Each currency must map to its own token (JPY -> JPYC,
 * USD -> USDC).
 */
export const allowedCurrenciesSchema = z
  .custom<readonly string[] | Readonly<Record<string, string>>>()
  .transform((value, ctx): DirectRequestPaymentAllowedCurrencies => {
    const out: DirectRequestPaymentAllowedCurrencies = {};
    const fail = (message: string, path: PropertyKey[] = []) => {
      ctx.addIssue({ code: 'custom', message, path });
      return z.NEVER;
    };
    if (Array.isArray(value)) {
      if (value.length === 0) return fail('must not be empty');
      for (let i = 0; i < value.length; i++) {
        const currency = currencySchema.safeParse(value[i]);
        if (!currency.success) return fail('must be "JPY" or "USD"', [i]);
        out[currency.data] = tokenForCurrency(currency.data);
      }
      return out;
    }
    if (value === null || typeof value !== 'object') return fail(ALLOWED_CURRENCIES_SHAPE);
    const entries = Object.entries(value);
    if (entries.length === 0) return fail('must not be empty');
    for (const [key, token] of entries) {
      const currency = currencySchema.safeParse(key);
      if (!currency.success) return fail('is not a supported currency (use "JPY" or "USD")', [key]);
      const symbol = tokenSymbolSchema.safeParse(token);
      const expected = tokenForCurrency(currency.data);
      if (!symbol.success || symbol.data !== expected) {
        return fail(`must be "${expected}" (${currency.data} settles in ${expected})`, [key]);
      }
      out[currency.data] = expected;
    }
    return out;
  });

/**
 * Input of `setupMerchant`. `allowLoopbackHttp` is true for a client whose
 * base URL is loopback (the local sandbox), where the webhook URL may be
 * plain http on localhost.
 */
export function setupMerchantInputSchema(allowLoopbackHttp: boolean) {
  return strictInput({
    merchant: merchantKeySchema,
    billing_plan: billingPlanSchema.default('launch'),
    billing_currency: currencySchema.default('JPY'),
    display_name: z
      .string({ error: 'must be a string' })
      .trim()
      .min(1, { error: 'must not be empty' })
      .max(200, { error: 'must be at most 200 characters' })
      .optional(),
    allowed_currencies: allowedCurrenciesSchema.optional(),
    webhook_callback_url: absoluteUrlSchema(allowLoopbackHttp).optional(),
    billing_mandate_cap_minor: positiveSafeIntegerSchema.optional(),
    max_amount_minor: positiveSafeIntegerSchema.optional(),
    checkout_allowed_origins: checkoutOriginsSchema.optional(),
  });
}

/**
 * Input of `setupMerchant`.
 *
 * @interface
 */
export type DirectRequestPaymentMerchantSetupInput = z.input<ReturnType<typeof setupMerchantInputSchema>>;

/** Options of `prepareBillingMandate`. */
export const prepareBillingMandateInputSchema = strictInput({
  currency: currencySchema.optional(),
  billing_currency: currencySchema.optional(),
  max_amount_minor: positiveSafeIntegerSchema.optional(),
});

/**
 * Options of `prepareBillingMandate`.
 *
 * @interface
 */
export type DirectRequestPaymentBillingMandateInput = z.input<typeof prepareBillingMandateInputSchema>;

/**
 * A merchant account as the API returns it. Only the fields below are typed;
 * everything else the API sends is kept as is.
 */
export const merchantAccountSchema = z.looseObject({
  merchant: optionalString,
  display_name: optionalString,
  status: optionalString,
  billing_plan: optionalString,
  billing_currency: optionalString,
  billing_status: optionalString,
  /** Set once a billing mandate is prepared; readiness checks it. */
  billing_mandate_id: optionalString,
  webhook_callback_url: optionalString,
});

/**
 * A merchant account.
 *
 * @interface
 */
export type DirectRequestPaymentMerchantAccount = z.output<typeof merchantAccountSchema>;

/**
 * Answer of `setupMerchant` / `getMerchant`. `challenge_secret` is present
 * only when this call created it (`challenge_secret_created: true`); it is
 * never replayed by `getMerchant`.
 */
export const merchantResponseSchema = z.looseObject({
  merchant_account: merchantAccountSchema,
  challenge_secret: optionalString,
  challenge_secret_created: z.boolean().nullish(),
  created: z.boolean().nullish(),
  listing_id: optionalString,
  mandate: z.unknown().optional(),
  next_steps: z.unknown().optional(),
});

/**
 * Answer of `setupMerchant` / `getMerchant`.
 *
 * @interface
 */
export type DirectRequestPaymentMerchantResponse = z.output<typeof merchantResponseSchema>;

/** Answer of `rotateChallengeSecret`: the new secret, shown this once. */
export const challengeSecretRotationSchema = z.looseObject({
  challenge_secret: requiredResponseString,
  merchant_account: merchantAccountSchema.optional(),
});

/**
 * Answer of `rotateChallengeSecret`.
 *
 * @interface
 */
export type DirectRequestPaymentChallengeSecretRotation = z.output<typeof challengeSecretRotationSchema>;

/** Answer of `prepareBillingMandate`. */
export const billingMandateResponseSchema = z.looseObject({
  billing_mandate_id: optionalString,
  status: optionalString,
  merchant_account: merchantAccountSchema.optional(),
});

/**
 * Answer of `prepareBillingMandate`.
 *
 * @interface
 */
export type DirectRequestPaymentBillingMandateResponse = z.output<typeof billingMandateResponseSchema>;
