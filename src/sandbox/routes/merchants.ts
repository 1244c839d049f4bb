/**
 * Self-service merchant routes: setup (create or update), read, challenge
 * secret rotation, billing mandate.
 */
import { z } from 'zod';
import {
  absoluteUrlSchema,
  billingPlanSchema,
  checkoutOriginsSchema,
  currencySchema,
  merchantKeySchema,
  parseInput,
  positiveSafeIntegerSchema,
  tokenForCurrency,
  tokenSymbolSchema,
} from '../../core/validation.js';
import type { SandboxCore } from '../core.js';
import type { Route, RouteInput } from '../http.js';
import { newChallengeSecret } from '../ids.js';
import { merchantAccountView, newMandate, newMerchant } from '../records.js';
import type { SandboxBillingMandate, SandboxMerchant } from '../types.js';

type AllowedCurrencies = SandboxMerchant['allowed_currencies'];

/** `["JPY"]` or `{ "JPY": "JPYC" }`; each currency must map to its own token. */
const allowedCurrenciesSchema = z.unknown().transform((value, ctx): AllowedCurrencies => {
  const fail = (message: string, path: PropertyKey[] = []) => {
    ctx.addIssue({ code: 'custom', message, path });
    return z.NEVER;
  };
  if (value === null || typeof value !== 'object')
    return fail('must be an array of currencies such as ["JPY"] or a map such as {"JPY": "JPYC"}');
  const entries: Array<[PropertyKey, unknown, unknown]> = Array.isArray(value)
    ? value.map((c, i) => [i, c, undefined])
    : Object.entries(value).map(([k, t]) => [k, k, t]);
  if (entries.length === 0) return fail('must not be empty');
  const out: AllowedCurrencies = {};
  for (const [key, currencyRaw, tokenRaw] of entries) {
    const currency = currencySchema.safeParse(currencyRaw);
    if (!currency.success) return fail('must be "JPY" or "USD"', [key]);
    const expected = tokenForCurrency(currency.data);
    if (tokenRaw !== undefined && tokenSymbolSchema.safeParse(tokenRaw).data !== expected)
      return fail(`must be "${expected}"`, [key]);
    out[currency.data] = expected;
  }
  return out;
});

const setupSchema = z.object({
  merchant: merchantKeySchema,
  billing_plan: z.nullish(billingPlanSchema),
  billing_currency: z.nullish(currencySchema),
  display_name: z
    .string({ error: 'must be a string' })
    .trim()
    .min(1, { error: 'must not be empty' })
    .max(200, { error: 'must be at most 200 characters' })
    .nullish(),
  allowed_currencies: allowedCurrenciesSchema.optional(),
  webhook_callback_url: z.nullish(absoluteUrlSchema(true)),
  billing_mandate_cap_minor: z.nullish(positiveSafeIntegerSchema),
  max_amount_minor: z.nullish(positiveSafeIntegerSchema),
  checkout_allowed_origins: z.nullish(checkoutOriginsSchema),
});

const mandateSchema = z.object({
  currency: z.nullish(currencySchema),
  billing_currency: z.nullish(currencySchema),
  max_amount_minor: z.nullish(positiveSafeIntegerSchema),
});

/** Routes under `/v1/sdrp/direct-payments/merchants`. */
export function merchantRoutes({ store }: SandboxCore): Route[] {
  const merchantOf = (input: RouteInput) =>
    store.requireMerchant(parseInput(merchantKeySchema, input.params.merchant, 'merchant'));
  const mandateOf = (m: SandboxMerchant): SandboxBillingMandate | null =>
    (m.billing_mandate_id ? store.data.billing_mandates[m.billing_mandate_id] : null) ?? null;

  function setupMerchant({ body }: RouteInput) {
    const { merchant, allowed_currencies, ...input } = parseInput(setupSchema, body);
    const now = store.nowIso();
    const existing = store.get('merchants', merchant);
    const m = existing ?? newMerchant(merchant, now);
    // Only the fields given change; a new merchant accepts its billing currency unless told otherwise.
    for (const [key, value] of Object.entries(input)) if (value) Object.assign(m, { [key]: value });
    if (allowed_currencies) m.allowed_currencies = allowed_currencies;
    else if (!existing) m.allowed_currencies = { [m.billing_currency]: tokenForCurrency(m.billing_currency) };
    m.updated_at = now;
    store.data.merchants[m.merchant] = m;
    store.changed();
    const mandate = mandateOf(m);
    return {
      status: existing ? 200 : 201,
      data: {
        merchant_account: merchantAccountView(m),
        created: !existing,
        challenge_secret_created: !existing,
        // Shown once: only the call that created the merchant carries the secret.
        ...(existing ? {} : { challenge_secret: m.challenge_secret }),
        listing_id: m.listing_id,
        mandate: mandate ? { ...mandate } : null,
        next_steps: [
          ...(m.billing_mandate_id
            ? []
            : ['Prepare the billing mandate: POST /v1/sdrp/direct-payments/merchants/{merchant}/billing-mandate']),
          'Subscribe your webhook endpoint to direct_payment.confirmed: POST /v1/market/webhooks/subscriptions',
          'Store the challenge secret in SIGLUME_DIRECT_PAYMENT_CHALLENGE_SECRET; it is shown only once.',
        ],
      },
    };
  }

  function getMerchant(input: RouteInput) {
    const m = merchantOf(input);
    const mandate = mandateOf(m);
    return {
      data: {
        merchant_account: merchantAccountView(m),
        listing_id: m.listing_id,
        mandate: mandate ? { ...mandate } : null,
      },
    };
  }

  function rotateChallengeSecret(input: RouteInput) {
    const m = merchantOf(input);
    m.challenge_secret = newChallengeSecret();
    m.challenge_secret_rotated_at = m.updated_at = store.nowIso();
    store.changed();
    const { merchant, challenge_secret, challenge_secret_rotated_at: rotated_at } = m;
    return {
      data: {
        merchant,
        challenge_secret,
        challenge_secret_created: true,
        rotated_at,
        merchant_account: merchantAccountView(m),
      },
    };
  }

  function prepareBillingMandate(input: RouteInput) {
    const m = merchantOf(input);
    const { currency, billing_currency, max_amount_minor } = parseInput(mandateSchema, input.body);
    const mandate = newMandate(
      m.merchant,
      currency ?? billing_currency ?? m.billing_currency,
      max_amount_minor ?? m.billing_mandate_cap_minor,
      store.nowIso(),
    );
    store.data.billing_mandates[mandate.billing_mandate_id] = mandate;
    Object.assign(m, {
      billing_mandate_id: mandate.billing_mandate_id,
      billing_currency: mandate.currency,
      updated_at: mandate.created_at,
    });
    if (m.billing_status === 'pending_mandate') m.billing_status = 'active';
    store.changed();
    return {
      status: 201,
      data: { ...mandate, mandate_id: mandate.billing_mandate_id, merchant_account: merchantAccountView(m) },
    };
  }

  const base = '/sdrp/direct-payments/merchants';
  return [
    { method: 'POST', path: base, auth: 'merchant', handler: setupMerchant },
    { method: 'GET', path: `${base}/:merchant`, auth: 'merchant', handler: getMerchant },
    {
      method: 'POST',
      path: `${base}/:merchant/challenge-secret/rotate`,
      auth: 'merchant',
      handler: rotateChallengeSecret,
    },
    { method: 'POST', path: `${base}/:merchant/billing-mandate`, auth: 'merchant', handler: prepareBillingMandate },
  ];
}
