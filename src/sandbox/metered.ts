/**
 * Micro / Nano accounting: every accepted metered payment becomes a usage
 * event in an open settlement batch; a batch settles when its exposure
 * reaches the settlement threshold (or when asked to through the control
 * endpoint), which emits a `metered_settlement_batch` confirmation.
 */
import { createHash } from 'node:crypto';
import {
  DIRECT_PAYMENT_CONFIRMED_EVENT,
  DIRECT_REQUEST_PAYMENT_METERED_BATCH_MODE,
  DIRECT_REQUEST_PAYMENT_METERED_ACCEPTED_STATUS,
  DIRECT_REQUEST_PAYMENT_METERED_FINALITY,
  DIRECT_REQUEST_PAYMENT_STANDARD_SETTLED_STATUS,
} from '../core/constants.js';
import { SETTLEMENT_THRESHOLD_MINOR, type DirectRequestPaymentFeeBreakdown } from '../core/pricing.js';
import { toMilli } from '../core/decimal.js';
import { sumDecimal } from './decimal.js';
import { createEvent } from './events.js';
import { iso, newId } from './ids.js';
import type { SandboxRuntime } from './runtime.js';
import type { SandboxEvent, SandboxRequirement, SandboxSettlementBatch, SandboxUsageEvent } from './types.js';

/** Capability key of payments that do not name one in `metadata.capability_key`. */
export const SANDBOX_DEFAULT_CAPABILITY_KEY = 'direct_request_payment';

const DAY_MS = 24 * 3600 * 1000;

function capabilityKeyOf(metadata: Record<string, unknown>): string {
  const v = metadata.capability_key;
  return typeof v === 'string' && /^[A-Za-z0-9_.:-]{1,64}$/.test(v) ? v : SANDBOX_DEFAULT_CAPABILITY_KEY;
}

function scheduledSettlement(openedMs: number, cadence: string): string {
  if (cadence === 'weekly') return iso(openedMs + 7 * DAY_MS);
  const d = new Date(openedMs);
  return iso(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1));
}

function openBatchFor(rt: SandboxRuntime, u: Omit<SandboxUsageEvent, 'settlement_batch_id'>, cadence: SandboxSettlementBatch['settlement_cadence']): SandboxSettlementBatch {
  for (const b of Object.values(rt.store.data.settlement_batches)) {
    if (
      b.status === 'open' &&
      b.merchant === u.merchant &&
      b.listing_id === u.listing_id &&
      b.capability_key === u.capability_key &&
      b.plan_type === u.plan_type &&
      b.token_symbol === u.token_symbol
    ) {
      return b;
    }
  }
  const now = rt.store.nowMs();
  const batch: SandboxSettlementBatch = {
    settlement_batch_id: newId('msb'),
    merchant: u.merchant,
    listing_id: u.listing_id,
    capability_key: u.capability_key,
    plan_type: u.plan_type,
    currency: u.currency,
    token_symbol: u.token_symbol,
    settlement_cadence: cadence,
    status: 'open',
    usage_event_ids: [],
    opened_at: iso(now),
    scheduled_settlement_at: scheduledSettlement(now, cadence),
    settled_at: null,
    chain_receipt_id: null,
    usage_event_digest: null,
    event_id: null,
  };
  rt.store.data.settlement_batches[batch.settlement_batch_id] = batch;
  return batch;
}

/** Records an accepted Micro / Nano payment. Returns the usage event and its batch. */
export function recordUsage(
  rt: SandboxRuntime,
  r: SandboxRequirement,
  fees: DirectRequestPaymentFeeBreakdown,
  listingId: string,
): { usage: SandboxUsageEvent; batch: SandboxSettlementBatch } {
  const planType = fees.pricing_band === 'micro' ? 'micro' : 'nano';
  const base = {
    usage_event_id: newId('use'),
    merchant: r.merchant,
    listing_id: listingId,
    capability_key: capabilityKeyOf(r.metadata),
    plan_type: planType,
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
    occurred_at: rt.store.nowIso(),
  } as const;
  const batch = openBatchFor(rt, base, fees.settlement_cadence);
  const usage: SandboxUsageEvent = { ...base, settlement_batch_id: batch.settlement_batch_id };
  rt.store.data.usage_events[usage.usage_event_id] = usage;
  batch.usage_event_ids.push(usage.usage_event_id);
  rt.store.changed();
  return { usage, batch };
}

