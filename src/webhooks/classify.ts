/**
 * Confirmation classifier (CONTRACT section 8). A `direct_payment.confirmed`
 * event means different things per pricing band: a Standard payment settled
 * on-chain, a Micro / Nano payment accepted into a batch that has not settled
 * yet, or a whole batch that settled. Fulfilling on the wrong one ships goods
 * for money that has not moved, so the classifier names which one it is and
 * sends everything it cannot prove into `unknown` with a reason.
 *
 * It is pure and synchronous, uses no crypto, and never throws: odd data
 * (missing `data`, numbers where strings belong) classifies as `unknown`.
 */
import {
  DIRECT_PAYMENT_CONFIRMED_EVENT,
  DIRECT_REQUEST_PAYMENT_METERED_ACCEPTED_STATUS,
  DIRECT_REQUEST_PAYMENT_METERED_BATCH_MODE,
  DIRECT_REQUEST_PAYMENT_METERED_FINALITY,
  DIRECT_REQUEST_PAYMENT_MODE,
  DIRECT_REQUEST_PAYMENT_STANDARD_FINALITY,
  DIRECT_REQUEST_PAYMENT_STANDARD_SETTLED_STATUS,
} from '../core/constants.js';
import { settlementCadenceFor } from '../core/pricing.js';
import type { DirectRequestPaymentWebhookEvent } from './event.js';

/**
 * What the classifier reads from an event: `type` and `data`. A verified
 * {@link DirectRequestPaymentWebhookEvent} fits, and so does any parsed
 * object with those keys. `data` is typed `unknown` because the classifier
 * checks it itself.
 */
export interface DirectPaymentConfirmationInput {
  readonly type: string;
  readonly data?: unknown;
}

/** Pricing bands settled in aggregate batches. */
export type DirectPaymentMeteredBand = 'micro' | 'nano';

/** Cadence of a metered band: micro -> weekly, nano -> monthly. */
export type DirectPaymentMeteredCadence = 'weekly' | 'monthly';

/** Why a confirmation could not be classified; one value per contract rule. */
export type DirectPaymentUnknownReason =
  | 'not_direct_payment_confirmed'
  | 'unsupported_confirmation_mode'
  | 'invalid_metered_settlement_confirmation'
  | 'missing_standard_settlement_fields'
  | 'missing_metered_usage_fields'
  | 'unknown_confirmation_shape';

/** Every {@link DirectPaymentUnknownReason}, in the order the rules are checked. */
export const DIRECT_PAYMENT_UNKNOWN_REASONS: readonly DirectPaymentUnknownReason[] = /* @__PURE__ */ Object.freeze([
  'not_direct_payment_confirmed',
  'unsupported_confirmation_mode',
  'invalid_metered_settlement_confirmation',
  'missing_standard_settlement_fields',
  'missing_metered_usage_fields',
  'unknown_confirmation_shape',
] as const);

interface ClassificationBase<E> {
  /** The event as passed in. */
  event: E;
  /** `event.data`, or `{}` when it was missing or not an object. */
  data: Record<string, unknown>;
}

/**
 * A Standard payment settled on-chain, one settlement per payment. The only
 * kind on which a Standard order may be marked paid.
 */
export interface DirectPaymentStandardSettled<E = DirectRequestPaymentWebhookEvent> extends ClassificationBase<E> {
  kind: 'standard_settled';
  requirement_id: string;
  challenge_hash: string;
  chain_receipt_id: string;
  request_hash_v2: string | null;
}

/**
 * A Micro / Nano payment accepted into a settlement batch. No money has moved
 * on-chain yet; fulfil only if the integration explicitly opted into Micro /
 * Nano (`decideOrderPayment` in `@siglume/direct-request-payment/orders`).
 */
export interface DirectPaymentMeteredUsageAccepted<E = DirectRequestPaymentWebhookEvent> extends ClassificationBase<E> {
  kind: 'metered_usage_accepted';
  pricing_band: DirectPaymentMeteredBand;
  settlement_cadence: DirectPaymentMeteredCadence;
  requirement_id: string;
  challenge_hash: string;
  request_hash_v2: string | null;
}

