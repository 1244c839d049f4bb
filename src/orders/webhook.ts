/**
 * Processing one webhook delivery: verify, classify, confirm with Siglume,
 * then decide and apply in one store transaction. The decision is
 * {@link decideOrderPayment}'s; this module gathers its facts and writes its
 * result, and answers as data (status + outcome).
 */
import { SiglumeWebhookPayloadError, SiglumeWebhookSignatureError } from '../core/errors.js';
import { classifyDirectPaymentConfirmation } from '../webhooks/classify.js';
import { verifyDirectRequestPaymentWebhook } from '../webhooks/event.js';
import { webhookErrorStatus } from '../webhooks/status.js';
import { confirmCheckoutSession } from './confirm.js';
import { isStorableId } from './ids.js';
import {
  decideOrderPayment,
  orderDecisionLabel,
  orderLookupHash,
  orderPaymentNeedsConfirmation,
  type OrderPaymentConfirmation,
  type OrderPaymentDecision,
} from './decide.js';
import {
  ORDER_CONFIRMATION_PENDING_WINDOW_SECONDS,
  OrderPaymentConfirmationPendingError,
  OrderPaymentConfirmationUnavailableError,
} from './errors.js';
import type { ResolvedOrderCheckoutOptions } from './options.js';
import type { OrderStoreTransaction } from './store.js';

/** Largest webhook body accepted, bytes (1 MiB). */
export const ORDER_WEBHOOK_MAX_BODY_BYTES = 1024 * 1024;

/** Error codes of a refused webhook delivery. */
export type OrderWebhookErrorCode =
  | 'invalid_signature'
  | 'invalid_payload'
  | 'invalid_event'
  | 'payload_too_large'
  | 'webhook_raw_body_unavailable'
  | 'payment_confirmation_unavailable'
  | 'payment_confirmation_pending'
  | 'webhook_processing_failed';

/**
 * Answer of `handleWebhook`, tagged by `kind`:
 * - `processed` (204): the event's writes committed, or it was a duplicate;
 *   `decision` says what happened (a `review` was also handed to `onReview`).
 * - `refused`: 400 `invalid_signature` (no or a malformed signature header) /
 *   `invalid_payload` / `invalid_event`
 *   (nothing written), 413 `payload_too_large`, 500
 *   `webhook_raw_body_unavailable` (a body parser ran first, or a signed
 *   request came with no body at all: `undefined` / `null`) or
 *   `webhook_processing_failed` (the store failed and rolled back, or the
 *   body could not be read), 503
 *   `invalid_signature` (a well-formed signature that does not verify: this
 *   server's secret or clock is wrong, see `webhookErrorStatus`),
 *   `payment_confirmation_unavailable` (Siglume's API could not be asked) or
 *   `payment_confirmation_pending` (for an event under 15 minutes old,
 *   Siglume's record of the session is still `open` / `authenticated`, or the
 *   session was stored while the event was being checked). Siglume redelivers
 *   on 5xx; nothing was recorded.
 */
export type OrderWebhookResult =
  | { kind: 'processed'; status: 204; event_id: string; decision: OrderPaymentDecision }
  | { kind: 'refused'; status: 400 | 413 | 500 | 503; body: { error: OrderWebhookErrorCode; message: string } };

type Refused = Extract<OrderWebhookResult, { kind: 'refused' }>;

/** A refused answer. */
export function refuseWebhook(status: Refused['status'], error: OrderWebhookErrorCode, message: string): Refused {
  return { kind: 'refused', status, body: { error, message } };
}

function tooLarge(body: unknown): boolean {
  if (typeof body === 'string') {
    // UTF-8 takes at least one byte per UTF-16 unit and at most three.
    if (body.length > ORDER_WEBHOOK_MAX_BODY_BYTES) return true;
    return body.length * 3 > ORDER_WEBHOOK_MAX_BODY_BYTES && new TextEncoder().encode(body).length > ORDER_WEBHOOK_MAX_BODY_BYTES;
  }
  if (body instanceof ArrayBuffer || ArrayBuffer.isView(body)) return body.byteLength > ORDER_WEBHOOK_MAX_BODY_BYTES;
  return false;
}

/** What {@link applyOrderDecision} did with a review: `new_review` false when it was found under `review_event_id`. */
export interface AppliedOrderDecision {
  new_review: boolean;
  /** The event whose review row holds this finding: this event's, or an earlier one's; null for no review. */
  review_event_id: string | null;
}

const NO_REVIEW: AppliedOrderDecision = { new_review: false, review_event_id: null };

