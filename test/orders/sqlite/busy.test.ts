/**
 * SQLite allows one writer. When another connection (another process, or a
 * tool on the same file) holds the write lock past the busy timeout, the
 * store's transaction fails with SQLITE_BUSY: the webhook answers a
 * retryable 500 with nothing recorded, and the redelivery pays the order
 * exactly once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConformanceDatabase } from '../support/adapter.js';
import { count, eventOutcomes, insertOrder, orderStatus } from '../support/conformance.js';
import { deliverWebhook, startCheckout, startShopFixture, type ShopFixture } from '../support/shop.js';
import { openSqlite, sqliteAdapter } from '../support/sqlite.js';

describe('SqliteOrderStore while another connection holds the write lock', () => {
  let db: ConformanceDatabase;
  let f: ShopFixture;

  beforeAll(async () => {
    db = await sqliteAdapter.createDatabase();
    f = await startShopFixture(db, { lock_timeout_ms: 200 });
  });
  afterAll(async () => {
    await f?.close();
    await db?.drop();
  });

  it('answers 500 (SQLITE_BUSY) and records nothing, then pays once on redelivery', async () => {
    const order_id = 'busy_1';
    await insertOrder(db, { order_id, amount_minor: 4200 });
    const start = await startCheckout(f.shop.url, { order_id });
    f.tap.target = null;
    const paid = await f.sandbox.pay(start.body.session_id as string);
    f.tap.target = `${f.shop.url}/payments/webhooks/siglume`;
    const e = await f.sandbox.signedEvent(paid.event_id!);

    const other = openSqlite(db.env.SDRP_SQLITE_FILE!, 1000);
    other.exec('BEGIN IMMEDIATE');
    try {
      expect(await deliverWebhook(f.shop.url, e.rawBody, e.header)).toMatchObject({ status: 500, body: { error: 'webhook_processing_failed' } });
    } finally {
      other.exec('ROLLBACK');
      other.close();
    }
    expect(f.shop.errors.at(-1)).toMatchObject({ code: 'SQLITE_BUSY' });
    expect(await eventOutcomes(db, e.event.id)).toEqual([]);
    expect(await orderStatus(db, order_id)).toBe('pending');

    expect(await deliverWebhook(f.shop.url, e.rawBody, e.header)).toMatchObject({ status: 204 });
    expect(await orderStatus(db, order_id)).toBe('paid');
    expect(await eventOutcomes(db, e.event.id)).toEqual(['marked_paid']);
    expect(await count(db, 'siglume_checkout_attempts WHERE order_id = ? AND requirement_id IS NOT NULL', [order_id])).toBe(1);
  });
});
