/**
 * Micro / Nano accounting: every accepted metered payment becomes a usage
 * event in an open settlement batch; a batch settles when its exposure
 * reaches the settlement threshold (or when asked to through the control
 * route or the handle), which emits a `metered_settlement_batch` confirmation.
 */
import { createHash } from 'node:crypto';
import {
  DIRECT_PAYMENT_CONFIRMED_EVENT,
  DIRECT_REQUEST_PAYMENT_METERED_ACCEPTED_STATUS,
  DIRECT_REQUEST_PAYMENT_METERED_BATCH_MODE,
  DIRECT_REQUEST_PAYMENT_METERED_FINALITY,
  DIRECT_REQUEST_PAYMENT_STANDARD_SETTLED_STATUS,
} from '../core/constants.js';
import { fromMilli, toMilli } from '../core/decimal.js';
import { SETTLEMENT_THRESHOLD_MINOR, type DirectRequestPaymentFeeBreakdown } from '../core/pricing.js';
import { SandboxHttpError } from './errors.js';
import { iso, newId } from './ids.js';
import type { SandboxStore } from './store.js';
import type { SandboxDelivery, SandboxRequirement, SandboxSettlementBatch, SandboxUsageEvent } from './types.js';
import type { Webhooks } from './webhooks.js';

/** Capability key of payments that do not name one in `metadata.capability_key`. */
export const SANDBOX_DEFAULT_CAPABILITY_KEY = 'direct_request_payment';

/** Sum of decimal-string minor amounts (Nano fees such as "0.2"), exact. */
export const sumDecimal = (values: Iterable<string>): string =>
  fromMilli([...values].reduce((t, v) => t + toMilli(v), 0n));

/** A usage event as the statements show it. */
export const usageView = (u: SandboxUsageEvent) => ({ ...u, pricing_band: u.plan_type, created_at: u.occurred_at });

/** A settled batch and the deliveries of its confirmation. */
export interface SandboxBatchSettlement {
  settlement_batch_id: string;
  event_id: string;
  deliveries: SandboxDelivery[];
}

const DAY_MS = 24 * 3600 * 1000;

function capabilityKeyOf(metadata: Record<string, unknown>): string {
  const v = metadata.capability_key;
  return typeof v === 'string' && /^[A-Za-z0-9_.:-]{1,64}$/.test(v) ? v : SANDBOX_DEFAULT_CAPABILITY_KEY;
}

/** Weekly batches settle 7 days after opening; monthly ones on the first of the next month (UTC). */
function scheduledSettlement(openedMs: number, cadence: string): string {
  if (cadence === 'weekly') return iso(openedMs + 7 * DAY_MS);
  const d = new Date(openedMs);
  return iso(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1));
}

/** Usage events and settlement batches. */
export class MeteredLedger {
  constructor(
    private readonly store: SandboxStore,
    private readonly webhooks: Webhooks,
  ) {}

  /** Records an accepted Micro / Nano payment in its open batch (opening one when needed). */
  recordUsage(
    r: SandboxRequirement,
    fees: DirectRequestPaymentFeeBreakdown,
    listingId: string,
  ): SandboxSettlementBatch {
    const { data } = this.store;
    const key = {
      merchant: r.merchant,
      listing_id: listingId,
      capability_key: capabilityKeyOf(r.metadata),
      plan_type: fees.pricing_band === 'micro' ? ('micro' as const) : ('nano' as const),
    };
    let batch = Object.values(data.settlement_batches).find(
      (b) =>
        b.status === 'open' &&
        b.merchant === key.merchant &&
        b.listing_id === key.listing_id &&
        b.capability_key === key.capability_key &&
        b.plan_type === key.plan_type &&
        b.token_symbol === r.token_symbol,
    );
    if (!batch) {
      const now = this.store.nowMs();
      batch = {
        settlement_batch_id: newId('msb'),
        ...key,
        currency: r.currency,
        token_symbol: r.token_symbol,
        settlement_cadence: fees.settlement_cadence,
        status: 'open',
        usage_event_ids: [],
        opened_at: iso(now),
        scheduled_settlement_at: scheduledSettlement(now, fees.settlement_cadence),
        settled_at: null,
        chain_receipt_id: null,
        usage_event_digest: null,
        event_id: null,
      };
      data.settlement_batches[batch.settlement_batch_id] = batch;
    }
    const usage: SandboxUsageEvent = {
      usage_event_id: newId('use'),
      ...key,
      currency: r.currency,
      token_symbol: r.token_symbol,
      requirement_id: r.requirement_id,
      challenge_hash: r.challenge_hash,
      amount_minor: String(r.amount_minor),
      buyer_debit_minor: fees.buyer_debit_minor,
      provider_gross_amount_minor: fees.provider_gross_amount_minor,
      protocol_fee_minor: fees.protocol_fee_minor,
      provider_receivable_minor: fees.provider_receivable_minor,
      status: DIRECT_REQUEST_PAYMENT_METERED_ACCEPTED_STATUS,
      settlement_batch_id: batch.settlement_batch_id,
      occurred_at: this.store.nowIso(),
    };
    data.usage_events[usage.usage_event_id] = usage;
    batch.usage_event_ids.push(usage.usage_event_id);
    this.store.changed();
    return batch;
  }

