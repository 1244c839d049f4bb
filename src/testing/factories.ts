/**
 * Signed test webhook events, one per classifier kind, for merchants' own
 * handler tests. Each factory returns the raw body, a valid
 * `Siglume-Signature` header for exactly that body, and the parsed event, so
 * a test can post `raw_body` with `header` to its handler and assert on what
 * the handler did.
 *
 * Amounts, bands, cadences and fees come from core/pricing, so an event
 * always looks like one Siglume would send for that amount. Ids and hashes
 * are random and not derived from any challenge secret: to match a stored
 * order, pass your own values through `opts.data`.
 */
import {
  DIRECT_REQUEST_PAYMENT_API_VERSION,
  DIRECT_PAYMENT_CONFIRMED_EVENT,
  DIRECT_REQUEST_PAYMENT_METERED_ACCEPTED_STATUS,
  DIRECT_REQUEST_PAYMENT_METERED_BATCH_MODE,
  DIRECT_REQUEST_PAYMENT_METERED_FINALITY,
  DIRECT_REQUEST_PAYMENT_MODE,
  DIRECT_REQUEST_PAYMENT_STANDARD_FINALITY,
  DIRECT_REQUEST_PAYMENT_STANDARD_SETTLED_STATUS,
} from '../core/constants.js';
import { randomId, sha256Tagged } from '../core/crypto.js';
import { SiglumeValidationError } from '../core/errors.js';
import { feeBreakdownFor, SETTLEMENT_THRESHOLD_MINOR } from '../core/pricing.js';
import { tokenForCurrency, type DirectRequestPaymentCurrency } from '../core/validation.js';
import type { DirectPaymentConfirmationKind } from '../webhooks/classify.js';
import type { DirectRequestPaymentWebhookEvent } from '../webhooks/event.js';
import { assertSecret } from '../internal/secrets.js';
import { buildWebhookSignatureHeader } from '../webhooks/signature.js';

/** Signing secret the factories use when none is given. Verify test deliveries with it. */
export const TEST_WEBHOOK_SECRET = 'whsec_test_secret';

/** `api_version` of the events the factories build. */
export const TEST_WEBHOOK_API_VERSION = DIRECT_REQUEST_PAYMENT_API_VERSION;

/** `mode` of the `unknown` test event: one no classifier supports. */
export const TEST_UNSUPPORTED_CONFIRMATION_MODE = 'unsupported_test_mode';

/** Which classification the test event is built to produce. */
export type TestWebhookEventKind = DirectPaymentConfirmationKind;

/** Options of {@link createTestWebhookEvent}; every field is optional. */
export interface TestWebhookEventOptions {
  /**
   * Signing secret for the header.
   * @default TEST_WEBHOOK_SECRET ('whsec_test_secret')
   */
  secret?: string | undefined;
  /**
   * Unix seconds: the header's `t=` and the event's `occurred_at`.
   * @default now
   */
  timestamp?: number | undefined;
  /**
   * Event id.
   * @default 'evt_test_<random>'
   */
  id?: string | undefined;
  /**
   * Merchant key.
   * @default 'shop_test'
   */
  merchant?: string | undefined;
  /**
   * Payment amount in minor units. It must fall in a band that fits the kind:
   * Standard for `standard_settled`, Micro or Nano for the metered kinds.
   * @default 4200 for standard_settled and unknown, 120 for the metered kinds
   */
  amount_minor?: number | undefined;
  /**
   * @default 'JPY'
   */
  currency?: DirectRequestPaymentCurrency | undefined;
  /**
   * Shallow-merged over the generated `data`, last. A key set to `undefined`
   * is removed, e.g. `{ challenge_hash: undefined }` to test a missing field.
   */
  data?: Record<string, unknown> | undefined;
}

/** A signed test delivery. */
export interface TestWebhookEvent {
  /** The request body to send: `JSON.stringify(event)`. */
  raw_body: string;
  /** `Siglume-Signature` header value signing exactly `raw_body`. */
  header: string;
  /** The event `raw_body` encodes. */
  event: DirectRequestPaymentWebhookEvent;
}

const KINDS: readonly TestWebhookEventKind[] = [
  'standard_settled',
  'metered_usage_accepted',
  'metered_batch_settled',
  'unknown',
];

const DEFAULT_AMOUNT: Record<TestWebhookEventKind, number> = {
  standard_settled: 4200,
  metered_usage_accepted: 120,
  metered_batch_settled: 120,
  unknown: 4200,
};

