/**
 * The sandbox's records: how each kind is made (a factory's fields are the kind's type), their ids, and
 * the views the API shows. Field names follow the wire contract, so a view is the record minus secrets.
 */
import * as C from '../core/constants.js';
import { invalidField } from './errors.js';
import type { DirectRequestPaymentBillingPlan, DirectRequestPaymentFeeBreakdown as Fees } from '../core/pricing.js';
import { tokenForCurrency, type DirectRequestPaymentCurrency as Currency } from '../core/validation.js';
import type { DirectRequestPaymentTokenSymbol as Token } from '../core/validation.js';

/** `prefix` and `bytes` random bytes in hex: secrets (`whsec_…`), fake transaction hashes and addresses (`0x…`). */
export const randomHex = (prefix: string, bytes: number): string =>
  prefix + Array.from(crypto.getRandomValues(new Uint8Array(bytes)), (b) => b.toString(16).padStart(2, '0')).join('');

/** A random id such as `cs_3f9a…`; the prefix makes it recognisable in logs (`cs_` session, `evt_` event ...). */
export const newId = (prefix: string): string => randomHex(`${prefix}_`, 12);

export const iso = (ms: number): string => new Date(ms).toISOString();

const unset = null as string | null;

/** A new merchant account: active, waiting for a billing mandate, with a fresh challenge secret and wallet. */
export function newMerchant(merchant: string, now: string) {
  return {
    merchant,
    display_name: merchant,
    listing_id: newId('lst'),
    /** `active`, or `suspended` in the `merchant_suspended` scenario. */
    status: 'active',
    /** `active` once a billing mandate exists, `pending_mandate` before. */
    billing_status: 'pending_mandate',
    billing_mandate_id: unset,
    billing_plan: 'launch' as DirectRequestPaymentBillingPlan,
    billing_currency: 'JPY' as Currency,
    billing_mandate_cap_minor: null as number | null,
    max_amount_minor: null as number | null,
    allowed_currencies: {} as Partial<Record<Currency, Token>>,
    checkout_allowed_origins: [] as string[],
    webhook_callback_url: unset,
    hosted_checkout_enabled: true,
    /** Where the merchant's payments settle (simulated). */
    settlement_wallet_address: randomHex('0x', 20) as string | null,
    standard_terms_accepted: false,
    terms_version: unset,
    sandbox_confirmed: false,
    sandbox_session_id: unset,
    merchant_responsibility_attested: false,
    responsibility_attestation_version: unset,
    responsibility_attestation_source: unset,
    live_mode_requested: false,
    /** Platform blockers of live mode (`ga_blockers`); only the `readiness_blocked` scenario sets one. */
    readiness_blockers: [] as string[],
    challenge_secret: randomHex('sdrp_cs_', 24),
    challenge_secret_rotated_at: now,
    created_at: now,
    updated_at: now,
  };
}

/** A merchant account; `challenge_secret` leaves the sandbox only at creation or rotation (and through the handle). @interface */
export type SandboxMerchant = ReturnType<typeof newMerchant>;

/** An active billing mandate (the sandbox approves at once; in Siglume the owner confirms it first). */
export function newMandate(merchant: string, currency: Currency, max_amount_minor: number | null, now: string) {
  return {
    billing_mandate_id: newId('mandate'),
    merchant,
    currency,
    token_symbol: tokenForCurrency(currency),
    max_amount_minor,
    status: 'active',
    created_at: now,
  };
}

export type SandboxBillingMandate = ReturnType<typeof newMandate>;

/** A webhook subscription (to the default event types unless given). */
export function newSubscription(callback_url: string, now: string, event_types = [...C.DEFAULT_WEBHOOK_EVENT_TYPES]) {
  return {
    id: newId('whsub'),
    callback_url,
    status: 'active',
    event_types,
    description: unset,
    metadata: {},
    signing_secret: randomHex('whsec_', 24),
    created_at: now,
    updated_at: now,
  };
}

/** A webhook subscription; the API shows `signing_secret` only in the answer that creates it. @interface */
export type SandboxWebhookSubscription = ReturnType<typeof newSubscription>;

/** The priced terms of a payment, shared by checkout sessions, requirements and recurring approvals. */
export interface PaymentTerms {
  merchant: string;
  amount_minor: number;
  currency: Currency;
  token_symbol: Token;
  challenge_hash: string;
}

export const finalityFor = (band: string): string =>
  band === 'standard' ? C.DIRECT_REQUEST_PAYMENT_STANDARD_FINALITY : C.DIRECT_REQUEST_PAYMENT_METERED_FINALITY;

