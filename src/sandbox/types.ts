/**
 * The sandbox's records. Field names follow the wire contract, so API views
 * are thin projections of them (minus secrets). The handle's accessors return
 * copies of these; how they are stored (and written to the state file) is
 * private to the sandbox. Fields are grouped by theme, one theme per line.
 */
import type {
  DirectRequestPaymentBillingPlan,
  DirectRequestPaymentPricingBand,
  DirectRequestPaymentSettlementCadence,
} from '../core/pricing.js';
import type {
  DirectRequestPaymentCurrency as Currency,
  DirectRequestPaymentTokenSymbol as Token,
} from '../core/validation.js';

/** A merchant account. `challenge_secret` leaves the sandbox only at creation or rotation (and through the handle). */
export interface SandboxMerchant {
  merchant: string;
  display_name: string;
  listing_id: string;
  /** `active`, or `suspended` in the `merchant_suspended` scenario. */
  status: string;
  /** `active` once a billing mandate exists; `pending_mandate` before; `inactive` in the `billing_inactive` scenario. */
  billing_status: string;
  billing_mandate_id: string | null;
  billing_plan: DirectRequestPaymentBillingPlan;
  billing_currency: Currency;
  billing_mandate_cap_minor: number | null;
  max_amount_minor: number | null;
  allowed_currencies: Partial<Record<Currency, Token>>;
  checkout_allowed_origins: string[];
  webhook_callback_url: string | null;
  hosted_checkout_enabled: boolean;
  challenge_secret: string;
  challenge_secret_rotated_at: string;
  created_at: string;
  updated_at: string;
}

/** A billing mandate (the merchant's authorization to be billed Siglume fees). */
export interface SandboxBillingMandate {
  billing_mandate_id: string;
  merchant: string;
  currency: Currency;
  token_symbol: Token;
  max_amount_minor: number | null;
  status: string;
  created_at: string;
}

/** A webhook subscription. The API shows `signing_secret` only when it is created. */
export interface SandboxWebhookSubscription {
  id: string;
  callback_url: string;
  status: string;
  event_types: string[];
  description: string | null;
  metadata: Record<string, unknown>;
  signing_secret: string;
  created_at: string;
  updated_at: string;
}

/** Lifecycle status of a checkout session. */
export type SandboxCheckoutSessionStatus = 'open' | 'authenticated' | 'paid' | 'expired' | 'cancelled' | 'failed';

/** A Hosted Checkout session. `challenge` is the one-time challenge the sandbox issued with the merchant's secret. */
export interface SandboxCheckoutSession {
  session_id: string;
  status: SandboxCheckoutSessionStatus;
  pricing_band: DirectRequestPaymentPricingBand;
  settlement_cadence: DirectRequestPaymentSettlementCadence;
  finality: string;
  protocol_fee_minor: string;
  settlement_status: string | null;
  chain_receipt_id: string | null;
  merchant: string;
  amount_minor: number;
  currency: Currency;
  token_symbol: Token;
  nonce: string;
  challenge: string;
  challenge_hash: string;
  requirement_id: string | null;
  event_id: string | null;
  success_url: string;
  cancel_url: string;
  metadata: Record<string, unknown>;
  created_at: string;
  updated_at: string;
  expires_at: string;
  paid_at: string | null;
  cancelled_at: string | null;
}

/** A prepared transaction a buyer signs (simulated: nothing is broadcast). */
export interface SandboxTransactionRequest {
  chain_id: number;
  network: string;
  from: string | null;
  to: string;
  data: string;
  value: string;
  token_symbol: Token;
  amount_minor: number;
  metadata_jsonb: Record<string, unknown>;
}

/** A Direct Request Payment requirement; `status` is `requires_payment` until paid, then `paid`. */
export interface SandboxRequirement {
  requirement_id: string;
  direct_payment_requirement_id: string;
  mode: string;
  status: string;
  pricing_band: DirectRequestPaymentPricingBand;
  settlement_cadence: DirectRequestPaymentSettlementCadence;
  finality: string;
  protocol_fee_minor: string;
  settlement_status: string | null;
  chain_receipt_id: string | null;
  merchant: string;
  amount_minor: number;
  currency: Currency;
  token_symbol: Token;
  challenge_hash: string;
  request_hash: string;
  request_hash_v2: string;
  receipt_id: string | null;
  buyer_debit_minor: string;
  provider_gross_amount_minor: string;
  provider_receivable_minor: string;
  allowance_amount_minor: number | null;
  allowance_status: string | null;
  transaction_request: SandboxTransactionRequest;
  approve_transaction_request: SandboxTransactionRequest | null;
  checkout_session_id: string | null;
  settlement_batch_id: string | null;
  usage_event_id: string | null;
  event_id: string | null;
  metadata: Record<string, unknown>;
  created_at: string;
  paid_at: string | null;
}

/** A receipt of a simulated on-chain execution. */
export interface SandboxReceipt {
  receipt_id: string;
  receipt_kind: string;
  reference_type: string;
  reference_id: string;
  status: string;
  tx_hash: string | null;
  chain_receipt_id: string | null;
  finality: string;
  metadata: Record<string, unknown>;
  created_at: string;
}

/** A webhook event, exactly as delivered (re-serialized identically on redelivery). */
export interface SandboxEvent {
  id: string;
  type: string;
  api_version: string;
  occurred_at: string;
  data: Record<string, unknown>;
}

/** One delivery of an event to one subscription (all its attempts). */
export interface SandboxDelivery {
  id: string;
  subscription_id: string;
  event_id: string;
  event_type: string;
  callback_url: string;
  delivery_status: 'queued' | 'delivered' | 'failed';
  /** Status of the last attempt's response; null when no response arrived. */
  response_status: number | null;
  /** Why the last attempt failed, e.g. `timeout after 5000 ms` or `HTTP 500`. */
  last_error: string | null;
  attempts: number;
  delivered_at: string | null;
  created_at: string;
  /** The delivery this one repeats (redelivery), if any. */
  redelivery_of: string | null;
}

/** One accepted Micro / Nano payment in a metered statement; `status` is `pending_settlement` until its batch settles. */
export interface SandboxUsageEvent {
  merchant: string;
  listing_id: string;
  capability_key: string;
  plan_type: 'micro' | 'nano';
  currency: Currency;
  token_symbol: Token;
  usage_event_id: string;
  requirement_id: string;
  challenge_hash: string;
  status: string;
  settlement_batch_id: string;
  occurred_at: string;
  amount_minor: string;
  buyer_debit_minor: string;
  provider_gross_amount_minor: string;
  protocol_fee_minor: string;
  provider_receivable_minor: string;
}

/** A Micro / Nano settlement batch (`open` or `settled`), grouping usage by merchant, listing, capability, plan and token. Totals are computed from its usage events. */
export interface SandboxSettlementBatch {
  merchant: string;
  listing_id: string;
  capability_key: string;
  plan_type: 'micro' | 'nano';
  currency: Currency;
  token_symbol: Token;
  settlement_batch_id: string;
  settlement_cadence: DirectRequestPaymentSettlementCadence;
  status: string;
  usage_event_ids: string[];
  opened_at: string;
  scheduled_settlement_at: string;
  settled_at: string | null;
  chain_receipt_id: string | null;
  usage_event_digest: string | null;
  event_id: string | null;
}
