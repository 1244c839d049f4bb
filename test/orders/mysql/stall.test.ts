/**
 * MysqlOrderStore on a database that stops answering (a frozen server, a
 * network partition: no reset, no close), simulated by a TCP proxy in front
 * of MariaDB that holds every byte. With `query_timeout_ms`, a statement
 * fails after that long instead of waiting for as long as the stall lasts,
 * also inside a transaction, where the stalled connection is destroyed
 * rather than asked for a ROLLBACK that would queue behind the stalled
 * statement. Once the database answers again, the store works.
 */
import mysql from 'mysql2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MysqlOrderStore } from '../../../src/orders/mysql/index.js';
import type { ConformanceDatabase } from '../support/adapter.js';
import { insertOrder, uid } from '../support/conformance.js';
import { MYSQL_URL, mysqlAdapter, mysqlPoolOptions } from '../support/mysql.js';
import { settled } from '../support/settled.js';
import { startStallProxy, type StallProxy } from '../support/stall-proxy.js';

const unavailable = await mysqlAdapter.unavailable();
if (unavailable && process.env.CI === 'true') throw new Error(`the stall tests need MariaDB in CI: ${unavailable}`);

const QUERY_TIMEOUT_MS = 1000;
/** A statement still unanswered after this long is waiting for the stall, not for its timeout. */
const HUNG_AFTER_MS = 6000;

const policy = () => ({
  new_nonce: `sdrp-${uid('nonce')}`, creation_lease_seconds: 30, session_reuse_margin_seconds: 60, default_session_lifetime_seconds: 1800,
});

describe.skipIf(unavailable !== null)('MysqlOrderStore with query_timeout_ms on a database that stalls', () => {
  let db: ConformanceDatabase;
  let proxy: StallProxy;
  let pool: mysql.Pool;
  let store: MysqlOrderStore;

  beforeAll(async () => {
    db = await mysqlAdapter.createDatabase();
    const url = new URL(MYSQL_URL);
    proxy = await startStallProxy({ host: url.hostname, port: Number(url.port || 3306) });
    pool = mysql.createPool(mysqlPoolOptions(db.env.SDRP_MYSQL_DATABASE!, { host: '127.0.0.1', port: proxy.port, connectionLimit: 4, connectTimeout: 3000 }));
    store = new MysqlOrderStore({ pool, query_timeout_ms: QUERY_TIMEOUT_MS, onError: () => undefined });
  });
  afterAll(async () => {
    proxy?.resume();
    await new Promise<void>((resolve) => (pool ? pool.end(() => resolve()) : resolve()));
    await proxy?.close();
    await db?.drop();
  });

  it('fails a statement the database does not answer after query_timeout_ms, and answers again once the database does', async () => {
    expect(await store.findOrder(uid('none'))).toBeNull(); // a pooled connection, open and idle
    proxy.stall();
    let stalled;
    try {
      stalled = await settled(store.findOrder(uid('none')), HUNG_AFTER_MS);
    } finally {
      proxy.resume();
    }
    expect(stalled).toMatchObject({ kind: 'rejected', error: { code: 'PROTOCOL_SEQUENCE_TIMEOUT' } });
    expect((stalled as { ms: number }).ms).toBeLessThan(QUERY_TIMEOUT_MS + 2000);
    expect(await store.findOrder(uid('none'))).toBeNull();
  });

  it('ends a transaction stalled midway after query_timeout_ms, without waiting on the stalled connection to roll back', async () => {
    const order_id = uid('ord');
    await insertOrder(db, { order_id, amount_minor: 4200 });
    // The order row's SELECT ... FOR UPDATE reaches the database; its answer never comes back.
    proxy.stallOn(/FOR UPDATE/);
    let stalled;
    try {
      stalled = await settled(store.beginCheckoutAttempt(order_id, policy()), HUNG_AFTER_MS);
    } finally {
      proxy.resume();
    }
    expect(stalled).toMatchObject({ kind: 'rejected', error: { code: 'PROTOCOL_SEQUENCE_TIMEOUT' } });
    expect((stalled as { ms: number }).ms).toBeLessThan(QUERY_TIMEOUT_MS + 2000);
    // Nothing of the stalled transaction stayed: the order starts normally.
    expect(await store.beginCheckoutAttempt(order_id, policy())).toMatchObject({ kind: 'create' });
  });

  it('refuses a query_timeout_ms that is not an integer from 1 to 600000, naming it', () => {
    for (const query_timeout_ms of [0, -1, 1.5, 600_001, Number.NaN, '1000']) {
      expect(() => new MysqlOrderStore({ pool, query_timeout_ms: query_timeout_ms as number }), String(query_timeout_ms)).toThrow(
        'Invalid query_timeout_ms: must be an integer from 1 to 600000',
      );
    }
  });
});
