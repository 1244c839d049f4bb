/**
 * The records of Micro / Nano accounting: usage events (one per accepted metered payment) and the settlement
 * batches they are grouped in. How they settle is `MeteredLedger`'s (metered.ts).
 */
import * as C from '../core/constants.js';
import type { DirectRequestPaymentFeeBreakdown as Fees } from '../core/pricing.js';
import type {
  DirectRequestPaymentCurrency as Currency,
  DirectRequestPaymentTokenSymbol as Token,
} from '../core/validation.js';
import { iso, newId, type SandboxRequirement } from './records.js';

const unset = null as string | null;

/** What a Micro / Nano settlement batch groups by. */
export interface BatchKey {
  merchant: string;
  listing_id: string;
  capability_key: string;
  plan_type: 'micro' | 'nano';
  currency: Currency;
  token_symbol: Token;
}

/** One accepted Micro / Nano payment in its batch; `pending_settlement` until the batch settles. */
export function newUsageEvent(key: BatchKey, r: SandboxRequirement, settlement_batch_id: string, now: string) {
  return {
    usage_event_id: newId('use'),
    ...key,
    requirement_id: r.requirement_id,
    challenge_hash: r.challenge_hash,
    amount_minor: String(r.amount_minor),
    buyer_debit_minor: r.buyer_debit_minor,
    provider_gross_amount_minor: r.provider_gross_amount_minor,
    protocol_fee_minor: r.protocol_fee_minor,
    provider_receivable_minor: r.provider_receivable_minor,
    status: C.DIRECT_REQUEST_PAYMENT_METERED_ACCEPTED_STATUS as string,
    settlement_batch_id,
    occurred_at: now,
  };
}

export type SandboxUsageEvent = ReturnType<typeof newUsageEvent>;

/**
 * An open settlement batch; its totals are computed from its usage events. Weekly batches are due 7 days
 * after opening, monthly ones on the first of the next month (UTC).
 */
export function newSettlementBatch(key: BatchKey, settlement_cadence: Fees['settlement_cadence'], nowMs: number) {
  const d = new Date(nowMs);
  const due =
    settlement_cadence === 'weekly' ? nowMs + 7 * 86_400_000 : Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
  return {
    settlement_batch_id: newId('msb'),
    ...key,
    settlement_cadence,
    status: 'open',
    usage_event_ids: [] as string[],
    opened_at: iso(nowMs),
    scheduled_settlement_at: iso(due),
    /** Null while open; once settled, `amount_threshold` when its exposure reached the threshold, else `scheduled_close`. */
    settlement_trigger: null as 'scheduled_close' | 'amount_threshold' | null,
    threshold_reached_at: unset,
    settled_at: unset,
    chain_receipt_id: unset,
    usage_event_digest: unset,
    event_id: unset,
  };
}

/** A Micro / Nano settlement batch (`open` or `settled`). @interface */
export type SandboxSettlementBatch = ReturnType<typeof newSettlementBatch>;
