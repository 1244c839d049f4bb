/**
 * Schemas for the self-service merchant calls: setup, read, challenge-secret
 * rotation and billing mandate (contract section 4).
 */
import * as z from 'zod/mini';
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
  transformIssue,
} from '../../core/validation.js';
import { booleanInput, optionalBoolean, optionalString, requiredResponseString, strictInput, textInput, lazySchema, lazyLoopbackSchema, responseObject } from './common.js';
import { hostedCheckoutReadinessSchema } from './merchant-readiness.js';

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
export const allowedCurrenciesSchema = /* @__PURE__ */ lazySchema(() => z.pipe(
  z.custom<readonly string[] | Readonly<Record<string, string>>>(),
  z.transform((value: readonly string[] | Readonly<Record<string, string>>, ctx): DirectRequestPaymentAllowedCurrencies => {
    const out: DirectRequestPaymentAllowedCurrencies = {};
    if (Array.isArray(value)) {
      if (value.length === 0) return transformIssue(ctx, 'must not be empty');
      for (let i = 0; i < value.length; i++) {
        const currency = z.safeParse(currencySchema, value[i]);
        if (!currency.success) return transformIssue(ctx, 'must be "JPY" or "USD"', [i]);
        out[currency.data] = tokenForCurrency(currency.data);
      }
      return out;
    }
    if (value === null || typeof value !== 'object') return transformIssue(ctx, ALLOWED_CURRENCIES_SHAPE);
    const entries = Object.entries(value);
    if (entries.length === 0) return transformIssue(ctx, 'must not be empty');
    for (const [key, token] of entries) {
      const currency = z.safeParse(currencySchema, key);
      if (!currency.success) return transformIssue(ctx, 'is not a supported currency (use "JPY" or "USD")', [key]);
      const symbol = z.safeParse(tokenSymbolSchema, token);
      const expected = tokenForCurrency(currency.data);
      if (!symbol.success || symbol.data !== expected) {
        return transformIssue(ctx, `must be "${expected}" (${currency.data} settles in ${expected})`, [key]);
      }
      out[currency.data] = expected;
    }
    return out;
  }),
));

/**
 * Input of `setupMerchant`. `allowLoopbackHttp` is true for a client whose
 * base URL is loopback (the local sandbox), where the webhook URL may be
 * plain http on localhost.
 */
export const setupMerchantInputSchema = /* @__PURE__ */ lazyLoopbackSchema((allowLoopbackHttp: boolean) =>
  strictInput({
    merchant: merchantKeySchema,
    billing_plan: z._default(billingPlanSchema, 'launch'),
    billing_currency: z._default(currencySchema, 'JPY'),
    display_name: z.optional(textInput(200, { trim: true })),
    allowed_currencies: z.optional(allowedCurrenciesSchema()),
    webhook_callback_url: z.optional(absoluteUrlSchema(allowLoopbackHttp)),
    billing_mandate_cap_minor: z.optional(positiveSafeIntegerSchema),
    max_amount_minor: z.optional(positiveSafeIntegerSchema),
    checkout_allowed_origins: z.optional(checkoutOriginsSchema),
    // Standard Hosted Checkout onboarding (CONTRACT-2 section 15). Nothing is
    // sent unless given; the server keeps live mode blocked until every gate passes.
    /** The Standard Hosted Checkout merchant terms are accepted. */
    standard_terms_accepted: z.optional(booleanInput()),
    /** Same meaning as `standard_terms_accepted` (the API takes either name). */
    terms_accepted: z.optional(booleanInput()),
    /** The terms version accepted, when not the server's current one. */
    terms_version: z.optional(textInput(200, { trim: true })),
    /** The merchant completed a sandbox checkout and its webhook confirmation. */
    sandbox_confirmed: z.optional(booleanInput()),
    /** The sandbox checkout session that proves it. */
    sandbox_session_id: z.optional(textInput(200, { trim: true })),
    /**
     * The merchant accepts the published responsibility boundary: it is the
     * merchant of record and handles fulfilment, support, refunds, taxes,
     * screening and legality.
     */
    merchant_responsibility_attested: z.optional(booleanInput()),
    /** Version of the boundary attested to; the server's default is `sdrp_standard_hosted_checkout_responsibility_v1`. */
    responsibility_attestation_version: z.optional(textInput(200, { trim: true })),
    /** Ask for live mode; it stays blocked until billing, webhook, terms, sandbox, attestation and live checks pass. */
    live_mode_requested: z.optional(booleanInput()),
  }),
);

