/**
 * The generic SQL adapter (`@siglume/direct-request-payment/orders/sql`)
 * through Drizzle ORM on PostgreSQL (node-postgres driver): every statement
 * of the store runs as `db.execute(sql...)`, every transaction as
 * `db.transaction(...)`. Same databases as the `postgres` entry.
 */
import { sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/node-postgres';
import { createSqlOrderStore, type SqlQueryFunction } from '../../../src/orders/sql/index.js';
import { postgresBackedAdapter } from './postgres.js';

/** The store's statement (written with `?` placeholders) as a Drizzle SQL object with bound parameters. */
function drizzleSql(text: string, params: readonly unknown[]) {
  return sql.join(text.split('?').flatMap((part, i) => (i === 0 ? [sql.raw(part)] : [sql.param(params[i - 1]), sql.raw(part)])));
}

export const drizzleAdapter = postgresBackedAdapter('drizzle', (pool, options) => {
  // Drizzle does not listen for errors of idle pooled clients; the app does.
  pool.on('error', (error) => options.onError?.(error));
  const db = drizzle(pool);
  const run = (executor: Pick<typeof db, 'execute'>): SqlQueryFunction => async (text, params) => {
    const r = await executor.execute(drizzleSql(text, params));
    return { rows: r.rows, affected_rows: r.rowCount ?? 0 };
  };
  return createSqlOrderStore({
    dialect: 'postgres',
    placeholders: 'question',
    ...(options.orders ? { orders: options.orders } : {}),
    ...(options.lock_timeout_ms ? { lock_timeout_ms: options.lock_timeout_ms } : {}),
    query: run(db),
    transaction: (work) => db.transaction((tx) => work(run(tx))),
  });
});