/**
 * A Micro / Nano settlement batch settled on-chain. Reconcile by
 * `settlement_batch_id`, never by challenge hash: one batch covers many payments.
 */
export interface DirectPaymentMeteredBatchSettled<E = DirectRequestPaymentWebhookEvent> extends ClassificationBase<E> {
  kind: 'metered_batch_settled';
  pricing_band: DirectPaymentMeteredBand;
  settlement_cadence: DirectPaymentMeteredCadence;
  settlement_batch_id: string;
  chain_receipt_id: string;
  usage_event_digest: string;
  settled_at: string | null;
}

/**
 * Anything the rules cannot prove. Route it to manual review. The fields are
 * copied for the reviewer; each is `null` when absent, blank or not a string.
 */
export interface DirectPaymentUnknownConfirmation<E = DirectRequestPaymentWebhookEvent> extends ClassificationBase<E> {
  kind: 'unknown';
  reason: DirectPaymentUnknownReason;
  requirement_id: string | null;
  settlement_batch_id: string | null;
  pricing_band: string | null;
  settlement_cadence: string | null;
  settlement_status: string | null;
  finality: string | null;
}

/** Result of {@link classifyDirectPaymentConfirmation}; switch on `kind`. */
export type DirectPaymentConfirmationClassification<E = DirectRequestPaymentWebhookEvent> =
  | DirectPaymentStandardSettled<E>
  | DirectPaymentMeteredUsageAccepted<E>
  | DirectPaymentMeteredBatchSettled<E>
  | DirectPaymentUnknownConfirmation<E>;

/** The `kind` values of {@link DirectPaymentConfirmationClassification}. */
export type DirectPaymentConfirmationKind = DirectPaymentConfirmationClassification['kind'];

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

// A field counts only as a string that is non-empty after trimming; the
// trimmed value is what the rules compare and what the result carries.
function text(data: Record<string, unknown>, key: string): string | null {
  const value = Object.hasOwn(data, key) ? data[key] : undefined;
  if (typeof value !== 'string') return null;
  const trimmed = value.trim();
  return trimmed === '' ? null : trimmed;
}

function meteredBand(band: string | null): DirectPaymentMeteredBand | null {
  return band === 'micro' || band === 'nano' ? band : null;
}

// The band-to-cadence mapping lives in core/pricing; the classifier only asks it.
function cadenceMatches(band: DirectPaymentMeteredBand, cadence: string | null): cadence is DirectPaymentMeteredCadence {
  return cadence !== null && cadence === settlementCadenceFor(band);
}

/**
 * Classifies a `direct_payment.confirmed` event, applying the contract's rules
 * in order:
 *
 * 1. `type` is not `direct_payment.confirmed` -> `unknown` / `not_direct_payment_confirmed`.
 * 2. `data.mode` is not `external_402` or `metered_settlement_batch` -> `unknown` / `unsupported_confirmation_mode`.
 * 3. mode `metered_settlement_batch` -> `metered_batch_settled` when settled with
 *    aggregated finality, a micro/nano band whose cadence matches (micro weekly,
 *    nano monthly), and a batch id, chain receipt id and usage digest; else
 *    `unknown` / `invalid_metered_settlement_confirmation`.
 * 4. band `standard` -> `standard_settled` when settled with per-payment finality
 *    and a requirement id, challenge hash and chain receipt id; else
 *    `unknown` / `missing_standard_settlement_fields`.
 * 5. band micro/nano -> `metered_usage_accepted` when `pending_settlement` with
 *    aggregated finality, matching cadence, a requirement id and challenge hash;
 *    else `unknown` / `missing_metered_usage_fields`.
 * 6. anything else -> `unknown` / `unknown_confirmation_shape`.
 *
 * The requirement id is `data.requirement_id`, falling back to
 * `data.direct_payment_requirement_id`. A string field counts only when it is
 * non-empty after trimming, and results carry the trimmed value; a blank
 * `requirement_id` therefore falls back too. Comparisons are exact and
 * case-sensitive. Never throws.
 *
 * @example
 * const { event } = await verifyDirectRequestPaymentWebhook(secret, rawBody, header);
 * const result = classifyDirectPaymentConfirmation(event);
 * switch (result.kind) {
 *   case 'standard_settled': await markPaid(result.requirement_id); break;
 *   case 'metered_usage_accepted': await holdForReview(result.requirement_id); break;
 *   case 'metered_batch_settled': await reconcileBatch(result.settlement_batch_id); break;
 *   case 'unknown': await sendToReview(result.reason, result.event); break;
 * }
 */
