/**
 * What the shared SQL order store needs from a database: a way to run a
 * statement, a transaction, and the few spellings that differ between SQL
 * dialects. A new adapter (MySQL, SQLite, an ORM's raw query) is one
 * {@link SqlConnection} plus one {@link SqlDialect}.
 */

/** Rows and the number of rows a statement changed. */
export interface SqlQueryResult {
  rows: Array<Record<string, unknown>>;
  /** Rows inserted / updated / deleted (0 for a SELECT). */
  affected_rows: number;
}

/** Runs one parameterized statement. */
export interface SqlExecutor {
  query(sql: string, params: readonly unknown[]): Promise<SqlQueryResult>;
}

/**
 * A database connection source. `transaction` runs the `setup` statements
 * (parameterless, e.g. a lock timeout) and then `fn` on one connection
 * between BEGIN and COMMIT; any throw (including a lost connection) must roll
 * back and reject, never crash the process or leave a half-written transaction.
 */
export interface SqlConnection extends SqlExecutor {
  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>, setup?: readonly string[]): Promise<T>;
}

/** The SQL spellings that differ between databases. */
export interface SqlDialect {
  /** Name, for messages. */
  readonly name: string;
  /** Placeholder of the 1-based parameter `index` (`$1` in PostgreSQL, `?` elsewhere). */
  placeholder(index: number): string;
  /**
   * An INSERT that does nothing (0 affected rows) when the primary / unique
   * key exists, or (with {@link duplicateKey}) one that fails only then.
   * Any other failure (a value too long, a NULL) must still fail.
   */
  insertIgnore(table: string, columns: readonly string[], placeholders: readonly string[]): string;
  /**
   * True when `error` is the duplicate-key failure of an `insertIgnore`
   * statement: the store then counts the row as not inserted and goes on in
   * the same transaction (MySQL rolls back only the failed statement).
   * Optional: for dialects whose `insertIgnore` skips the duplicate itself.
   */
  duplicateKey?(error: unknown): boolean;
  /**
   * `name` (one validated identifier: letters, digits, `_`) quoted so that it
   * names what the same name unquoted names, and is never read as a keyword
   * or function (`user`, `current_date`). Optional: without it, names are
   * written unquoted.
   */
  quoteIdentifier?(name: string): string;
  /** Appended to a SELECT to lock its rows until the transaction ends (`' FOR UPDATE'`, or '' where the database locks otherwise). */
  readonly lock_rows: string;
  /** Statements run first in each transaction of the store (every write runs in one), e.g. a lock timeout. */
  transactionSetup(lock_timeout_ms: number): string[];
  /** A Date as the driver binds a timestamp. */
  timestamp(date: Date): unknown;
  /**
   * True when `error` says a bound value cannot be converted to its column's
   * type or character set (PostgreSQL refuses `'abc'` for an integer key,
   * where MySQL and SQLite compare and find nothing; MySQL refuses `'💥'` for
   * a utf8mb3 or latin1 column with an illegal mix of collations). No stored
   * row can hold such a value, so a lookup by an id from outside (`findOrder`,
   * an event's id or challenge hash) then finds nothing instead of failing.
   * Optional: without it, such an error is a store failure (a 500 at
   * checkout, a redelivered webhook).
   */
  rejectsValue?(error: unknown): boolean;
  /**
   * True when `error` says a table, a column or a schema is not there, or the
   * database user may not read it (PostgreSQL 42P01 / 42703 / 42501 / 3F000,
   * MySQL 1146 / 1054 / 1142 / 1143 / 1049, SQLite "no such table / column"):
   * `checkTables` reports such a failed probe as a problem of the mapping or
   * the migration, and throws any other failure (a lost connection, a
   * timeout, too many clients) as it is. Optional: without it, `checkTables`
   * reports every failed probe as a problem once the database answers again.
   */
  missingObject?(error: unknown): boolean;
}
