/**
 * The merchant rule (CONTRACT section 8 "Merchant rule", section 11) as ONE
 * pure function: what a verified webhook event does to an order. Everything
 * that decides money is here; the checkout service only gathers the facts
 * (classification, stored order and attempt, Siglume's answer about the
 * session) and applies the decision through the store. No other module
 * compares classification kinds (a test greps the repository for it).
 *
 * Pure and synchronous: no I/O, no clock, never throws.
 */
import { DIRECT_PAYMENT_CONFIRMED_EVENT, READINESS_PROBE_MODE } from '../core/constants.js';
import { pricingBandFor } from '../core/pricing.js';
import type { DirectRequestPaymentCheckoutSession } from '../clients/schemas/checkout-session.js';
import type { DirectPaymentConfirmationClassification } from '../webhooks/classify.js';
import { isStorableId } from './ids.js';
import type {
  OrderPaymentContext,
  OrderPaymentRecord,
  OrderPaymentReview,
  OrderReviewCode,
  OrderSettlementBatchRecord,
} from './store.js';

/** The shop's settings the rule depends on. */
export interface OrderPaymentPolicy {
  /** The shop's merchant key, lower-case (as Siglume sends it on events). */
  merchant: string;
  /** The shop explicitly accepts Micro / Nano payments (fulfilled before settlement). */
  allow_metered_payments: boolean;
  /** Siglume's API must confirm the session is paid before an order changes. */
  confirm_payments: boolean;
}

/**
 * What Siglume's API said about the attempt's checkout session:
 * - `session`: the session as `getCheckoutSession` returned it;
 * - `session_not_found`: Siglume has no such session;
 * - `not_requested`: nobody asked (confirmation is off, or nothing to confirm).
 */
export type OrderPaymentConfirmation =
  | { kind: 'session'; session: DirectRequestPaymentCheckoutSession }
  | { kind: 'session_not_found' }
  | { kind: 'not_requested' };

/** Everything {@link decideOrderPayment} looks at. */
export interface OrderPaymentFacts {
  /** The verified event's id and type. */
  event: { id: string; type: string };
  classification: DirectPaymentConfirmationClassification<unknown>;
  /** False when the event id was already recorded (a redelivery). */
  first_delivery: boolean;
  /** The order, attempt and recorded payment of the event's challenge hash; null when none matches. */
  payment: OrderPaymentContext | null;
  confirmation: OrderPaymentConfirmation;
  policy: OrderPaymentPolicy;
}

/** Why an event changes nothing and needs nobody. */
export type OrderIgnoreReason = 'not_a_payment_confirmation' | 'readiness_probe' | 'other_merchant' | 'already_applied';

/**
 * What to do, tagged by `kind`:
 * - `duplicate`: the event id was processed before; write nothing.
 * - `ignore`: record the event, nothing else (`reason` says why).
 * - `review`: record a review row for a person; the order is untouched.
 * - `reconcile_batch`: record the settled Micro / Nano batch by its id.
 * - `mark_paid`: a Standard payment settled and Siglume confirmed it.
 * - `mark_fulfilled_unsettled`: Micro / Nano usage accepted (not settled yet)
 *   in a shop that opted in, confirmed by Siglume.
 */
export type OrderPaymentDecision =
  | { kind: 'duplicate' }
  | { kind: 'ignore'; reason: OrderIgnoreReason }
  | { kind: 'review'; review: OrderPaymentReview }
  | { kind: 'reconcile_batch'; batch: OrderSettlementBatchRecord }
  | { kind: 'mark_paid'; order_id: string; payment: OrderPaymentRecord }
  | { kind: 'mark_fulfilled_unsettled'; order_id: string; payment: OrderPaymentRecord };

type PaymentClassification = Extract<
  DirectPaymentConfirmationClassification<unknown>,
  { kind: 'standard_settled' | 'metered_usage_accepted' }
>;

