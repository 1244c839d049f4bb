/**
 * The start-up check of the SQL store's tables (`SqlOrderStore.checkTables`):
 * read-only probes, one statement per table and, when one fails, one per
 * column, so each problem names the mapping field or the migration to fix
 * by which statement failed, not by parsing the database's error text (only
 * SQLite's generic SQLITE_ERROR needs its message to tell a missing table).
 */
import type { ResolvedOrdersTable } from '../mapping.js';
import type { OrderStoreProblem } from '../store.js';
import type { SqlConnection, SqlDialect } from './dialect.js';
import { driverErrorCode } from './dialects.js';

/** What the check probes with: the store's connection, dialect, resolved mapping, payment-table schema ('' for the default) and quoting. */
export interface SqlTableCheckTarget {
  db: SqlConnection;
  dialect: SqlDialect;
  orders: ResolvedOrdersTable;
  schema: string;
  quote: (name: string) => string;
}

/**
 * The package's tables and every column the store reads or writes in each
 * (as the migrations in templates/schema create them): what `checkTables`
 * probes.
 */
export const SQL_PAYMENT_TABLE_COLUMNS: Readonly<Record<string, readonly string[]>> = Object.freeze({
  siglume_checkout_attempts: [
    'attempt_id', 'order_id', 'nonce', 'amount_minor', 'currency', 'status', 'checkout_session_id', 'checkout_url', 'challenge_hash',
    'expires_at', 'session_stored_at', 'creation_lease_until', 'last_error', 'requirement_id', 'chain_receipt_id', 'pricing_band',
    'payment_status', 'paid_event_id', 'paid_at', 'created_at', 'updated_at',
  ],
  siglume_webhook_events: ['event_id', 'event_type', 'outcome', 'received_at'],
  siglume_payment_reviews: [
    'event_id', 'event_type', 'kind', 'code', 'reason', 'order_id', 'requirement_id', 'challenge_hash', 'settlement_batch_id', 'created_at',
  ],
  siglume_settlement_batches: [
    'settlement_batch_id', 'event_id', 'chain_receipt_id', 'usage_event_digest', 'pricing_band', 'settled_at', 'recorded_at',
  ],
});

/** What each mapped column of the orders table holds, for a fix hint. */
const MAPPED_COLUMN_HOLDS = {
  id_column: "the order's id",
  amount_column: 'the price in minor units (JPY yen, USD cents)',
  currency_column: 'the currency (JPY / USD)',
  status_column: "the order's status",
  owner_column: 'the buyer (or null to map none)',
  paid_at_column: 'the paid-at timestamp (or null to map none)',
} as const;

