/**
 * A {@link SqlConnection} over one `better-sqlite3` database. The driver is
 * synchronous and a connection has one transaction at a time, while the
 * store's transactions are async: so every call of the store runs in turn
 * (an in-process queue), and each transaction begins IMMEDIATE, taking the
 * database's write lock up front. Another process (or connection) holding
 * the lock makes BEGIN wait out the database's busy timeout and then throw
 * `SQLITE_BUSY`: the webhook answers non-2xx and Siglume redelivers.
 *
 * No other JavaScript runs between BEGIN and COMMIT. Waiting for a lock
 * blocks the whole process, so code of the same process that writes through
 * another connection while the store holds the lock would block until the
 * busy timeout (the store cannot get on to COMMIT meanwhile) and fail with
 * `SQLITE_BUSY`. A transaction therefore begins at the start of a macrotask
 * of its own (after `setImmediate`), and its body only queries: every query
 * here settles at once, so the microtasks that follow, which belong to this
 * transaction alone, run it to COMMIT before anything else runs. A body
 * still running at the next check phase awaited something else (I/O, a
 * timer): it is rolled back and the call rejects, as it broke that rule.
 *
 * Typed structurally: this module never imports `better-sqlite3`, which
 * stays an optional peer dependency.
 */
import { SiglumeDirectRequestPaymentError } from '../../core/errors.js';
import type { SqlConnection, SqlExecutor, SqlQueryResult } from '../sql/dialect.js';

// The immediates as they are when this module loads, not as the globals are later: a test's fake timers
// (vi.useFakeTimers) replace those, and a transaction waiting on a fake setImmediate would never begin (a
// synchronous advance would fire the guard mid-body). src/orders imports no node: module, hence no node:timers.
const { setImmediate, clearImmediate } = globalThis;

/** A prepared statement of `better-sqlite3`. */
export interface SqliteStatementLike {
  /** True when the statement returns rows. */
  readonly reader: boolean;
  all(...params: unknown[]): unknown[];
  run(...params: unknown[]): { changes: number };
}

/** A `better-sqlite3` `Database` (or anything shaped like one). */
export interface SqliteDatabaseLike {
  prepare(sql: string): SqliteStatementLike;
  exec(sql: string): unknown;
  readonly inTransaction: boolean;
}

/** Prepared statements kept per connection; the store uses a few dozen distinct texts. */
const STATEMENT_CACHE = 128;

/** The database as a {@link SqlConnection}. */
export function sqliteConnection(db: SqliteDatabaseLike): SqlConnection {
  const statements = new Map<string, SqliteStatementLike>();
  const statement = (sql: string) => {
    let s = statements.get(sql);
    if (!s) {
      s = db.prepare(sql);
      if (statements.size >= STATEMENT_CACHE) statements.delete(statements.keys().next().value as string);
      statements.set(sql, s);
    }
    return s;
  };
  const run = (sql: string, params: readonly unknown[]): SqlQueryResult => {
    const s = statement(sql);
    return s.reader ? { rows: s.all(...params) as Array<Record<string, unknown>>, affected_rows: 0 } : { rows: [], affected_rows: s.run(...params).changes };
  };

  // One call at a time: a statement of another call must never land inside this call's transaction.
  let tail: Promise<unknown> = Promise.resolve();
  const inTurn = <T>(work: () => Promise<T>): Promise<T> => {
    const turn = tail.then(work);
    tail = turn.catch(() => undefined);
    return turn;
  };

  return {
    query: (sql, params) => inTurn(async () => run(sql, params)),
    transaction<T>(fn: (tx: SqlExecutor) => Promise<T>, setup: readonly string[] = []): Promise<T> {
      return inTurn(async () => {
        // A macrotask of its own: the microtask queue is empty when this continuation starts.
        await new Promise<void>((resolve) => setImmediate(resolve));
        if (db.inTransaction) throw new Error('the SQLite connection is already inside a transaction (give the order store its own connection)');
        for (const statement of setup) run(statement, []);
        db.exec('BEGIN IMMEDIATE');
        let stalled: Error | null = null;
        // Runs only when the body outlives this macrotask's microtasks (it awaited I/O or a timer): release the lock now.
        const guard = setImmediate(() => {
          stalled = new SiglumeDirectRequestPaymentError(
            'A transaction of the SQLite order store awaited something other than its own queries while holding the write lock; it was rolled back',
            { code: 'ORDER_STORE_TRANSACTION_AWAITED' },
          );
          // Never throws out of a timer (that would end the process): a failure here is met again below.
          try {
            if (db.inTransaction) db.exec('ROLLBACK');
          } catch {
            /* the body's next query, or the end of the call, rolls back and rejects */
          }
        });
        try {
          const value = await fn({
            query: async (sql, params) => {
              if (stalled) throw stalled;
              return run(sql, params);
            },
          });
          if (stalled) throw stalled;
          db.exec('COMMIT');
          return value;
        } catch (error) {
          // A failed COMMIT (SQLITE_BUSY in rollback-journal mode) leaves the transaction open: end it.
          if (db.inTransaction) db.exec('ROLLBACK');
          throw stalled ?? error;
        } finally {
          clearImmediate(guard);
        }
      });
    },
  };
}