// The payment kinds: Standard settled and Micro / Nano accepted usage carry one payment each;
// a batch settlement and an unknown event carry none. Which of them a shop accepts is orderPaymentOf.
function paymentOf(c: DirectPaymentConfirmationClassification<unknown>): PaymentClassification | null {
  switch (c.kind) {
    case 'standard_settled':
    case 'metered_usage_accepted':
      return c;
    case 'metered_batch_settled':
    case 'unknown':
      return null;
    default: {
      const unexpected: never = c;
      void unexpected;
      return null;
    }
  }
}

/**
 * The challenge hash whose order (and checkout session) the service must look
 * up for this event, or null when the event never touches an order by
 * challenge hash or the hash is not storable. Part of the rule, so it lives here.
 */
export function orderLookupHash(classification: DirectPaymentConfirmationClassification<unknown>): string | null {
  const payment = paymentOf(classification);
  return payment && isStorableId(payment.challenge_hash) ? payment.challenge_hash : null;
}

/**
 * The payment a classified event carries that the merchant accepts, or null:
 * a Standard settlement always; Micro / Nano accepted usage only with
 * `allow_metered_payments` (no money has moved on-chain yet); a batch
 * settlement or an unknown event never. The one statement of the merchant
 * rule: the order core decides with it, and a paid API (HTTP 402) without
 * orders calls it to accept payments by the same rule.
 *
 * @example
 * const payment = orderPaymentOf(classifyDirectPaymentConfirmation(event), { allow_metered_payments: false });
 * if (payment) await markPaid(payment.challenge_hash, payment.requirement_id);
 */
export function orderPaymentOf<C extends DirectPaymentConfirmationClassification<unknown>>(
  classification: C,
  policy: { allow_metered_payments?: boolean },
): Extract<C, { kind: 'standard_settled' | 'metered_usage_accepted' }> | null {
  const payment = paymentOf(classification);
  if (!payment || (payment.kind !== 'standard_settled' && policy.allow_metered_payments !== true)) return null;
  return payment as Extract<C, { kind: 'standard_settled' | 'metered_usage_accepted' }>;
}

/**
 * The Micro / Nano batch settlement a classified event carries, or null: a
 * `metered_batch_settled` confirmation with `allow_metered_payments` (a
 * Standard-only integration sends it to review). It settles many payments at
 * once, so it is reconciled by `settlement_batch_id` with the statements,
 * never by challenge hash. The merchant rule's other half: a paid API calls it
 * beside {@link orderPaymentOf}.
 *
 * @example
 * const batch = orderBatchOf(classifyDirectPaymentConfirmation(event), { allow_metered_payments: true });
 * if (batch) await recordBatchSettled(batch.settlement_batch_id);
 */
export function orderBatchOf<C extends DirectPaymentConfirmationClassification<unknown>>(
  classification: C,
  policy: { allow_metered_payments?: boolean },
): Extract<C, { kind: 'metered_batch_settled' }> | null {
  if (classification.kind !== 'metered_batch_settled' || policy.allow_metered_payments !== true) return null;
  return classification as Extract<C, { kind: 'metered_batch_settled' }>;
}

/**
 * Whether Siglume must be asked about the session before deciding: only for
 * an order payment the shop could accept, with confirmation on.
 */
export function orderPaymentNeedsConfirmation(
  classification: DirectPaymentConfirmationClassification<unknown>,
  policy: OrderPaymentPolicy,
): boolean {
  return policy.confirm_payments && orderPaymentOf(classification, policy) !== null;
}

function isReadinessProbe(data: Record<string, unknown>): boolean {
  return data.mode === READINESS_PROBE_MODE || data.readiness_probe === true;
}

// Every merchant of a Siglume account is confirmed to every subscription of the account: a payment to another of
// its merchants reaches this shop's endpoint too, and is that merchant's money, not a review here. Only an event that
// names another merchant counts (one naming none is this shop's to examine).
const otherMerchant = (data: Record<string, unknown>, policy: OrderPaymentPolicy) =>
  typeof data.merchant === 'string' && data.merchant !== '' && data.merchant !== policy.merchant;

/** The terms an event's echoes are held to, and whose they are (for the reason). */
interface EchoedTerms {
  merchant: string;
  amount_minor: number;
  currency: string;
  whose: string;
}

