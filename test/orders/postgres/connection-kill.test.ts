/**
 * Database faults never take the shop down. The shop runs as its own
 * process; a second connection terminates every PostgreSQL backend of that
 * process every 15 ms while 120 orders are paid through the sandbox. The
 * process must stay up, and redelivery must get every order paid exactly
 * once: the sandbox retries a failed delivery at once a few times, as
 * Siglume does, and what is still undelivered when the storm ends is
 * redelivered then (Siglume keeps retrying for much longer).
 *
 * Before the fix, the store's transaction held a pooled client without an
 * 'error' listener and the process died of an unhandled 'error' event
 * (read ECONNRESET) within the first kills.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConformanceDatabase } from '../support/adapter.js';
import { count, insertOrder } from '../support/conformance.js';
import { postgresAdapter, DATABASE_URL } from '../support/postgres.js';
import { spawnShop, type ShopProcess } from '../support/processes.js';
import { startCheckout, startShopFixture, type ShopFixture } from '../support/shop.js';

const ORDERS = 120;
const unavailable = await postgresAdapter.unavailable();

describe.skipIf(unavailable !== null)('PostgresOrderStore while its backends are being killed', () => {
  const application_name = `sdrp_kill_${randomBytes(4).toString('hex')}`;
  let db: ConformanceDatabase;
  let f: ShopFixture;
  let shop: ShopProcess;

  beforeAll(async () => {
    db = await postgresAdapter.createDatabase();
    // Each failed delivery is retried up to 4 times, 5, 15, 45 and 135 ms apart.
    f = await startShopFixture(db, {}, { delivery_retries: 4, delivery_backoff_ms: 5 });
    shop = await spawnShop({ ...db.env, SIGLUME_API_BASE: f.sandbox.api_base, SHOP_ORIGIN: f.shop.url, SDRP_PG_APPLICATION_NAME: application_name, SDRP_POOL_MAX: '8' });
    f.tap.target = `${shop.url}/payments/webhooks/siglume`;
  }, 60_000);
  afterAll(async () => {
    await shop?.kill();
    await f?.close();
    await db?.drop();
  });

  it('stays up and pays all 120 orders exactly once while every backend is terminated every 15 ms', async () => {
    const sessions = await Promise.all(Array.from({ length: ORDERS }, async (_, i) => {
      const order_id = `kill_${application_name}_${i}`;
      await insertOrder(db, { order_id, amount_minor: 4200 + i });
      const start = await startCheckout(shop.url, { order_id });
      expect(start.status).toBe(200);
      return { order_id, session_id: start.body.session_id as string };
    }));

    const killer = new pg.Client({ connectionString: DATABASE_URL });
    await killer.connect();
    let killed = 0;
    let stop = false;
    const killing = (async () => {
      while (!stop) {
        const r = await killer.query('SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity WHERE application_name = $1', [application_name]);
        killed += r.rows[0].n as number;
        await new Promise((res) => setTimeout(res, 15));
      }
    })();

    const started = Date.now();
    let next = 0;
    const undelivered: string[] = [];
    let healedByRetry = 0;
    try {
      await Promise.all(Array.from({ length: 12 }, async () => {
        for (let i = next++; i < sessions.length; i = next++) {
          const paid = await f.sandbox.pay(sessions[i]!.session_id);
          const d = paid.deliveries[0]!;
          if (d.response_status !== 204) undelivered.push(paid.event_id!);
          else if (d.attempts > 1) healedByRetry += 1;
        }
      }));
    } finally {
      stop = true;
      await killing;
      await killer.end();
    }
    // The storm is over: Siglume redelivers what is still undelivered.
    const afterStorm = undelivered.length;
    for (let round = 0; round < 3 && undelivered.length > 0; round++) {
      const results = await Promise.all(undelivered.map((id) => f.sandbox.redeliver(id)));
      const still = undelivered.filter((_, i) => results[i]!.some((d) => d.response_status !== 204));
      undelivered.splice(0, undelivered.length, ...still);
    }
    const seconds = (Date.now() - started) / 1000;

    const failed = f.tap.seen.filter((s) => s.status >= 500).length;
    process.stdout.write(
      `\n[orders] ${killed} backends killed in ${seconds}s; ${failed} deliveries answered 5xx; ` +
        `${healedByRetry} orders healed by the sandbox's retries, ${afterStorm} by redelivery after the storm\n`,
    );
    // The shop survived every kill.
    expect(shop.alive(), shop.stderr()).toBe(true);
    expect(killed).toBeGreaterThan(0);
    // Kills did break deliveries (5xx, never a crash), and redelivery healed every one.
    const failedAttempts = f.tap.seen.filter((s) => s.status >= 500).length;
    expect(failedAttempts).toBeGreaterThan(0);
    expect(healedByRetry).toBeGreaterThan(0);
    expect(undelivered, `${killed} backends killed, ${failedAttempts} failed attempts, ${healedByRetry} healed by retry, ${seconds}s`).toEqual([]);
    expect(f.tap.seen.filter((s) => s.status !== 204 && s.status < 500)).toEqual([]);

    const ids = sessions.map((s) => s.order_id);
    const marks = ids.map(() => '?').join(', ');
    expect(await count(db, `orders WHERE order_id IN (${marks}) AND status = 'paid'`, ids)).toBe(ORDERS);
    expect(await count(db, `siglume_checkout_attempts WHERE order_id IN (${marks}) AND requirement_id IS NOT NULL`, ids)).toBe(ORDERS);
    expect(await count(db, "siglume_webhook_events WHERE outcome = 'marked_paid'")).toBe(ORDERS);
    expect(await count(db, 'siglume_payment_reviews')).toBe(0);
  }, 120_000);
});
