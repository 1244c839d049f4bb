/**
 * A {@link SqlConnection} over a `mysql2` pool, written so that a database
 * fault never takes the shop down:
 * - every pooled connection carries an `'error'` listener for its whole life
 *   (mysql2's pool listens only `once` per connection; an `'error'` event
 *   without a listener crashes a Node process, so none is ever left
 *   unheard), and errors of idle connections go to `onError`;
 * - a connection that broke mid-transaction is destroyed, never reused;
 * - with `query_timeout_ms`, a statement the database does not answer in time
 *   fails (mysql2's `timeout`) and its connection is destroyed at once: a
 *   stalled database answers 500 instead of holding the request and its
 *   pooled connection for as long as it stalls;
 * - the failure is thrown to the caller, which answers non-2xx, so Siglume
 *   redelivers. A deadlock (1213) or a lock wait timeout (1205) rolls back
 *   and is thrown the same way.
 *
 * Transactions run at READ COMMITTED, as on PostgreSQL: every read sees what
 * committed before it, and InnoDB takes no gap locks for the store's lookups.
 * The lock wait timeout is set for the transaction and restored afterwards,
 * so your own use of the pool keeps its session settings.
 *
 * Typed structurally: this module never imports `mysql2`, which stays an
 * optional peer dependency.
 */
import type { SqlConnection, SqlExecutor, SqlQueryResult } from '../sql/dialect.js';

/** A connection of a `mysql2` pool (callback API), as `pool.getConnection` hands it over. */
export interface MysqlPoolConnectionLike {
  query(options: { sql: string; values: unknown[]; timeout?: number }, callback: (error: Error | null, result: unknown) => void): unknown;
  release(): void;
  destroy(): void;
  on(event: 'error', listener: (error: Error) => void): unknown;
}

/** A `mysql2` pool, callback API (`mysql.createPool()`). */
export interface MysqlCallbackPoolLike {
  getConnection(callback: (error: Error | null, connection: MysqlPoolConnectionLike) => void): void;
  on(event: 'connection', listener: (connection: MysqlPoolConnectionLike) => void): unknown;
}

/** A `mysql2/promise` pool: its callback pool is `.pool`. */
export interface MysqlPromisePoolLike {
  pool: MysqlCallbackPoolLike;
}

/** Either kind of `mysql2` pool. */
export type MysqlPoolLike = MysqlCallbackPoolLike | MysqlPromisePoolLike;

/** The callback pool behind either kind. */
export function callbackPool(pool: MysqlPoolLike): MysqlCallbackPoolLike | null {
  const candidate = (pool as MysqlPromisePoolLike).pool ?? pool;
  return candidate && typeof (candidate as MysqlCallbackPoolLike).getConnection === 'function' && typeof candidate.on === 'function'
    ? (candidate as MysqlCallbackPoolLike)
    : null;
}

function result(raw: unknown): SqlQueryResult {
  if (Array.isArray(raw)) return { rows: raw as Array<Record<string, unknown>>, affected_rows: 0 };
  const affected = (raw as { affectedRows?: unknown } | null)?.affectedRows;
  return { rows: [], affected_rows: typeof affected === 'number' ? affected : 0 };
}

/** Saves the session's lock wait before the transaction's setup changes it. */
const SAVE_LOCK_WAIT = 'SET @sdrp_lock_wait = @@SESSION.innodb_lock_wait_timeout';
const RESTORE_LOCK_WAIT = 'SET SESSION innodb_lock_wait_timeout = @sdrp_lock_wait';

/** Options of {@link mysqlConnection}. */
export interface MysqlConnectionOptions {
  /** Fail a statement the database has not answered after this long, ms (mysql2's per-query `timeout`). @default none */
  query_timeout_ms?: number | undefined;
}

/**
 * True when mysql2 gave up waiting for a statement (`timeout`). The statement is still running on the connection
 * as far as mysql2 knows, and every later command would queue behind it (a command's timer starts only once it is
 * sent): the connection can no longer be used, not even for a ROLLBACK.
 */