// Strict checks of what the event echoes (rules 10 and 11): a field that is
// present must have the right type AS DELIVERED (no Number() or trim coercion:
// "0x3e8" and " 1000 " are not amounts) and equal the expected value. An absent
// field is fine: the challenge hash already binds merchant, amount and currency.
function echoedFieldProblem(data: Record<string, unknown>, t: EchoedTerms): string | null {
  if (Object.hasOwn(data, 'merchant')) {
    const m = data.merchant;
    if (typeof m !== 'string') return 'merchant on the event is not a string';
    if (m !== t.merchant) return `merchant on the event is not ${t.whose}`;
  }
  if (Object.hasOwn(data, 'amount_minor')) {
    const a = data.amount_minor;
    if (typeof a !== 'number' || !Number.isSafeInteger(a)) return 'amount_minor on the event is not a safe integer';
    if (a !== t.amount_minor) return `amount_minor ${a} on the event differs from ${t.whose}, ${t.amount_minor}`;
  }
  if (Object.hasOwn(data, 'currency')) {
    const c = data.currency;
    if (typeof c !== 'string') return 'currency on the event is not a string';
    if (c !== t.currency) return `currency on the event differs from ${t.whose}, ${t.currency}`;
  }
  return null;
}

const eventBand = (p: PaymentClassification) => (p.kind === 'standard_settled' ? 'standard' : p.pricing_band);

// Rule 10: Siglume's own record of the session must say it was paid, by this
// requirement, for this attempt. A signed event alone is not enough: anyone
// holding the merchant API token can have Siglume sign a test delivery.
function confirmationProblem(confirmation: OrderPaymentConfirmation, payment: PaymentClassification, ctx: OrderPaymentContext, policy: OrderPaymentPolicy): string | null {
  if (confirmation.kind === 'not_requested') return 'the payment was not confirmed with Siglume';
  if (confirmation.kind === 'session_not_found') return 'Siglume has no such checkout session';
  const s = confirmation.session;
  if (s.status !== 'paid') return `Siglume reports the checkout session as ${s.status}, not paid`;
  if (s.requirement_id !== payment.requirement_id) return 'the checkout session was not paid by this requirement';
  if (ctx.attempt.checkout_session_id === null || (s.session_id != null && s.session_id !== ctx.attempt.checkout_session_id)) {
    return 'the checkout session is not the checkout attempt\'s';
  }
  if (s.challenge_hash != null && s.challenge_hash !== payment.challenge_hash) return 'the checkout session has another challenge hash';
  // The receipt is kept as the payment's evidence: the event's copy must be Siglume's, not one a test delivery made up.
  const receipt = payment.kind === 'standard_settled' ? payment.chain_receipt_id : null;
  if (s.chain_receipt_id != null && receipt !== null && s.chain_receipt_id !== receipt) return 'the checkout session has another chain receipt';
  // What the event says of the payment must be what Siglume reports (where its record is silent, the attempt's
  // terms it was made for): a copy of the real event with another amount or band is not Siglume's account of it,
  // and judged on its own claims it would be a "mismatch" naming a good payment for a refund.
  const echoed = echoedFieldProblem(payment.data, {
    merchant: s.merchant ?? policy.merchant, amount_minor: s.amount_minor ?? ctx.attempt.amount_minor,
    currency: s.currency ?? ctx.attempt.currency, whose: "Siglume's record",
  });
  if (echoed) return echoed;
  const band = eventBand(payment);
  if (s.pricing_band != null && s.pricing_band !== band) return `the event is ${band}, Siglume reports the session ${s.pricing_band}`;
  return null;
}

