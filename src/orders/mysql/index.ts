/**
 * `@siglume/direct-request-payment/orders/mysql`: the order store on MySQL 8
 * or MariaDB 10.5+ (InnoDB) through `mysql2` (an optional peer dependency:
 * pass your own pool). Create the payment tables with the
 * `siglume-payments.mysql.sql` that `siglume-sdrp init --database mysql`
 * writes into your project.
 *
 * @example
 * import mysql from 'mysql2';
 * import { MysqlOrderStore } from '@siglume/direct-request-payment/orders/mysql';
 * const store = new MysqlOrderStore({ pool: mysql.createPool(process.env.DATABASE_URL!), query_timeout_ms: 15_000 });
 */
import { SiglumeValidationError } from '../../core/errors.js';
import { MYSQL_DIALECT } from '../sql/dialects.js';
import { SqlOrderStore, type SqlOrderStoreOptions } from '../sql/store.js';
import { callbackPool, mysqlConnection, type MysqlPoolLike } from './connection.js';

export type { MysqlPoolLike, MysqlCallbackPoolLike, MysqlPromisePoolLike, MysqlPoolConnectionLike } from './connection.js';
export type { OrdersTableMapping } from '../mapping.js';
export type { SqlOrderStoreOptions } from '../sql/store.js';

/** Options of {@link MysqlOrderStore}. */
export interface MysqlOrderStoreOptions extends SqlOrderStoreOptions {
  /**
   * Your `mysql2` pool: `mysql.createPool()` or `mysql2/promise`'s. The store
   * adds an `'error'` listener to each of its connections (see `onError`).
   */
  pool: MysqlPoolLike;
  /** Receives errors of pooled connections the store is not using (a killed connection, a server restart); they never crash the process. */
  onError?: ((error: Error) => void) | undefined;
  /**
   * Fail a statement the database has not answered after this long, ms (1-600000; mysql2's per-query `timeout`):
   * a stalled database or network then answers 500 instead of holding the request, and the connection, for as
   * long as it stalls. The connection of a timed-out statement is destroyed. Keep it above `lock_timeout_ms`, so
   * that a lock wait fails as the lock wait timeout (1205) it is. mysql2's pool has no such setting of its own.
   * @default none (a statement waits for as long as the database takes)
   * @example 15_000
   */
  query_timeout_ms?: number | undefined;
}

/**
 * The order store (`OrderStore` of `@siglume/direct-request-payment/orders`)
 * on MySQL / MariaDB. `schema` is the database holding the payment tables
 * (default: the pool's). Transactions run at READ COMMITTED; a deadlock or a
 * lock wait longer than `lock_timeout_ms` (rounded up to whole seconds) rolls
 * back and the webhook answers non-2xx, so Siglume redelivers.
 */
export class MysqlOrderStore extends SqlOrderStore {
  constructor(options: MysqlOrderStoreOptions) {
    const pool = options && typeof options === 'object' && options.pool ? callbackPool(options.pool) : null;
    if (!pool) throw new SiglumeValidationError('pool', 'Invalid pool: must be a mysql2 pool (mysql.createPool or mysql2/promise createPool)');
    const timeout = options.query_timeout_ms;
    if (timeout !== undefined && (typeof timeout !== 'number' || !Number.isSafeInteger(timeout) || timeout < 1 || timeout > 600_000)) {
      throw new SiglumeValidationError('query_timeout_ms', 'Invalid query_timeout_ms: must be an integer from 1 to 600000');
    }
    super(mysqlConnection(pool, options.onError, timeout === undefined ? {} : { query_timeout_ms: timeout }), MYSQL_DIALECT, options);
  }
}
