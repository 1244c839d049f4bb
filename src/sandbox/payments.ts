/**
 * The payment itself: requirements (the record a payment settles against,
 * with the fake prepared transactions a buyer would sign), their simulated
 * settlement, the `direct_payment.confirmed` event with the machine fields of
 * the amount's pricing band (CONTRACT sections 8-9), and paying a checkout
 * session.
 */
import { directRequestPaymentRequestHash, directRequestPaymentRequestHashV2 } from '../challenges/request-hash.js';
import {
  DIRECT_PAYMENT_CONFIRMED_EVENT,
  DIRECT_REQUEST_PAYMENT_ALLOWANCE_RECEIPT_KIND,
  DIRECT_REQUEST_PAYMENT_METERED_ACCEPTED_STATUS,
  DIRECT_REQUEST_PAYMENT_METERED_FINALITY,
  DIRECT_REQUEST_PAYMENT_MODE,
  DIRECT_REQUEST_PAYMENT_RECEIPT_KIND,
  DIRECT_REQUEST_PAYMENT_STANDARD_FINALITY,
  DIRECT_REQUEST_PAYMENT_STANDARD_SETTLED_STATUS,
} from '../core/constants.js';
import { feeBreakdownFor } from '../core/pricing.js';
import { SandboxHttpError } from './errors.js';
import { fakeAddress, fakeTxHash, newId } from './ids.js';
import type { MeteredLedger, SandboxBatchSettlement } from './metered.js';
import { newReceipt } from './records.js';
import type { SandboxStore } from './store.js';
import type {
  SandboxCheckoutSession,
  SandboxDelivery,
  SandboxReceipt,
  SandboxRequirement,
  SandboxTransactionRequest,
} from './types.js';
import type { Webhooks } from './webhooks.js';

/** Chain id of the simulated chain (the usual local development chain id; nothing is broadcast). */
export const SANDBOX_CHAIN_ID = 31337;

/** Finality of a band. */
export const finalityFor = (band: string): string =>
  band === 'standard' ? DIRECT_REQUEST_PAYMENT_STANDARD_FINALITY : DIRECT_REQUEST_PAYMENT_METERED_FINALITY;

type RequirementKey =
  | 'merchant'
  | 'amount_minor'
  | 'currency'
  | 'token_symbol'
  | 'challenge_hash'
  | 'allowance_amount_minor'
  | 'metadata'
  | 'checkout_session_id';
/** Input of {@link createRequirement}. */
export type RequirementInput = Pick<SandboxRequirement, RequirementKey> & { challenge: string };

const word = (value: string | bigint) =>
  (typeof value === 'bigint' ? value.toString(16) : value.replace(/^0x/, '')).padStart(64, '0');

function txRequest(
  kind: 'transfer' | 'approve',
  i: RequirementInput,
  amount: number,
  requirementId: string,
): SandboxTransactionRequest {
  const counterparty = fakeAddress(kind === 'transfer' ? `merchant:${i.merchant}` : 'siglume:sdrp-spender');
  const selector = kind === 'transfer' ? '0xa9059cbb' : '0x095ea7b3';
  return {
    chain_id: SANDBOX_CHAIN_ID,
    network: 'siglume-sandbox',
    from: null,
    to: fakeAddress(`token:${i.token_symbol}`),
    data: `${selector}${word(counterparty)}${word(BigInt(amount))}`,
    value: '0',
    token_symbol: i.token_symbol,
    amount_minor: amount,
    metadata_jsonb: {
      requirement_id: requirementId,
      merchant: i.merchant,
      challenge_hash: i.challenge_hash,
      purpose:
        kind === 'transfer' ? DIRECT_REQUEST_PAYMENT_RECEIPT_KIND : DIRECT_REQUEST_PAYMENT_ALLOWANCE_RECEIPT_KIND,
    },
  };
}