// Rule 11, Siglume's side: the terms of a session Siglume confirmed paid by this requirement. A difference is a fact
// about a real payment (the buyer paid other terms than the attempt's), so a mismatch, not "not confirmed".
function confirmedTermsProblem(confirmation: OrderPaymentConfirmation, ctx: OrderPaymentContext, policy: OrderPaymentPolicy): string | null {
  if (confirmation.kind !== 'session') return null;
  const s = confirmation.session;
  const paid = 'Siglume reports the checkout session paid';
  if (s.amount_minor != null && s.amount_minor !== ctx.attempt.amount_minor) return `${paid} at ${s.amount_minor}, the checkout attempt's amount is ${ctx.attempt.amount_minor}`;
  if (s.currency != null && s.currency !== ctx.attempt.currency) return `${paid} in ${s.currency}, the checkout attempt's currency is ${ctx.attempt.currency}`;
  if (s.merchant != null && s.merchant !== policy.merchant) return `${paid} to another merchant`;
  return null;
}

type Review = (code: OrderReviewCode, reason: string, ids?: Partial<OrderPaymentReview>) => OrderPaymentDecision;

// Rules 5-15 for a payment of one order (standard_settled, metered_usage_accepted).
function decideOrderTransition(p: PaymentClassification, f: OrderPaymentFacts, toReview: Review): OrderPaymentDecision {
  const { event, payment: ctx, policy } = f;
  const chainReceipt = p.kind === 'standard_settled' ? p.chain_receipt_id : null;
  if (!isStorableId(p.requirement_id) || !isStorableId(p.challenge_hash) || (chainReceipt !== null && !isStorableId(chainReceipt))) {
    return toReview('UNKNOWN_CONFIRMATION', 'malformed_identifier'); // 5
  }
  const ids = { requirement_id: p.requirement_id, challenge_hash: p.challenge_hash, order_id: ctx?.order.order_id ?? null };
  // 5a. Not one of this shop's attempts and another merchant's: not this shop's money. (One of its attempts naming
  // another merchant is rule 11's mismatch.)
  if (!ctx && otherMerchant(p.data, policy)) return { kind: 'ignore', reason: 'other_merchant' };
  if (p.kind === 'metered_usage_accepted' && !policy.allow_metered_payments) { // 6
    return toReview('METERED_INTEGRATION_REQUIRED', 'metered_usage_accepted while metered payments are disabled', ids);
  }
  if (!ctx) return toReview('ORDER_NOT_FOUND', 'no checkout attempt has this challenge_hash', ids); // 8
  // 9. The payment the order already has: nothing to decide, whatever else the event says. Before any check that
  // could review it, since a review names the requirement for a refund: a test delivery forged with the merchant
  // token, copying the real event with another amount, must not put the order's only payment up for a refund.
  if (ctx.payment?.requirement_id === p.requirement_id) return { kind: 'ignore', reason: 'already_applied' };
  // 10. Before the checks of what the event says, so that every later review is of a payment Siglume confirmed:
  // the requirement it names was really paid, for this attempt.
  if (policy.confirm_payments) {
    const unconfirmed = confirmationProblem(f.confirmation, p, ctx, policy);
    if (unconfirmed) return toReview('PAYMENT_NOT_CONFIRMED', unconfirmed, ids);
  }
  // From here on, with confirmation on, a review is of a payment and terms Siglume confirmed.
  const found = { ...ids, confirmed: policy.confirm_payments };
  // 11. Siglume's terms when it was asked (the event's echoes were held to them in rule 10), else the event's.
  const attemptTerms = { ...ctx.attempt, merchant: policy.merchant, whose: "the checkout attempt's" };
  const mismatch = policy.confirm_payments ? confirmedTermsProblem(f.confirmation, ctx, policy) : echoedFieldProblem(p.data, attemptTerms);
  if (mismatch) return toReview('PAYMENT_MISMATCH', mismatch, found);
  const { order, attempt } = ctx;
  if (attempt.status === 'superseded') { // 12
    return toReview('PAYMENT_MISMATCH', `paid on a superseded checkout attempt (${attempt.amount_minor} ${attempt.currency}); the order now costs ${order.amount_minor} ${order.currency}`, found);
  }
  if (attempt.amount_minor !== order.amount_minor || attempt.currency !== order.currency) {
    return toReview('PAYMENT_MISMATCH', `the checkout attempt charged ${attempt.amount_minor} ${attempt.currency}; the order now costs ${order.amount_minor} ${order.currency}`, found);
  }
  // With confirmation on, rule 10 held the event's band to Siglume's.
  const band = eventBand(p);
  const orderBand = pricingBandFor(order.currency, order.amount_minor);
  if (band !== orderBand) return toReview('PAYMENT_MISMATCH', `the event is ${band}, the order's amount is ${orderBand}`, found); // 13
  if (ctx.payment) { // 14
    return toReview('ORDER_STATE_CONFLICT', `the order was already ${ctx.payment.status} by another requirement; a second payment may need a refund`, found);
  }
  if (order.status !== 'pending') { // 14
    return toReview('ORDER_STATE_CONFLICT', `the order is ${order.status}, not pending`, found);
  }
  const record: OrderPaymentRecord = {
    event_id: event.id, attempt_id: attempt.attempt_id, requirement_id: p.requirement_id, challenge_hash: p.challenge_hash,
    chain_receipt_id: chainReceipt, pricing_band: band,
  };
  return p.kind === 'standard_settled' // 15
    ? { kind: 'mark_paid', order_id: order.order_id, payment: record }
    : { kind: 'mark_fulfilled_unsettled', order_id: order.order_id, payment: record };
}