const timedOut = (error: Error) => (error as { code?: unknown }).code === 'PROTOCOL_SEQUENCE_TIMEOUT';

/** The pool as a {@link SqlConnection}. `onError` receives errors of connections the store is not using at the moment. */
export function mysqlConnection(pool: MysqlCallbackPoolLike, onError?: (error: Error) => void, options: MysqlConnectionOptions = {}): SqlConnection {
  const timeout = options.query_timeout_ms;
  // While a call of ours holds a connection, its errors mark it broken for that call.
  const active = new WeakMap<MysqlPoolConnectionLike, (error: Error) => void>();
  const guarded = new WeakSet<MysqlPoolConnectionLike>();
  const guard = (connection: MysqlPoolConnectionLike) => {
    if (guarded.has(connection)) return;
    guarded.add(connection);
    // Stays for the connection's life: an 'error' without a listener would crash the process.
    connection.on('error', (error) => {
      const broke = active.get(connection);
      if (broke) broke(error);
      else onError?.(error);
    });
  };
  pool.on('connection', guard);

  type Query = (sql: string, values: readonly unknown[]) => Promise<SqlQueryResult>;
  /** Runs `work` on one pooled connection; a connection that broke is destroyed, else released. */
  async function withConnection<T>(work: (q: Query, broke: (error: Error) => void, isBroken: () => boolean) => Promise<T>): Promise<T> {
    let broken: Error | undefined;
    const broke = (error: Error) => {
      broken ??= error;
    };
    const connection = await new Promise<MysqlPoolConnectionLike>((resolve, reject) => {
      pool.getConnection((error, c) => {
        if (error || !c) return reject(error ?? new Error('mysql2 pool returned no connection'));
        guard(c); // in the same step it is handed over, before any event of it can fire
        active.set(c, broke);
        resolve(c);
      });
    });
    const q = (sql: string, values: readonly unknown[]) =>
      new Promise<SqlQueryResult>((resolve, reject) => {
        connection.query({ sql, values: [...values], ...(timeout === undefined ? {} : { timeout }) }, (error, raw) => {
          if (error) {
            if ((error as { fatal?: unknown }).fatal === true || timedOut(error)) broke(error);
            reject(error);
          } else {
            resolve(result(raw));
          }
        });
      });
    try {
      return await work(q, broke, () => broken !== undefined);
    } finally {
      active.delete(connection);
      if (broken) connection.destroy();
      else connection.release();
    }
  }

  return {
    query: (sql, params) => withConnection((q) => q(sql, params)),
    transaction<T>(fn: (tx: SqlExecutor) => Promise<T>, setup: readonly string[] = []): Promise<T> {
      return withConnection(async (q, broke, isBroken) => {
        if (setup.length > 0) {
          await q(SAVE_LOCK_WAIT, []);
          for (const statement of setup) await q(statement, []);
        }
        try {
          // Applies to the next transaction only; the session's own level is untouched.
          await q('SET TRANSACTION ISOLATION LEVEL READ COMMITTED', []);
          await q('START TRANSACTION', []);
          let value: T;
          try {
            value = await fn({ query: q });
            await q('COMMIT', []);
          } catch (error) {
            // A broken connection is destroyed, which ends its transaction on the server: no ROLLBACK is sent on it
            // (after a timeout it would wait behind the stalled statement). A failed rollback means the connection
            // is gone (and the server rolls back); never reuse it.
            if (!isBroken()) await q('ROLLBACK', []).catch((rollbackError: Error) => broke(rollbackError));
            throw error;
          }
          return value;
        } finally {
          // After a commit this must not fail the call: a connection that cannot restore is destroyed instead.
          if (setup.length > 0 && !isBroken()) await q(RESTORE_LOCK_WAIT, []).catch((restoreError: Error) => broke(restoreError));
        }
      });
    },
  };
}
