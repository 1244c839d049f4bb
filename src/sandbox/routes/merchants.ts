/**
 * Self-service merchant routes: setup (create or update), read, challenge
 * secret rotation, billing mandate.
 */
import { z } from 'zod';
import { tokenForCurrency } from '../../core/validation.js';
import {
  absoluteUrlSchema,
  billingPlanSchema,
  checkoutOriginsSchema,
  currencySchema,
  merchantKeySchema,
  parseInput,
  positiveSafeIntegerSchema,
  tokenSymbolSchema,
  type DirectRequestPaymentCurrency,
} from '../../core/validation.js';
import { newChallengeSecret, newId } from '../ids.js';
import type { Route, RouteContext } from '../router.js';
import type { SandboxMerchant } from '../types.js';
import { merchantAccountView } from '../views.js';

type AllowedCurrencies = SandboxMerchant['allowed_currencies'];

/** `["JPY"]` or `{ "JPY": "JPYC" }`; each currency must map to its own token. */
const allowedCurrenciesSchema = z.unknown().transform((value, ctx): AllowedCurrencies => {
  const out: AllowedCurrencies = {};
  const fail = (message: string, path: PropertyKey[] = []) => {
    ctx.addIssue({ code: 'custom', message, path });
    return z.NEVER;
  };
  const entries: Array<[PropertyKey[], unknown, unknown]> = Array.isArray(value)
    ? value.map((c, i) => [[i], c, undefined])
    : value !== null && typeof value === 'object'
      ? Object.entries(value).map(([k, t]) => [[k], k, t])
      : [];
  if (!Array.isArray(value) && (value === null || typeof value !== 'object')) {
    return fail('must be an array of currencies such as ["JPY"] or a map such as {"JPY": "JPYC"}');
  }
  if (entries.length === 0) return fail('must not be empty');
  for (const [path, currencyRaw, tokenRaw] of entries) {
    const currency = currencySchema.safeParse(currencyRaw);
    if (!currency.success) return fail('must be "JPY" or "USD"', path);
    const expected = tokenForCurrency(currency.data);
    if (tokenRaw !== undefined) {
      const token = tokenSymbolSchema.safeParse(tokenRaw);
      if (!token.success || token.data !== expected) return fail(`must be "${expected}"`, path);
    }
    out[currency.data] = expected;
  }
  return out;
});

const setupSchema = z.object({
  merchant: merchantKeySchema,
  billing_plan: z.nullish(billingPlanSchema),
  billing_currency: z.nullish(currencySchema),
  display_name: z.string({ error: 'must be a string' }).trim().min(1, { error: 'must not be empty' }).max(200, { error: 'must be at most 200 characters' }).nullish(),
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

function merchantParam(ctx: RouteContext): string {
  return parseInput(merchantKeySchema, ctx.params.merchant, 'merchant');
}

function nextSteps(m: SandboxMerchant): string[] {
  const steps: string[] = [];
  if (!m.billing_mandate_id) steps.push('Prepare the billing mandate: POST /v1/sdrp/direct-payments/merchants/{merchant}/billing-mandate');
  steps.push('Subscribe your webhook endpoint to direct_payment.confirmed: POST /v1/market/webhooks/subscriptions');
  steps.push('Store the challenge secret in SIGLUME_DIRECT_PAYMENT_CHALLENGE_SECRET; it is shown only once.');
  return steps;
}

function setupMerchant(ctx: RouteContext) {
  const input = parseInput(setupSchema, ctx.body);
  const { store } = ctx.rt;
  const now = store.nowIso();
  const existing = store.merchant(input.merchant);
  const m: SandboxMerchant = existing ?? {
    merchant: input.merchant,
    display_name: input.merchant,
    status: 'active',
    billing_status: 'pending_mandate',
    billing_mandate_id: null,
    billing_plan: 'launch',
    billing_currency: 'JPY',
    billing_mandate_cap_minor: null,
    max_amount_minor: null,
    allowed_currencies: {},
    checkout_allowed_origins: [],
    webhook_callback_url: null,
    hosted_checkout_enabled: true,
    listing_id: newId('lst'),
    challenge_secret: newChallengeSecret(),
    challenge_secret_rotated_at: now,
    created_at: now,
    updated_at: now,
  };
  if (input.display_name) m.display_name = input.display_name;
  if (input.billing_plan) m.billing_plan = input.billing_plan;
  if (input.billing_currency) m.billing_currency = input.billing_currency;
  if (input.allowed_currencies) m.allowed_currencies = input.allowed_currencies;
  else if (!existing) m.allowed_currencies = { [m.billing_currency]: tokenForCurrency(m.billing_currency) };
  if (input.webhook_callback_url) m.webhook_callback_url = input.webhook_callback_url;
  if (input.billing_mandate_cap_minor) m.billing_mandate_cap_minor = input.billing_mandate_cap_minor;
  if (input.max_amount_minor) m.max_amount_minor = input.max_amount_minor;
  if (input.checkout_allowed_origins) m.checkout_allowed_origins = input.checkout_allowed_origins;
  m.updated_at = now;
  store.data.merchants[m.merchant] = m;
  store.changed();
  const mandate = m.billing_mandate_id ? store.data.billing_mandates[m.billing_mandate_id] ?? null : null;
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
      next_steps: nextSteps(m),
    },
  };
}

