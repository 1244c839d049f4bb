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

/**
 * Text columns of the payment tables that an earlier version of a migration made narrower than what the store
 * writes into them, in characters: MySQL's `settled_at` was VARCHAR(64) (0.6.0), and a longer one failed the
 * batch's webhook on every delivery (data too long). `checkTables` compares them where the database gives a width.
 */
export const SQL_PAYMENT_COLUMN_MIN_LENGTH: Readonly<Record<string, Readonly<Record<string, number>>>> = Object.freeze({
  siglume_settlement_batches: { settled_at: 256 },
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
  // A column that selects may still hold the wrong thing: an amount with decimals is read as minor units.
  if (!problems.some((p) => p.code === 'orders_table_unreadable' || p.field === 'orders.amount_column')) {
    problems.push(...(await amountTypeProblems(t)));
  }
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
  for (const [name, widths] of Object.entries(SQL_PAYMENT_COLUMN_MIN_LENGTH)) {
    const table = t.schema === '' ? name : `${t.schema}.${name}`;
    if (payment.some((p) => p.table === table)) continue;
    payment.push(...(await narrowColumnProblems(t, table, widths, migration)));
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

/** A column's type as the database describes it: `type` lower case (`numeric`, `double precision`, `varchar`, `real`). */
interface ColumnType {
  type: string;
  /** As declared, for messages: `numeric(12,2)`, `decimal(12,2)`, `REAL`. */
  declared: string;
  /** Digits after the decimal point of a NUMERIC / DECIMAL, null for other types or none declared. */
  scale: number | null;
  /** Characters a VARCHAR / CHAR holds (PostgreSQL and MySQL), null for no limit or where it is not enforced (SQLite). */
  length: number | null;
  /** SQLite only: the column's type affinity, by SQLite's rules for a declared type. */
  affinity?: 'integer' | 'text' | 'blob' | 'real' | 'numeric';
}

/** SQLite's affinity of a declared type (its documented rules, in their order): what a value written to it becomes. */
function sqliteAffinity(declared: string): NonNullable<ColumnType['affinity']> {
  const t = declared.toUpperCase();
  if (t.includes('INT')) return 'integer';
  if (/CHAR|CLOB|TEXT/.test(t)) return 'text';
  if (t.includes('BLOB') || t === '') return 'blob';
  if (/REAL|FLOA|DOUB/.test(t)) return 'real';
  return 'numeric';
}

const nullableNumber = (v: unknown) => (v === null || v === undefined || v === '' ? null : Number(v));

/**
 * The types of `table`'s columns, by lower-cased name, where the dialect can tell them: PostgreSQL and MySQL
 * through information_schema.columns (of the table the name resolves to: PostgreSQL's search_path by
 * `to_regclass`, MySQL's current database unless qualified), SQLite through the declared types of
 * `pragma_table_info`. Null for another dialect, or when the database user may not read them. Read only.
 */
async function columnTypes(t: SqlTableCheckTarget, table: string): Promise<Map<string, ColumnType> | null> {
  const p = (i: number) => t.dialect.placeholder(i);
  const parts = table.split('.');
  const [schema, name] = parts.length === 2 ? [parts[0]!, parts[1]!] : [null, table];
  let sql: string;
  let params: unknown[];
  switch (t.dialect.name) {
    case 'postgres':
      sql = `SELECT c.column_name AS name, c.data_type AS type, c.numeric_precision AS num_precision, c.numeric_scale AS scale,
                    c.character_maximum_length AS length
               FROM information_schema.columns c
               JOIN pg_catalog.pg_class r ON r.relname = c.table_name
               JOIN pg_catalog.pg_namespace n ON n.oid = r.relnamespace AND n.nspname = c.table_schema
              WHERE r.oid = to_regclass(${p(1)})`;
      params = [t.quote(table)];
      break;
    case 'mysql':
      sql = `SELECT column_name AS name, data_type AS type, column_type AS declared, numeric_scale AS scale,
                    character_maximum_length AS length
               FROM information_schema.columns WHERE table_schema = COALESCE(${p(1)}, DATABASE()) AND table_name = ${p(2)}`;
      params = [schema, name];
      break;
    case 'sqlite':
      sql = `SELECT name, type AS declared FROM pragma_table_info(${p(1)}${schema === null ? '' : `, ${p(2)}`})`;
      params = schema === null ? [name] : [name, schema];
      break;
    default:
      return null;
  }
  let rows: Array<Record<string, unknown>>;
  try {
    rows = (await t.db.query(sql, params)).rows;
  } catch (error) {
    if (t.dialect.missingObject?.(error)) return null;
    throw error;
  }
  const types = new Map<string, ColumnType>();
  for (const row of rows) {
    const column = String(row.name ?? '').toLowerCase();
    if (t.dialect.name === 'sqlite') {
      // SQLite keeps the type as written: NUMERIC(12,2), DOUBLE PRECISION, REAL, INTEGER, or nothing.
      const declared = String(row.declared ?? '').trim();
      const m = /^([A-Za-z ]*?)\s*(?:\(\s*([0-9]+)\s*(?:,\s*([0-9]+)\s*)?\))?$/.exec(declared);
      // NUMERIC(12) is NUMERIC(12,0); NUMERIC alone has no scale.
      const scale = m?.[3] !== undefined ? nullableNumber(m[3]) : m?.[2] !== undefined ? 0 : null;
      const shown = declared === '' ? 'untyped' : declared;
      types.set(column, { type: (m?.[1] ?? declared).toLowerCase(), declared: shown, scale, length: null, affinity: sqliteAffinity(declared) });
      continue;
    }
    const type = String(row.type ?? '').toLowerCase();
    const scale = nullableNumber(row.scale);
    const length = nullableNumber(row.length);
    const declared = row.declared !== undefined
      ? String(row.declared)
      : type === 'numeric' && row.num_precision !== null && row.num_precision !== undefined
        ? `numeric(${String(row.num_precision)},${String(scale ?? 0)})`
        : length !== null ? `${type}(${length})` : type;
    types.set(column, { type, declared, scale, length });
  }
  return types;
}

/** Types that read back with a fraction: never integer minor units by construction. */
const FRACTIONAL = new Set(['real', 'float', 'double', 'double precision']);

/**
 * Why `c` cannot be trusted to hold integer minor units, or null. A text column is not refused here: one holding
 * integer cents ("50000") works, and a value with a point in it ("500.00") is refused when it is read.
 */
function notMinorUnits(c: ColumnType): string | null {
  if ((c.type === 'numeric' || c.type === 'decimal') && c.scale !== null && c.scale > 0) {
    return `a decimal type with ${c.scale} digit${c.scale === 1 ? '' : 's'} after the point`;
  }
  if (FRACTIONAL.has(c.type) || c.affinity === 'real') return 'a floating-point type';
  // SQLite turns 500.00 written to such a column into the integer 500, which no read can tell from 500 cents (the
  // type Django's DecimalField and Rails' decimal declare there). NUMERIC(12,0) / NUMERIC(12) say whole numbers.
  if (c.affinity === 'numeric' && c.scale === null) return 'of NUMERIC affinity in SQLite, which keeps 500.00 as the integer 500';
  if (c.affinity === 'blob') return 'of BLOB affinity in SQLite, which keeps 500.00 as the number 500';
  return null;
}

/** A problem when the database says the mapped amount column has a type that does not hold integer minor units. */
async function amountTypeProblems(t: SqlTableCheckTarget): Promise<OrderStoreProblem[]> {
  const o = t.orders;
  const c = (await columnTypes(t, o.table))?.get(o.amount.toLowerCase());
  const why = c && notMinorUnits(c);
  if (!c || !why) return [];
  return [{
    code: 'orders_column_type', field: 'orders.amount_column', table: o.table, column: o.amount, driver_code: null,
    message: `The orders table ${o.table}'s column ${o.amount} (orders.amount_column) is ${c.declared}, ${why}: the store reads ` +
      'amounts as integer minor units, so a price of 500.00 USD would be charged as 500 cents (5.00 USD)',
    fix: `Map orders.amount_column to a column holding the price in integer minor units (JPY yen, USD cents: 500.00 USD is 50000), ` +
      `of an integer type (bigint), e.g. a generated column derived from ${o.amount} (USD: ${o.amount} * 100; yen have no fraction)`,
  }];
}

/** A problem for each column of `widths` the database says holds fewer characters than the store writes into it. */
async function narrowColumnProblems(
  t: SqlTableCheckTarget, table: string, widths: Readonly<Record<string, number>>, migration: string,
): Promise<OrderStoreProblem[]> {
  const types = await columnTypes(t, table);
  const problems: OrderStoreProblem[] = [];
  for (const [column, width] of Object.entries(widths)) {
    const length = types?.get(column)?.length ?? null;
    if (length === null || length >= width) continue;
    const widen = t.dialect.name === 'mysql' ? `: ALTER TABLE ${table} MODIFY ${column} VARCHAR(${width}) NULL` : ` as ${migration} declares it`;
    problems.push({
      code: 'payment_column_type', field: null, table, column, driver_code: null,
      message: `The payment table ${table}'s column ${column} holds at most ${length} characters, where the store writes up to ${width}: ` +
        'it was made by an earlier version of the migration, and a longer value fails the webhook on every delivery',
      fix: `Widen it to ${width} characters (no data changes)${widen}`,
    });
  }
  return problems;
}
