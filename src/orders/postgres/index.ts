/**
 * `@siglume/direct-request-payment/orders/postgres`: the order store on
 * PostgreSQL through `pg` (an optional peer dependency: pass your own
 * `pg.Pool`). Create the payment tables with the `siglume-payments.postgres.sql`
 * that `siglume-sdrp init` writes into your project.
 *
 * @example
 * import pg from 'pg';
 * import { PostgresOrderStore } from '@siglume/direct-request-payment/orders/postgres';
 * const store = new PostgresOrderStore({
 *   pool: new pg.Pool({ connectionString: process.env.DATABASE_URL }),
 *   orders: { table: 'shop_orders', id_column: 'id', amount_column: 'total_minor', owner_column: 'customer_id' },
 * });
 */
import { SiglumeValidationError } from '../../core/errors.js';
import { SqlOrderStore, type SqlOrderStoreOptions } from '../sql/store.js';
import { POSTGRES_DIALECT } from '../sql/dialects.js';
import { pgConnection, type PgPoolLike } from './connection.js';

export type { PgPoolLike, PgPoolClientLike, PgQueryResultLike } from './connection.js';
export type { OrdersTableMapping } from '../mapping.js';
export type { SqlOrderStoreOptions } from '../sql/store.js';

/** Options of {@link PostgresOrderStore}. */
export interface PostgresOrderStoreOptions extends SqlOrderStoreOptions {
  /**
   * Your `pg.Pool`, never a `pg.Client` (refused): the store runs transactions concurrently, each on its own
   * pooled connection. The store adds an `'error'` listener to it (see `onError`).
   */
  pool: PgPoolLike;
  /** Receives errors of idle pooled connections (a restarted or killed backend); they never crash the process. */
  onError?: ((error: Error) => void) | undefined;
}

/** The order store (`OrderStore` of `@siglume/direct-request-payment/orders`) on PostgreSQL 13+. */
export class PostgresOrderStore extends SqlOrderStore {
  constructor(options: PostgresOrderStoreOptions) {
    if (!options || typeof options !== 'object' || !options.pool || typeof options.pool.connect !== 'function') {
      throw new SiglumeValidationError('pool', 'Invalid pool: must be a pg.Pool');
    }
    // A pg.Client has the shape too, but one connection cannot carry concurrent transactions: its queries would
    // interleave ("Client has already been connected", or a start that never returns). A Pool, also one extending
    // pg's (@neondatabase/serverless), counts its clients.
    if ('processID' in options.pool && !('totalCount' in options.pool)) {
      throw new SiglumeValidationError(
        'pool',
        'Invalid pool: must be a pg.Pool, not a pg.Client: the store runs transactions concurrently, each on its own pooled connection',
      );
    }
    super(pgConnection(options.pool, options.onError), POSTGRES_DIALECT, options);
  }
}
