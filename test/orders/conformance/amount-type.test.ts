/**
 * Conformance: an orders table whose amount column holds a decimal price
 * (`total NUMERIC(12,2)` with 500.00 USD), where the store reads integer
 * minor units. The start-up check names the column by its type, and a
 * checkout start refuses the decimal it reads (pg and mysql2 return it as
 * text, "500.00") instead of asking Siglume for 500 cents.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { ConformanceDatabase } from '../support/adapter.js';
import { describeEachAdapter } from '../support/conformance.js';
import { OrderStoreMisconfiguredError } from '../../../src/orders/index.js';
import { offlineServiceOver } from '../support/offline-service.js';
import { startCheckout, startShopFixture, type ShopFixture } from '../support/shop.js';

const MAPPING = { table: 'priced_orders', id_column: 'id', amount_column: 'total', currency_column: 'currency_code', status_column: 'state', owner_column: 'customer' };

describeEachAdapter('an amount column of decimal prices', (adapter) => {
  let db: ConformanceDatabase;
  let f: ShopFixture;

  beforeAll(async () => {
    db = await adapter.createDatabase();
    await db.sql(`CREATE TABLE priced_orders (
      id integer PRIMARY KEY, customer varchar(64) NOT NULL, total NUMERIC(12,2) NOT NULL, total_float REAL NULL, total_text varchar(32) NULL,
      whole NUMERIC(12,0) NULL, currency_code varchar(3) NOT NULL, state varchar(32) NOT NULL)`);
    await db.sql(`INSERT INTO priced_orders (id, customer, total, currency_code, state) VALUES
      (5, 'alice', 500.00, 'USD', 'pending'), (3, 'alice', 4200.50, 'USD', 'pending')`);
    f = await startShopFixture(db, { orders: MAPPING });
  });
  afterAll(async () => {
    await f?.close();
    await db?.drop();
  });

  it('is reported by the start-up check as orders.amount_column of the wrong type, and assertStoreReady refuses to start', async () => {
    const service = offlineServiceOver(db.createStore({ orders: MAPPING }));
    const check = await service.checkStore();
    expect(check).toEqual({
      status: 'problems',
      problems: [expect.objectContaining({ code: 'orders_column_type', field: 'orders.amount_column', table: 'priced_orders', column: 'total', driver_code: null })],
    });
    expect(check.problems[0]!.message).toMatch(/column total \(orders\.amount_column\) is (numeric|decimal|NUMERIC)\(12, ?2\)/);
    expect(check.problems[0]!.fix).toContain('integer minor units');
    const error = await service.assertStoreReady().then(() => null, (e: unknown) => e);
    expect(error).toBeInstanceOf(OrderStoreMisconfiguredError);
    expect((error as Error).message).toContain('orders.amount_column');
  });

  it('reports a floating-point amount column, and neither a text one (integer cents in it work) nor NUMERIC(12,0)', async () => {
    const fields = async (amount_column: string) => (await db.createStore({ orders: { ...MAPPING, amount_column } }).checkTables!())
      .map((p) => [p.code, p.column]);
    expect(await fields('total_float')).toEqual([['orders_column_type', 'total_float']]);
    expect(await fields('total_text')).toEqual([]);
    expect(await fields('whole')).toEqual([]);
  });

  // SQLite keeps 500.00 written to a column of NUMERIC affinity as the integer 500 (Django's DecimalField declares
  // `decimal` there, Rails' decimal `decimal`): only the column's declared type can tell.
  if (adapter.name === 'sqlite') {
    it("reports SQLite amount columns that turn 500.00 into 500 (NUMERIC affinity without a scale, REAL, none), and not INTEGER, TEXT or NUMERIC(12,0)", async () => {
      const declared = ['decimal', 'NUMERIC', 'MONEY', 'DECIMAL(10)', 'FLOAT8', '', 'BLOB', 'INTEGER', 'BIGINT', 'TEXT', 'VARCHAR(20)', 'NUMERIC(12,0)', 'NUMERIC(12)'];
      await db.sql(`CREATE TABLE typed_orders (id integer PRIMARY KEY, customer text NOT NULL, currency_code text NOT NULL, state text NOT NULL,
        ${declared.map((type, i) => `a${i} ${type}`).join(', ')})`);
      const reported: string[] = [];
      for (const [i, type] of declared.entries()) {
        const problems = await db.createStore({ orders: { ...MAPPING, table: 'typed_orders', amount_column: `a${i}` } }).checkTables!();
        if (problems.some((p) => p.code === 'orders_column_type')) reported.push(type);
      }
      expect(reported).toEqual(['decimal', 'NUMERIC', 'MONEY', 'FLOAT8', '', 'BLOB']);
      const untyped = await db.createStore({ orders: { ...MAPPING, table: 'typed_orders', amount_column: 'a5' } }).checkTables!();
      expect(untyped[0]!.message).toContain('is untyped, of BLOB affinity in SQLite, which keeps 500.00 as the number 500');
    });
  }

  it('refuses the checkout of a decimal amount with a message naming the column and the value, and never makes a session for it', async () => {
    const before = f.sandbox.sessions().length;
    const start = await startCheckout(f.shop.url, { order_id: '3' });
    expect(start).toMatchObject({ status: 500, body: { error: 'checkout_failed' } });
    expect(f.shop.errors.map((e) => (e as Error).message)).toContainEqual(expect.stringMatching(
      /column total \(orders\.amount_column\) holds (?:"4200\.50"|4200\.5) for order 3, which is not an integer: amounts are integer minor units/,
    ));
    // 500.00 comes back as "500.00" from pg and mysql2 and is refused. SQLite's NUMERIC affinity stores it as the
    // integer 500, which no read can tell from 500 cents: there only the start-up check above stops it.
    if (adapter.name !== 'sqlite') {
      expect(await startCheckout(f.shop.url, { order_id: '5' })).toMatchObject({ status: 500 });
      expect(f.shop.errors.map((e) => (e as Error).message)).toContainEqual(expect.stringContaining('holds "500.00" for order 5'));
    }
    expect(f.sandbox.sessions().length).toBe(before);
  });
});