/**
 * Decides what a verified event does, applying the rules in order:
 *
 * 1. The event id was processed before -> `duplicate`.
 * 2. Not a `direct_payment.confirmed` -> `ignore` / `not_a_payment_confirmation`.
 * 3. The readiness check's probe (`data.mode` `readiness_probe` or
 *    `data.readiness_probe === true`) -> `ignore` / `readiness_probe`.
 * 4. Classified `unknown` -> review `UNKNOWN_CONFIRMATION`.
 * 5. An id the core cannot store (control characters, over 256 characters) ->
 *    review `UNKNOWN_CONFIRMATION` / `malformed_identifier`.
 * 5a. Another merchant's (`data.merchant` names one): a batch, or a payment no
 *    checkout attempt of this shop has the challenge hash of -> `ignore` /
 *    `other_merchant` (every merchant of the account is confirmed to every
 *    subscription of the account).
 * 6. Micro / Nano (`metered_usage_accepted`, `metered_batch_settled`) in a
 *    Standard-only shop -> review `METERED_INTEGRATION_REQUIRED`.
 * 7. `metered_batch_settled` -> `reconcile_batch` (by batch id, never by challenge hash). Its
 *    `settled_at` is kept only when the core can store it (as rule 5's ids), else null: no rule
 *    reads it, and stored as it came (a U+0000 that PostgreSQL refuses) it would fail every delivery.
 * 8. No checkout attempt has the challenge hash -> review `ORDER_NOT_FOUND`.
 * 9. The order's payment is already this requirement -> `ignore` /
 *    `already_applied`, whatever else the event says.
 * 10. Confirmation on, and Siglume does not report the attempt's session as
 *    `paid` by this requirement (same session, hash, chain receipt), or the
 *    event says other terms than Siglume's record (`merchant` / `amount_minor`
 *    / `currency` present but of the wrong type or another value, another
 *    band) -> review `PAYMENT_NOT_CONFIRMED`. So with confirmation on, every
 *    review from here on is of a payment, and terms, Siglume confirmed.
 * 11. The session's `amount_minor` / `currency` / `merchant` as Siglume
 *    reports them (confirmation on), or as the event echoes them (off), differ
 *    from the attempt -> review `PAYMENT_MISMATCH`.
 * 12. The attempt was superseded (re-priced), or its price is not the
 *    order's current price -> review `PAYMENT_MISMATCH`.
 * 13. The event's band is not the band of the order's amount -> review `PAYMENT_MISMATCH`.
 * 14. The order already has a payment (by another requirement), or is not
 *    `pending` -> review `ORDER_STATE_CONFLICT`.
 * 15. `standard_settled` -> `mark_paid`; `metered_usage_accepted` -> `mark_fulfilled_unsettled`.
 *
 * @example
 * const decision = decideOrderPayment({ event, classification, first_delivery: true, payment, confirmation, policy });
 * if (decision.kind === 'mark_paid') await tx.markOrderPaid(decision.order_id, decision.payment);
 */