  /** The usage events of a batch, in order. */
  usageOf(b: SandboxSettlementBatch): SandboxUsageEvent[] {
    return b.usage_event_ids.map((id) => this.store.data.usage_events[id]).filter((u): u is SandboxUsageEvent => !!u);
  }

  /** Gross exposure of a batch has reached the early-settlement threshold. */
  reachedThreshold(b: SandboxSettlementBatch): boolean {
    return (
      toMilli(sumDecimal(this.usageOf(b).map((u) => u.provider_gross_amount_minor))) >=
      BigInt(SETTLEMENT_THRESHOLD_MINOR) * 1000n
    );
  }

  /** A batch as the statements show it, with totals. */
  batchView(b: SandboxSettlementBatch) {
    const usage = this.usageOf(b);
    const { usage_event_ids: _ids, event_id: _event, ...rest } = b;
    const sum = (
      field: 'provider_gross_amount_minor' | 'buyer_debit_minor' | 'protocol_fee_minor' | 'provider_receivable_minor',
    ) => sumDecimal(usage.map((u) => u[field]));
    return {
      ...rest,
      pricing_band: b.plan_type,
      finality: DIRECT_REQUEST_PAYMENT_METERED_FINALITY,
      settlement_status:
        b.status === 'settled'
          ? DIRECT_REQUEST_PAYMENT_STANDARD_SETTLED_STATUS
          : DIRECT_REQUEST_PAYMENT_METERED_ACCEPTED_STATUS,
      period_start: b.opened_at,
      period_end: b.settled_at ?? b.scheduled_settlement_at,
      created_at: b.opened_at,
      usage_event_count: usage.length,
      gross_amount_minor: sum('provider_gross_amount_minor'),
      buyer_debit_minor: sum('buyer_debit_minor'),
      protocol_fee_minor: sum('protocol_fee_minor'),
      provider_receivable_minor: sum('provider_receivable_minor'),
      settlement_threshold_minor: String(SETTLEMENT_THRESHOLD_MINOR),
    };
  }

  /** Settles an open batch on the simulated chain and delivers its confirmation (waiting for the deliveries). */
  async settle(b: SandboxSettlementBatch): Promise<SandboxBatchSettlement> {
    const now = this.store.nowIso();
    Object.assign(b, {
      status: 'settled',
      settled_at: now,
      chain_receipt_id: newId('chr'),
      usage_event_digest: `sha256:${createHash('sha256').update(b.usage_event_ids.join('\n')).digest('hex')}`,
    });
    for (const u of this.usageOf(b)) u.status = 'settled';
    const view = this.batchView(b);
    const {
      merchant,
      listing_id,
      capability_key,
      settlement_batch_id,
      plan_type,
      settlement_cadence,
      chain_receipt_id,
      usage_event_digest,
      currency,
      token_symbol,
    } = b;
    const event = this.webhooks.createEvent(DIRECT_PAYMENT_CONFIRMED_EVENT, {
      mode: DIRECT_REQUEST_PAYMENT_METERED_BATCH_MODE,
      merchant,
      listing_id,
      capability_key,
      settlement_batch_id,
      pricing_band: plan_type,
      settlement_cadence,
      settlement_status: 'settled',
      finality: DIRECT_REQUEST_PAYMENT_METERED_FINALITY,
      chain_receipt_id,
      usage_event_digest,
      usage_event_count: view.usage_event_count,
      currency,
      token_symbol,
      gross_amount_minor: view.gross_amount_minor,
      protocol_fee_minor: view.protocol_fee_minor,
      provider_receivable_minor: view.provider_receivable_minor,
      settled_at: now,
    });
    b.event_id = event.id;
    this.store.changed();
    return {
      settlement_batch_id: b.settlement_batch_id,
      event_id: event.id,
      deliveries: await this.webhooks.publish(event, true),
    };
  }

  /** Settles open batches (all, or the one named) and delivers their confirmations. */
  async settleOpen(batchId?: string): Promise<SandboxBatchSettlement[]> {
    const open = Object.values(this.store.data.settlement_batches).filter(
      (b) => b.status === 'open' && (batchId === undefined || b.settlement_batch_id === batchId),
    );
    if (batchId !== undefined && open.length === 0) {
      throw new SandboxHttpError(
        404,
        'SETTLEMENT_BATCH_NOT_FOUND',
        `No open settlement batch "${batchId}" exists in this sandbox.`,
      );
    }
    const settled: SandboxBatchSettlement[] = [];
    for (const b of open) settled.push(await this.settle(b));
    return settled;
  }
}