/**
 * Writes a decision through the store transaction (shared with reconciliation: one way to apply a decision).
 * A review the store has already (the same finding about the same payment under an earlier event: the webhook's,
 * then reconciliation's, or the other way round) is not recorded or announced again.
 */
export async function applyOrderDecision(tx: OrderStoreTransaction, decision: OrderPaymentDecision): Promise<AppliedOrderDecision> {
  switch (decision.kind) {
    case 'duplicate':
    case 'ignore':
      return NO_REVIEW;
    case 'review': {
      const earlier = typeof tx.findEarlierReview === 'function' ? await tx.findEarlierReview(decision.review) : null;
      if (earlier !== null) return { new_review: false, review_event_id: earlier };
      await tx.recordReview(decision.review);
      return { new_review: true, review_event_id: decision.review.event_id };
    }
    case 'reconcile_batch':
      await tx.recordSettlementBatch(decision.batch);
      return NO_REVIEW;
    case 'mark_paid':
    case 'mark_fulfilled_unsettled': {
      const marked = decision.kind === 'mark_paid'
        ? await tx.markOrderPaid(decision.order_id, decision.payment)
        : await tx.markOrderFulfilledUnsettled(decision.order_id, decision.payment);
      // The order row is locked since findPayment, so this means the store broke
      // its contract; roll back and let the redelivery decide again.
      if (!marked) throw new Error(`order ${decision.order_id} did not accept the ${decision.kind} transition`);
      return NO_REVIEW;
    }
    default: {
      const unexpected: never = decision;
      throw new Error(`unexpected decision ${JSON.stringify(unexpected)}`);
    }
  }
}

// Session statuses that may still become `paid`: Siglume's record can lag its own event. Recording the event
// now would leave a review that every redelivery skips as a duplicate; a 503 asks for it again. Only for a young
// event, so a test delivery forged with the merchant token ends as a review once its redeliveries are old.
const PENDING_SESSION = new Set(['open', 'authenticated']);
// An occurred_at more than 5 minutes ahead is a skewed clock, not a young event: it would be waited for until then.
const isYoung = (occurred_at: string) => {
  const age = Date.now() - Date.parse(occurred_at);
  return age >= -300_000 && age < ORDER_CONFIRMATION_PENDING_WINDOW_SECONDS * 1000;
};

const confirmationPending = () =>
  refuseWebhook(503, 'payment_confirmation_pending', 'Siglume does not show the checkout session paid yet; retry later');

/**
 * A signed request whose body never reached the service: 500 (Siglume keeps the event), reported as the setup error
 * it usually is, at most once a minute since anyone can send a well-formed header without a body.
 */
function missingBody<U>(o: ResolvedOrderCheckoutOptions<U>): Refused {
  const message =
    'The webhook request has a well-formed Siglume-Signature but no body was handed to the Siglume handler: ' +
    'mount a raw-body reader on the webhook route (the Siglume routes do), before any body parser; ' +
    'a route that hands over the body of a request whose sender went away should answer it itself instead';
  const report = o.signature_reports.admit(new SiglumeWebhookPayloadError(message, { code: 'WEBHOOK_RAW_BODY_REQUIRED' }));
  if (report) o.report(report, { operation: 'webhook' });
  return refuseWebhook(500, 'webhook_raw_body_unavailable', message);
}

