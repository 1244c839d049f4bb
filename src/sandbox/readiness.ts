/**
 * Standard Hosted Checkout readiness of a merchant (CONTRACT-2 section 16), computed from what the
 * sandbox stores: one check per gate, in order. The name of a failing gate is what
 * `missing_requirements` lists (stable strings, documented in docs/sandbox.md); `blockers` are what the
 * merchant cannot fix through the API (a suspended account, a platform blocker).
 */
import { DIRECT_PAYMENT_CONFIRMED_EVENT, STANDARD_RESPONSIBILITY_ATTESTATION_VERSION } from '../core/constants.js';
import type { SandboxMerchant } from './records.js';
import type { SandboxStore } from './store.js';

/** Terms version recorded when `standard_terms_accepted` comes without `terms_version`. */
export const SANDBOX_TERMS_VERSION = 'sdrp_standard_hosted_checkout_terms_v1';

/** What each gate asks for, in check order; a failing gate shows its fix. */
const FIXES = {
  merchant_registration: 'The merchant account is suspended; Siglume support can lift it.',
  settlement_wallet: 'Connect a settlement wallet to the merchant.',
  billing_mandate: 'Prepare an active billing mandate: prepareBillingMandate(merchant).',
  webhook_endpoint:
    'Set webhook_callback_url with setupMerchant and subscribe that URL to direct_payment.confirmed (setupCheckout does both).',
  terms_acceptance: 'Accept the terms: setupMerchant({ standard_terms_accepted: true }).',
  sandbox_confirmation:
    'Pay a sandbox checkout whose webhook your shop accepts, then setupMerchant({ sandbox_confirmed: true }).',
  merchant_responsibility_attestation:
    'Accept the responsibility boundary: setupMerchant({ merchant_responsibility_attested: true }).',
  live_mode_requested: 'Ask for live mode: setupMerchant({ live_mode_requested: true }).',
};

/** Whether each gate passes. */
const gates = (m: SandboxMerchant, store: SandboxStore): Record<keyof typeof FIXES, boolean> => ({
  merchant_registration: m.status === 'active',
  settlement_wallet: m.settlement_wallet_address !== null,
  billing_mandate: m.billing_mandate_id !== null && m.billing_status === 'active',
  webhook_endpoint: store
    .subscriptionsFor(DIRECT_PAYMENT_CONFIRMED_EVENT)
    .some((s) => s.callback_url === m.webhook_callback_url),
  terms_acceptance: m.standard_terms_accepted,
  sandbox_confirmation: m.sandbox_confirmed,
  merchant_responsibility_attestation: m.merchant_responsibility_attested,
  live_mode_requested: m.live_mode_requested,
});

// Missing, these stop checkout once the merchant asked for live mode. The account gates do not, so each
// account scenario fails only its own readiness check; nor does sandbox confirmation, whose evidence is
// a paid sandbox checkout.
const LIVE_MODE_GATES = ['terms_acceptance', 'merchant_responsibility_attestation'];

const PROVIDER_ROLE = { siglume: 'payment_protocol_and_settlement_provider', merchant: 'merchant_of_record' };
const RESPONSIBILITY_BOUNDARY = {
  version: STANDARD_RESPONSIBILITY_ATTESTATION_VERSION,
  merchant: ['merchant_of_record', 'fulfilment', 'customer_support', 'refunds', 'taxes', 'screening', 'legality'],
  siglume: ['payment_protocol', 'settlement', 'webhook_delivery'],
};

/** The readiness of `GET .../merchants/{merchant}/readiness`, also on `setupMerchant`'s answer. */
export function merchantReadiness(m: SandboxMerchant, store: SandboxStore) {
  const passes = gates(m, store);
  const checks = Object.entries(FIXES).map(([name, fix]) =>
    passes[name as keyof typeof FIXES] ? { name, status: 'pass' } : { name, status: 'fail', fix },
  );
  const failing = checks.filter((c) => c.status === 'fail').map((c) => c.name);
  const blockers = [...(m.status === 'active' ? [] : ['merchant_suspended']), ...m.readiness_blockers];
  const ready = failing.length === 0 && blockers.length === 0;
  return {
    scope: 'standard_hosted_checkout',
    ready,
    status: ready ? 'ready' : blockers.length > 0 ? 'blocked' : 'action_required',
    checks,
    missing_requirements: failing.filter((name) => name !== 'merchant_registration'),
    blockers,
    live_mode_requested: m.live_mode_requested,
    live_mode_enabled: ready,
    terms_accepted: m.standard_terms_accepted,
    terms_version: m.terms_version,
    sandbox_confirmed: m.sandbox_confirmed,
    sandbox_session_id: m.sandbox_session_id,
    merchant_responsibility_attested: m.merchant_responsibility_attested,
    responsibility_attestation_version: m.responsibility_attestation_version,
    responsibility_attestation_source: m.responsibility_attestation_source,
    business_verification_required: false,
    provider_role: PROVIDER_ROLE,
    responsibility_boundary: RESPONSIBILITY_BOUNDARY,
    ga_blockers: [...m.readiness_blockers],
  };
}

/** The readiness that refuses this merchant's checkout (live mode asked for, a live-mode gate open), or null. */
export function checkoutRefusal(m: SandboxMerchant, store: SandboxStore) {
  if (!m.live_mode_requested) return null;
  const r = merchantReadiness(m, store);
  const open = r.missing_requirements.some((name) => LIVE_MODE_GATES.includes(name));
  return open || r.ga_blockers.length > 0 ? r : null;
}
