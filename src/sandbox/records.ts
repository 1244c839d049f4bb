/**
 * How each record kind is made and shown, in one place. The seeded merchant
 * and the API both create merchants, mandates and subscriptions; payments and
 * allowance approvals both create receipts. Views strip secrets: challenge and
 * signing secrets appear only in the answers that create or rotate them.
 */
import { DEFAULT_WEBHOOK_EVENT_TYPES, DIRECT_REQUEST_PAYMENT_REFERENCE_TYPE } from '../core/constants.js';
import { tokenForCurrency, type DirectRequestPaymentCurrency } from '../core/validation.js';
import { newChallengeSecret, newId, newWebhookSigningSecret } from './ids.js';
import type { SandboxState } from './store.js';
import type {
  SandboxBillingMandate,
  SandboxCheckoutSession,
  SandboxMerchant,
  SandboxReceipt,
  SandboxWebhookSubscription,
} from './types.js';

/** A new merchant account: active, waiting for a billing mandate, with a fresh challenge secret. */
export function newMerchant(merchant: string, now: string, fields: Partial<SandboxMerchant> = {}): SandboxMerchant {
  return {
    merchant,
    display_name: merchant,
    listing_id: newId('lst'),
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
    challenge_secret: newChallengeSecret(),
    challenge_secret_rotated_at: now,
    created_at: now,
    updated_at: now,
    ...fields,
  };
}

/** An active billing mandate (the sandbox approves at once; in Siglume the owner confirms it first). */
export function newMandate(
  merchant: string,
  currency: DirectRequestPaymentCurrency,
  max_amount_minor: number | null,
  now: string,
): SandboxBillingMandate {
  const id = newId('mandate');
  return {
    billing_mandate_id: id,
    merchant,
    currency,
    token_symbol: tokenForCurrency(currency),
    max_amount_minor,
    status: 'active',
    created_at: now,
  };
}

/** An active webhook subscription (to the default event types unless given). */
export function newSubscription(
  callback_url: string,
  now: string,
  fields: Partial<SandboxWebhookSubscription> = {},
): SandboxWebhookSubscription {
  return {
    id: newId('whsub'),
    callback_url,
    status: 'active',
    event_types: [...DEFAULT_WEBHOOK_EVENT_TYPES],
    description: null,
    metadata: {},
    signing_secret: newWebhookSigningSecret(),
    created_at: now,
    updated_at: now,
    ...fields,
  };
}

/** A confirmed receipt of a simulated execution for a requirement. */
export function newReceipt(
  reference_id: string,
  receipt_kind: string,
  now: string,
  fields: Pick<SandboxReceipt, 'tx_hash' | 'chain_receipt_id' | 'finality' | 'metadata'>,
): SandboxReceipt {
  return {
    receipt_id: newId('rcpt'),
    receipt_kind,
    reference_type: DIRECT_REQUEST_PAYMENT_REFERENCE_TYPE,
    reference_id,
    status: 'confirmed',
    ...fields,
    created_at: now,
  };
}

/** A deep copy of JSON data, so callers cannot change stored records. */
export const copy = <T>(value: T): T => structuredClone(value);

/** A merchant account without its challenge secret. */
export function merchantAccountView(m: SandboxMerchant): Record<string, unknown> {
  const { challenge_secret: _secret, ...rest } = copy(m);
  return rest;
}

/** A subscription without its signing secret; the hint is its last four characters (a suffix, per the contract). */
export function subscriptionView(s: SandboxWebhookSubscription): Record<string, unknown> {
  const { signing_secret, ...rest } = copy(s);
  return {
    ...rest,
    webhook_subscription_id: s.id,
    subscription_id: s.id,
    signing_secret_hint: signing_secret.slice(-4),
  };
}

/** A checkout session with its `checkout_url` on the sandbox at `origin`; the challenge string itself stays inside. */
export function sessionView(s: SandboxCheckoutSession, origin: string): Record<string, unknown> {
  const { challenge: _challenge, ...rest } = copy(s);
  return { ...rest, checkout_url: `${origin}/pay/${encodeURIComponent(s.session_id)}` };
}

/** The state without any secret, for `GET /__sandbox/state`. */
export function redactedState(data: SandboxState, origin: string): Record<string, unknown> {
  const { webhook_secret: _secret, ...seed } = data.seed;
  const map = <T>(rec: Record<string, T>, fn: (v: T) => unknown) =>
    Object.fromEntries(Object.entries(rec).map(([k, v]) => [k, fn(v)]));
  const { hidden_merchant: _hidden, merchants, subscriptions, checkout_sessions, ...rest } = data;
  return {
    ...copy(rest),
    seed,
    merchants: map(merchants, merchantAccountView),
    subscriptions: map(subscriptions, subscriptionView),
    checkout_sessions: map(checkout_sessions, (s) => sessionView(s, origin)),
  };
}
