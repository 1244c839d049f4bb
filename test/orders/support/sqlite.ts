/**
 * The SQLite entry of the conformance adapter list: a throw-away database
 * file per suite (WAL mode), with the payment tables from
 * templates/schema/sqlite and the sample orders table, and stores made with
 * `@siglume/direct-request-payment/orders/sqlite`, each on its own connection.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { SqliteOrderStore } from '../../../src/orders/sqlite/index.js';
import type { ConformanceAdapter, ConformanceDatabase, ConformanceStoreOptions, Row } from './adapter.js';

/** A schema file of templates/schema/sqlite, as better-sqlite3 runs it (the sqlite3 shell's `.bail on` removed). */
export function sqliteSchemaSql(file: 'siglume-payments' | 'orders'): string {
  const text = readFileSync(new URL(`../../../templates/schema/sqlite/${file}.sql`, import.meta.url), 'utf8');
  return text.replace(/^\.bail on$/m, '');
}

/** Runs a whole schema file: all of it, or (rolled back) nothing. */
export function applySqliteSchema(db: Database.Database, sql: string): void {
  try {
    db.exec(sql);
  } catch (error) {
    if (db.inTransaction) db.exec('ROLLBACK');
    throw error;
  }
}

/** Dates as the SQLite store writes them (ISO text); booleans as 0 / 1. */
function bindable(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'boolean') return value ? 1 : 0;
  return value;
}

export function openSqlite(file: string, timeout = 10_000): Database.Database {
  return new Database(file, { timeout });
}

function storeFor(file: string, options: ConformanceStoreOptions = {}): SqliteOrderStore {
  return new SqliteOrderStore({ database: openSqlite(file, options.lock_timeout_ms), ...(options.orders ? { orders: options.orders } : {}) });
}

export const sqliteAdapter: ConformanceAdapter = {
  name: 'sqlite',
  async unavailable() {
    try {
      new Database(':memory:').close();
      return null;
    } catch (error) {
      return `better-sqlite3 cannot open a database (${error instanceof Error ? error.message : String(error)})`;
    }
  },
  async createDatabase(): Promise<ConformanceDatabase> {
    const file = join(tmpdir(), `sdrp-orders-${process.pid}-${randomBytes(5).toString('hex')}.db`);
    const assertions = openSqlite(file);
    assertions.pragma('journal_mode = WAL');
    applySqliteSchema(assertions, sqliteSchemaSql('siglume-payments'));
    applySqliteSchema(assertions, sqliteSchemaSql('orders'));
    return {
      env: { SDRP_ADAPTER: 'sqlite', SDRP_SQLITE_FILE: file },
      createStore: (options) => storeFor(file, options),
      async sql(text, params = []) {
        const statement = assertions.prepare(text);
        const values = params.map(bindable);
        if (statement.reader) return statement.all(...values) as Row[];
        statement.run(...values);
        return [];
      },
      // SQLite locks the whole database for a writer: a write transaction left open holds every row.
      async holdLock() {
        const holder = openSqlite(file);
        holder.exec('BEGIN IMMEDIATE');
        return async () => {
          if (holder.inTransaction) holder.exec('ROLLBACK');
          holder.close();
        };
      },
      async drop() {
        assertions.close();
        for (const suffix of ['', '-wal', '-shm']) rmSync(`${file}${suffix}`, { force: true });
      },
    };
  },
  storeFromEnv: (env, options) => storeFor(env.SDRP_SQLITE_FILE ?? ':memory:', options),
};