/**
 * Input of `setupMerchant`.
 *
 * @interface
 */
export type DirectRequestPaymentMerchantSetupInput = z.input<ReturnType<typeof setupMerchantInputSchema>>;

/** Options of `prepareBillingMandate`. */
export const prepareBillingMandateInputSchema = /* @__PURE__ */ lazySchema(() => strictInput({
  currency: z.optional(currencySchema),
  billing_currency: z.optional(currencySchema),
  max_amount_minor: z.optional(positiveSafeIntegerSchema),
}));

/**
 * Options of `prepareBillingMandate`.
 *
 * @interface
 */
export type DirectRequestPaymentBillingMandateInput = z.input<ReturnType<typeof prepareBillingMandateInputSchema>>;

/**
 * A merchant account as the API returns it. Only the fields below are typed;
 * everything else the API sends is kept as is.
 */
export const merchantAccountSchema = /* @__PURE__ */ lazySchema(() => responseObject({
  merchant: optionalString(),
  display_name: optionalString(),
  status: optionalString(),
  billing_plan: optionalString(),
  billing_currency: optionalString(),
  billing_status: optionalString(),
  /** Set once a billing mandate is prepared; readiness checks it. */
  billing_mandate_id: optionalString(),
  webhook_callback_url: optionalString(),
}));

/**
 * A merchant account.
 *
 * @interface
 */
export type DirectRequestPaymentMerchantAccount = z.output<ReturnType<typeof merchantAccountSchema>>;

/**
 * Answer of `setupMerchant` / `getMerchant`. `challenge_secret` is present
 * only when this call created it (`challenge_secret_created: true`); it is
 * never replayed by `getMerchant`.
 */
export const merchantResponseSchema = /* @__PURE__ */ lazySchema(() => responseObject({
  merchant_account: merchantAccountSchema(),
  challenge_secret: optionalString(),
  challenge_secret_created: optionalBoolean(),
  created: optionalBoolean(),
  listing_id: optionalString(),
  mandate: z.optional(z.unknown()),
  next_steps: z.optional(z.unknown()),
  /**
   * Standard Hosted Checkout readiness, when the API includes it
   * (`getMerchantReadiness` reads it alone). A copy without the documented
   * shape is left out rather than failing the call: `setupMerchant` has
   * already acted, and its `challenge_secret` is shown only once.
   */
  standard_hosted_checkout_readiness: z.catch(z.nullish(hostedCheckoutReadinessSchema()), undefined),
}));

/**
 * Answer of `setupMerchant` / `getMerchant`.
 *
 * @interface
 */
export type DirectRequestPaymentMerchantResponse = z.output<ReturnType<typeof merchantResponseSchema>>;

/** Answer of `rotateChallengeSecret`: the new secret, shown this once. */
export const challengeSecretRotationSchema = /* @__PURE__ */ lazySchema(() => responseObject({
  challenge_secret: requiredResponseString(),
  merchant_account: z.optional(merchantAccountSchema()),
}));

/**
 * Answer of `rotateChallengeSecret`.
 *
 * @interface
 */
export type DirectRequestPaymentChallengeSecretRotation = z.output<ReturnType<typeof challengeSecretRotationSchema>>;

/** Answer of `prepareBillingMandate`. */
export const billingMandateResponseSchema = /* @__PURE__ */ lazySchema(() => responseObject({
  billing_mandate_id: optionalString(),
  status: optionalString(),
  merchant_account: z.optional(merchantAccountSchema()),
}));

/**
 * Answer of `prepareBillingMandate`.
 *
 * @interface
 */
export type DirectRequestPaymentBillingMandateResponse = z.output<ReturnType<typeof billingMandateResponseSchema>>;
