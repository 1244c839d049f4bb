/**
 * The sandbox's state, as kept in memory and written to `--state-file`. Field
 * names follow the wire contract so that API views are thin projections of
 * these records (minus secrets).
 */
import type {
  DirectRequestPaymentBillingPlan,
  DirectRequestPaymentPricingBand,
  DirectRequestPaymentSettlementCadence,
} from '../core/pricing.js';
import type { DirectRequestPaymentCurrency, DirectRequestPaymentTokenSymbol } from '../core/validation.js';

/** Version of the state file layout. */
export const SANDBOX_STATE_VERSION = 1;

/** A merchant account. `challenge_secret` never leaves the sandbox except at creation or rotation. */
export interface SandboxMerchant {
  merchant: string;
  display_name: string;
  /** `active`, or `suspended` in the `merchant_suspended` scenario. */
  status: string;
  /** `active` once a billing mandate exists; `pending_mandate` before; `inactive` in the `billing_inactive` scenario. */
  billing_status: string;
  billing_mandate_id: string | null;
  billing_plan: DirectRequestPaymentBillingPlan;
  billing_currency: DirectRequestPaymentCurrency;
  billing_mandate_cap_minor: number | null;
  max_amount_minor: number | null;
  allowed_currencies: Partial<Record<DirectRequestPaymentCurrency, DirectRequestPaymentTokenSymbol>>;
  checkout_allowed_origins: string[];
  webhook_callback_url: string | null;
  hosted_checkout_enabled: boolean;
  listing_id: string;
  challenge_secret: string;
  challenge_secret_rotated_at: string;
  created_at: string;
  updated_at: string;
}

/** A billing mandate (the merchant's authorization to be billed Siglume fees). */
export interface SandboxBillingMandate {
  billing_mandate_id: string;
  merchant: string;
  currency: DirectRequestPaymentCurrency;
  token_symbol: DirectRequestPaymentTokenSymbol;
  max_amount_minor: number | null;
  status: string;
  created_at: string;
}

/** A webhook subscription. `signing_secret` is shown only when created. */
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

/** A Hosted Checkout session. */
export interface SandboxCheckoutSession {
  session_id: string;
  status: SandboxCheckoutSessionStatus;
  merchant: string;
  amount_minor: number;
  currency: DirectRequestPaymentCurrency;
  token_symbol: DirectRequestPaymentTokenSymbol;
  nonce: string;
  /** The one-time challenge the sandbox issued with the merchant's challenge secret. */
  challenge: string;
  challenge_hash: string;
  requirement_id: string | null;
  pricing_band: DirectRequestPaymentPricingBand;
  settlement_cadence: DirectRequestPaymentSettlementCadence;
  finality: string;
  protocol_fee_minor: string;
  settlement_status: string | null;
  chain_receipt_id: string | null;
  success_url: string;
  cancel_url: string;
  metadata: Record<string, unknown>;
  event_id: string | null;
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
  token_symbol: DirectRequestPaymentTokenSymbol;
  amount_minor: number;
  metadata_jsonb: Record<string, unknown>;
  [key: string]: unknown;
}

/** A Direct Request Payment requirement. */
export interface SandboxRequirement {
  requirement_id: string;
  direct_payment_requirement_id: string;
  mode: string;
  merchant: string;
  amount_minor: number;
  currency: DirectRequestPaymentCurrency;
  token_symbol: DirectRequestPaymentTokenSymbol;
  challenge_hash: string;
  request_hash: string;
  request_hash_v2: string;
  /** `requires_payment` until paid, then `paid`. */
  status: string;
  pricing_band: DirectRequestPaymentPricingBand;
  settlement_cadence: DirectRequestPaymentSettlementCadence;
  finality: string;
  settlement_status: string | null;
  chain_receipt_id: string | null;
  receipt_id: string | null;
  protocol_fee_minor: string;
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
  delivery_status: 'queued' | 'delivered' | 'failed';
  /** Status of the last attempt's response; null when no response arrived. */
  response_status: number | null;
  delivered_at: string | null;
  attempts: number;
  callback_url: string;
  /** Why the last attempt failed, e.g. `timeout after 5000 ms` or `HTTP 500`. */
  last_error: string | null;
  /** The delivery this one repeats (redelivery), if any. */
  redelivery_of: string | null;
  created_at: string;
}

/** One accepted Micro / Nano payment in a metered statement. */
export interface SandboxUsageEvent {
  usage_event_id: string;
  merchant: string;
  listing_id: string;
  capability_key: string;
  plan_type: 'micro' | 'nano';
  currency: DirectRequestPaymentCurrency;
  token_symbol: DirectRequestPaymentTokenSymbol;
  requirement_id: string;
  challenge_hash: string;
  amount_minor: string;
  buyer_debit_minor: string;
  provider_gross_amount_minor: string;
  protocol_fee_minor: string;
  provider_receivable_minor: string;
  /** `pending_settlement` until its batch settles, then `settled`. */
  status: string;
  settlement_batch_id: string;
  occurred_at: string;
}

/** A Micro / Nano settlement batch. Totals are computed from its usage events. */
export interface SandboxSettlementBatch {
  settlement_batch_id: string;
  merchant: string;
  listing_id: string;
  capability_key: string;
  plan_type: 'micro' | 'nano';
  currency: DirectRequestPaymentCurrency;
  token_symbol: DirectRequestPaymentTokenSymbol;
  settlement_cadence: DirectRequestPaymentSettlementCadence;
  /** `open` or `settled`. */
  status: string;
  usage_event_ids: string[];
  opened_at: string;
  scheduled_settlement_at: string;
  settled_at: string | null;
  chain_receipt_id: string | null;
  usage_event_digest: string | null;
  event_id: string | null;
}

/** What the sandbox was seeded with; the env a merchant app needs is derived from it. */
export interface SandboxSeed {
  merchant: string;
  origin: string;
  webhook_url: string;
  webhook_secret: string;
  subscription_id: string;
  created_at: string;
}

/** The whole state. Records are keyed by id and kept in creation order. */
export interface SandboxStateData {
  version: typeof SANDBOX_STATE_VERSION;
  seed: SandboxSeed;
  scenario: string;
  /** False in the `hosted_checkout_disabled_404` scenario: the checkout routes answer 404. */
  hosted_checkout_routes: boolean;
  /** The seeded merchant while the `no_merchant` scenario hides it, so its secret survives. */
  hidden_merchant?: SandboxMerchant | null;
  merchants: Record<string, SandboxMerchant>;
  billing_mandates: Record<string, SandboxBillingMandate>;
  subscriptions: Record<string, SandboxWebhookSubscription>;
  checkout_sessions: Record<string, SandboxCheckoutSession>;
  requirements: Record<string, SandboxRequirement>;
  receipts: Record<string, SandboxReceipt>;
  events: Record<string, SandboxEvent>;
  deliveries: Record<string, SandboxDelivery>;
  usage_events: Record<string, SandboxUsageEvent>;
  settlement_batches: Record<string, SandboxSettlementBatch>;
}
