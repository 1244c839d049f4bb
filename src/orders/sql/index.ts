/**
 * `@siglume/direct-request-payment/orders/sql`: the order store written once
 * in portable SQL, for any database driver or ORM. Re-exports only.
 *
 * - `createSqlOrderStore({ dialect, query, transaction })`: the generic
 *   adapter. Hand it a raw-query function and a transaction function from
 *   Drizzle, Kysely, Knex, Prisma, TypeORM or your driver.
 * - `SqlOrderStore(connection, dialect, options)`: the store itself, for
 *   writing an adapter (the PostgreSQL, MySQL and SQLite adapters are one
 *   `SqlConnection` and one `SqlDialect` each).
 *
 * Nothing here loads a driver: you pass yours in.
 */
export { SqlOrderStore } from './store.js';
export type { SqlOrderStoreOptions } from './store.js';
export { createSqlOrderStore } from './generic.js';
export type { GenericSqlOrderStoreOptions, SqlQueryFunction } from './generic.js';
export { MYSQL_DIALECT, POSTGRES_DIALECT, SQLITE_DIALECT, sqlDialect } from './dialects.js';
export type { SqlDialectName, SqlPlaceholderStyle } from './dialects.js';
export type { SqlConnection, SqlExecutor, SqlQueryResult, SqlDialect } from './dialect.js';
export type { OrdersTableMapping } from '../mapping.js';