/** The problems of `t`'s tables; see `SqlOrderStore.checkTables`. */
export async function checkSqlTables(t: SqlTableCheckTarget): Promise<OrderStoreProblem[]> {
  // Reachability first: a database that cannot be reached is the driver's error, never "table missing".
  await t.db.query('SELECT 1', []);
  const o = t.orders;
  const database = ['postgres', 'mysql', 'sqlite'].includes(t.dialect.name) ? t.dialect.name : '<database>';
  const migration = `siglume-payments.${database}.sql`;
  const where = t.schema === '' ? 'this database' : `schema ${t.schema} of this database`;
  const mapped: Array<[keyof typeof MAPPED_COLUMN_HOLDS, string | null]> = [
    ['id_column', o.id], ['amount_column', o.amount], ['currency_column', o.currency], ['status_column', o.status],
    ['owner_column', o.owner], ['paid_at_column', o.paid_at],
  ];
  const problems = await probeTable(t, o.table, mapped.flatMap(([field, column]) => (column === null ? [] : [{ column, field }])), {
    table: (code) => ({
      code: 'orders_table_unreadable', field: 'orders.table', table: o.table, column: null, driver_code: code,
      message: `The orders table ${o.table} (orders.table) cannot be read: there is no such table where the store looks, or its database user may not read it`,
      fix: `Set orders.table to the name of your orders table (schema-qualified, e.g. shop.orders, when it is in another schema), ` +
        `or create it (orders.${database}.sql is a sample)`,
    }),
    column: (column, field, code) => ({
      code: 'orders_column_unreadable', field: `orders.${field}`, table: o.table, column, driver_code: code,
      message: `The orders table ${o.table} has no column ${column} (orders.${field}), or it cannot be read`,
      fix: `Set orders.${field} to the name of your column holding ${MAPPED_COLUMN_HOLDS[field as keyof typeof MAPPED_COLUMN_HOLDS]}`,
    }),
  });
  const payment: OrderStoreProblem[] = [];
  for (const [name, columns] of Object.entries(SQL_PAYMENT_TABLE_COLUMNS)) {
    const table = t.schema === '' ? name : `${t.schema}.${name}`;
    payment.push(...(await probeTable(t, table, columns.map((column) => ({ column, field: null })), {
      table: (code) => ({
        code: 'payment_table_unreadable', field: null, table, column: null, driver_code: code,
        message: `The payment table ${table} cannot be read: the package's migration has not been run on ${where}, or its database user may not read it`,
        // This check does not look at indexes: the whole file makes the unique ones too, a table made by hand may lack them.
        // Ran it in a schema of its own and forgot to say so? Then creating the tables here would make a second set.
        fix: `${t.schema === '' && t.dialect.name !== 'sqlite' ? 'If you ran the migration in a schema of its own, give the store that schema (its schema option) instead; otherwise run' : 'Run'} ` +
          `the whole migration ${migration} on ${where} (siglume-sdrp init copies it beside siglume-store.ts; ` +
          `it is templates/schema/${database}/siglume-payments.sql in the package): it creates the tables and the unique indexes ` +
          `exactly-once payment relies on, which this check does not verify; never create a table by hand`,
      }),
      column: (column, _field, code) => ({
        code: 'payment_column_unreadable', field: null, table, column, driver_code: code,
        message: `The payment table ${table} has no column ${column}, or it cannot be read: it was made by another version of the migration`,
        fix: `Compare ${table} with ${migration} of the installed package version (its columns and its unique indexes) and add what is missing`,
      }),
    })));
  }
  // The migration is all or nothing: with some payment tables there it cannot run, so a missing one is made from it.
  const missing = payment.filter((p) => p.code === 'payment_table_unreadable');
  const total = Object.keys(SQL_PAYMENT_TABLE_COLUMNS).length;
  for (const p of missing.length < total ? missing : []) {
    p.fix = `The other payment tables are there, so ${migration} cannot run whole: create ${p.table} with its CREATE TABLE and ` +
      `CREATE UNIQUE INDEX statements from ${migration} of the installed package version (the unique indexes are what ` +
      'exactly-once payment relies on, and this check does not verify them), or, if it exists, grant the store\'s database user access to it';
  }
  return [...problems, ...payment];
}

/** Problems of one table: none when all `columns` select, else the table's or each failing column's. */
async function probeTable(
  t: SqlTableCheckTarget,
  table: string,
  columns: Array<{ column: string; field: string | null }>,
  problem: {
    table: (driver_code: string | null) => OrderStoreProblem;
    column: (column: string, field: string | null, driver_code: string | null) => OrderStoreProblem;
  },
): Promise<OrderStoreProblem[]> {
  const from = `FROM ${t.quote(table)} WHERE 1 = 0`;
  const all = await probe(t, `SELECT ${columns.map((c) => t.quote(c.column)).join(', ')} ${from}`);
  if (all === null) return [];
  const whole = await probe(t, `SELECT 1 ${from}`);
  const problems: OrderStoreProblem[] = [];
  if (whole !== null) problems.push(problem.table(driverErrorCode(whole)));
  else {
    for (const { column, field } of columns) {
      const failed = await probe(t, `SELECT ${t.quote(column)} ${from}`);
      if (failed !== null) problems.push(problem.column(column, field, driverErrorCode(failed)));
    }
  }
  // A dialect that cannot tell a missing table from a lost connection: a database gone between two probes is
  // the driver's failure, thrown as it is, not a missing table.
  if (!t.dialect.missingObject) await t.db.query('SELECT 1', []);
  if (problems.length === 0) throw all; // every part selects on its own but not together: not a mapping problem
  return problems;
}

/**
 * Runs a read-only probe outside any transaction: null when it ran, else its error when the dialect says the
 * table, column or schema is not there or may not be read. Any other failure (a connection reset, too many
 * clients, a cancelled statement, a lock wait) says nothing about the mapping: it is thrown as it is.
 */
async function probe(t: SqlTableCheckTarget, sql: string): Promise<unknown> {
  try {
    await t.db.query(sql, []);
    return null;
  } catch (error) {
    if (t.dialect.missingObject && !t.dialect.missingObject(error)) throw error;
    return error ?? new Error('probe failed');
  }
}
