/**
 * Reconciliation when PostgreSQL stops answering midway, through a TCP proxy
 * that holds the bytes of one statement's answer (or of everything): the
 * report says what was done. A repair whose COMMIT reached the database but
 * whose answer never came back is found committed by a fresh read of its
 * event row and listed as repaired; when that read cannot be made either, the
 * outcome is reported as unknown, never as rolled back (the database did
 * commit it). A failure listing the next page ends the run with the repairs
 * already made, under `stopped: "store_failed"`.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DirectRequestPaymentMerchantClient } from '../../../src/clients/merchant.js';
import { reconcileOrderPayments } from '../../../src/orders/index.js';
import { PostgresOrderStore } from '../../../src/orders/postgres/index.js';
import type { ConformanceDatabase } from '../support/adapter.js';
import { insertOrder, orderStatus, uid, waitFor } from '../support/conformance.js';
import { DATABASE_URL, postgresAdapter, postgresUnavailable } from '../support/postgres.js';
import { MERCHANT, TOKEN, startCheckout, startShopFixture, type ShopFixture } from '../support/shop.js';
import { startStallProxy, type StallProxy } from '../support/stall-proxy.js';

const unavailable = await postgresUnavailable();
if (unavailable && process.env.CI === 'true') throw new Error(`the reconcile fault tests need PostgreSQL in CI: ${unavailable}`);

describe.skipIf(unavailable !== null)('reconciliation on a PostgreSQL that stops answering midway', () => {
  let db: ConformanceDatabase;
  let f: ShopFixture;
  let proxy: StallProxy;
  let pool: pg.Pool;
  const reported: unknown[] = [];
  /** Reconciles through the proxy (the shop's own store talks to the database directly). */
  let reconcile: (options: Parameters<typeof reconcileOrderPayments>[1]) => ReturnType<typeof reconcileOrderPayments>;

  beforeAll(async () => {
    db = await postgresAdapter.createDatabase();
    f = await startShopFixture(db, {}, { delivery_retries: 0 });
    const url = new URL(DATABASE_URL);
    proxy = await startStallProxy({ host: url.hostname, port: Number(url.port || 5432) });
    url.hostname = '127.0.0.1';
    url.port = String(proxy.port);
    pool = new pg.Pool({ connectionString: url.href, max: 4, options: `-c search_path=${db.env.SDRP_PG_SCHEMA}`, query_timeout: 1000, connectionTimeoutMillis: 1000 });
    const store = new PostgresOrderStore({ pool, onError: () => undefined });
    const client = new DirectRequestPaymentMerchantClient({ auth_token: TOKEN, base_url: f.sandbox.api_base, max_retries: 0 });
    reconcile = (options) => reconcileOrderPayments({ merchant_client: client, order_store: store, merchant: MERCHANT, onError: (e) => void reported.push(e) }, options);
  });
  afterAll(async () => {
    proxy?.resume();
    await pool?.end().catch(() => undefined);
    await proxy?.close();
    await f?.close();
    await db?.drop();
  });

  /** An order paid at the sandbox whose webhook never arrived. */
  async function lostPayment(): Promise<string> {
    const order_id = uid('ord');
    await insertOrder(db, { order_id, amount_minor: 2500 });
    const start = await startCheckout(f.shop.url, { order_id });
    f.sandbox.setFaults({ drop_webhook_deliveries: true });
    await f.sandbox.pay(start.body.session_id as string).finally(() => f.sandbox.resetFaults());
    return order_id;
  }

  it('lists a repair whose COMMIT answer was lost as repaired: its event row, read again, says it committed', async () => {
    const since = new Date();
    const order_id = await lostPayment();
    const before = reported.length;
    proxy.stallOn(/COMMIT/);
    const report = await reconcile({ since, min_age_seconds: 0 }).finally(() => proxy.resume());
    expect(proxy.triggered).toBe(1);
    expect(report).toMatchObject({ ok: true, stopped: null, repaired: [{ order_id, detail: 'marked_paid' }], errors: [] });
    expect(reported.length).toBe(before + 1); // the failure itself still reaches onError
    expect(await orderStatus(db, order_id)).toBe('paid');
  });

  it('reports the outcome as unknown, not as rolled back, when the commit\'s answer is lost and the store cannot be read again', async () => {
    const since = new Date();
    const order_id = await lostPayment();
    const triggered = proxy.triggered;
    proxy.stallOn(/COMMIT/);
    const run = reconcile({ since, min_age_seconds: 0 });
    await waitFor(async () => proxy.triggered === triggered + 1, 'the COMMIT to reach the database');
    proxy.stall(); // and nothing else gets through either
    const report = await run.finally(() => proxy.resume());
    expect(report).toMatchObject({ ok: false, repaired: [], errors: [{ order_id, outcome: 'error' }] });
    expect(report.errors[0]!.detail).toMatch(/^the outcome is unknown \(the store failed: .+\); run reconcile again$/);
    // It had committed: the order is paid, so the next run no longer lists its attempt.
    expect(await orderStatus(db, order_id)).toBe('paid');
    expect(await reconcile({ since, min_age_seconds: 0 })).toMatchObject({ ok: true, examined: 0 });
  });

  it('returns the repairs it made with stopped "store_failed" when the store stops answering before the next page, and the next run does the rest', async () => {
    const since = new Date();
    const first = await lostPayment();
    const second = await lostPayment();
    const report = await reconcile({
      since, min_age_seconds: 0, page_size: 1,
      onProgress: ({ examined }) => {
        if (examined === 1) proxy.stall();
      },
    }).finally(() => proxy.resume());
    expect(report).toMatchObject({ ok: false, stopped: 'store_failed', examined: 1, repaired: [{ order_id: first }], errors: [] });
    expect(report.stopped_detail).toEqual(expect.any(String));
    expect(await orderStatus(db, first)).toBe('paid');
    expect(await orderStatus(db, second)).toBe('pending');
    expect(await reconcile({ since, min_age_seconds: 0 })).toMatchObject({ ok: true, stopped: null, repaired: [{ order_id: second }] });
  });
});
