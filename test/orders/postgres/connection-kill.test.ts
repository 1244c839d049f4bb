/**
 * Database faults never take the shop down. The shop runs as its own
 * process; a second connection terminates every PostgreSQL backend of that
 * process every 15 ms while 120 orders are paid through the sandbox. The
 * process must stay up, and redelivery must get every order paid exactly
 * once (support/connection-kill.ts).
 *
 * Before the fix, the store's transaction held a pooled client without an
 * 'error' listener and the process died of an unhandled 'error' event
 * (read ECONNRESET) within the first kills.
 *
 * The same for the generic adapter through Drizzle and Kysely, wired as
 * docs/orders.md shows: with only `pool.on('error')`, which covers idle
 * clients, a kill inside a transaction crashed the process ("Connection
 * terminated unexpectedly"), since pg-pool drops its own listener from a
 * client it hands out and neither ORM adds one.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConformanceDatabase } from '../support/adapter.js';
import { expectEveryOrderPaidOnce, payWhileKilling } from '../support/connection-kill.js';
import { drizzleAdapter } from '../support/drizzle.js';
import { kyselyAdapter } from '../support/kysely.js';
import { postgresAdapter, DATABASE_URL } from '../support/postgres.js';
import { spawnShop, type ShopProcess } from '../support/processes.js';
import { startShopFixture, type ShopFixture } from '../support/shop.js';

const unavailable = await postgresAdapter.unavailable();

describe.skipIf(unavailable !== null).each([
  ['PostgresOrderStore', postgresAdapter],
  ['Drizzle', drizzleAdapter],
  ['Kysely', kyselyAdapter],
])('%s while its backends are being killed', (_name, adapter) => {
  const application_name = `sdrp_kill_${randomBytes(4).toString('hex')}`;
  let db: ConformanceDatabase;
  let f: ShopFixture;
  let shop: ShopProcess;

  beforeAll(async () => {
    db = await adapter.createDatabase();
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
    const killer = new pg.Client({ connectionString: DATABASE_URL });
    await killer.connect();
    try {
      const run = await payWhileKilling(db, f, shop, {
        orders: 120,
        prefix: `kill_${application_name}`,
        killOnce: async () =>
          (await killer.query('SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity WHERE application_name = $1', [application_name])).rows[0].n as number,
      });
      expect(run.healed_by_retry).toBeGreaterThan(0);
      await expectEveryOrderPaidOnce(db, f, shop, run);
    } finally {
      await killer.end();
    }
  }, 120_000);
});
