/**
 * Where the Siglume checkout keeps its data: MySQL 8 or MariaDB 10.5+
 * through `mysql2`. Edit the marked place: where your orders table is. The
 * payment tables come from siglume-payments.mysql.sql.
 */
import mysql from 'mysql2';
import type { OrderStore } from '@siglume/direct-request-payment/orders';
import { MysqlOrderStore } from '@siglume/direct-request-payment/orders/mysql';

/** What `createOrderStore` takes: your `mysql2` pool (`mysql.createPool`, or `mysql2/promise`'s). */
export type OrderStoreConnection = mysql.Pool;

/** The environment `createOrderStore()` reads when no connection is passed: siglume-config.ts reports it with the rest. */
export const STORE_ENVIRONMENT: readonly string[] = ['DATABASE_URL'];

function databaseUrl(): string {
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error('DATABASE_URL is not set (see "Environment" in the SIGLUME-README.md beside siglume-store.ts)');
  // Another database's URL would start the server and fail the first checkout on a connect timeout. Only the scheme is shown, never the password.
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(url)?.[1]?.toLowerCase();
  if (scheme !== 'mysql' && scheme !== 'mariadb') {
    throw new Error(`DATABASE_URL must be a MySQL / MariaDB URL starting with mysql:// or mariadb://${scheme ? `, not ${scheme}://` : ''}`);
  }
  // Without one, MySQL connects and then fails every statement with a bare "No database selected".
  if (URL.canParse(url) && new URL(url).pathname.replace(/^\//, '') === '') {
    throw new Error('DATABASE_URL names no database: add it after the port, e.g. mysql://user:password@host:3306/shop');
  }
  return url;
}

// The pool createOrderStore() made itself, for closeOrderStore().
let ownPool: mysql.Pool | null = null;

/**
 * mysql2 waits for a statement's answer for ever by default. A database that stops answering (a frozen server, a
 * network partition) then holds every request, and every pooled connection, for as long as it stalls; with this,
 * a statement fails after 15 s (the store's query_timeout_ms, as mysql2's pool has no such setting), and so does
 * opening a connection (the pool's connectTimeout): the buyer gets a 500 and Siglume redelivers. Both are above
 * the store's 10 s lock timeout (lock_timeout_ms), so a wait for a locked row fails as the lock wait timeout it is.
 */
const TIMEOUT_MS = 15_000;

/** The order store over `pool` (a pool on DATABASE_URL, mysql://user:password@host:3306/database, when omitted; shared by such calls). */
export function createOrderStore(pool: OrderStoreConnection = (ownPool ??= mysql.createPool({ uri: databaseUrl(), timezone: 'Z', connectTimeout: TIMEOUT_MS }))): OrderStore {
  return new MysqlOrderStore({
    pool,
    query_timeout_ms: TIMEOUT_MS,
    // EDIT: your orders table. These are the defaults of orders.mysql.sql.
    orders: { table: 'orders', id_column: 'order_id', amount_column: 'amount_minor', currency_column: 'currency', status_column: 'status', owner_column: 'user_id', paid_at_column: 'paid_at' },
    onError: (error) => console.error('siglume order store: idle connection lost:', error.message),
  });
}

/** Closes the pool `createOrderStore()` made (not one you passed): `siglume-sdrp reconcile --store` calls it when done. */
export async function closeOrderStore(): Promise<void> {
  const pool = ownPool;
  ownPool = null;
  if (pool) await new Promise<void>((resolve, reject) => pool.end((error) => (error ? reject(error) : resolve())));
}
