/**
 * The payment itself: requirements (the record a payment settles against), their simulated settlement,
 * the `direct_payment.confirmed` event with the machine fields of the amount's pricing band (CONTRACT
 * sections 8-9), and paying a checkout session. Checkout sessions, the buyer's requirements and
 * scheduled autopay runs all pay through here.
 */
import { directRequestPaymentRequestHash, directRequestPaymentRequestHashV2 } from '../challenges/request-hash.js';
import * as C from '../core/constants.js';
import { feeBreakdownFor, SETTLEMENT_THRESHOLD_MINOR } from '../core/pricing.js';
import type { Wait, Webhooks } from './deliveries.js';
import { conflict } from './errors.js';
import type { MeteredLedger, SandboxBatchSettlement } from './metered.js';
import * as R from './records.js';
import type { SandboxStore } from './store.js';

/** What a requirement is made from. */
export interface RequirementRequest extends R.PaymentTerms {
  challenge: string;
  allowance_amount_minor: number | null;
  metadata: Record<string, unknown>;
  checkout_session_id: string | null;
}

/**
 * Outcome of settling a requirement; `batch_settlement` is set when the payment pushed its batch over the
 * threshold, or closed a batch whose period had ended.
 */
export interface Settlement {
  receipt: R.SandboxReceipt;
  event_id: string;
  deliveries: R.SandboxDelivery[];
  batch_settlement: SandboxBatchSettlement | null;
}

/** Result of paying a checkout session (hosted page, API, control route or handle). */
export interface SandboxPaymentResult {
  /** The session after payment. */
  session: R.SandboxCheckoutSession;
  /** The confirmation event (also when this call found the session already paid and sent nothing). */
  event_id: string | null;
  /** Deliveries of the confirmation made by this call (empty when already paid). */
  deliveries: R.SandboxDelivery[];
  /** True when the session had been paid before this call (no second event). */
  already_paid: boolean;
  batch_settlement: SandboxBatchSettlement | null;
}

/** The requirement's fields a `direct_payment.confirmed` event carries, in order. */
const EVENT_FIELDS = [
  'requirement_id',
  'direct_payment_requirement_id',
  'challenge_hash',
  'request_hash',
  'request_hash_v2',
  'amount_minor',
  'currency',
  'token_symbol',
  'pricing_band',
  'settlement_cadence',
  'finality',
  'settlement_status',
  'chain_receipt_id',
  'receipt_id',
  'settlement_batch_id',
  'protocol_fee_minor',
  'buyer_debit_minor',
  'provider_gross_amount_minor',
  'provider_receivable_minor',
] as const satisfies ReadonlyArray<keyof R.SandboxRequirement>;

const NO_WALLET = `0x${'0'.repeat(40)}`;

/**
 * How long the buyer's API calls that pay (execute-prepared, a scheduled run) wait for the confirmation's deliveries,
 * ms: a healthy shop has its webhook by the answer, while one that does not answer cannot hold the buyer's call past
 * the clients' 15 s timeout (a payment made, reported as a timeout). The deliveries go on being retried after it.
 */
export const API_DELIVERY_WAIT_MS = 10_000;

/** The answer to paying a session that was already paid: nothing new is sent. */
function paidBefore(session: R.SandboxCheckoutSession): SandboxPaymentResult {
  return { session, event_id: session.event_id, deliveries: [], already_paid: true, batch_settlement: null };
}

/** Creates requirements, settles them and pays checkout sessions. */
export class Payments {
  readonly #paying = new Map<string, Promise<SandboxPaymentResult>>();

  constructor(
    private readonly store: SandboxStore,
    private readonly webhooks: Webhooks,
    private readonly ledger: MeteredLedger,
  ) {}

  /** Creates and stores an unpaid requirement, or returns the one its challenge already has (a challenge is single-use). */
  async createRequirement(
    request: RequirementRequest,
  ): Promise<{ requirement: R.SandboxRequirement; created: boolean }> {
    const { challenge, allowance_amount_minor, metadata, checkout_session_id, ...terms } = request;
    const hashed = { merchant: terms.merchant, amount_minor: terms.amount_minor, currency: terms.currency, challenge };
    const request_hash = await directRequestPaymentRequestHash(hashed);
    const request_hash_v2 = await directRequestPaymentRequestHashV2(hashed);
    // Looked up after the awaits: a concurrent call for the same challenge may have stored one meanwhile.
    const existing = this.store.requirementForChallenge(terms.challenge_hash);
    if (existing) return { requirement: existing, created: false };
    const m = this.store.get('merchants', terms.merchant);
    const fees = feeBreakdownFor(terms.currency, terms.amount_minor, m?.billing_plan);
    const payee = m?.settlement_wallet_address ?? NO_WALLET;
    const input = { request_hash, request_hash_v2, metadata, checkout_session_id, payee, allowance_amount_minor };
    const r = R.newRequirement(terms, fees, input, this.store.nowIso());
    return { requirement: this.store.put('requirements', r), created: true };
  }