/** Creates and stores an unpaid requirement (or returns the one its challenge already has). */
export async function createRequirement(
  store: SandboxStore,
  i: RequirementInput,
): Promise<{ requirement: SandboxRequirement; created: boolean }> {
  const fees = feeBreakdownFor(
    i.currency,
    i.amount_minor,
    store.get('merchants', i.merchant)?.billing_plan ?? 'launch',
  );
  const id = newId('dpr');
  const hashInput = {
    merchant: i.merchant,
    amount_minor: i.amount_minor,
    currency: i.currency,
    challenge: i.challenge,
  };
  const {
    merchant,
    amount_minor,
    currency,
    token_symbol,
    challenge_hash,
    allowance_amount_minor,
    checkout_session_id,
    metadata,
  } = i;
  const r: SandboxRequirement = {
    requirement_id: id,
    direct_payment_requirement_id: id,
    mode: DIRECT_REQUEST_PAYMENT_MODE,
    status: 'requires_payment',
    merchant,
    amount_minor,
    currency,
    token_symbol,
    challenge_hash,
    request_hash: await directRequestPaymentRequestHash(hashInput),
    request_hash_v2: await directRequestPaymentRequestHashV2(hashInput),
    ...fees,
    finality: finalityFor(fees.pricing_band),
    settlement_status: null,
    chain_receipt_id: null,
    receipt_id: null,
    allowance_amount_minor,
    allowance_status: allowance_amount_minor === null ? null : 'required',
    transaction_request: txRequest('transfer', i, amount_minor, id),
    approve_transaction_request:
      allowance_amount_minor === null ? null : txRequest('approve', i, allowance_amount_minor, id),
    checkout_session_id,
    settlement_batch_id: null,
    usage_event_id: null,
    event_id: null,
    metadata,
    created_at: store.nowIso(),
    paid_at: null,
  };
  const stored = store.addRequirement(r);
  return { requirement: stored, created: stored === r };
}

/** Outcome of settling a requirement; `batch_settlement` is set when the payment pushed its Micro / Nano batch over the threshold. */
type SettlementOutcome = {
  receipt: SandboxReceipt;
  event_id: string;
  deliveries: SandboxDelivery[];
  batch_settlement: SandboxBatchSettlement | null;
};

/** Result of paying a checkout session (hosted page, control route or handle). */
export interface SandboxPaymentResult {
  /** The session after payment. */
  session: SandboxCheckoutSession;
  /** The confirmation event; null when this call found the session already paid and sent nothing. */
  event_id: string | null;
  /** Deliveries of the confirmation made by this call (empty when already paid). */
  deliveries: SandboxDelivery[];
  /** True when the session had been paid before this call (no second event). */
  already_paid: boolean;
  batch_settlement: SandboxBatchSettlement | null;
}

const isOpen = (s: SandboxCheckoutSession) => s.status === 'open' || s.status === 'authenticated';

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
] as const satisfies ReadonlyArray<keyof SandboxRequirement>;

/** Settles requirements and pays checkout sessions. */
export class Payments {
  readonly #paying = new Map<string, Promise<SandboxPaymentResult>>();

  constructor(
    private readonly store: SandboxStore,
    private readonly webhooks: Webhooks,
    private readonly ledger: MeteredLedger,
  ) {}