/** The usage events of a batch, in order. */
export function batchUsage(rt: SandboxRuntime, b: SandboxSettlementBatch): SandboxUsageEvent[] {
  return b.usage_event_ids.map((id) => rt.store.data.usage_events[id]).filter((u): u is SandboxUsageEvent => !!u);
}

/** Gross exposure of a batch has reached the early-settlement threshold. */
export function batchReachedThreshold(rt: SandboxRuntime, b: SandboxSettlementBatch): boolean {
  const gross = sumDecimal(batchUsage(rt, b).map((u) => u.provider_gross_amount_minor));
  return toMilli(gross) >= BigInt(SETTLEMENT_THRESHOLD_MINOR) * 1000n;
}

/** A usage event as the statements show it. */
export function usageView(u: SandboxUsageEvent): Record<string, unknown> {
  return { ...u, pricing_band: u.plan_type, created_at: u.occurred_at };
}

/** A batch as the statements show it, with totals. */
export function batchView(rt: SandboxRuntime, b: SandboxSettlementBatch): Record<string, unknown> {
  const usage = batchUsage(rt, b);
  const { usage_event_ids: _ids, event_id: _event, ...rest } = b;
  return {
    ...rest,
    pricing_band: b.plan_type,
    settlement_status: b.status === 'settled' ? DIRECT_REQUEST_PAYMENT_STANDARD_SETTLED_STATUS : DIRECT_REQUEST_PAYMENT_METERED_ACCEPTED_STATUS,
    period_start: b.opened_at,
    period_end: b.settled_at ?? b.scheduled_settlement_at,
    created_at: b.opened_at,
    finality: DIRECT_REQUEST_PAYMENT_METERED_FINALITY,
    usage_event_count: usage.length,
    gross_amount_minor: sumDecimal(usage.map((u) => u.provider_gross_amount_minor)),
    buyer_debit_minor: sumDecimal(usage.map((u) => u.buyer_debit_minor)),
    protocol_fee_minor: sumDecimal(usage.map((u) => u.protocol_fee_minor)),
    provider_receivable_minor: sumDecimal(usage.map((u) => u.provider_receivable_minor)),
    settlement_threshold_minor: String(SETTLEMENT_THRESHOLD_MINOR),
  };
}

/** Settles an open batch on the simulated chain and creates its confirmation event. */
export function settleBatch(rt: SandboxRuntime, b: SandboxSettlementBatch): SandboxEvent {
  const usage = batchUsage(rt, b);
  const now = rt.store.nowIso();
  b.status = 'settled';
  b.settled_at = now;
  b.chain_receipt_id = newId('chr');
  b.usage_event_digest = `sha256:${createHash('sha256').update(b.usage_event_ids.join('\n')).digest('hex')}`;
  for (const u of usage) u.status = 'settled';
  const view = batchView(rt, b);
  const event = createEvent(rt, DIRECT_PAYMENT_CONFIRMED_EVENT, {
    mode: DIRECT_REQUEST_PAYMENT_METERED_BATCH_MODE,
    merchant: b.merchant,
    listing_id: b.listing_id,
    capability_key: b.capability_key,
    settlement_batch_id: b.settlement_batch_id,
    pricing_band: b.plan_type,
    settlement_cadence: b.settlement_cadence,
    settlement_status: 'settled',
    finality: DIRECT_REQUEST_PAYMENT_METERED_FINALITY,
    chain_receipt_id: b.chain_receipt_id,
    usage_event_digest: b.usage_event_digest,
    usage_event_count: usage.length,
    currency: b.currency,
    token_symbol: b.token_symbol,
    gross_amount_minor: view.gross_amount_minor,
    protocol_fee_minor: view.protocol_fee_minor,
    provider_receivable_minor: view.provider_receivable_minor,
    settled_at: now,
  });
  b.event_id = event.id;
  rt.store.changed();
  return event;
}
