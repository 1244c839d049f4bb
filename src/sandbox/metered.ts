/**
 * Micro / Nano accounting: every accepted metered payment becomes a usage event in an open settlement
 * batch; a batch settles when its exposure reaches the settlement threshold (or when asked to through the
 * control route or the handle), which emits a `metered_settlement_batch` confirmation.
 */
import * as C from '../core/constants.js';
import { sha256Tagged } from '../core/crypto.js';
import { fromMilli, toMilli } from '../core/decimal.js';
import { SETTLEMENT_THRESHOLD_MINOR } from '../core/pricing.js';
import type { Wait, Webhooks } from './deliveries.js';
import { notFound } from './errors.js';
import * as M from './metered-records.js';
import * as R from './records.js';
import type { SandboxStore } from './store.js';

/** Capability key of payments that do not name one in `metadata.capability_key`. */
export const SANDBOX_DEFAULT_CAPABILITY_KEY = 'direct_request_payment';

/** Sum of decimal-string minor amounts (Nano fees such as "0.2"), exact. */
export const sumDecimal = (values: Iterable<string>): string =>
  fromMilli([...values].reduce((t, v) => t + toMilli(v), 0n));

/** When a batch's period ends: when it is due, or earlier when it settled early. */
const periodEnd = (b: M.SandboxSettlementBatch) =>
  b.settled_at !== null && b.settled_at < b.scheduled_settlement_at ? b.settled_at : b.scheduled_settlement_at;

/** A settled batch and the deliveries of its confirmation. */
export interface SandboxBatchSettlement {
  settlement_batch_id: string;
  event_id: string;
  deliveries: R.SandboxDelivery[];
}

export class MeteredLedger {
  constructor(
    private readonly store: SandboxStore,
    private readonly webhooks: Webhooks,
  ) {}

  /**
   * Records an accepted Micro / Nano payment in its open batch (opening one when needed) and links the
   * requirement to its usage event and batch. An open batch whose period has ended is closed (its scheduled
   * close; `closed` settles it and delivers its confirmation, alongside the payment's) and the payment opens the next one.
   */
  recordUsage(
    r: R.SandboxRequirement,
    listing_id: string,
    wait: Wait = true,
  ): { batch: M.SandboxSettlementBatch; closed: Promise<SandboxBatchSettlement> | null } {
    const { merchant, currency, token_symbol, metadata } = r;
    const c = metadata.capability_key;
    const capability_key = typeof c === 'string' && /^[\w.:-]{1,64}$/.test(c) ? c : SANDBOX_DEFAULT_CAPABILITY_KEY;
    const plan_type = r.pricing_band === 'micro' ? 'micro' : 'nano';
    const key: M.BatchKey = { merchant, listing_id, capability_key, plan_type, currency, token_symbol };
    const fields = Object.keys(key) as Array<keyof M.BatchKey>;
    const nowMs = this.store.nowMs();
    let open = this.store
      .list('settlement_batches')
      .find((b) => b.status === 'open' && fields.every((f) => b[f] === key[f]));
    // `settle` marks the batch settled before its first await, so the row below cannot land in it.
    const closed =
      open && Date.parse(open.scheduled_settlement_at) <= nowMs ? this.settle(open, 'scheduled_close', wait) : null;
    if (closed) open = undefined;
    const batch = open ?? this.store.put('settlement_batches', M.newSettlementBatch(key, r.settlement_cadence, nowMs));
    const usage = this.store.put('usage_events', M.newUsageEvent(key, r, batch.settlement_batch_id, R.iso(nowMs)));
    batch.usage_event_ids.push(usage.usage_event_id);
    Object.assign(r, { settlement_batch_id: batch.settlement_batch_id, usage_event_id: usage.usage_event_id });
    return { batch, closed };
  }

  /** The usage events of a batch, in order. */
  usageOf(b: M.SandboxSettlementBatch): M.SandboxUsageEvent[] {
    return b.usage_event_ids.flatMap((id) => this.store.get('usage_events', id) ?? []);
  }

  /** An open batch whose gross exposure has reached the early-settlement threshold. */
  reachedThreshold(b: M.SandboxSettlementBatch): boolean {
    const threshold = BigInt(SETTLEMENT_THRESHOLD_MINOR) * 1000n;
    return b.status === 'open' && toMilli(this.batchView(b).gross_amount_minor) >= threshold;
  }

  /**
   * A batch as the statements show it: the fields of CONTRACT-2 section 22 (the canonical gross
   * `provider_gross_amount_minor` and its alias, the exposure still unsettled, trigger and timing) plus the
   * sandbox's own (`gross_amount_minor`, `usage_event_count`, `finality`).
   */
  batchView(b: M.SandboxSettlementBatch) {
    const usage = this.usageOf(b);
    const sum = (field: keyof M.SandboxUsageEvent & `${string}_minor`) => sumDecimal(usage.map((u) => u[field]));
    const { usage_event_ids: _ids, event_id: _event, ...rest } = b;
    const open = b.status === 'open';
    const gross = sum('provider_gross_amount_minor');
    const period_end = periodEnd(b);
    return {
      ...rest,
      pricing_band: b.plan_type,
      finality: C.DIRECT_REQUEST_PAYMENT_METERED_FINALITY,
      settlement_status: open
        ? C.DIRECT_REQUEST_PAYMENT_METERED_ACCEPTED_STATUS
        : C.DIRECT_REQUEST_PAYMENT_STANDARD_SETTLED_STATUS,
      execution_status: open ? 'scheduled' : 'settled',
      period_start: b.opened_at,
      period_end,
      close_at: period_end,
      expected_scheduled_debit_at: b.scheduled_settlement_at,
      created_at: b.opened_at,
      usage_event_count: usage.length,
      provider_gross_amount_minor: gross,
      provider_usage_amount_minor: gross,
      gross_amount_minor: gross,
      buyer_debit_minor: sum('buyer_debit_minor'),
      protocol_fee_minor: sum('protocol_fee_minor'),
      provider_receivable_minor: sum('provider_receivable_minor'),
      total_unsettled_exposure_minor: open ? gross : '0',
      settlement_threshold_minor: String(SETTLEMENT_THRESHOLD_MINOR),
    };
  }

