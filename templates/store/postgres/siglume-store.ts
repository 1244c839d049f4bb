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

function databaseUrl(): string {
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error('DATABASE_URL is not set (see README.md, "Environment")');
  return url;
}

// The pool createOrderStore() made itself, for closeOrderStore().
let ownPool: pg.Pool | null = null;

/** The order store over `pool` (a pool on DATABASE_URL when omitted, shared by such calls). */
export function createOrderStore(pool: OrderStoreConnection = (ownPool ??= new pg.Pool({ connectionString: databaseUrl() }))): OrderStore {
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
