/**
 * Where the Siglume checkout keeps its data: SQLite through `better-sqlite3`
 * (version 12 on Node 20), for a shop that runs as one process. Edit the
 * marked place: where your orders table is. The payment tables come from
 * siglume-payments.sqlite.sql.
 */
import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import Database from 'better-sqlite3';
import type { OrderStore } from '@siglume/direct-request-payment/orders';
import { SqliteOrderStore } from '@siglume/direct-request-payment/orders/sqlite';

/** What `createOrderStore` takes: a `better-sqlite3` Database of its own (not the one your app writes through). */
export type OrderStoreConnection = Database.Database;

/** The environment `createOrderStore()` reads when no connection is passed: siglume-config.ts reports it with the rest. */
export const STORE_ENVIRONMENT: readonly string[] = ['SQLITE_PATH'];

function openDatabase(): OrderStoreConnection {
  const path = process.env.SQLITE_PATH;
  if (!path) throw new Error('SQLITE_PATH is not set (see "Environment" in the SIGLUME-README.md beside siglume-store.ts)');
  // A URL here would open (or create) a file named "sqlite:shop.db" or fail on a missing "postgres:" folder. Only the scheme is shown, never a password.
  const scheme = /^([a-z][a-z0-9+.-]+):/i.exec(path)?.[1];
  if (scheme) throw new Error(`SQLITE_PATH must be a file path such as ./shop.db, not a URL (it starts with ${scheme}:)`);
  // A write waits up to 5 s for another connection's lock; past that the webhook answers 500 and Siglume redelivers.
  // fileMustExist: a mistyped path would otherwise create an empty database, and the first checkout would fail on a missing table.
  let database: OrderStoreConnection;
  try {
    database = new Database(path, { timeout: 5000, fileMustExist: true });
  } catch (error) {
    if (existsSync(path)) throw error;
    const where = isAbsolute(path) ? path : `${path}, i.e. ${resolve(path)}`;
    throw new Error(
      `SQLITE_PATH points to ${where}, which does not exist: check the path, or create the database with its tables: ` +
        'sqlite3 "$SQLITE_PATH" < siglume-payments.sqlite.sql (the file beside siglume-store.ts; orders.sqlite.sql too if you have no orders table)',
      { cause: error },
    );
  }
  database.pragma('journal_mode = WAL'); // readers never block the writer
  return database;
}

// The database createOrderStore() opened itself, for closeOrderStore().
let ownDatabase: OrderStoreConnection | null = null;

/** The order store over `database` (SQLITE_PATH opened when omitted, shared by such calls). */
export function createOrderStore(database: OrderStoreConnection = (ownDatabase ??= openDatabase())): OrderStore {
  return new SqliteOrderStore({
    database,
    // EDIT: your orders table. These are the defaults of orders.sqlite.sql.
    orders: { table: 'orders', id_column: 'order_id', amount_column: 'amount_minor', currency_column: 'currency', status_column: 'status', owner_column: 'user_id', paid_at_column: 'paid_at' },
  });
}

/** Closes the database `createOrderStore()` opened (not one you passed): `siglume-sdrp reconcile --store` calls it when done. */
export async function closeOrderStore(): Promise<void> {
  const database = ownDatabase;
  ownDatabase = null;
  database?.close();
}