function getMerchant(ctx: RouteContext) {
  const m = ctx.rt.store.requireMerchant(merchantParam(ctx));
  const mandate = m.billing_mandate_id ? ctx.rt.store.data.billing_mandates[m.billing_mandate_id] ?? null : null;
  return { data: { merchant_account: merchantAccountView(m), listing_id: m.listing_id, mandate: mandate ? { ...mandate } : null } };
}

function rotateChallengeSecret(ctx: RouteContext) {
  const { store } = ctx.rt;
  const m = store.requireMerchant(merchantParam(ctx));
  m.challenge_secret = newChallengeSecret();
  m.challenge_secret_rotated_at = store.nowIso();
  m.updated_at = m.challenge_secret_rotated_at;
  store.changed();
  return {
    data: {
      merchant: m.merchant,
      challenge_secret: m.challenge_secret,
      challenge_secret_created: true,
      rotated_at: m.challenge_secret_rotated_at,
      merchant_account: merchantAccountView(m),
    },
  };
}

function prepareBillingMandate(ctx: RouteContext) {
  const { store } = ctx.rt;
  const m = store.requireMerchant(merchantParam(ctx));
  const input = parseInput(mandateSchema, ctx.body);
  const currency: DirectRequestPaymentCurrency = input.currency ?? input.billing_currency ?? m.billing_currency;
  const now = store.nowIso();
  const id = newId('mandate');
  const mandate = {
    billing_mandate_id: id,
    merchant: m.merchant,
    currency,
    token_symbol: tokenForCurrency(currency),
    max_amount_minor: input.max_amount_minor ?? m.billing_mandate_cap_minor,
    // The sandbox approves at once; in Siglume the owner confirms the mandate first.
    status: 'active',
    created_at: now,
  };
  store.data.billing_mandates[id] = mandate;
  m.billing_mandate_id = id;
  m.billing_currency = currency;
  if (m.billing_status === 'pending_mandate') m.billing_status = 'active';
  m.updated_at = now;
  store.changed();
  return { status: 201, data: { ...mandate, mandate_id: id, merchant_account: merchantAccountView(m) } };
}

/** Routes under `/v1/sdrp/direct-payments/merchants`. */
export const merchantRoutes: Route[] = [
  { method: 'POST', pattern: '/sdrp/direct-payments/merchants', auth: 'merchant', handler: setupMerchant },
  { method: 'GET', pattern: '/sdrp/direct-payments/merchants/:merchant', auth: 'merchant', handler: getMerchant },
  {
    method: 'POST',
    pattern: '/sdrp/direct-payments/merchants/:merchant/challenge-secret/rotate',
    auth: 'merchant',
    handler: rotateChallengeSecret,
  },
  {
    method: 'POST',
    pattern: '/sdrp/direct-payments/merchants/:merchant/billing-mandate',
    auth: 'merchant',
    handler: prepareBillingMandate,
  },
];
