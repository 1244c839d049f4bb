/**
 * How each record kind is made, in one place: the seeded merchant and the API
 * both create merchants, mandates and subscriptions; payments and allowance
 * approvals both create receipts.
 */
import { DEFAULT_WEBHOOK_EVENT_TYPES, DIRECT_REQUEST_PAYMENT_REFERENCE_TYPE } from '../core/constants.js';
import { tokenForCurrency, type DirectRequestPaymentCurrency } from '../core/validation.js';
import { newChallengeSecret, newId, newWebhookSigningSecret } from './ids.js';
import type { SandboxBillingMandate, SandboxMerchant, SandboxReceipt, SandboxWebhookSubscription } from './types.js';

/** A new merchant account: active, waiting for a billing mandate, with a fresh challenge secret. */
export function newMerchant(merchant: string, now: string, fields: Partial<SandboxMerchant> = {}): SandboxMerchant {
  return {
    merchant, display_name: merchant, listing_id: newId('lst'), status: 'active', billing_status: 'pending_mandate',
    billing_mandate_id: null, billing_plan: 'launch', billing_currency: 'JPY', billing_mandate_cap_minor: null,
    max_amount_minor: null, allowed_currencies: {}, checkout_allowed_origins: [], webhook_callback_url: null, hosted_checkout_enabled: true,
    challenge_secret: newChallengeSecret(), challenge_secret_rotated_at: now, created_at: now, updated_at: now, ...fields,
  };
}

/** An active billing mandate (the sandbox approves at once; in Siglume the owner confirms it first). */
export function newMandate(merchant: string, currency: DirectRequestPaymentCurrency, max_amount_minor: number | null, now: string): SandboxBillingMandate {
  const id = newId('mandate');
  return { billing_mandate_id: id, merchant, currency, token_symbol: tokenForCurrency(currency), max_amount_minor, status: 'active', created_at: now };
}

/** An active webhook subscription (to the default event types unless given). */
export function newSubscription(callback_url: string, now: string, fields: Partial<SandboxWebhookSubscription> = {}): SandboxWebhookSubscription {
  return {
    id: newId('whsub'), callback_url, status: 'active', event_types: [...DEFAULT_WEBHOOK_EVENT_TYPES], description: null, metadata: {},
    signing_secret: newWebhookSigningSecret(), created_at: now, updated_at: now, ...fields,
  };
}

/** A confirmed receipt of a simulated execution for a requirement. */
export function newReceipt(reference_id: string, receipt_kind: string, now: string, fields: Pick<SandboxReceipt, 'tx_hash' | 'chain_receipt_id' | 'finality' | 'metadata'>): SandboxReceipt {
  return { receipt_id: newId('rcpt'), receipt_kind, reference_type: DIRECT_REQUEST_PAYMENT_REFERENCE_TYPE, reference_id, status: 'confirmed', ...fields, created_at: now };
}
