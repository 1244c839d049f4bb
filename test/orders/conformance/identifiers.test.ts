/**
 * Conformance: an orders table whose names are SQL keywords or functions
 * (`order`, `user`, `current_date`, ...), and, on PostgreSQL, one created
 * with unquoted mixed-case names. The store quotes every name it writes, so
 * each mapped name reads its column, never the SQL function of that name
 * (unquoted, PostgreSQL read `user` as the session user: every order's owner
 * was `postgres` and every real owner was refused).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { ConformanceDatabase } from '../support/adapter.js';
import { describeEachAdapter } from '../support/conformance.js';
import { startCheckout, startShopFixture, type ShopFixture } from '../support/shop.js';

const POSTGRES_BACKED = ['postgres', 'drizzle', 'kysely'];

describeEachAdapter('an orders table named with SQL keywords', (adapter) => {
  const q = (name: string) => (adapter.name === 'mysql' ? `\`${name}\`` : `"${name}"`);
  let db: ConformanceDatabase;
  let f: ShopFixture;
  let mapping: Record<string, string>;
  let next = 7000;

  beforeAll(async () => {
    db = await adapter.createDatabase();
    await db.sql(`CREATE TABLE ${q('order')} (
      ${q('key')} integer PRIMARY KEY, ${q('user')} varchar(64) NOT NULL, ${q('select')} bigint NOT NULL,
      ${q('current_user')} varchar(3) NOT NULL, ${q('current_date')} varchar(32) NOT NULL, ${q('current_timestamp')} timestamp NULL)`);
    // Schema-qualified, so each part is quoted on its own.
    const qualifier = db.env.SDRP_PG_SCHEMA ?? db.env.SDRP_MYSQL_DATABASE ?? 'main';
    mapping = {
      table: `${qualifier}.order`, id_column: 'key', owner_column: 'user', amount_column: 'select',
      currency_column: 'current_user', status_column: 'current_date', paid_at_column: 'current_timestamp',
    };
    f = await startShopFixture(db, { orders: mapping });
  });
  afterAll(async () => {
    await f?.close();
    await db?.drop();
  });

  async function order(owner: string, amount: number): Promise<number> {
    const id = next++;
    await db.sql(`INSERT INTO ${q('order')} (${q('key')}, ${q('user')}, ${q('select')}, ${q('current_user')}, ${q('current_date')}) VALUES (?, ?, ?, ?, ?)`,
      [id, owner, amount, 'JPY', 'pending']);
    return id;
  }

  it('reads each mapped column, not the SQL function of its name', async () => {
    const id = await order('alice', 3100);
    const store = db.createStore({ orders: mapping });
    expect(await store.findOrder(String(id))).toEqual({ order_id: String(id), owner_id: 'alice', amount_minor: 3100, currency: 'JPY', status: 'pending' });
    await (store as { close?: () => Promise<void> }).close?.();
  });

  it('reads a column named user as the owner (PostgreSQL read the session user: every order was "postgres"\'s)', async () => {
    await db.sql(`CREATE TABLE user_orders (order_id varchar(64) PRIMARY KEY, ${q('user')} varchar(64) NOT NULL, amount_minor bigint NOT NULL, currency varchar(3) NOT NULL, status varchar(32) NOT NULL)`);
    await db.sql(`INSERT INTO user_orders (order_id, ${q('user')}, amount_minor, currency, status) VALUES ('u_1', 'alice', 500, 'JPY', 'pending')`);
    const store = db.createStore({ orders: { table: 'user_orders', owner_column: 'user' } });
    expect((await store.findOrder('u_1'))?.owner_id).toBe('alice');
    await (store as { close?: () => Promise<void> }).close?.();
  });

  it('lets the owner check out (and no one else), and marks the order paid through the quoted names', async () => {
    const id = await order('alice', 4300);
    expect(await startCheckout(f.shop.url, { order_id: String(id) }, 'mallory')).toMatchObject({ status: 404 });
    const start = await startCheckout(f.shop.url, { order_id: String(id) });
    expect(start.status).toBe(200);
    expect(f.sandbox.session(start.body.session_id as string)).toMatchObject({ amount_minor: 4300, currency: 'JPY' });
    expect((await f.sandbox.pay(start.body.session_id as string)).deliveries.map((d) => d.response_status)).toEqual([204]);
    const [row] = await db.sql(`SELECT ${q('current_date')} AS status, ${q('current_timestamp')} AS paid_at FROM ${q('order')} WHERE ${q('key')} = ?`, [id]);
    expect(row!.status).toBe('paid');
    expect(row!.paid_at).not.toBeNull();
  });

  it('keeps reading a table and columns created with unquoted mixed-case names (PostgreSQL folds them to lower case)', async () => {
    // On every adapter (CI allows no skipped test); PostgreSQL is where quoting could have changed the names.
    const pg = POSTGRES_BACKED.includes(adapter.name);
    const schema = db.env.SDRP_PG_SCHEMA;
    const text = pg ? 'text' : 'varchar(64)';
    await db.sql(`CREATE TABLE ${pg ? `${schema}.` : ''}ShopOrders (orderId ${text} PRIMARY KEY, ownerId ${text} NOT NULL, totalMinor bigint NOT NULL, currencyCode ${text} NOT NULL, orderState ${text} NOT NULL)`);
    await db.sql(`INSERT INTO ShopOrders (orderId, ownerId, totalMinor, currencyCode, orderState) VALUES ('mixed_1', 'alice', 900, 'USD', 'pending')`);
    const store = db.createStore({
      orders: { table: pg ? `${schema!.toUpperCase()}.ShopOrders` : 'ShopOrders', id_column: 'orderId', owner_column: 'ownerId', amount_column: 'totalMinor', currency_column: 'currencyCode', status_column: 'orderState' },
    });
    expect(await store.findOrder('mixed_1')).toEqual({ order_id: 'mixed_1', owner_id: 'alice', amount_minor: 900, currency: 'USD', status: 'pending' });
    await (store as { close?: () => Promise<void> }).close?.();
  });
});