export function decideOrderPayment(facts: OrderPaymentFacts): OrderPaymentDecision {
  const { event, classification: c, policy } = facts;
  const review: Review = (code, reason, ids = {}) => ({
    kind: 'review',
    review: {
      event_id: event.id, event_type: event.type, code, reason, kind: c.kind,
      order_id: null, requirement_id: null, challenge_hash: null, settlement_batch_id: null, confirmed: false, ...ids,
    },
  });

  if (!facts.first_delivery) return { kind: 'duplicate' }; // 1
  if (event.type !== DIRECT_PAYMENT_CONFIRMED_EVENT) return { kind: 'ignore', reason: 'not_a_payment_confirmation' }; // 2
  if (isReadinessProbe(c.data)) return { kind: 'ignore', reason: 'readiness_probe' }; // 3

  switch (c.kind) {
    case 'unknown': { // 4
      return review('UNKNOWN_CONFIRMATION', c.reason, {
        requirement_id: isStorableId(c.requirement_id) ? c.requirement_id : null,
        settlement_batch_id: isStorableId(c.settlement_batch_id) ? c.settlement_batch_id : null,
      });
    }
    case 'metered_batch_settled': {
      if (![c.settlement_batch_id, c.chain_receipt_id, c.usage_event_digest].every(isStorableId)) {
        return review('UNKNOWN_CONFIRMATION', 'malformed_identifier'); // 5
      }
      if (otherMerchant(c.data, policy)) return { kind: 'ignore', reason: 'other_merchant' }; // 5a
      if (!orderBatchOf(c, policy)) { // 6
        return review('METERED_INTEGRATION_REQUIRED', 'metered_batch_settled while metered payments are disabled', {
          settlement_batch_id: c.settlement_batch_id,
        });
      }
      return { // 7
        kind: 'reconcile_batch',
        batch: {
          event_id: event.id, settlement_batch_id: c.settlement_batch_id, chain_receipt_id: c.chain_receipt_id,
          usage_event_digest: c.usage_event_digest, pricing_band: c.pricing_band,
          // For the reviewer only (no rule reads it): one the core cannot store is dropped, not a reason to refuse the batch.
          settled_at: isStorableId(c.settled_at) ? c.settled_at : null,
        },
      };
    }
    case 'standard_settled':
    case 'metered_usage_accepted':
      return decideOrderTransition(c, facts, review);
    default: {
      const unexpected: never = c;
      void unexpected;
      return review('UNKNOWN_CONFIRMATION', 'unknown_confirmation_shape');
    }
  }
}

/**
 * What a stored label says was done, the inverse of {@link orderDecisionLabel}: `review` (a person must
 * look), `applied` (an order moved, an event was ignored or a batch recorded), or null for a label it
 * does not know (none stored, or another writer's).
 */
export function orderLabelOutcome(label: string | null): 'review' | 'applied' | null {
  if (label === null) return null;
  if (label.startsWith('review:')) return 'review';
  const applied = ['marked_paid', 'marked_fulfilled_unsettled', 'batch_recorded'];
  return applied.includes(label) || label.startsWith('ignored:') ? 'applied' : null;
}

/** The label stored with a processed event, e.g. `marked_paid` or `review:PAYMENT_NOT_CONFIRMED`. */
export function orderDecisionLabel(decision: OrderPaymentDecision): string {
  switch (decision.kind) {
    case 'duplicate':
      return 'duplicate';
    case 'ignore':
      return `ignored:${decision.reason}`;
    case 'review':
      return `review:${decision.review.code}`;
    case 'reconcile_batch':
      return 'batch_recorded';
    case 'mark_paid':
      return 'marked_paid';
    case 'mark_fulfilled_unsettled':
      return 'marked_fulfilled_unsettled';
    default: {
      const unexpected: never = decision;
      void unexpected;
      return 'unknown';
    }
  }
}
