/**
 * The generic SQL adapter: the order store over any driver or ORM that can
 * run a raw parameterized statement and a transaction (Drizzle, Kysely,
 * Knex, Prisma, TypeORM, a driver of your own). You supply two functions; the
 * store supplies the SQL.
 */
import { SiglumeValidationError } from '../../core/errors.js';
import type { SqlConnection, SqlDialect, SqlQueryResult } from './dialect.js';
import { sqlDialect, type SqlDialectName, type SqlPlaceholderStyle } from './dialects.js';
import { SqlOrderStore, type SqlOrderStoreOptions } from './store.js';

/** Runs one statement with its parameters: rows for a SELECT, the affected-row count for an INSERT / UPDATE. */
export type SqlQueryFunction = (sql: string, params: readonly unknown[]) => Promise<SqlQueryResult>;

/** Options of {@link createSqlOrderStore}. */
export interface GenericSqlOrderStoreOptions extends SqlOrderStoreOptions {
  /** The database's SQL: a built-in dialect by name, or your own {@link SqlDialect}. */
  dialect: SqlDialectName | SqlDialect;
  /** Placeholders your driver expects, when they differ from the dialect's (`question` for Knex). @default the dialect's */
  placeholders?: SqlPlaceholderStyle | undefined;
  /** Runs a statement outside any transaction (autocommit). */
  query: SqlQueryFunction;
  /**
   * Runs `work` in ONE transaction on ONE connection and returns its result:
   * commit when it resolves, roll back when it throws (and rethrow). Every
   * statement of `work` goes through the `query` it is handed.
   * On MySQL / MariaDB, start it at READ COMMITTED.
   */
  transaction<T>(work: (query: SqlQueryFunction) => Promise<T>): Promise<T>;
}

/**
 * Builds an `OrderStore` from a raw-query function and a transaction
 * function. The dialect's per-transaction setup (a lock timeout) runs as the
 * first statements of each transaction that writes (the webhook's, the
 * checkout start's and the attempt updates).
 *
 * @throws {SiglumeValidationError} naming a missing function or an unknown dialect.
 * @example
 * // Kysely on PostgreSQL. Its pg pool needs an 'error' listener on every client, or a connection lost
 * // inside a transaction crashes the process (docs/orders.md, "Any other driver or ORM"):
 * pool.on('error', log);
 * pool.on('connect', (client) => client.on('error', log));
 * const store = createSqlOrderStore({
 *   dialect: 'postgres',
 *   query: async (sql, params) => result(await db.executeQuery(CompiledQuery.raw(sql, [...params]))),
 *   transaction: (work) => db.transaction().execute((trx) => work(async (sql, params) => result(await trx.executeQuery(CompiledQuery.raw(sql, [...params]))))),
 * });
 */
export function createSqlOrderStore(options: GenericSqlOrderStoreOptions): SqlOrderStore {
  if (options === null || typeof options !== 'object') throw new SiglumeValidationError('options', 'Invalid options: must be an object');
  for (const name of ['query', 'transaction'] as const) {
    if (typeof options[name] !== 'function') throw new SiglumeValidationError(name, `Invalid ${name}: must be a function`);
  }
  const dialect =
    typeof options.dialect === 'string'
      ? sqlDialect(options.dialect, options.placeholders === undefined ? {} : { placeholders: options.placeholders })
      : options.dialect;
  if (!dialect || typeof dialect !== 'object' || typeof dialect.placeholder !== 'function' || typeof dialect.insertIgnore !== 'function') {
    throw new SiglumeValidationError('dialect', 'Invalid dialect: must be postgres, mysql, sqlite or a SqlDialect');
  }
  const { query, transaction } = options;
  const connection: SqlConnection = {
    query: (sql, params) => query(sql, params),
    transaction: (fn, setup = []) =>
      transaction(async (q) => {
        for (const statement of setup) await q(statement, []);
        return fn({ query: q });
      }),
  };
  return new SqlOrderStore(connection, dialect, options);
}
