/**
 * MariaDB / MySQL lock failures in the webhook's transaction: a lock wait
 * past `lock_timeout_ms` (error 1205) and a deadlock (error 1213) both roll
 * the delivery back and answer a retryable 500 with nothing recorded; the
 * redelivery then pays the order exactly once. Both are provoked for real,
 * with a second connection holding the order row.
 */
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConformanceDatabase } from '../support/adapter.js';
import { count, eventOutcomes, insertOrder, orderStatus, waitFor } from '../support/conformance.js';
import { mysqlAdapter, mysqlPoolOptions } from '../support/mysql.js';
import { deliverWebhook, startCheckout, startShopFixture, type ShopFixture } from '../support/shop.js';

const unavailable = await mysqlAdapter.unavailable();
if (unavailable && process.env.CI === 'true') throw new Error(`the lock tests need MariaDB in CI: ${unavailable}`);

describe.skipIf(unavailable !== null)('MysqlOrderStore under lock contention', () => {
  let db: ConformanceDatabase;
  let f: ShopFixture;
  let other: mysql.Connection;
  let n = 0;

  beforeAll(async () => {
    db = await mysqlAdapter.createDatabase();
    f = await startShopFixture(db, { lock_timeout_ms: 1000 });
    other = await mysql.createConnection(mysqlPoolOptions(db.env.SDRP_MYSQL_DATABASE!));
  });
  afterAll(async () => {
    await other?.end();
    await f?.close();
    await db?.drop();
  });

  /** A pending order, paid at the sandbox with its delivery dropped: the test delivers it. */
  async function paidButUndelivered() {
    const order_id = `lock_${++n}`;
    await insertOrder(db, { order_id, amount_minor: 4200 });
    const start = await startCheckout(f.shop.url, { order_id });
    f.tap.target = null;
    const paid = await f.sandbox.pay(start.body.session_id as string);
    f.tap.target = `${f.shop.url}/payments/webhooks/siglume`;
    return { order_id, event: await f.sandbox.signedEvent(paid.event_id!) };
  }

  async function expectPaidOnceOnRedelivery(order_id: string, e: { rawBody: string; header: string; event: { id: string } }) {
    expect(await eventOutcomes(db, e.event.id)).toEqual([]);
    expect(await orderStatus(db, order_id)).toBe('pending');
    expect(await deliverWebhook(f.shop.url, e.rawBody, e.header)).toMatchObject({ status: 204 });
    expect(await orderStatus(db, order_id)).toBe('paid');
    expect(await eventOutcomes(db, e.event.id)).toEqual(['marked_paid']);
    expect(await count(db, 'siglume_checkout_attempts WHERE order_id = ? AND requirement_id IS NOT NULL', [order_id])).toBe(1);
  }

  it('answers 500 when another transaction holds the order past lock_timeout_ms (1205), and the redelivery pays once', async () => {
    const { order_id, event } = await paidButUndelivered();
    await other.query('START TRANSACTION');
    await other.query('SELECT * FROM orders WHERE order_id = ? FOR UPDATE', [order_id]);
    try {
      expect(await deliverWebhook(f.shop.url, event.rawBody, event.header)).toMatchObject({ status: 500, body: { error: 'webhook_processing_failed' } });
    } finally {
      await other.query('ROLLBACK');
    }
    expect(f.shop.errors.at(-1)).toMatchObject({ errno: 1205 });
    await expectPaidOnceOnRedelivery(order_id, event);
  });

  it('answers 500 when the delivery is chosen as a deadlock victim (1213), and the redelivery pays once', async () => {
    const { order_id, event } = await paidButUndelivered();
    // The other transaction writes more rows, so InnoDB rolls back the delivery's (the smaller) transaction.
    await other.query('START TRANSACTION');
    for (let i = 0; i < 20; i++) await other.query('INSERT INTO orders (order_id, user_id, amount_minor, currency) VALUES (?, ?, 100, ?)', [`${order_id}_filler_${i}`, 'x', 'JPY']);
    await other.query('SELECT * FROM orders WHERE order_id = ? FOR UPDATE', [order_id]);
    try {
      // The delivery inserts its event row, then waits for the order row...
      const delivery = deliverWebhook(f.shop.url, event.rawBody, event.header);
      await waitFor(async () => {
        // (information_schema.innodb_trx lags on MariaDB; the process list shows the waiting statement at once.)
        const [rows] = await other.query(
          "SELECT count(*) AS n FROM information_schema.processlist WHERE db = DATABASE() AND id <> CONNECTION_ID() AND info LIKE '%FROM `orders` WHERE%FOR UPDATE%'");
        return Number((rows as Array<{ n: number }>)[0]!.n) > 0;
      }, 'the delivery to wait for the order row');
      // ...and this waits for the event row: a cycle.
      await other.query('INSERT IGNORE INTO siglume_webhook_events (event_id, event_type, received_at) VALUES (?, ?, NOW(3))', [event.event.id, 'x']);
      expect(await delivery).toMatchObject({ status: 500, body: { error: 'webhook_processing_failed' } });
    } finally {
      await other.query('ROLLBACK');
    }
    expect(f.shop.errors.at(-1)).toMatchObject({ errno: 1213 });
    await expectPaidOnceOnRedelivery(order_id, event);
  });
});
