/**
 * The payment itself: the simulated settlement of a requirement, the
 * `direct_payment.confirmed` event with the machine fields of the amount's
 * pricing band (CONTRACT sections 8-9), and paying a checkout session.
 */
import {
  DIRECT_PAYMENT_CONFIRMED_EVENT,
  DIRECT_REQUEST_PAYMENT_METERED_ACCEPTED_STATUS,
  DIRECT_REQUEST_PAYMENT_MODE,
  DIRECT_REQUEST_PAYMENT_RECEIPT_KIND,
  DIRECT_REQUEST_PAYMENT_REFERENCE_TYPE,
  DIRECT_REQUEST_PAYMENT_STANDARD_SETTLED_STATUS,
} from '../core/constants.js';
import { feeBreakdownFor } from '../core/pricing.js';
import { SandboxHttpError, notFound } from './errors.js';
import { createEvent, publishEvent } from './events.js';
import { fakeTxHash, newId } from './ids.js';
import { batchReachedThreshold, recordUsage, settleBatch } from './metered.js';
import { createRequirement, finalityFor } from './requirement.js';
import type { SandboxRuntime } from './runtime.js';
import type { SandboxDelivery, SandboxReceipt, SandboxRequirement } from './types.js';
import { sessionView } from './views.js';

/** Outcome of settling a requirement. */
export interface SettlementOutcome {
  receipt: SandboxReceipt;
  event_id: string;
  deliveries: SandboxDelivery[];
  /** Set when this payment pushed its Micro / Nano batch over the threshold. */
  batch_settlement: { settlement_batch_id: string; event_id: string; deliveries: SandboxDelivery[] } | null;
}

/**
 * Marks a requirement paid the way its band settles, records the receipt,
 * and delivers the confirmation (waiting for the deliveries).
 */
export async function settleRequirement(
  rt: SandboxRuntime,
  r: SandboxRequirement,
  extra: {
    session_id: string | null;
    metadata?: Record<string, unknown>;
    /** Runs once the requirement is paid and the event exists, before any delivery. */
    onSettled?: (eventId: string) => void;
  },
): Promise<SettlementOutcome> {
  if (r.status === 'paid') throw new SandboxHttpError(409, 'REQUIREMENT_ALREADY_PAID', `Requirement "${r.requirement_id}" is already paid.`);
  const merchant = rt.store.merchant(r.merchant);
  const fees = feeBreakdownFor(r.currency, r.amount_minor, merchant?.billing_plan ?? 'launch');
  const standard = fees.pricing_band === 'standard';
  const now = rt.store.nowIso();
  const receipt: SandboxReceipt = {
    receipt_id: newId('rcpt'),
    receipt_kind: DIRECT_REQUEST_PAYMENT_RECEIPT_KIND,
    reference_type: DIRECT_REQUEST_PAYMENT_REFERENCE_TYPE,
    reference_id: r.requirement_id,
    status: 'confirmed',
    tx_hash: standard ? fakeTxHash() : null,
    chain_receipt_id: standard ? newId('chr') : null,
    finality: finalityFor(fees.pricing_band),
    metadata: extra.metadata ?? {},
    created_at: now,
  };
  rt.store.data.receipts[receipt.receipt_id] = receipt;
  Object.assign(r, {
    status: 'paid',
    paid_at: now,
    receipt_id: receipt.receipt_id,
    chain_receipt_id: receipt.chain_receipt_id,
    settlement_status: standard ? DIRECT_REQUEST_PAYMENT_STANDARD_SETTLED_STATUS : DIRECT_REQUEST_PAYMENT_METERED_ACCEPTED_STATUS,
    protocol_fee_minor: fees.protocol_fee_minor,
    provider_receivable_minor: fees.provider_receivable_minor,
  });
  const batch = standard ? null : recordUsage(rt, r, fees, merchant?.listing_id ?? `lst_${r.merchant}`).batch;
  if (batch) {
    r.settlement_batch_id = batch.settlement_batch_id;
    r.usage_event_id = batch.usage_event_ids[batch.usage_event_ids.length - 1] ?? null;
  }
  const event = createEvent(rt, DIRECT_PAYMENT_CONFIRMED_EVENT, {
    mode: DIRECT_REQUEST_PAYMENT_MODE,
    merchant: r.merchant,
    session_id: extra.session_id,
    requirement_id: r.requirement_id,
    direct_payment_requirement_id: r.requirement_id,
    challenge_hash: r.challenge_hash,
    request_hash: r.request_hash,
    request_hash_v2: r.request_hash_v2,
    amount_minor: r.amount_minor,
    currency: r.currency,
    token_symbol: r.token_symbol,
    pricing_band: fees.pricing_band,
    settlement_cadence: fees.settlement_cadence,
    finality: r.finality,
    settlement_status: r.settlement_status,
    chain_receipt_id: r.chain_receipt_id,
    receipt_id: receipt.receipt_id,
    settlement_batch_id: r.settlement_batch_id,
    protocol_fee_minor: fees.protocol_fee_minor,
    buyer_debit_minor: fees.buyer_debit_minor,
    provider_gross_amount_minor: fees.provider_gross_amount_minor,
    provider_receivable_minor: fees.provider_receivable_minor,
    metadata: structuredClone(r.metadata),
    paid_at: now,
  });
  r.event_id = event.id;
  extra.onSettled?.(event.id);
  rt.store.changed();
  const deliveries = await publishEvent(rt, event, { wait: true });
  let batchSettlement: SettlementOutcome['batch_settlement'] = null;
  if (batch && batchReachedThreshold(rt, batch)) {
    const batchEvent = settleBatch(rt, batch);
    batchSettlement = {
      settlement_batch_id: batch.settlement_batch_id,
      event_id: batchEvent.id,
      deliveries: await publishEvent(rt, batchEvent, { wait: true }),
    };
  }
  return { receipt, event_id: event.id, deliveries, batch_settlement: batchSettlement };
}