  /**
   * Marks a requirement paid the way its band settles, records the receipt,
   * and delivers the confirmation (waiting for the deliveries). `onSettled`
   * runs once the requirement is paid and the event exists, before any delivery.
   */
  async settle(
    r: SandboxRequirement,
    extra: { session_id: string | null; metadata?: Record<string, unknown>; onSettled?: (eventId: string) => void },
  ): Promise<SettlementOutcome> {
    if (r.status === 'paid')
      throw new SandboxHttpError(409, 'REQUIREMENT_ALREADY_PAID', `Requirement "${r.requirement_id}" is already paid.`);
    const merchant = this.store.get('merchants', r.merchant);
    const fees = feeBreakdownFor(r.currency, r.amount_minor, merchant?.billing_plan ?? 'launch');
    const standard = fees.pricing_band === 'standard';
    const now = this.store.nowIso();
    const receipt = newReceipt(r.requirement_id, DIRECT_REQUEST_PAYMENT_RECEIPT_KIND, now, {
      tx_hash: standard ? fakeTxHash() : null,
      chain_receipt_id: standard ? newId('chr') : null,
      finality: finalityFor(fees.pricing_band),
      metadata: extra.metadata ?? {},
    });
    this.store.data.receipts[receipt.receipt_id] = receipt;
    Object.assign(r, {
      status: 'paid',
      paid_at: now,
      receipt_id: receipt.receipt_id,
      chain_receipt_id: receipt.chain_receipt_id,
      settlement_status: standard
        ? DIRECT_REQUEST_PAYMENT_STANDARD_SETTLED_STATUS
        : DIRECT_REQUEST_PAYMENT_METERED_ACCEPTED_STATUS,
      protocol_fee_minor: fees.protocol_fee_minor,
      provider_receivable_minor: fees.provider_receivable_minor,
    });
    const batch = standard ? null : this.ledger.recordUsage(r, fees, merchant?.listing_id ?? `lst_${r.merchant}`);
    if (batch)
      Object.assign(r, {
        settlement_batch_id: batch.settlement_batch_id,
        usage_event_id: batch.usage_event_ids.at(-1) ?? null,
      });
    const fields = Object.fromEntries(EVENT_FIELDS.map((key) => [key, r[key]]));
    const event = this.webhooks.createEvent(DIRECT_PAYMENT_CONFIRMED_EVENT, {
      mode: DIRECT_REQUEST_PAYMENT_MODE,
      merchant: r.merchant,
      session_id: extra.session_id,
      ...fields,
      metadata: structuredClone(r.metadata),
      paid_at: now,
    });
    r.event_id = event.id;
    extra.onSettled?.(event.id);
    this.store.changed();
    const deliveries = await this.webhooks.publish(event, true);
    const batch_settlement = batch && this.ledger.reachedThreshold(batch) ? await this.ledger.settle(batch) : null;
    return { receipt, event_id: event.id, deliveries, batch_settlement };
  }

  /**
   * Pays a checkout session: creates and settles its requirement, delivers the
   * confirmation and waits for the deliveries. Paying again returns the paid
   * session without sending anything; concurrent calls share one payment.
   */
  payCheckoutSession(sessionId: string): Promise<SandboxPaymentResult> {
    const running = this.#paying.get(sessionId);
    if (running) return running.then((r) => ({ ...r, deliveries: [], already_paid: true, batch_settlement: null }));
    const p = this.#payOnce(sessionId).finally(() => this.#paying.delete(sessionId));
    this.#paying.set(sessionId, p);
    return p;
  }

  async #payOnce(sessionId: string): Promise<SandboxPaymentResult> {
    const s = this.store.requireSession(sessionId);
    if (s.status === 'paid')
      return {
        session: structuredClone(s),
        event_id: s.event_id,
        deliveries: [],
        already_paid: true,
        batch_settlement: null,
      };
    if (!isOpen(s))
      throw new SandboxHttpError(
        409,
        'CHECKOUT_SESSION_NOT_PAYABLE',
        `Checkout session "${sessionId}" is ${s.status} and can no longer be paid.`,
      );
    const existing = this.store.requirementForChallenge(s.challenge_hash);
    if (existing?.status === 'paid') {
      throw new SandboxHttpError(
        409,
        'CHALLENGE_ALREADY_USED',
        'The challenge of this checkout session was already paid through another requirement.',
      );
    }
    const { merchant, amount_minor, currency, token_symbol, challenge, challenge_hash } = s;
    const r =
      existing ??
      (
        await createRequirement(this.store, {
          merchant,
          amount_minor,
          currency,
          token_symbol,
          challenge,
          challenge_hash,
          allowance_amount_minor: null,
          metadata: structuredClone(s.metadata),
          checkout_session_id: s.session_id,
        })
      ).requirement;
    s.requirement_id = r.requirement_id;
    // The session reads `paid` before the webhook goes out, as a shop's handler may look it up.
    const outcome = await this.settle(r, {
      session_id: s.session_id,
      onSettled: (event_id) =>
        Object.assign(s, {
          status: 'paid',
          paid_at: r.paid_at,
          updated_at: this.store.nowIso(),
          settlement_status: r.settlement_status,
          chain_receipt_id: r.chain_receipt_id,
          protocol_fee_minor: r.protocol_fee_minor,
          event_id,
        }),
    });
    return {
      session: structuredClone(s),
      event_id: outcome.event_id,
      deliveries: outcome.deliveries,
      already_paid: false,
      batch_settlement: outcome.batch_settlement,
    };
  }
}
