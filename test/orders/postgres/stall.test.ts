/**
 * PostgresOrderStore on a database that stops answering (a frozen server, a
 * network partition: no reset, no close), simulated by a TCP proxy in front
 * of PostgreSQL that holds every byte. The pool's `query_timeout` bounds each
 * statement; a transaction stalled midway fails after one such timeout, its
 * client destroyed rather than asked for a ROLLBACK that would wait behind
 * the stalled statement for a second one. Once the database answers again,
 * the store works.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresOrderStore } from '../../../src/orders/postgres/index.js';
import type { ConformanceDatabase } from '../support/adapter.js';
import { insertOrder, uid } from '../support/conformance.js';
import { DATABASE_URL, postgresAdapter, postgresUnavailable } from '../support/postgres.js';
import { settled } from '../support/settled.js';
import { startStallProxy, type StallProxy } from '../support/stall-proxy.js';

const unavailable = await postgresUnavailable();
if (unavailable && process.env.CI === 'true') throw new Error(`the stall tests need PostgreSQL in CI: ${unavailable}`);

const QUERY_TIMEOUT_MS = 3000;
/** A statement still unanswered after this long is waiting for the stall, not for its timeout. */
const HUNG_AFTER_MS = 12_000;

const policy = () => ({
  new_nonce: `sdrp-${uid('nonce')}`, creation_lease_seconds: 30, session_reuse_margin_seconds: 60, default_session_lifetime_seconds: 1800,
});

describe.skipIf(unavailable !== null)('PostgresOrderStore with a pool query_timeout on a database that stalls', () => {
  let db: ConformanceDatabase;
  let proxy: StallProxy;
  let pool: pg.Pool;
  let store: PostgresOrderStore;

  beforeAll(async () => {
    db = await postgresAdapter.createDatabase();
    const url = new URL(DATABASE_URL);
    proxy = await startStallProxy({ host: url.hostname, port: Number(url.port || 5432) });
    url.hostname = '127.0.0.1';
    url.port = String(proxy.port);
    pool = new pg.Pool({
      connectionString: url.href, max: 4, options: `-c search_path=${db.env.SDRP_PG_SCHEMA}`,
      query_timeout: QUERY_TIMEOUT_MS, connectionTimeoutMillis: 3000,
    });
    store = new PostgresOrderStore({ pool, onError: () => undefined });
  });
  afterAll(async () => {
    proxy?.resume();
    await pool?.end().catch(() => undefined);
    await proxy?.close();
    await db?.drop();
  });

  it('fails a transaction stalled midway after one query_timeout, not two, and starts the order normally once the database answers', async () => {
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
    expect(stalled).toMatchObject({ kind: 'rejected', error: { message: 'Query read timeout' } });
    // One timeout, with 2.5 s to spare for a busy machine; waiting for the rollback too would be two (6 s).
    expect((stalled as { ms: number }).ms).toBeLessThan(2 * QUERY_TIMEOUT_MS - 500);
    expect(await store.beginCheckoutAttempt(order_id, policy())).toMatchObject({ kind: 'create' });
  });
});
