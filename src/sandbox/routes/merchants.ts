/**
 * Merchant routes: setup (create or update), read, challenge-secret rotation, billing mandate. Bodies are
 * checked with the clients' own input schemas, so the sandbox and the SDK cannot disagree on a rule.
 */
import { prepareBillingMandateInputSchema, setupMerchantInputSchema } from '../../clients/schemas/merchant-account.js';
import { merchantKeySchema, parseInput, tokenForCurrency } from '../../core/validation.js';
import type { SandboxCore } from '../core.js';
import { route, type Route, type RouteInput } from '../http.js';
import { newMandate, newMerchant, publicView, randomHex, type SandboxMerchant } from '../records.js';

// Changed only when the body has them: the client schema's defaults would otherwise reset an existing merchant.
const ACCOUNT_FIELDS = [
  'display_name',
  'billing_plan',
  'billing_currency',
  'allowed_currencies',
  'webhook_callback_url',
  'billing_mandate_cap_minor',
  'max_amount_minor',
  'checkout_allowed_origins',
] as const;

/** Routes under `/v1/sdrp/direct-payments/merchants`. */
export function merchantRoutes({ store }: SandboxCore): Route[] {
  const merchantOf = ({ params }: RouteInput) =>
    store.require('merchants', parseInput(merchantKeySchema, params.merchant, 'merchant'));
  const answer = (m: SandboxMerchant) => ({
    merchant_account: publicView(m),
    listing_id: m.listing_id,
    mandate: structuredClone(store.get('billing_mandates', m.billing_mandate_id ?? '') ?? null),
  });

  function setupMerchant({ body }: RouteInput) {
    const input = parseInput(setupMerchantInputSchema(true), body);
    const existing = store.get('merchants', input.merchant);
    const now = store.nowIso();
    const m = existing ?? newMerchant(input.merchant, now);
    for (const key of ACCOUNT_FIELDS) if (Object.hasOwn(body, key)) Object.assign(m, { [key]: input[key] });
    if (!existing && !input.allowed_currencies)
      m.allowed_currencies = { [m.billing_currency]: tokenForCurrency(m.billing_currency) };
    m.updated_at = now;
    store.put('merchants', m);
    const next_steps = [
      ...(m.billing_mandate_id
        ? []
        : ['Prepare the billing mandate: POST /v1/sdrp/direct-payments/merchants/{merchant}/billing-mandate']),
      'Subscribe your webhook endpoint to direct_payment.confirmed: POST /v1/market/webhooks/subscriptions',
      'Store the challenge secret in SIGLUME_DIRECT_PAYMENT_CHALLENGE_SECRET; it is shown only once.',
    ];
    // The secret is shown once: only the call that created the merchant carries it.
    const secret = existing ? {} : { challenge_secret: m.challenge_secret };
    return {
      status: existing ? 200 : 201,
      data: { ...answer(m), created: !existing, challenge_secret_created: !existing, ...secret, next_steps },
    };
  }

  function rotateChallengeSecret(input: RouteInput) {
    const m = merchantOf(input);
    m.challenge_secret = randomHex('sdrp_cs_', 24);
    m.challenge_secret_rotated_at = m.updated_at = store.nowIso();
    store.changed();
    const { merchant, challenge_secret, challenge_secret_rotated_at: rotated_at } = m;
    return {
      data: { merchant, challenge_secret, challenge_secret_created: true, rotated_at, merchant_account: publicView(m) },
    };
  }

  function prepareBillingMandate(input: RouteInput) {
    const m = merchantOf(input);
    const { currency, billing_currency, max_amount_minor } = parseInput(prepareBillingMandateInputSchema(), input.body);
    const cap = max_amount_minor ?? m.billing_mandate_cap_minor;
    const mandate = store.put(
      'billing_mandates',
      newMandate(m.merchant, currency ?? billing_currency ?? m.billing_currency, cap, store.nowIso()),
    );
    Object.assign(m, {
      billing_mandate_id: mandate.billing_mandate_id,
      billing_currency: mandate.currency,
      updated_at: mandate.created_at,
    });
    if (m.billing_status === 'pending_mandate') m.billing_status = 'active';
    store.changed();
    return {
      status: 201,
      data: { ...mandate, mandate_id: mandate.billing_mandate_id, merchant_account: publicView(m) },
    };
  }

  const base = '/sdrp/direct-payments/merchants';
  return [
    route('POST', base, 'merchant', setupMerchant),
    route('GET', `${base}/:merchant`, 'merchant', (input) => ({ data: answer(merchantOf(input)) })),
    route('POST', `${base}/:merchant/challenge-secret/rotate`, 'merchant', rotateChallengeSecret),
    route('POST', `${base}/:merchant/billing-mandate`, 'merchant', prepareBillingMandate),
  ];
}
