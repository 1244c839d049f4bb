/**
 * Conformance: the merchant's EXISTING orders table, with its own table,
 * column and status names, an integer id and a lower-case currency. The
 * payment tables stay the package's; the shop's table only changes status
 * (and its paid-at column).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { ConformanceDatabase } from '../support/adapter.js';
import { count, describeEachAdapter, payment, reviews } from '../support/conformance.js';
import { startCheckout, startShopFixture, type ShopFixture } from '../support/shop.js';

const MAPPING = {
  table: 'shop_orders',
  id_column: 'id',
  amount_column: 'total_minor',
  currency_column: 'currency_code',
  status_column: 'state',
  owner_column: 'customer',
  paid_at_column: 'paid_on',
  status_values: { pending: 'awaiting_payment', paid: 'paid', fulfilled_unsettled: 'paid_unsettled' },
};

describeEachAdapter('an existing orders table', (adapter) => {
  let db: ConformanceDatabase;
  let f: ShopFixture;
  let next = 1000;
  const row = async (id: number) => (await db.sql('SELECT state, paid_on FROM shop_orders WHERE id = ?', [id]))[0]!;

  beforeAll(async () => {
    db = await adapter.createDatabase();
    await db.sql(`CREATE TABLE shop_orders (
      id integer PRIMARY KEY, customer varchar(64) NOT NULL, total_minor bigint NOT NULL,
      currency_code varchar(3) NOT NULL, state varchar(32) NOT NULL, paid_on timestamp NULL)`);
    f = await startShopFixture(db, { orders: MAPPING });
  });
  afterAll(async () => {
    await f?.close();
    await db?.drop();
  });

  async function order(state = 'awaiting_payment', total = 4200): Promise<number> {
    const id = next++;
    await db.sql('INSERT INTO shop_orders (id, customer, total_minor, currency_code, state) VALUES (?, ?, ?, ?, ?)', [id, 'alice', total, 'jpy', state]);
    return id;
  }

  it('checks out and pays an order of the mapped table, setting its status value and paid-at column', async () => {
    const id = await order();
    const start = await startCheckout(f.shop.url, { order_id: String(id) });
    expect(start.status).toBe(200);
    const session = f.sandbox.session(start.body.session_id as string)!;
    expect([session.amount_minor, session.currency]).toEqual([4200, 'JPY']);
    expect((await f.sandbox.pay(session.session_id)).deliveries.map((d) => d.response_status)).toEqual([204]);
    const paid = await row(id);
    expect(paid.state).toBe('paid');
    expect(paid.paid_on).not.toBeNull();
    expect((await payment(db, String(id)))?.requirement_id).toBe(f.sandbox.session(session.session_id)!.requirement_id);
  });

  it('refuses to check out another owner\'s order or one in a status of its own, and reviews a payment for an order cancelled meanwhile', async () => {
    const cancelled = await order('cancelled');
    expect(await startCheckout(f.shop.url, { order_id: String(cancelled) })).toMatchObject({ status: 409, body: { error: 'order_not_payable' } });
    const id = await order();
    expect(await startCheckout(f.shop.url, { order_id: String(id) }, 'mallory')).toMatchObject({ status: 404 });
    const start = await startCheckout(f.shop.url, { order_id: String(id) });
    await db.sql('UPDATE shop_orders SET state = ? WHERE id = ?', ['cancelled', id]);
    const paid = await f.sandbox.pay(start.body.session_id as string);
    expect(paid.deliveries.map((d) => d.response_status)).toEqual([204]);
    expect(await reviews(db, paid.event_id!)).toMatchObject([{ code: 'ORDER_STATE_CONFLICT', order_id: String(id) }]);
    expect((await row(id)).state).toBe('cancelled');
  });

  it('treats another spelling of an integer id as the same order: one attempt, kept under the table\'s spelling, and its payment applied', async () => {
    const id = await order();
    // The database finds the row for each of these; the webhook later finds the order by the table's own id.
    const first = await startCheckout(f.shop.url, { order_id: `0${id}` });
    expect(first.status).toBe(200);
    for (const alias of [String(id), ` ${id}`, `00${id}`]) {
      expect(await startCheckout(f.shop.url, { order_id: alias })).toMatchObject({ status: 200, body: { session_id: first.body.session_id } });
    }
    expect(await db.sql('SELECT order_id, status FROM siglume_checkout_attempts WHERE order_id IN (?, ?)', [String(id), `0${id}`])).toEqual([
      { order_id: String(id), status: 'active' },
    ]);
    const paid = await f.sandbox.pay(first.body.session_id as string);
    expect(paid.deliveries.map((d) => d.response_status)).toEqual([204]);
    expect((await row(id)).state).toBe('paid');
    expect(await count(db, 'siglume_checkout_attempts WHERE order_id = ?', [`0${id}`])).toBe(0);
  });

  it('applies the payment of an attempt kept under another spelling of the id (as an earlier version kept it)', async () => {
    const id = await order();
    const start = await startCheckout(f.shop.url, { order_id: String(id) });
    await db.sql('UPDATE siglume_checkout_attempts SET order_id = ? WHERE order_id = ?', [`0${id}`, String(id)]);
    const paid = await f.sandbox.pay(start.body.session_id as string);
    expect(paid.deliveries.map((d) => d.response_status)).toEqual([204]);
    expect((await row(id)).state).toBe('paid');
    expect((await payment(db, `0${id}`))?.requirement_id).toBe(f.sandbox.session(start.body.session_id as string)!.requirement_id);
  });

  it('keeps the attempt under the table\'s spelling when the store itself is asked with another', async () => {
    const id = await order();
    const store = db.createStore({ orders: MAPPING });
    const policy = { new_nonce: `sdrp-alias-${id}`, creation_lease_seconds: 30, session_reuse_margin_seconds: 60, default_session_lifetime_seconds: 1800 };
    const start = await store.beginCheckoutAttempt(`0${id}`, policy);
    expect(start).toMatchObject({ kind: 'create', order: { order_id: String(id) }, attempt: { order_id: String(id) } });
    expect(await store.beginCheckoutAttempt(` ${id}`, policy)).toMatchObject({ kind: 'creating', attempt: { order_id: String(id) } });
    expect(await store.findOrder('abc')).toBeNull();
    await (store as { close?: () => Promise<void> }).close?.();
  });

  it('answers 404 for an id that is no spelling of an integer, which MySQL would compare equal to one (abc to 0, 5000abc and 5e3 to 5000)', async () => {
    for (const id of [0, 5000]) {
      await db.sql('INSERT INTO shop_orders (id, customer, total_minor, currency_code, state) VALUES (?, ?, ?, ?, ?)', [id, 'alice', 700, 'jpy', 'awaiting_payment']);
    }
    const store = db.createStore({ orders: MAPPING });
    for (const id of ['abc', ' ', '5000abc', '5e3', '5000.0', '0x1388', '-0abc']) {
      expect(await startCheckout(f.shop.url, { order_id: id }), id).toMatchObject({ status: 404, body: { error: 'order_not_found' } });
      expect(await store.findOrder(id), id).toBeNull();
    }
    // Spellings of the integer itself still find it, as on every database.
    expect(await store.findOrder('05000')).toMatchObject({ order_id: '5000', owner_id: 'alice' });
    expect(await store.findOrder('-0')).toMatchObject({ order_id: '0' });
    await (store as { close?: () => Promise<void> }).close?.();
  });

  it.each(['abc', '99999999999999999999', '1.5'])('answers 404, not a 500, for an id %j the integer key cannot hold', async (id) => {
    expect(await startCheckout(f.shop.url, { order_id: id })).toMatchObject({ status: 404, body: { error: 'order_not_found' } });
  });
});