/** The terms with the accounting of their band (CONTRACT sections 8-9), not settled yet. */
const priced = (terms: PaymentTerms, fees: Fees) => ({
  ...terms,
  ...fees,
  finality: finalityFor(fees.pricing_band),
  settlement_status: unset,
  chain_receipt_id: unset,
});

/** Lifecycle status of a checkout session. */
export type SandboxCheckoutSessionStatus = 'open' | 'authenticated' | 'paid' | 'expired' | 'cancelled' | 'failed';

type SessionInput = {
  nonce: string;
  challenge: string;
  success_url: string;
  cancel_url: string;
  metadata: Record<string, unknown>;
};

/** An open Hosted Checkout session; `challenge` is the one-time challenge issued with the merchant's secret. */
export function newSession(terms: PaymentTerms, fees: Fees, input: SessionInput, nowMs: number, ttl_seconds: number) {
  return {
    session_id: newId('cs'),
    status: 'open' as SandboxCheckoutSessionStatus,
    ...priced(terms, fees),
    ...input,
    requirement_id: unset,
    event_id: unset,
    created_at: iso(nowMs),
    updated_at: iso(nowMs),
    expires_at: iso(nowMs + ttl_seconds * 1000),
    paid_at: unset,
    cancelled_at: unset,
  };
}

/** A Hosted Checkout session. @interface */
export type SandboxCheckoutSession = ReturnType<typeof newSession>;

/** A session a buyer can still pay (or that can still expire). */
export const isOpenSession = (s: SandboxCheckoutSession) => s.status === 'open' || s.status === 'authenticated';

/** The token the merchant takes `currency` in; 422 naming `currency` when it takes none. */
export function merchantToken(m: SandboxMerchant, currency: Currency): Token {
  const token = m.allowed_currencies[currency];
  if (!token) {
    const allowed = Object.keys(m.allowed_currencies).join(', ');
    const reason = `${currency} is not an allowed currency of merchant "${m.merchant}" (allowed: ${allowed})`;
    throw invalidField('currency', reason);
  }
  return token;
}

/** Refuses an amount over the merchant's `max_amount_minor` (422 naming `amount_minor`), as every payment route does. */
export function checkMaxAmount(m: SandboxMerchant, amount_minor: number): void {
  if (m.max_amount_minor !== null && amount_minor > m.max_amount_minor) {
    throw invalidField('amount_minor', `exceeds the merchant's max_amount_minor (${m.max_amount_minor})`);
  }
}

const TOKEN_CONTRACT: Record<Token, string> = { JPYC: `0x${'4a'.repeat(20)}`, USDC: `0x${'55'.repeat(20)}` };
/** Base units of the token per minor unit: JPYC has 18 decimals for 1 yen, USDC 6 for 100 cents. */
const BASE_UNITS: Record<Token, bigint> = { JPYC: 10n ** 18n, USDC: 10n ** 4n };
const word = (value: string | bigint) =>
  (typeof value === 'bigint' ? value.toString(16) : value.slice(2)).padStart(64, '0');

/** A prepared ERC-20 call a buyer would sign on the simulated chain: `transfer` to the payee, or `approve` of Siglume's spender. */
function txRequest(purpose: string, terms: PaymentTerms, requirement_id: string, to: string, amount_minor: number) {
  const { merchant, token_symbol, challenge_hash } = terms;
  const selector = purpose === C.DIRECT_REQUEST_PAYMENT_RECEIPT_KIND ? '0xa9059cbb' : '0x095ea7b3';
  return {
    chain_id: 31337,
    network: 'siglume-sandbox',
    from: null,
    to: TOKEN_CONTRACT[token_symbol],
    data: `${selector}${word(to)}${word(BigInt(amount_minor) * BASE_UNITS[token_symbol])}`,
    value: '0',
    token_symbol,
    amount_minor,
    metadata_jsonb: { requirement_id, merchant, challenge_hash, purpose },
  };
}

type RequirementInput = {
  request_hash: string;
  request_hash_v2: string;
  metadata: Record<string, unknown>;
  checkout_session_id: string | null;
  /** The merchant's settlement wallet, which the transfer pays. */
  payee: string;
  allowance_amount_minor: number | null;
};

/** Siglume's spender, which an allowance approves. */
const SPENDER = `0x${'5e'.repeat(20)}`;