/** Processes one delivery. Never throws: every failure becomes a refused answer. */
export async function handleOrderWebhook<U>(o: ResolvedOrderCheckoutOptions<U>, raw_body: unknown, signature_header: string | null | undefined): Promise<OrderWebhookResult> {
  if (tooLarge(raw_body)) return refuseWebhook(413, 'payload_too_large', `The body exceeds ${ORDER_WEBHOOK_MAX_BODY_BYTES} bytes`);
  // No body at all: Express 5 and Fastify leave it undefined when none arrived, when no raw-body reader ran on the
  // route, and when the sender went away before it was read. The header decides as for an empty body (a scanner's
  // request without one stays a 400), but a mismatch over a body nobody handed over says nothing about the secret.
  const absent = raw_body === undefined || raw_body === null;
  const body = absent ? '' : raw_body;
  let event;
  try {
    ({ event } = await verifyDirectRequestPaymentWebhook(o.secrets, body as string, signature_header ?? undefined, {
      ...(o.tolerance_seconds === undefined ? {} : { tolerance_seconds: o.tolerance_seconds }),
    }));
  } catch (error) {
    // Before any store call: a forged or replayed request cannot change state.
    // Only the code goes back; the verifier's detail goes to onError.
    if (absent && error instanceof SiglumeWebhookSignatureError && error.code === 'WEBHOOK_SIGNATURE_MISMATCH') return missingBody(o);
    if (error instanceof SiglumeWebhookSignatureError) {
      // A well-formed header that fails (503, so Siglume keeps the event) is a wrong secret or a skewed clock, which
      // the operator must hear about; a missing or malformed one (400) is noise from scanners. Anyone can send a
      // well-formed one, so the operator hears about each code at most once a minute (signature-reports.ts).
      const status = webhookErrorStatus(error);
      const report = status === 503 ? o.signature_reports.admit(error) : null;
      if (report) o.report(report, { operation: 'webhook' });
      return refuseWebhook(status, 'invalid_signature', `Invalid webhook signature (${error.code})`);
    }
    if (error instanceof SiglumeWebhookPayloadError && webhookErrorStatus(error) === 500) {
      // A setup error (a JSON parser ran first): 500 so Siglume keeps the event until it is fixed.
      o.report(error, { operation: 'webhook' });
      return refuseWebhook(500, 'webhook_raw_body_unavailable', error.message);
    }
    if (error instanceof SiglumeWebhookPayloadError) return refuseWebhook(400, 'invalid_payload', `Invalid webhook payload (${error.code})`);
    o.report(error, { operation: 'webhook' });
    return refuseWebhook(500, 'webhook_processing_failed', 'Could not verify the webhook');
  }
  if (!isStorableId(event.id) || !isStorableId(event.type)) {
    return refuseWebhook(400, 'invalid_event', 'The event id and type must be 1-256 characters without control characters');
  }
  const classification = classifyDirectPaymentConfirmation(event);
  const hash = orderLookupHash(classification);
  const facts = { event: { id: event.id, type: event.type }, classification, policy: o.policy };
  const context = { operation: 'webhook' as const, event_id: event.id };

  let confirmation: OrderPaymentConfirmation = { kind: 'not_requested' };
  const needsConfirmation = hash !== null && orderPaymentNeedsConfirmation(classification, o.policy);
  const young = isYoung(event.occurred_at);
  try {
    if (needsConfirmation) {
      // Outside the transaction: no database lock is held while Siglume answers.
      const preview = await o.store.previewWebhookEvent(event.id, hash);
      if (preview.event_recorded) {
        const decision = decideOrderPayment({ ...facts, first_delivery: false, payment: null, confirmation });
        return { kind: 'processed', status: 204, event_id: event.id, decision };
      }
      if (preview.checkout_session_id !== null) confirmation = await confirmCheckoutSession(o.client, preview.checkout_session_id);
    }
    const { session } = confirmation.kind === 'session' ? confirmation : { session: null };
    if (session && PENDING_SESSION.has(session.status) && young) {
      throw new OrderPaymentConfirmationPendingError(session.session_id ?? null, session.status);
    }
  } catch (error) {
    o.report(error, context);
    if (error instanceof OrderPaymentConfirmationPendingError) return confirmationPending();
    return error instanceof OrderPaymentConfirmationUnavailableError
      ? refuseWebhook(503, 'payment_confirmation_unavailable', 'Could not confirm the payment with Siglume; retry later')
      : refuseWebhook(500, 'webhook_processing_failed', 'Event not recorded; retry later');
  }

  try {
    const applied = await o.store.processWebhookEvent({ event_id: event.id, event_type: event.type }, async (tx) => {
      const payment = tx.first_delivery && hash !== null ? await tx.findPayment(hash) : null;
      // The attempt got its session after the preview: unconfirmed is not an answer yet. Roll back, ask again.
      if (confirmation.kind === 'not_requested' && payment?.attempt.checkout_session_id && needsConfirmation && young) {
        throw new OrderPaymentConfirmationPendingError(null, null);
      }
      const decided = decideOrderPayment({ ...facts, first_delivery: tx.first_delivery, payment, confirmation });
      const { new_review } = await applyOrderDecision(tx, decided);
      return { outcome: orderDecisionLabel(decided), result: { decided, new_review } };
    });
    const { decided: decision, new_review } = applied;
    // Committed. A redelivery decides `duplicate`, and a finding recorded under an earlier event is not new: each
    // review is heard once.
    if (decision.kind === 'review' && new_review) {
      const order_id = decision.review.order_id;
      o.notifyReview(decision.review, { operation: 'webhook', ...(order_id === null ? {} : { order_id }) });
    }
    return { kind: 'processed', status: 204, event_id: event.id, decision };
  } catch (error) {
    // Rolled back: nothing recorded, so Siglume's redelivery gets a clean second chance.
    o.report(error, context);
    if (error instanceof OrderPaymentConfirmationPendingError) return confirmationPending();
    return refuseWebhook(500, 'webhook_processing_failed', 'Event not recorded; retry later');
  }
}