  /**
   * Marks a requirement paid the way its band settles, records the receipt, and delivers the confirmation
   * (waiting for the deliveries as `wait` says: all of them by default). `onSettled` runs once the requirement is paid and the event exists,
   * before any delivery.
   */
  async settle(
    r: R.SandboxRequirement,
    extra: {
      session_id: string | null;
      metadata?: Record<string, unknown>;
      onSettled?: (eventId: string) => void;
      wait?: Wait;
    },
  ): Promise<Settlement> {
    if (r.status === 'paid')
      throw conflict('REQUIREMENT_ALREADY_PAID', `Requirement "${r.requirement_id}" is already paid.`);
    const { session_id, metadata = {}, onSettled, wait = true } = extra;
    const merchant = this.store.get('merchants', r.merchant);
    const fees = feeBreakdownFor(r.currency, r.amount_minor, merchant?.billing_plan);
    const standard = fees.pricing_band === 'standard';
    const now = this.store.nowIso();
    const receipt = R.newReceipt(r.requirement_id, C.DIRECT_REQUEST_PAYMENT_RECEIPT_KIND, standard, metadata, now);
    this.store.put('receipts', receipt);
    Object.assign(r, fees, {
      status: 'paid',
      paid_at: now,
      receipt_id: receipt.receipt_id,
      chain_receipt_id: receipt.chain_receipt_id,
      settlement_status: standard
        ? C.DIRECT_REQUEST_PAYMENT_STANDARD_SETTLED_STATUS
        : C.DIRECT_REQUEST_PAYMENT_METERED_ACCEPTED_STATUS,
    });
    const metered = standard ? null : this.ledger.recordUsage(r, merchant?.listing_id ?? `lst_${r.merchant}`, wait);
    // Micro / Nano have no chain receipt per payment: the key is absent, not null (CONTRACT-2 section 19.5).
    const fields = standard ? EVENT_FIELDS : EVENT_FIELDS.filter((key) => key !== 'chain_receipt_id');
    const event = this.webhooks.createEvent(C.DIRECT_PAYMENT_CONFIRMED_EVENT, {
      mode: C.DIRECT_REQUEST_PAYMENT_MODE,
      merchant: r.merchant,
      session_id,
      ...Object.fromEntries(fields.map((key) => [key, r[key]])),
      // Micro / Nano add the gross's alias names and the early-settlement threshold (CONTRACT-2 sections 19.5, 22).
      ...(!standard && {
        provider_usage_amount_minor: r.provider_gross_amount_minor,
        gross_buyer_debit_minor: r.provider_gross_amount_minor,
        rounding_delta_minor: '0',
        settlement_threshold_minor: String(SETTLEMENT_THRESHOLD_MINOR),
      }),
      metadata: structuredClone(r.metadata),
      paid_at: now,
      ...(standard && { settled_at: now }), // a Standard payment settles when it is paid
    });
    r.event_id = event.id;
    onSettled?.(event.id);
    this.store.changed();
    // A batch this payment closed (its period had ended) settles alongside; one it pushed over the threshold after,
    // within what is left of a bounded wait (the two waits share it: they once added up to 20 s).
    const deadline = typeof wait === 'number' ? Date.now() + wait : null;
    const [deliveries, closed] = await Promise.all([this.webhooks.publish(event, wait), metered?.closed]);
    const left = deadline === null ? wait : Math.max(0, deadline - Date.now());
    const batch = metered?.batch;
    const batch_settlement =
      closed ??
      (batch && this.ledger.reachedThreshold(batch) ? await this.ledger.settle(batch, 'amount_threshold', left) : null);
    return { receipt, event_id: event.id, deliveries, batch_settlement };
  }

  /**
   * Pays a checkout session: creates and settles its requirement, delivers the confirmation and waits for
   * the deliveries (as `wait` says: all of them by default). Paying again returns the paid session without
   * sending anything; concurrent calls share one payment.
   */
  payCheckoutSession(sessionId: string, wait: Wait = true): Promise<SandboxPaymentResult> {
    const running = this.#paying.get(sessionId);
    if (running) return running.then((r) => paidBefore(r.session));
    const p = this.#payOnce(sessionId, wait).finally(() => this.#paying.delete(sessionId));
    this.#paying.set(sessionId, p);
    return p;
  }

  async #payOnce(sessionId: string, wait: Wait): Promise<SandboxPaymentResult> {
    const s = this.store.session(sessionId);
    if (s.status === 'paid') return paidBefore(structuredClone(s));
    if (!R.isOpenSession(s)) {
      const message = `Checkout session "${sessionId}" is ${s.status} and can no longer be paid.`;
      throw conflict('CHECKOUT_SESSION_NOT_PAYABLE', message);
    }
    const existing = this.store.requirementForChallenge(s.challenge_hash);
    if (existing?.status === 'paid') {
      const message = 'The challenge of this checkout session was already paid through another requirement.';
      throw conflict('CHALLENGE_ALREADY_USED', message);
    }
    const { merchant, amount_minor, currency, token_symbol, challenge, challenge_hash } = s;
    const terms = { merchant, amount_minor, currency, token_symbol, challenge_hash, challenge };
    const metadata = structuredClone(s.metadata);
    const request = { ...terms, allowance_amount_minor: null, metadata, checkout_session_id: s.session_id };
    const r = existing ?? (await this.createRequirement(request)).requirement;
    s.requirement_id = r.requirement_id;
    // The session reads `paid` before the webhook goes out, as a shop's handler may look it up.
    // The fees are the requirement's, priced when it was paid: the merchant's plan may have changed since the
    // session was made, and the session must add up (receivable = gross - fee) as the event does.
    const onSettled = (event_id: string) => {
      const { paid_at, settlement_status, chain_receipt_id, protocol_fee_minor, provider_receivable_minor } = r;
      const paid = { paid_at, updated_at: paid_at, settlement_status, chain_receipt_id };
      Object.assign(s, paid, { protocol_fee_minor, provider_receivable_minor, status: 'paid', event_id });
    };
    const { event_id, deliveries, batch_settlement } = await this.settle(r, {
      session_id: s.session_id,
      onSettled,
      wait,
    });
    return { session: structuredClone(s), event_id, deliveries, already_paid: false, batch_settlement };
  }
}
