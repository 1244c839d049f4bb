/**
 * `@siglume/direct-request-payment/orders/sqlite`: the order store on SQLite
 * through `better-sqlite3` (an optional peer dependency, version 12 on
 * Node 20: pass your own `Database`). For a shop that runs as one process,
 * and for tests. Create the payment tables with the
 * `siglume-payments.sqlite.sql` that `siglume-sdrp init --database sqlite`
 * writes into your project.
 *
 * @example
 * import Database from 'better-sqlite3';
 * import { SqliteOrderStore } from '@siglume/direct-request-payment/orders/sqlite';
 * const database = new Database('shop.db', { timeout: 5000 });
 * database.pragma('journal_mode = WAL');
 * const store = new SqliteOrderStore({ database });
 */
import { SiglumeValidationError } from '../../core/errors.js';
import { SQLITE_DIALECT } from '../sql/dialects.js';
import { SqlOrderStore, type SqlOrderStoreOptions } from '../sql/store.js';
import { sqliteConnection, type SqliteDatabaseLike } from './connection.js';

export type { SqliteDatabaseLike, SqliteStatementLike } from './connection.js';
export type { OrdersTableMapping } from '../mapping.js';

/** Options of {@link SqliteOrderStore}. */
export interface SqliteOrderStoreOptions extends Omit<SqlOrderStoreOptions, 'lock_timeout_ms'> {
  /**
   * Your `better-sqlite3` `Database`. Give the store its own connection (a
   * second `new Database(file)`), so its transactions never interleave with
   * your app's statements. How long a write waits for another connection's
   * lock is the database's busy timeout (`new Database(file, { timeout })`,
   * default 5000 ms); past it, the webhook answers non-2xx and is redelivered.
   * The store's transactions let no other JavaScript run while they hold the
   * lock, so your writes through another connection never wait for them;
   * keep your own write transactions synchronous (`db.transaction(fn)`), or
   * the store's next write waits for them with the process blocked.
   */
  database: SqliteDatabaseLike;
}

/**
 * The order store (`OrderStore` of `@siglume/direct-request-payment/orders`)
 * on SQLite 3.35+. `schema` names an attached database holding the payment tables.
 */
export class SqliteOrderStore extends SqlOrderStore {
  constructor(options: SqliteOrderStoreOptions) {
    const database = options && typeof options === 'object' ? options.database : undefined;
    if (!database || typeof database.prepare !== 'function' || typeof database.exec !== 'function') {
      throw new SiglumeValidationError('database', 'Invalid database: must be a better-sqlite3 Database');
    }
    const { orders, schema } = options;
    super(sqliteConnection(database), SQLITE_DIALECT, { ...(orders === undefined ? {} : { orders }), ...(schema === undefined ? {} : { schema }) });
  }
}
