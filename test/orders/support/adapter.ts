/**
 * What the conformance suite needs from each database adapter. Adding an
 * adapter to the suite is one module implementing {@link ConformanceAdapter}
 * and one line in `adapters.ts`.
 */
import type { OrderStore } from '../../../src/orders/index.js';
import type { OrdersTableMapping } from '../../../src/orders/mapping.js';

export type Row = Record<string, unknown>;

export interface ConformanceStoreOptions {
  orders?: OrdersTableMapping;
  pool_max?: number;
  /** How long a transaction waits for another's lock before failing (SQLite: the busy timeout), ms. */
  lock_timeout_ms?: number;
  onError?: (error: Error) => void;
}

/** One isolated database (or schema) with the payment tables and the sample `orders` table. */
export interface ConformanceDatabase {
  /** Environment a child app process needs to build the same store (`storeFromEnv`). */
  env: Record<string, string>;
  createStore(options?: ConformanceStoreOptions): OrderStore;
  /** Runs portable SQL written with `?` placeholders; returns the rows. */
  sql(text: string, params?: unknown[]): Promise<Row[]>;
  /**
   * Locks the rows of `table` matching `where` (portable SQL, `?` placeholders) in a transaction of another
   * session, as a stuck peer would (`SELECT ... FOR UPDATE`; on SQLite, the database's write lock), and keeps it
   * until the returned function is called.
   */
  holdLock(table: string, where: string, params: unknown[]): Promise<() => Promise<void>>;
  drop(): Promise<void>;
}

export interface ConformanceAdapter {
  name: string;
  /** Why the database cannot be reached here, or null. */
  unavailable(): Promise<string | null>;
  createDatabase(): Promise<ConformanceDatabase>;
  /** The store of a database, from `ConformanceDatabase.env` (in a child process). */
  storeFromEnv(env: Record<string, string | undefined>, options?: ConformanceStoreOptions): OrderStore;
}
