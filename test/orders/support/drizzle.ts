/**
 * The generic SQL adapter (`@siglume/direct-request-payment/orders/sql`)
 * through Drizzle ORM on PostgreSQL (node-postgres driver): every statement
 * of the store runs as `execute(sql...)`, each transaction on a client it
 * checks out itself (see below). Same databases as the `postgres` entry.
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
  // Drizzle adds no 'error' listener, and pg-pool's own covers only idle clients: one on every client for
  // its whole life keeps a connection lost inside a transaction from crashing the process, as docs/orders.md shows.
  pool.on('error', (error) => options.onError?.(error));
  pool.on('connect', (client) => client.on('error', (error) => options.onError?.(error)));
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
    // As docs/orders.md shows, not db.transaction(): Drizzle 0.45 sends BEGIN outside the try that releases the
    // client, so a connection lost at BEGIN leaked it and a kill storm left the pool empty (every request hung).
    transaction: async (work) => {
      const client = await pool.connect();
      let healthy = true;
      try {
        await client.query('BEGIN');
        const value = await work(run(drizzle(client)));
        await client.query('COMMIT');
        return value;
      } catch (error) {
        healthy = await client.query('ROLLBACK').then(() => true, () => false);
        throw error;
      } finally {
        client.release(!healthy);
      }
    },
  });
});
