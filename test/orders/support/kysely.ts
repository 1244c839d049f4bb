/**
 * The generic SQL adapter (`@siglume/direct-request-payment/orders/sql`)
 * through Kysely on PostgreSQL: every statement of the store runs as
 * `executeQuery(CompiledQuery.raw(...))`, every transaction as
 * `db.transaction().execute(...)`. Same databases as the `postgres` entry.
 */
import { CompiledQuery, Kysely, PostgresDialect, type QueryResult } from 'kysely';
import { createSqlOrderStore, type SqlQueryFunction } from '../../../src/orders/sql/index.js';
import { postgresBackedAdapter } from './postgres.js';

function result(r: QueryResult<unknown>) {
  return { rows: r.rows as Array<Record<string, unknown>>, affected_rows: Number(r.numAffectedRows ?? 0n) };
}

export const kyselyAdapter = postgresBackedAdapter('kysely', (pool, options) => {
  // Kysely adds no 'error' listener, and pg-pool's own covers only idle clients: one on every client for
  // its whole life keeps a connection lost inside a transaction from crashing the process, as docs/orders.md shows.
  pool.on('error', (error) => options.onError?.(error));
  pool.on('connect', (client) => client.on('error', (error) => options.onError?.(error)));
  const db = new Kysely<Record<string, never>>({ dialect: new PostgresDialect({ pool }) });
  const run = (executor: Pick<typeof db, 'executeQuery'>): SqlQueryFunction => async (text, params) =>
    result(await executor.executeQuery(CompiledQuery.raw(text, [...params])));
  return createSqlOrderStore({
    dialect: 'postgres',
    ...(options.orders ? { orders: options.orders } : {}),
    ...(options.lock_timeout_ms ? { lock_timeout_ms: options.lock_timeout_ms } : {}),
    query: run(db),
    transaction: (work) => db.transaction().execute((trx) => work(run(trx))),
  });
});