function randomHex(length: number): string {
  return randomId().replaceAll('-', '').slice(0, length);
}

async function randomSha256(): Promise<string> {
  return sha256Tagged(randomId());
}

function checkKind(kind: unknown): asserts kind is TestWebhookEventKind {
  if (!KINDS.includes(kind as TestWebhookEventKind)) {
    throw new SiglumeValidationError('kind', `Invalid kind: must be one of ${KINDS.join(', ')}`);
  }
}

function checkTimestamp(timestamp: number): void {
  if (typeof timestamp !== 'number' || !Number.isSafeInteger(timestamp) || timestamp < 0 || timestamp > 1e11) {
    throw new SiglumeValidationError('timestamp', 'Invalid timestamp: must be a non-negative integer of unix seconds');
  }
}

// A standard_settled event for a Micro amount would be a lie about the wire;
// refuse it so a merchant's test cannot pass on data Siglume never sends.
function checkBandFitsKind(kind: TestWebhookEventKind, band: string, amount: number, currency: string): void {
  const fits =
    kind === 'unknown' || (kind === 'standard_settled' ? band === 'standard' : band === 'micro' || band === 'nano');
  if (!fits) {
    const wanted = kind === 'standard_settled' ? 'a Standard amount' : 'a Micro or Nano amount';
    throw new SiglumeValidationError(
      'amount_minor',
      `Invalid amount_minor: ${amount} ${currency} is in the ${band} band, but ${kind} needs ${wanted}`,
    );
  }
}

async function buildData(
  kind: TestWebhookEventKind,
  merchant: string,
  amount: number,
  currency: DirectRequestPaymentCurrency,
  occurredAt: string,
): Promise<Record<string, unknown>> {
  const fees = feeBreakdownFor(currency, amount);
  checkBandFitsKind(kind, fees.pricing_band, amount, currency);
  const base = {
    merchant,
    amount_minor: amount,
    currency,
    token_symbol: tokenForCurrency(currency),
    pricing_band: fees.pricing_band,
    settlement_cadence: fees.settlement_cadence,
  };
  const money = {
    buyer_debit_minor: fees.buyer_debit_minor,
    provider_gross_amount_minor: fees.provider_gross_amount_minor,
    protocol_fee_minor: fees.protocol_fee_minor,
    provider_receivable_minor: fees.provider_receivable_minor,
  };

  if (kind === 'metered_batch_settled') {
    // A batch of one usage event, so amount and fees above stay the batch totals.
    return {
      mode: DIRECT_REQUEST_PAYMENT_METERED_BATCH_MODE,
      ...base,
      settlement_batch_id: `msb_test_${randomHex(24)}`,
      usage_event_count: 1,
      usage_event_digest: await randomSha256(),
      settlement_status: DIRECT_REQUEST_PAYMENT_STANDARD_SETTLED_STATUS,
      finality: DIRECT_REQUEST_PAYMENT_METERED_FINALITY,
      chain_receipt_id: `rcpt_test_${randomHex(24)}`,
      settlement_threshold_minor: String(SETTLEMENT_THRESHOLD_MINOR),
      settled_at: occurredAt,
      ...money,
    };
  }

  const payment = {
    requirement_id: `req_test_${randomHex(24)}`,
    challenge_hash: await randomSha256(),
    request_hash_v2: await randomSha256(),
  };

  if (kind === 'metered_usage_accepted') {
    return {
      mode: DIRECT_REQUEST_PAYMENT_MODE,
      ...base,
      ...payment,
      settlement_status: DIRECT_REQUEST_PAYMENT_METERED_ACCEPTED_STATUS,
      finality: DIRECT_REQUEST_PAYMENT_METERED_FINALITY,
      settlement_threshold_minor: String(SETTLEMENT_THRESHOLD_MINOR),
      ...money,
      // The gross's alias names, as Siglume sends them on a Micro / Nano confirmation (CONTRACT-2 sections 19.5, 22).
      provider_usage_amount_minor: fees.provider_gross_amount_minor,
      gross_buyer_debit_minor: fees.provider_gross_amount_minor,
      rounding_delta_minor: '0',
    };
  }

  // standard_settled, and `unknown`, which is the same payment under a mode no one supports.
  const settled = fees.pricing_band === 'standard';
  return {
    mode: kind === 'unknown' ? TEST_UNSUPPORTED_CONFIRMATION_MODE : DIRECT_REQUEST_PAYMENT_MODE,
    ...base,
    ...payment,
    settlement_status: settled ? DIRECT_REQUEST_PAYMENT_STANDARD_SETTLED_STATUS : DIRECT_REQUEST_PAYMENT_METERED_ACCEPTED_STATUS,
    finality: settled ? DIRECT_REQUEST_PAYMENT_STANDARD_FINALITY : DIRECT_REQUEST_PAYMENT_METERED_FINALITY,
    chain_receipt_id: settled ? `rcpt_test_${randomHex(24)}` : undefined,
    settled_at: settled ? occurredAt : undefined,
    ...money,
  };
}

