/**
 * MariaDB / MySQL tables in a character set narrower than the connection's
 * utf8mb4 (latin1 and utf8mb3 are common in older shops). An id such a column
 * cannot hold ("💥" for utf8mb3, "注文" for latin1) makes the comparison fail
 * with an illegal mix of collations (1267) instead of finding nothing. No
 * stored row can hold that value, so every lookup by an id from outside
 * answers "not found", as for any other unknown id: a 404 at checkout, never
 * a 500 reported to onError on each click.
 */
import mysql from 'mysql2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DirectRequestPaymentMerchantClient } from '../../../src/clients/merchant.js';
import { createOrderCheckoutService } from '../../../src/orders/index.js';
import { MysqlOrderStore } from '../../../src/orders/mysql/index.js';
import type { ConformanceDatabase } from '../support/adapter.js';
import { mysqlAdapter, mysqlPoolOptions } from '../support/mysql.js';

const unavailable = await mysqlAdapter.unavailable();
if (unavailable && process.env.CI === 'true') throw new Error(`the charset tests need MariaDB in CI: ${unavailable}`);

const ORDER_COLUMNS = `order_id VARCHAR(64) PRIMARY KEY, user_id VARCHAR(64), amount_minor BIGINT NOT NULL, currency CHAR(3) NOT NULL,
  status VARCHAR(16) NOT NULL DEFAULT 'pending'`;

describe.skipIf(unavailable !== null)('MysqlOrderStore over tables in a narrower character set', () => {
  let db: ConformanceDatabase;
  let pool: mysql.Pool;
  const stores: MysqlOrderStore[] = [];
  const storeOver = (table: string) => {
    const store = new MysqlOrderStore({ pool, orders: { table } });
    stores.push(store);
    return store;
  };

  beforeAll(async () => {
    db = await mysqlAdapter.createDatabase();
    pool = mysql.createPool(mysqlPoolOptions(db.env.SDRP_MYSQL_DATABASE!, { connectionLimit: 4 }));
    for (const charset of ['latin1', 'utf8mb3']) {
      await db.sql(`CREATE TABLE orders_${charset} (${ORDER_COLUMNS}) CHARSET=${charset}`);
      await db.sql(`INSERT INTO orders_${charset} (order_id, user_id, amount_minor, currency) VALUES ('ord_1', 'alice', 5000, 'JPY')`);
    }
    // Payment tables made by hand (or by an ORM's migration) in the database's old default.
    for (const table of ['siglume_checkout_attempts', 'siglume_webhook_events']) {
      await db.sql(`ALTER TABLE ${table} CONVERT TO CHARACTER SET utf8mb3`);
    }
  });
  afterAll(async () => {
    await pool?.promise().end();
    await db?.drop();
  });

  for (const [charset, unencodable] of [['latin1', ['注文', '💥']], ['utf8mb3', ['💥']]] as const) {
    it(`finds no order for an id a ${charset} key cannot hold, and still finds the stored one`, async () => {
      const store = storeOver(`orders_${charset}`);
      for (const id of unencodable) expect(await store.findOrder(id), id).toBeNull();
      expect(await store.findOrder('ord_1')).toMatchObject({ order_id: 'ord_1', owner_id: 'alice' });
      expect(await store.beginCheckoutAttempt(unencodable[0], {
        new_nonce: 'n_charset', creation_lease_seconds: 30, session_reuse_margin_seconds: 60, default_session_lifetime_seconds: 900,
      })).toEqual({ kind: 'not_found' });
    });
  }

  it('answers a checkout start for "💥" like a missing order (404), reporting nothing to onError', async () => {
    const reported: unknown[] = [];
    const service = createOrderCheckoutService<{ id: string } | null>({
      merchant_client: new DirectRequestPaymentMerchantClient({ auth_token: 'sdrp_charset_token', base_url: 'http://127.0.0.1:1/v1' }),
      order_store: storeOver('orders_utf8mb3'),
      merchant: 'shop_charset',
      webhook_secret: 'whsec_charset',
      shop_public_origin: 'https://shop.example',
      authorize_order: (order, user) => user !== null && order.owner_id === user.id,
      onError: (error) => reported.push(error),
    });
    const missing = await service.startCheckout('no_such_order', null);
    expect(missing).toMatchObject({ status: 404, body: { error: 'order_not_found' } });
    expect(await service.startCheckout('💥', null)).toEqual(missing);
    expect(reported).toEqual([]);
  });

  it('finds no event and no attempt for an event id or challenge hash the payment tables cannot hold', async () => {
    const store = storeOver('orders_utf8mb3');
    expect(await store.previewWebhookEvent('evt_💥', 'sha256:💥')).toEqual({ event_recorded: false, checkout_session_id: null });
    const found = await store.processWebhookEvent({ event_id: 'evt_charset', event_type: 'test' }, async (tx) => ({
      outcome: 'ignored:test', result: await tx.findPayment('sha256:💥'),
    }));
    expect(found).toBeNull();
  });
});