/** An unpaid Direct Request Payment requirement. */
export function newRequirement(terms: PaymentTerms, fees: Fees, input: RequirementInput, now: string) {
  const { payee, allowance_amount_minor: allowance, ...rest } = input;
  const id = newId('dpr');
  const tx = (kind: string, to: string, amount_minor: number) => txRequest(kind, terms, id, to, amount_minor);
  return {
    requirement_id: id,
    direct_payment_requirement_id: id,
    mode: C.DIRECT_REQUEST_PAYMENT_MODE,
    /** `requires_payment` until paid, then `paid`. */
    status: 'requires_payment',
    ...priced(terms, fees),
    ...rest,
    receipt_id: unset,
    allowance_amount_minor: allowance,
    allowance_status: allowance === null ? unset : 'required',
    transaction_request: tx(C.DIRECT_REQUEST_PAYMENT_RECEIPT_KIND, payee, terms.amount_minor),
    approve_transaction_request:
      allowance === null ? null : tx(C.DIRECT_REQUEST_PAYMENT_ALLOWANCE_RECEIPT_KIND, SPENDER, allowance),
    settlement_batch_id: unset,
    usage_event_id: unset,
    event_id: unset,
    paid_at: unset,
    created_at: now,
  };
}

export type SandboxRequirement = ReturnType<typeof newRequirement>;

/** A confirmed receipt of a simulated execution; only an on-`chain` one has a transaction hash and chain receipt. */
export function newReceipt(reference_id: string, receipt_kind: string, chain: boolean, metadata: object, now: string) {
  return {
    receipt_id: newId('rcpt'),
    receipt_kind,
    reference_type: C.DIRECT_REQUEST_PAYMENT_REFERENCE_TYPE,
    reference_id,
    status: 'confirmed',
    tx_hash: chain ? randomHex('0x', 32) : null,
    chain_receipt_id: chain ? newId('chr') : null,
    finality: chain ? C.DIRECT_REQUEST_PAYMENT_STANDARD_FINALITY : C.DIRECT_REQUEST_PAYMENT_METERED_FINALITY,
    metadata,
    created_at: now,
  };
}

export type SandboxReceipt = ReturnType<typeof newReceipt>;

/** A webhook event; stored as delivered, so a redelivery sends the same bytes. */
export function newEvent(type: string, data: Record<string, unknown>, now: string) {
  return { id: newId('evt'), type, api_version: C.DIRECT_REQUEST_PAYMENT_API_VERSION, occurred_at: now, data };
}

/** A webhook event, exactly as delivered. @interface */
export type SandboxEvent = ReturnType<typeof newEvent>;

/** What a delivery can be: `queued` until its last attempt ends. */
export const DELIVERY_STATUSES = ['queued', 'delivered', 'failed'] as const;

/** A queued delivery of an event to a subscription. */
export function newDelivery(event: SandboxEvent, sub: SandboxWebhookSubscription, now: string, redelivery_of = unset) {
  return {
    id: newId('whd'),
    subscription_id: sub.id,
    event_id: event.id,
    event_type: event.type,
    callback_url: sub.callback_url,
    delivery_status: 'queued' as (typeof DELIVERY_STATUSES)[number],
    /** Status of the last attempt's answer; null when none arrived. */
    response_status: null as number | null,
    /** Why the last attempt failed: `ECONNREFUSED 127.0.0.1:3000`, `timeout after 5000 ms`, `HTTP 500` ... */
    failure_reason: unset,
    attempts: 0,
    delivered_at: unset,
    created_at: now,
    /** The delivery this one repeats, for a redelivery. */
    redelivery_of,
  };
}

/** One delivery of an event to one subscription (all its attempts). @interface */
export type SandboxDelivery = ReturnType<typeof newDelivery>;

const HIDDEN = new Set(['challenge_secret', 'signing_secret', 'challenge', 'schedule_token', 'executions']);

/** A copy of a record without secrets and internal bookkeeping: what the API shows. */
export const publicView = (record: object): Record<string, unknown> =>
  Object.fromEntries(Object.entries(structuredClone(record)).filter(([key]) => !HIDDEN.has(key)));

/** A subscription under each id name of the contract; the hint is its secret's last four characters. */
export const subscriptionView = (s: SandboxWebhookSubscription) => {
  const ids = { webhook_subscription_id: s.id, subscription_id: s.id };
  return { ...publicView(s), ...ids, signing_secret_hint: s.signing_secret.slice(-4) };
};

/** A checkout session with its `checkout_url` on the sandbox at `origin`. */
export const sessionView = (s: SandboxCheckoutSession, origin: string) => ({
  ...publicView(s),
  checkout_url: `${origin}/pay/${encodeURIComponent(s.session_id)}`,
});

/** `success_url` with `session_id` appended, as the shop's success page expects. */
export function successRedirect(s: SandboxCheckoutSession): string {
  const url = new URL(s.success_url);
  url.searchParams.set('session_id', s.session_id);
  return url.toString();
}
