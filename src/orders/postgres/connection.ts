/**
 * A {@link SqlConnection} over a `pg` Pool, written so that a database fault
 * never takes the shop down: every checked-out client carries an `'error'`
 * listener for as long as this module holds it (pg-pool removes its own on
 * checkout, and an `'error'` event without a listener crashes the process),
 * a transaction that fails for any reason is rolled back or its connection
 * destroyed, and the error is thrown to the caller, which answers non-2xx.
 * A statement that outlives the pool's `query_timeout` (a stalled database)
 * fails the transaction at once: its client is destroyed, not asked to roll
 * back behind the stalled statement.
 *
 * Typed structurally, so this module never imports `pg`: any object shaped
 * like a `pg.Pool` works, and `pg` stays an optional peer dependency.
 */
import type { SqlConnection, SqlExecutor, SqlQueryResult } from '../sql/dialect.js';

/** The result shape of `pg` queries this module reads. */
export interface PgQueryResultLike {
  rows: Array<Record<string, unknown>>;
  rowCount: number | null;
}

/** A pooled `pg` client, as `pool.connect()` returns it. */
export interface PgPoolClientLike {
  query(text: string, values?: unknown[]): Promise<PgQueryResultLike>;
  release(err?: Error | boolean): void;
  on(event: 'error', listener: (err: Error) => void): unknown;
  removeListener(event: 'error', listener: (err: Error) => void): unknown;
}

/** A `pg.Pool` (or anything shaped like one). */
export interface PgPoolLike {
  query(text: string, values?: unknown[]): Promise<PgQueryResultLike>;
  connect(callback: (err: Error | undefined, client: PgPoolClientLike | undefined, done: (release?: unknown) => void) => void): void;
  on(event: 'error', listener: (err: Error, client: unknown) => void): unknown;
}

/**
 * True for pg's `query_timeout` failure. pg stops waiting for the statement but leaves the client busy with it: a
 * ROLLBACK sent then would wait behind the stalled statement until it too timed out, doubling the wait. pg gives
 * this failure no code, only this message (pg 8).
 */
const readTimedOut = (error: unknown) => error instanceof Error && error.message === 'Query read timeout';

function result(r: PgQueryResultLike): SqlQueryResult {
  return { rows: r.rows, affected_rows: r.rowCount ?? 0 };
}

/**
 * The pool as a {@link SqlConnection}. Adds one `'error'` listener to the pool
 * itself, so an idle client whose backend is killed is dropped and reported
 * to `onError` instead of crashing the process.
 */
export function pgConnection(pool: PgPoolLike, onError?: (error: Error) => void): SqlConnection {
  pool.on('error', (error) => onError?.(error));
  return {
    query: async (sql, params) => result(await pool.query(sql, [...params])),
    async transaction<T>(fn: (tx: SqlExecutor) => Promise<T>, setup: readonly string[] = []): Promise<T> {
      // Set when the connection broke: the client is then destroyed on release, never reused.
      let broken: Error | undefined;
      const onClientError = (error: Error) => {
        broken ??= error;
      };
      // The callback form on purpose: the listener must be attached in the same
      // synchronous step in which pg-pool hands the client over (and removes its
      // own). With `await pool.connect()` it would be attached a microtask later,
      // and a kill arriving in the same TCP read as the connection's ReadyForQuery
      // is emitted in between, on a client without a listener: a crash.
      const client = await new Promise<PgPoolClientLike>((resolve, reject) => {
        pool.connect((err, c) => {
          if (err || !c) return reject(err ?? new Error('pg pool returned no client'));
          c.on('error', onClientError);
          resolve(c);
        });
      });
      try {
        // One round trip for BEGIN and the setup (parameterless statements only).
        await client.query(['BEGIN', ...setup].join('; '));
        const value = await fn({ query: async (sql, params) => result(await client.query(sql, [...params])) });
        await client.query('COMMIT');
        return value;
      } catch (error) {
        // A client that timed out is destroyed on release, which ends its transaction on the server.
        if (readTimedOut(error)) broken ??= error as Error;
        if (!broken) {
          await client.query('ROLLBACK').catch((rollbackError: Error) => {
            broken = rollbackError;
          });
        }
        throw error;
      } finally {
        // Synchronous pair: pg-pool attaches its idle listener inside release(),
        // so no 'error' can arrive in between. A broken client keeps ours.
        if (!broken) client.removeListener('error', onClientError);
        client.release(broken ?? undefined);
      }
    },
  };
}