  /**
   * A usage event as a statement row (CONTRACT-2 section 22): `metered_usage_id`, the gross under its
   * alias names, its batch's period and debit time. A buyer's row leaves out what the provider receives.
   */
  usageView(u: M.SandboxUsageEvent, side: 'buyer' | 'provider') {
    const b = this.store.get('settlement_batches', u.settlement_batch_id);
    const { provider_receivable_minor, ...row } = u;
    return {
      metered_usage_id: u.usage_event_id,
      ...row,
      ...(side === 'provider' && { provider_receivable_minor }),
      pricing_band: u.plan_type,
      settlement_cadence: b?.settlement_cadence ?? null,
      provider_usage_amount_minor: u.provider_gross_amount_minor,
      gross_buyer_debit_minor: u.provider_gross_amount_minor,
      rounding_delta_minor: '0',
      product_listing_id: u.listing_id,
      period_start: b?.opened_at ?? null,
      period_end: b ? periodEnd(b) : null,
      expected_scheduled_debit_at: b?.scheduled_settlement_at ?? null,
      created_at: u.occurred_at,
    };
  }

  /**
   * Settles an open batch on the simulated chain and delivers its confirmation (waiting for the deliveries);
   * `amount_threshold` when a payment pushed it over the threshold. A batch settles once: a settled one is refused.
   */
  async settle(
    b: M.SandboxSettlementBatch,
    trigger: 'scheduled_close' | 'amount_threshold' = 'scheduled_close',
    wait: Wait = true,
  ): Promise<SandboxBatchSettlement> {
    // Callers check first; a second settle would send a second confirmation with another chain receipt.
    if (b.status !== 'open') throw new Error(`Settlement batch "${b.settlement_batch_id}" is already settled.`);
    const now = this.store.nowIso();
    // Settled before the first await, so a concurrent payment over the threshold cannot settle it twice.
    Object.assign(b, { status: 'settled', settled_at: now, chain_receipt_id: R.newId('chr') });
    b.settlement_trigger = trigger;
    b.threshold_reached_at = trigger === 'amount_threshold' ? now : null;
    for (const u of this.usageOf(b)) u.status = 'settled';
    b.usage_event_digest = await sha256Tagged(b.usage_event_ids.join('\n'));
    const { merchant, listing_id, capability_key, settlement_batch_id, pricing_band, settlement_cadence, ...view } =
      this.batchView(b);
    const event = this.webhooks.createEvent(C.DIRECT_PAYMENT_CONFIRMED_EVENT, {
      mode: C.DIRECT_REQUEST_PAYMENT_METERED_BATCH_MODE,
      merchant,
      listing_id,
      capability_key,
      settlement_batch_id,
      pricing_band,
      settlement_cadence,
      settlement_status: 'settled',
      finality: view.finality,
      chain_receipt_id: view.chain_receipt_id,
      usage_event_digest: view.usage_event_digest,
      usage_event_count: view.usage_event_count,
      currency: view.currency,
      token_symbol: view.token_symbol,
      // Every fee is seller-borne (CONTRACT section 9): the amount and the buyer's debit are the gross.
      amount_minor: Number(view.provider_gross_amount_minor),
      buyer_debit_minor: view.provider_gross_amount_minor,
      provider_gross_amount_minor: view.provider_gross_amount_minor,
      protocol_fee_minor: view.protocol_fee_minor,
      provider_receivable_minor: view.provider_receivable_minor,
      settlement_threshold_minor: view.settlement_threshold_minor,
      settled_at: now,
    });
    b.event_id = event.id;
    this.store.changed();
    return { settlement_batch_id, event_id: event.id, deliveries: await this.webhooks.publish(event, wait) };
  }

  /** Settles open batches (all, or the one named) and delivers their confirmations. */
  async settleOpen(batchId?: string): Promise<SandboxBatchSettlement[]> {
    const open = this.store
      .list('settlement_batches')
      .filter((b) => b.status === 'open' && (batchId ?? b.settlement_batch_id) === b.settlement_batch_id);
    if (batchId !== undefined && open.length === 0) {
      throw notFound('SETTLEMENT_BATCH_NOT_FOUND', `No open settlement batch "${batchId}" exists in this sandbox.`);
    }
    const settled: SandboxBatchSettlement[] = [];
    // Checked again before each one: a payment over the threshold may have settled it during an earlier delivery.
    for (const b of open) if (b.status === 'open') settled.push(await this.settle(b));
    return settled;
  }
}