export function classifyDirectPaymentConfirmation<E extends DirectPaymentConfirmationInput>(
  event: E,
): DirectPaymentConfirmationClassification<E> {
  const rawData: unknown = isRecord(event) ? event.data : undefined;
  const data: Record<string, unknown> = isRecord(rawData) ? rawData : {};

  const requirementId = text(data, 'requirement_id') ?? text(data, 'direct_payment_requirement_id');
  const band = text(data, 'pricing_band');
  const cadence = text(data, 'settlement_cadence');
  const status = text(data, 'settlement_status');
  const finality = text(data, 'finality');

  const unknown = (reason: DirectPaymentUnknownReason): DirectPaymentUnknownConfirmation<E> => ({
    kind: 'unknown',
    reason,
    event,
    data,
    requirement_id: requirementId,
    settlement_batch_id: text(data, 'settlement_batch_id'),
    pricing_band: band,
    settlement_cadence: cadence,
    settlement_status: status,
    finality,
  });

  if (!isRecord(event) || event.type !== DIRECT_PAYMENT_CONFIRMED_EVENT) {
    return unknown('not_direct_payment_confirmed');
  }

  const mode = text(data, 'mode');
  if (mode !== DIRECT_REQUEST_PAYMENT_MODE && mode !== DIRECT_REQUEST_PAYMENT_METERED_BATCH_MODE) {
    return unknown('unsupported_confirmation_mode');
  }

  const challengeHash = text(data, 'challenge_hash');
  const chainReceiptId = text(data, 'chain_receipt_id');
  const metered = meteredBand(band);

  if (mode === DIRECT_REQUEST_PAYMENT_METERED_BATCH_MODE) {
    const batchId = text(data, 'settlement_batch_id');
    const digest = text(data, 'usage_event_digest');
    if (
      status === DIRECT_REQUEST_PAYMENT_STANDARD_SETTLED_STATUS &&
      finality === DIRECT_REQUEST_PAYMENT_METERED_FINALITY &&
      metered !== null &&
      cadenceMatches(metered, cadence) &&
      batchId !== null &&
      chainReceiptId !== null &&
      digest !== null
    ) {
      return {
        kind: 'metered_batch_settled',
        event,
        data,
        pricing_band: metered,
        settlement_cadence: cadence,
        settlement_batch_id: batchId,
        chain_receipt_id: chainReceiptId,
        usage_event_digest: digest,
        settled_at: text(data, 'settled_at'),
      };
    }
    return unknown('invalid_metered_settlement_confirmation');
  }

  if (band === 'standard') {
    if (
      finality === DIRECT_REQUEST_PAYMENT_STANDARD_FINALITY &&
      status === DIRECT_REQUEST_PAYMENT_STANDARD_SETTLED_STATUS &&
      requirementId !== null &&
      challengeHash !== null &&
      chainReceiptId !== null
    ) {
      return {
        kind: 'standard_settled',
        event,
        data,
        requirement_id: requirementId,
        challenge_hash: challengeHash,
        chain_receipt_id: chainReceiptId,
        request_hash_v2: text(data, 'request_hash_v2'),
      };
    }
    return unknown('missing_standard_settlement_fields');
  }

  if (metered !== null) {
    if (
      finality === DIRECT_REQUEST_PAYMENT_METERED_FINALITY &&
      status === DIRECT_REQUEST_PAYMENT_METERED_ACCEPTED_STATUS &&
      cadenceMatches(metered, cadence) &&
      requirementId !== null &&
      challengeHash !== null
    ) {
      return {
        kind: 'metered_usage_accepted',
        event,
        data,
        pricing_band: metered,
        settlement_cadence: cadence,
        requirement_id: requirementId,
        challenge_hash: challengeHash,
        request_hash_v2: text(data, 'request_hash_v2'),
      };
    }
    return unknown('missing_metered_usage_fields');
  }

  return unknown('unknown_confirmation_shape');
}