/** Result of paying a checkout session (hosted page, control endpoint or handle). */
export interface SandboxPaymentResult {
  /** The session after payment. */
  session: Record<string, unknown>;
  /** The confirmation event; null when this call found the session already paid and sent nothing. */
  event_id: string | null;
  /** Deliveries of the confirmation made by this call (empty when already paid). */
  deliveries: SandboxDelivery[];
  /** True when the session had been paid before this call (no second event). */
  already_paid: boolean;
  batch_settlement: SettlementOutcome['batch_settlement'];
}

const paying = new WeakMap<SandboxRuntime, Map<string, Promise<SandboxPaymentResult>>>();

async function payOnce(rt: SandboxRuntime, sessionId: string): Promise<SandboxPaymentResult> {
  const s = rt.store.session(sessionId);
  if (!s) throw notFound('CHECKOUT_SESSION_NOT_FOUND', `Checkout session "${sessionId}" does not exist in this sandbox.`);
  if (s.status === 'paid') {
    return { session: sessionView(rt, s), event_id: s.event_id, deliveries: [], already_paid: true, batch_settlement: null };
  }
  if (s.status !== 'open' && s.status !== 'authenticated') {
    throw new SandboxHttpError(409, 'CHECKOUT_SESSION_NOT_PAYABLE', `Checkout session "${sessionId}" is ${s.status} and can no longer be paid.`);
  }
  const existing = rt.store.requirementForChallenge(s.challenge_hash);
  if (existing?.status === 'paid') {
    throw new SandboxHttpError(409, 'CHALLENGE_ALREADY_USED', 'The challenge of this checkout session was already paid through another requirement.');
  }
  const r =
    existing ??
    (
      await createRequirement(rt, {
        merchant: s.merchant,
        amount_minor: s.amount_minor,
        currency: s.currency,
        token_symbol: s.token_symbol,
        challenge: s.challenge,
        challenge_hash: s.challenge_hash,
        allowance_amount_minor: null,
        metadata: structuredClone(s.metadata),
        checkout_session_id: s.session_id,
      })
    ).requirement;
  s.requirement_id = r.requirement_id;
  // The session reads `paid` before the webhook goes out, as a shop's handler may look it up.
  const outcome = await settleRequirement(rt, r, {
    session_id: s.session_id,
    onSettled: (eventId) =>
      Object.assign(s, {
        status: 'paid',
        paid_at: r.paid_at,
        updated_at: rt.store.nowIso(),
        settlement_status: r.settlement_status,
        chain_receipt_id: r.chain_receipt_id,
        protocol_fee_minor: r.protocol_fee_minor,
        event_id: eventId,
      }),
  });
  return {
    session: sessionView(rt, s),
    event_id: outcome.event_id,
    deliveries: outcome.deliveries,
    already_paid: false,
    batch_settlement: outcome.batch_settlement,
  };
}

/**
 * Pays a checkout session: creates and settles its requirement, delivers the
 * confirmation and waits for the deliveries. Paying again returns the paid
 * session without sending anything; concurrent calls share one payment.
 */
export function payCheckoutSession(rt: SandboxRuntime, sessionId: string): Promise<SandboxPaymentResult> {
  let inFlight = paying.get(rt);
  if (!inFlight) paying.set(rt, (inFlight = new Map()));
  const running = inFlight.get(sessionId);
  if (running) return running.then((r) => ({ ...r, deliveries: [], already_paid: true, batch_settlement: null }));
  const p = payOnce(rt, sessionId).finally(() => inFlight.delete(sessionId));
  inFlight.set(sessionId, p);
  return p;
}
