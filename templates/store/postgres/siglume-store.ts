/**
 * Where the Siglume checkout keeps its data: PostgreSQL through `pg`. Edit
 * the marked place: where your orders table is. The payment tables come from
 * siglume-payments.postgres.sql.
 */
import pg from 'pg';
import type { OrderStore } from '@siglume/direct-request-payment/orders';
import { PostgresOrderStore } from '@siglume/direct-request-payment/orders/postgres';

/** What `createOrderStore` takes: your `pg.Pool`. */
export type OrderStoreConnection = pg.Pool;

/** The environment `createOrderStore()` reads when no connection is passed: siglume-config.ts reports it with the rest. */
export const STORE_ENVIRONMENT: readonly string[] = ['DATABASE_URL'];

function databaseUrl(): string {
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error('DATABASE_URL is not set (see "Environment" in the SIGLUME-README.md beside siglume-store.ts)');
  // Another database's URL would start the server and fail the first checkout on a connect timeout. Only the scheme is shown, never the password.
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(url)?.[1]?.toLowerCase();
  if (scheme !== 'postgres' && scheme !== 'postgresql') {
    throw new Error(`DATABASE_URL must be a PostgreSQL URL starting with postgres:// or postgresql://${scheme ? `, not ${scheme}://` : ''}`);
  }
  return url;
}

// The pool createOrderStore() made itself, for closeOrderStore().
let ownPool: pg.Pool | null = null;

/**
 * pg waits for ever by default. A database that stops answering (a frozen server, a network partition) then holds
 * every request, and every pooled connection, for as long as it stalls; with these, a statement fails after 15 s
 * (query_timeout), and so does opening a connection or waiting for a free one (connectionTimeoutMillis): the buyer
 * gets a 500 and Siglume redelivers. Both are above the store's 10 s lock timeout (lock_timeout_ms), so a wait for
 * a locked row fails as the lock timeout it is, and a request queued behind such waits is not cut short first.
 * A pool you pass to createOrderStore keeps its own settings: give it these too.
 */
const POOL_TIMEOUTS = { query_timeout: 15_000, connectionTimeoutMillis: 15_000 };

/** The order store over `pool` (a pool on DATABASE_URL when omitted, shared by such calls). */
export function createOrderStore(pool: OrderStoreConnection = (ownPool ??= new pg.Pool({ connectionString: databaseUrl(), ...POOL_TIMEOUTS }))): OrderStore {
  return new PostgresOrderStore({
    pool,
    // EDIT: your orders table. These are the defaults of orders.postgres.sql.
    orders: { table: 'orders', id_column: 'order_id', amount_column: 'amount_minor', currency_column: 'currency', status_column: 'status', owner_column: 'user_id', paid_at_column: 'paid_at' },
    onError: (error) => console.error('siglume order store: idle connection lost:', error.message),
  });
}

/** Closes the pool `createOrderStore()` made (not one you passed): `siglume-sdrp reconcile --store` calls it when done. */
export async function closeOrderStore(): Promise<void> {
  const pool = ownPool;
  ownPool = null;
  await pool?.end();
}
