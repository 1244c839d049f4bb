/**
 * Wire constants of the SDRP contract. Merchants compare event fields against
 * these, so the values are part of the public API and never change silently.
 */

/** Default API base URL. Override with the `base_url` option or `SIGLUME_API_BASE`. */
export const DEFAULT_SIGLUME_API_BASE = 'https://siglume.com/v1';

/**
 * API base of the local sandbox (`siglume-sdrp sandbox`), used by both
 * clients when `SIGLUME_ENV=sandbox` and `SIGLUME_SANDBOX_API_BASE` is not set.
 */
export const DEFAULT_SIGLUME_SANDBOX_API_BASE = 'http://127.0.0.1:8787/v1';

/**
 * The code an agent-facing product answers with, before any payment, when the
 * buyer's agent has no Siglume connection. The SDK never throws it; the
 * documented body is `{ "error": "SIGLUME_ACCOUNT_REQUIRED", "message": ..., "next_step": ... }`.
 */
export const SIGLUME_ACCOUNT_REQUIRED = 'SIGLUME_ACCOUNT_REQUIRED';

/** `mode` of a one-off Direct Request Payment (also sent when creating a requirement). */
export const DIRECT_REQUEST_PAYMENT_MODE = 'external_402';

/** `mode` of a confirmation that settles a Micro / Nano settlement batch. */
export const DIRECT_REQUEST_PAYMENT_METERED_BATCH_MODE = 'metered_settlement_batch';

/** Challenge scheme of a one-time payment challenge. */
export const DIRECT_REQUEST_PAYMENT_CHALLENGE_SCHEME = 'siglume-external-402-v1';

/** Challenge scheme of a recurring (subscription / scheduled autopay) challenge. */
export const DIRECT_REQUEST_PAYMENT_RECURRING_CHALLENGE_SCHEME = 'siglume-external-402-recurring-v1';

/** `receipt_kind` of a payment execution. */
export const DIRECT_REQUEST_PAYMENT_RECEIPT_KIND = 'sdrp_direct_payment';

/** `receipt_kind` of an allowance (approve) execution. */
export const DIRECT_REQUEST_PAYMENT_ALLOWANCE_RECEIPT_KIND = 'sdrp_direct_payment_allowance';

/** `reference_type` of every execution payload built by this SDK. */
export const DIRECT_REQUEST_PAYMENT_REFERENCE_TYPE = 'sdrp_direct_payment_requirement';

/** `settlement_status` of a Standard payment that settled on-chain. */
export const DIRECT_REQUEST_PAYMENT_STANDARD_SETTLED_STATUS = 'settled';

/** `settlement_status` of a Micro / Nano payment accepted into a settlement batch. */
export const DIRECT_REQUEST_PAYMENT_METERED_ACCEPTED_STATUS = 'pending_settlement';

/** `finality` of a Standard payment: one on-chain settlement per payment. */
export const DIRECT_REQUEST_PAYMENT_STANDARD_FINALITY = 'per_payment_onchain';

/** `finality` of Micro / Nano payments: settled on-chain in aggregate batches. */
export const DIRECT_REQUEST_PAYMENT_METERED_FINALITY = 'aggregated_onchain_settlement';

/** Event type of a confirmed Direct Request Payment. */
export const DIRECT_PAYMENT_CONFIRMED_EVENT = 'direct_payment.confirmed';

/**
 * `data.mode` of the readiness check's test delivery: a signed
 * `direct_payment.confirmed` that is no payment. Handlers acknowledge it.
 */
export const READINESS_PROBE_MODE = 'readiness_probe';

/** Event type emitted when a confirmed payment's allowance is spent. */
export const DIRECT_PAYMENT_SPENT_EVENT = 'direct_payment.spent';

/** Event types a webhook subscription receives when none are given. */
export const DEFAULT_WEBHOOK_EVENT_TYPES: readonly string[] = /* @__PURE__ */ Object.freeze([
  DIRECT_PAYMENT_CONFIRMED_EVENT,
  DIRECT_PAYMENT_SPENT_EVENT,
]);

/** Every event type a merchant endpoint may receive. */
export const DIRECT_REQUEST_PAYMENT_EVENT_TYPES = /* @__PURE__ */ Object.freeze([
  DIRECT_PAYMENT_CONFIRMED_EVENT,
  DIRECT_PAYMENT_SPENT_EVENT,
  'subscription.created',
  'subscription.renewed',
  'payment.failed',
  'subscription.cancelled',
] as const);

/** Name of the webhook signature header (HTTP headers are case-insensitive). */
export const WEBHOOK_SIGNATURE_HEADER = 'Siglume-Signature';

/**
 * Largest accepted clock difference, in seconds, between the webhook's `t=`
 * and the verifier's clock, in either direction.
 */
export const DEFAULT_WEBHOOK_TOLERANCE_SECONDS = 300;

/** Default per-attempt request timeout. */
export const DEFAULT_TIMEOUT_MS = 15_000;

/** Default number of retries after the first attempt. */
export const DEFAULT_MAX_RETRIES = 2;

/**
 * Default cap on an API response body, in bytes (10 MiB). API answers are
 * JSON of a few KB; the cap stops a misbehaving server or proxy from filling
 * memory. Override with the `max_response_bytes` client option.
 */
export const DEFAULT_MAX_RESPONSE_BYTES = 10 * 1024 * 1024;

/**
 * Default cap on a webhook request body read by
 * `verifyDirectRequestPaymentWebhookRequest`, in bytes (1 MiB). Siglume
 * events are a few KB. Override with its `max_body_bytes` option.
 */
export const DEFAULT_MAX_WEBHOOK_BODY_BYTES = 1024 * 1024;

/** Supported fiat currencies and the stablecoin each settles in. */
export const CURRENCY_TOKENS = /* @__PURE__ */ Object.freeze({ JPY: 'JPYC', USD: 'USDC' } as const);

/** Billing plans accepted by merchant setup. `free` is the legacy name of Launch. */
export const BILLING_PLANS = /* @__PURE__ */ Object.freeze(['launch', 'free', 'starter', 'growth', 'pro'] as const);

/** Recurring cadences: `monthly` (subscription) and `daily` (scheduled autopay tag). */
export const RECURRING_CADENCES = /* @__PURE__ */ Object.freeze(['monthly', 'daily'] as const);

/** `api_version` of the webhook events this SDK version was written against. */
export const DIRECT_REQUEST_PAYMENT_API_VERSION = '2026-06-11';

/**
 * The Standard Hosted Checkout responsibility attestation version this SDK
 * knows: what readiness fixes suggest and the sandbox records when
 * `merchant_responsibility_attested` comes without a version.
 */
export const STANDARD_RESPONSIBILITY_ATTESTATION_VERSION = 'sdrp_standard_hosted_checkout_responsibility_v1';
