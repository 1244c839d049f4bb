/**
 * Database faults never take the shop down, on MariaDB / MySQL: the shop runs
 * as its own process over `MysqlOrderStore`; a second connection runs
 * `KILL CONNECTION` on every connection of the shop's database every 15 ms
 * while 120 orders are paid through the sandbox. The process must stay up,
 * and redelivery must get every order paid exactly once
 * (support/connection-kill.ts).
 *
 * Unlike pg (see ../postgres/connection-kill.test.ts), mysql2 did not crash
 * here even without the store's own 'error' listeners; the run shows the
 * rest: a killed connection mid-transaction rolls back and answers 5xx, is
 * never reused, and no order is lost or paid twice.
 */
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConformanceDatabase } from '../support/adapter.js';
import { expectEveryOrderPaidOnce, payWhileKilling } from '../support/connection-kill.js';
import { mysqlAdapter, mysqlPoolOptions } from '../support/mysql.js';
import { spawnShop, type ShopProcess } from '../support/processes.js';
import { startShopFixture, type ShopFixture } from '../support/shop.js';

const unavailable = await mysqlAdapter.unavailable();
if (unavailable && process.env.CI === 'true') throw new Error(`the kill test needs MariaDB in CI: ${unavailable}`);

describe.skipIf(unavailable !== null)('MysqlOrderStore while its connections are being killed', () => {
  let db: ConformanceDatabase;
  let f: ShopFixture;
  let shop: ShopProcess;

  beforeAll(async () => {
    db = await mysqlAdapter.createDatabase();
    // Each failed delivery is retried up to 4 times, 5, 15, 45 and 135 ms apart.
    f = await startShopFixture(db, {}, { delivery_retries: 4, delivery_backoff_ms: 5 });
    shop = await spawnShop({ ...db.env, SIGLUME_API_BASE: f.sandbox.api_base, SHOP_ORIGIN: f.shop.url, SDRP_POOL_MAX: '8' });
    f.tap.target = `${shop.url}/payments/webhooks/siglume`;
  }, 60_000);
  afterAll(async () => {
    await shop?.kill();
    await f?.close();
    await db?.drop();
  });

  it('stays up and pays all 120 orders exactly once while every connection is killed every 15 ms', async () => {
    const database = db.env.SDRP_MYSQL_DATABASE!;
    // No default database: the killer never matches its own filter.
    const killer = await mysql.createConnection(mysqlPoolOptions(null));
    try {
      const run = await payWhileKilling(db, f, shop, {
        orders: 120,
        prefix: 'kill_mysql',
        killOnce: async () => {
          const [rows] = await killer.query('SELECT id FROM information_schema.processlist WHERE db = ? AND id <> CONNECTION_ID()', [database]);
          let n = 0;
          for (const { id } of rows as Array<{ id: number }>) {
            // A connection may be gone between the list and the kill (ER_NO_SUCH_THREAD).
            await killer.query(`KILL CONNECTION ${Number(id)}`).then(() => n++, () => undefined);
          }
          return n;
        },
      });
      await expectEveryOrderPaidOnce(db, f, shop, run);
    } finally {
      await killer.end();
    }
  }, 120_000);
});