function withoutUndefined(data: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(data).filter(([, value]) => value !== undefined));
}

/**
 * Builds and signs a `direct_payment.confirmed` test event that
 * `classifyDirectPaymentConfirmation` classifies as `kind`:
 *
 * - `standard_settled`: mode `external_402`, Standard amount, settled per payment.
 * - `metered_usage_accepted`: mode `external_402`, Micro / Nano amount, `pending_settlement`.
 * - `metered_batch_settled`: mode `metered_settlement_batch`, a settled batch of one usage event.
 * - `unknown`: a Standard-looking payment under an unsupported `mode`.
 *
 * @throws {SiglumeValidationError} for an unknown kind, a bad amount, currency
 *   or timestamp, or an amount whose band does not fit the kind (field `amount_minor`).
 * @example
 * import { createTestWebhookEvent, TEST_WEBHOOK_SECRET } from '@siglume/direct-request-payment/testing';
 *
 * const { raw_body, header } = await createTestWebhookEvent('standard_settled', { amount_minor: 9800 });
 * const res = await fetch('http://127.0.0.1:3000/webhooks/siglume', {
 *   method: 'POST',
 *   headers: { 'content-type': 'application/json', 'siglume-signature': header },
 *   body: raw_body,
 * });
 */
export async function createTestWebhookEvent(
  kind: TestWebhookEventKind,
  opts: TestWebhookEventOptions = {},
): Promise<TestWebhookEvent> {
  checkKind(kind);
  const timestamp = opts.timestamp ?? Math.floor(Date.now() / 1000);
  checkTimestamp(timestamp);
  const occurredAt = new Date(timestamp * 1000).toISOString();
  const data = await buildData(
    kind,
    opts.merchant ?? 'shop_test',
    opts.amount_minor ?? DEFAULT_AMOUNT[kind],
    opts.currency ?? 'JPY',
    occurredAt,
  );

  const event: DirectRequestPaymentWebhookEvent = {
    id: opts.id ?? `evt_test_${randomHex(24)}`,
    type: DIRECT_PAYMENT_CONFIRMED_EVENT,
    api_version: TEST_WEBHOOK_API_VERSION,
    occurred_at: occurredAt,
    data: withoutUndefined({ ...data, ...opts.data }),
  };
  const rawBody = JSON.stringify(event);
  // An option of this factory, so a bad one is a validation error naming it (the
  // header builder answers an empty secret with the 0.4.20 signature error).
  const secret = opts.secret ?? TEST_WEBHOOK_SECRET;
  assertSecret(secret);
  const header = await buildWebhookSignatureHeader(secret, rawBody, { timestamp });
  return { raw_body: rawBody, header, event };
}

/** A signed Standard payment that settled on-chain. See {@link createTestWebhookEvent}. */
export function createStandardSettledTestEvent(opts?: TestWebhookEventOptions): Promise<TestWebhookEvent> {
  return createTestWebhookEvent('standard_settled', opts);
}

/** A signed Micro / Nano payment accepted into a settlement batch. See {@link createTestWebhookEvent}. */
export function createMeteredUsageAcceptedTestEvent(opts?: TestWebhookEventOptions): Promise<TestWebhookEvent> {
  return createTestWebhookEvent('metered_usage_accepted', opts);
}

/** A signed settled Micro / Nano settlement batch. See {@link createTestWebhookEvent}. */
export function createMeteredBatchSettledTestEvent(opts?: TestWebhookEventOptions): Promise<TestWebhookEvent> {
  return createTestWebhookEvent('metered_batch_settled', opts);
}

/** A signed confirmation under an unsupported mode, which must go to review. See {@link createTestWebhookEvent}. */
export function createUnknownTestEvent(opts?: TestWebhookEventOptions): Promise<TestWebhookEvent> {
  return createTestWebhookEvent('unknown', opts);
}
