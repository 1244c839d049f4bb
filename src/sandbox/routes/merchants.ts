/**
 * Merchant routes: setup (create or update, with the live-mode onboarding fields of CONTRACT-2 section
 * 15), read, readiness, challenge-secret rotation, billing mandate. Bodies are checked with the clients'
 * own input schemas, so the sandbox and the SDK cannot disagree on a rule.
 */
import { prepareBillingMandateInputSchema, setupMerchantInputSchema } from '../../clients/schemas/merchant-account.js';
import { STANDARD_RESPONSIBILITY_ATTESTATION_VERSION as ATTESTATION_VERSION } from '../../core/constants.js';
import { merchantKeySchema, parseInput, tokenForCurrency } from '../../core/validation.js';
import type { SandboxCore } from '../core.js';
import { conflict, invalidField } from '../errors.js';
import { route, type Route, type RouteInput } from '../http.js';
import { SANDBOX_TERMS_VERSION, merchantReadiness } from '../readiness.js';
import {
  newMandate,
  newMerchant,
  publicView,
  randomHex,
  type SandboxCheckoutSession,
  type SandboxMerchant,
} from '../records.js';

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

export function merchantRoutes({ store }: SandboxCore): Route[] {
  const merchantOf = ({ params }: RouteInput) =>
    store.require('merchants', parseInput(merchantKeySchema, params.merchant, 'merchant'));
  const answer = (m: SandboxMerchant) => ({
    merchant_account: publicView(m),
    listing_id: m.listing_id,
    mandate: structuredClone(store.get('billing_mandates', m.billing_mandate_id ?? '') ?? null),
    standard_hosted_checkout_readiness: merchantReadiness(m, store),
  });

  /**
   * The session that proves a sandbox checkout: a paid session of this merchant whose confirmation reached
   * the shop (the one named, else the latest).
   */
  function sandboxEvidence(merchant: string, named: string | undefined): string {
    const proves = (s: SandboxCheckoutSession) =>
      s.merchant === merchant &&
      s.status === 'paid' &&
      store.list('deliveries').some((d) => d.event_id === s.event_id && d.delivery_status === 'delivered');
    if (named !== undefined) {
      const s = store.get('checkout_sessions', named);
      if (s && proves(s)) return s.session_id;
      const reason = `must be a paid checkout session of "${merchant}" whose webhook was delivered`;
      throw invalidField('sandbox_session_id', reason);
    }
    const latest = store.list('checkout_sessions').filter(proves).at(-1);
    if (latest) return latest.session_id;
    const message = `sandbox_confirmed needs a sandbox checkout first: pay a checkout session of "${merchant}" (hosted page, or POST /v1/sandbox/checkout-sessions/{id}/confirm) and let its direct_payment.confirmed webhook reach your shop.`;
    throw conflict('SANDBOX_CHECKOUT_REQUIRED', message, { field: 'sandbox_confirmed' });
  }

  function setupMerchant({ body }: RouteInput) {
    const input = parseInput(setupMerchantInputSchema(true), body);
    const existing = store.get('merchants', input.merchant);
    // Checked before anything changes, so a refused confirmation leaves the merchant as it was.
    const confirming = input.sandbox_confirmed === true && !existing?.sandbox_confirmed;
    const evidence = confirming ? sandboxEvidence(input.merchant, input.sandbox_session_id) : undefined;
    const now = store.nowIso();
    const m = existing ?? newMerchant(input.merchant, now);
    for (const key of ACCOUNT_FIELDS) if (Object.hasOwn(body, key)) Object.assign(m, { [key]: input[key] });
    if (!existing && !input.allowed_currencies)
      m.allowed_currencies = { [m.billing_currency]: tokenForCurrency(m.billing_currency) };
    const terms = input.standard_terms_accepted ?? input.terms_accepted;
    if (terms !== undefined) {
      m.standard_terms_accepted = terms;
      m.terms_version = terms ? (input.terms_version ?? SANDBOX_TERMS_VERSION) : null;
    }
    const attested = input.merchant_responsibility_attested;
    if (attested !== undefined) {
      const version = input.responsibility_attestation_version ?? ATTESTATION_VERSION;
      m.merchant_responsibility_attested = attested;
      m.responsibility_attestation_version = attested ? version : null;
      m.responsibility_attestation_source = attested ? 'setup_merchant' : null;
    }
    if (input.sandbox_confirmed !== undefined) {
      m.sandbox_confirmed = input.sandbox_confirmed;
      m.sandbox_session_id = input.sandbox_confirmed ? (evidence ?? m.sandbox_session_id) : null;
    }
    if (input.live_mode_requested !== undefined) m.live_mode_requested = input.live_mode_requested;
    m.updated_at = now;
    store.put('merchants', m);
    const data = answer(m);
    const next_steps = data.standard_hosted_checkout_readiness.checks.flatMap((c) => c.fix ?? []);
    // The secret is shown once: only the call that created the merchant carries it.
    const secret = existing ? {} : { challenge_secret: m.challenge_secret };
    const created = { created: !existing, challenge_secret_created: !existing };
    return { status: existing ? 200 : 201, data: { ...data, ...created, ...secret, next_steps } };
  }

  function rotateChallengeSecret(input: RouteInput) {
    const m = merchantOf(input);
    m.challenge_secret = randomHex('sdrp_cs_', 24);
    m.challenge_secret_rotated_at = m.updated_at = store.nowIso();
    store.changed();
    const { merchant, challenge_secret, challenge_secret_rotated_at: rotated_at } = m;
    const data = { merchant, challenge_secret, challenge_secret_created: true, rotated_at };
    return { data: { ...data, merchant_account: publicView(m) } };
  }

  function prepareBillingMandate(input: RouteInput) {
    const m = merchantOf(input);
    // `billing_currency` is what setupCheckout sends; `currency` is how 0.4.20-era callers name it.
    const { currency, billing_currency, max_amount_minor } = parseInput(prepareBillingMandateInputSchema(), input.body);
    const cap = max_amount_minor ?? m.billing_mandate_cap_minor;
    const mandate = newMandate(m.merchant, billing_currency ?? currency ?? m.billing_currency, cap, store.nowIso());
    store.put('billing_mandates', mandate);
    m.billing_mandate_id = mandate.billing_mandate_id;
    m.billing_currency = mandate.currency;
    m.updated_at = mandate.created_at;
    m.billing_status = 'active'; // The new mandate is approved at once, so billing is active (also after billing_inactive).
    store.changed();
    const data = { ...mandate, mandate_id: mandate.billing_mandate_id, merchant_account: publicView(m) };
    return { status: 201, data };
  }

  const base = '/sdrp/direct-payments/merchants';
  return [
    route('POST', base, 'merchant', setupMerchant),
    route('GET', `${base}/:merchant`, 'merchant', (input) => ({ data: answer(merchantOf(input)) })),
    route('GET', `${base}/:merchant/readiness`, 'merchant', (input) => {
      const m = merchantOf(input);
      return { data: { merchant: m.merchant, standard_hosted_checkout_readiness: merchantReadiness(m, store) } };
    }),
    route('POST', `${base}/:merchant/challenge-secret/rotate`, 'merchant', rotateChallengeSecret),
    route('POST', `${base}/:merchant/billing-mandate`, 'merchant', prepareBillingMandate),
  ];
}
