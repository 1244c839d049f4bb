/**
 * Conformance: what the store writes is stored whole, or the write fails.
 * Every value the core accepts fits its column (a settled_at of up to 256
 * characters; MySQL's schema had VARCHAR(64) and truncated it), and the
 * insert-unless-recorded skips only the duplicate key: a NULL in a NOT NULL
 * column fails the transaction instead of being stored as '' (MySQL's
 * INSERT IGNORE turned both errors into warnings).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { OrderSettlementBatchRecord, OrderStore } from '../../../src/orders/index.js';
import type { ConformanceDatabase } from '../support/adapter.js';
import { count, describeEachAdapter, uid } from '../support/conformance.js';

describeEachAdapter('what the store writes', (adapter) => {
  let db: ConformanceDatabase;
  let store: OrderStore;

  beforeAll(async () => {
    db = await adapter.createDatabase();
    store = db.createStore();
  });
  afterAll(async () => {
    await (store as { close?: () => Promise<void> } | undefined)?.close?.();
    await db?.drop();
  });

  const record = (event_id: string, batch: OrderSettlementBatchRecord) =>
    store.processWebhookEvent({ event_id, event_type: 'direct_payment.confirmed' }, async (tx) => ({
      outcome: 'batch_recorded',
      result: { first_delivery: tx.first_delivery, recorded: await tx.recordSettlementBatch(batch) },
    }));

  it('stores a 200-character settled_at whole, and records a batch and an event once', async () => {
    const event_id = uid('evt_batch');
    const settled_at = `2026-11-27T00:00:00.000000000+09:00 ${'x'.repeat(164)}`;
    expect(settled_at).toHaveLength(200);
    const batch: OrderSettlementBatchRecord = {
      event_id, settlement_batch_id: uid('batch'), chain_receipt_id: 'rcpt_1', usage_event_digest: 'sha256:abc', pricing_band: 'micro', settled_at,
    };
    expect(await record(event_id, batch)).toEqual({ first_delivery: true, recorded: true });
    expect((await db.sql('SELECT settled_at FROM siglume_settlement_batches WHERE settlement_batch_id = ?', [batch.settlement_batch_id]))[0]?.settled_at).toBe(settled_at);
    // A redelivery, and the same batch under another event: each key is inserted once, and the store says so.
    expect(await record(event_id, batch)).toEqual({ first_delivery: false, recorded: false });
    const other = uid('evt_batch');
    expect(await record(other, { ...batch, event_id: other })).toEqual({ first_delivery: true, recorded: false });
    expect(await count(db, 'siglume_settlement_batches WHERE settlement_batch_id = ?', [batch.settlement_batch_id])).toBe(1);
    expect(await count(db, 'siglume_webhook_events WHERE event_id IN (?, ?)', [event_id, other])).toBe(2);
  });

  it('fails, and records nothing, when an insert breaks something other than the key (a NULL in a NOT NULL column)', async () => {
    const event_id = uid('evt_null');
    const batch = {
      event_id, settlement_batch_id: uid('batch'), chain_receipt_id: null, usage_event_digest: 'sha256:abc', pricing_band: 'micro', settled_at: null,
    } as unknown as OrderSettlementBatchRecord;
    await expect(record(event_id, batch)).rejects.toThrow();
    expect(await count(db, 'siglume_settlement_batches WHERE settlement_batch_id = ?', [batch.settlement_batch_id])).toBe(0);
    expect(await count(db, 'siglume_webhook_events WHERE event_id = ?', [event_id])).toBe(0);
    await expect(store.processWebhookEvent({ event_id: uid('evt_null'), event_type: null as unknown as string }, async () => ({ outcome: 'x', result: null }))).rejects.toThrow();
  });
});
