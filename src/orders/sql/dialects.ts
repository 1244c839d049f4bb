/**
 * The SQL spellings of the databases the order store runs on. Each built-in
 * adapter uses one; the generic adapter (`createSqlOrderStore`) picks one by
 * name, with the placeholder style of your driver or ORM.
 */
import { SiglumeValidationError } from '../../core/errors.js';
import type { SqlDialect } from './dialect.js';

/** Databases with a built-in dialect. */
export type SqlDialectName = 'postgres' | 'mysql' | 'sqlite';

/** How a driver writes the n-th parameter: `$1, $2, ...` (`numbered`) or `?, ?, ...` (`question`). */
export type SqlPlaceholderStyle = 'numbered' | 'question';

const numbered = (index: number) => `$${index}`;
const question = () => '?';
const values = (columns: readonly string[], placeholders: readonly string[]) => `(${columns.join(', ')}) VALUES (${placeholders.join(', ')})`;

/** What the checks below read of one error: its code, number and message, and whether Prisma's P2010 carried it. */
export interface DriverErrorView {
  code?: unknown;
  errno?: unknown;
  message?: unknown;
  prisma?: boolean | undefined;
}

/**
 * The database's own error inside Prisma's raw-query error P2010: `meta.code` / `meta.message` (Prisma 6 and
 * earlier), or the driver adapter's `originalCode` / `originalMessage` (Prisma 7, under
 * `meta.driverAdapterError.cause`); MySQL's is its error number as text. Any other error as it is.
 */
function driverView(e: object): DriverErrorView {
  const { code, errno, message, meta } = e as DriverErrorView & {
    meta?: { code?: unknown; message?: unknown; driverAdapterError?: { cause?: unknown } | null } | null | undefined;
  };
  // Only these fields: an error's own `prisma` (or anything else) never passes for Prisma's.
  const plain = { code, errno, message };
  if (code !== 'P2010' || !meta || typeof meta !== 'object') return plain;
  const original = meta.driverAdapterError?.cause as { originalCode?: unknown; originalMessage?: unknown } | null | undefined;
  const [inner, text] = meta.code !== undefined ? [meta.code, meta.message] : [original?.originalCode, original?.originalMessage];
  if (typeof inner !== 'string' && typeof inner !== 'number') return plain;
  // MySQL's number comes as text ('1062'): it counts as an errno here, and only here.
  const number = /^[0-9]{1,5}$/.test(String(inner)) ? Number(inner) : undefined;
  return { code: String(inner), errno: number, message: text, prisma: true };
}

/**
 * True when `error`, or an error it wraps (`cause`, as ORMs wrap the driver's; at most 4 deep), passes `test`,
 * reading the database's own error inside Prisma's P2010.
 */
function someCause(error: unknown, test: (e: DriverErrorView) => boolean): boolean {
  for (let e = error, depth = 0; e && typeof e === 'object' && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    if (test(driverView(e))) return true;
  }
  return false;
}

/**
 * The database's code of a failed statement (`42P01`, `ER_NO_SUCH_TABLE`, `1146` under Prisma, `SQLITE_ERROR`),
 * from `error` or an error it wraps, or null: never its message.
 */
export function driverErrorCode(error: unknown): string | null {
  let found: string | null = null;
  someCause(error, ({ code }) => {
    if (typeof code === 'string' && /^[A-Za-z0-9_]{1,64}$/.test(code)) found = code;
    return found !== null;
  });
  return found;
}

/** True when `error` or an error it wraps carries an SQLSTATE `code` matching `state`. */
const hasSqlState = (error: unknown, state: RegExp) =>
  someCause(error, ({ code }) => typeof code === 'string' && state.test(code));

/**
 * True when `error`, or an error it wraps, is one of MySQL's `codes` (by name, or by number as `errno` or as
 * the text Prisma's P2010 carries).
 */
const hasMysqlError = (error: unknown, codes: Readonly<Record<string, number>>) => {
  const numbers = Object.values(codes);
  // Own names only (`toString` is no MySQL error); a number only as `errno` (mysql2's, or Prisma's text unwrapped).
  return someCause(error, ({ code, errno }) => (typeof code === 'string' && Object.hasOwn(codes, code)) || numbers.includes(errno as number));
};

/** True when `error`, or an error it wraps, is MySQL's duplicate-key error (1062, `ER_DUP_ENTRY`). */
const isMysqlDuplicateKey = (error: unknown) => hasMysqlError(error, { ER_DUP_ENTRY: 1062 });

// Undefined table, undefined column, insufficient privilege, invalid schema name.
const POSTGRES_MISSING = /^(?:42P01|42703|42501|3F000)$/;
const MYSQL_MISSING = {
  ER_NO_SUCH_TABLE: 1146, ER_BAD_FIELD_ERROR: 1054, ER_TABLEACCESS_DENIED_ERROR: 1142, ER_COLUMNACCESS_DENIED_ERROR: 1143, ER_BAD_DB_ERROR: 1049,
  // A view whose table or column is gone, or that its user may not read through.
  ER_VIEW_INVALID: 1356,
};
// A value the column's character set cannot hold ("💥" for utf8mb3, "注文" for latin1, against the connection's
// utf8mb4): MariaDB and MySQL refuse the comparison (illegal mix of collations, 1267 / 1270 / 1271), MySQL 8 may
// say it cannot convert the string (3988), and a value a column cannot take is an incorrect string value (1366).
const MYSQL_UNFIT_VALUE = {
  ER_CANT_AGGREGATE_2COLLATIONS: 1267, ER_CANT_AGGREGATE_3COLLATIONS: 1270, ER_CANT_AGGREGATE_NCOLLATIONS: 1271,
  ER_TRUNCATED_WRONG_VALUE_FOR_FIELD: 1366, ER_CANNOT_CONVERT_STRING: 3988,
};
// SQLite's code for these is the generic SQLITE_ERROR (1): only its message tells them from a syntax error. Some
// drivers (sqlite3, libSQL) put the code in front of it: "SQLITE_ERROR: no such table: orders".
const SQLITE_MISSING = /(?:^|: )no such (?:table|column)\b/;

/**
 * PostgreSQL 13+ (`pg`: numbered placeholders). Names are quoted in lower
 * case: PostgreSQL folds an unquoted `ownerId` to `ownerid`, so the quoted
 * name is the column your unquoted SQL names.
 */
export const POSTGRES_DIALECT: SqlDialect = Object.freeze({
  name: 'postgres',
  placeholder: numbered,
  insertIgnore: (table: string, columns: readonly string[], placeholders: readonly string[]) =>
    `INSERT INTO ${table} ${values(columns, placeholders)} ON CONFLICT DO NOTHING`,
  quoteIdentifier: (name: string) => `"${name.toLowerCase()}"`,
  lock_rows: ' FOR UPDATE',
  // Bounded waits: a stuck peer turns into a rollback and a redelivery, not a hung request.
  transactionSetup: (ms: number) => [`SET LOCAL lock_timeout = '${Math.trunc(ms)}ms'`],
  timestamp: (d: Date) => d,
  // Class 22, data exception: invalid_text_representation (22P02), numeric_value_out_of_range (22003), ...
  rejectsValue: (error: unknown) => hasSqlState(error, /^22[0-9A-Z]{3}$/),
  missingObject: (error: unknown) => hasSqlState(error, POSTGRES_MISSING),
});

/**
 * MySQL 8 / MariaDB 10.5+ with InnoDB. MySQL has no `ON CONFLICT DO
 * NOTHING`, and `INSERT IGNORE` would also turn a value too long or a NULL
 * into a warning and store a truncated row; so the insert is a plain INSERT
 * and its duplicate-key error (which rolls back that statement only) means
 * "not inserted". `ON DUPLICATE KEY UPDATE` cannot say that: with the
 * found-rows flag (mysql2's default) it counts 1 row either way. The lock wait is a session
 * variable: set it per transaction here only when your connection does not
 * (the built-in adapter sets and restores it around each transaction).
 */
export const MYSQL_DIALECT: SqlDialect = Object.freeze({
  name: 'mysql',
  placeholder: question,
  insertIgnore: (table: string, columns: readonly string[], placeholders: readonly string[]) =>
    `INSERT INTO ${table} ${values(columns, placeholders)}`,
  duplicateKey: isMysqlDuplicateKey,
  // Only for ids from outside: the id of a stored row always fits its column, so an error here is never a
  // misread order.
  rejectsValue: (error: unknown) => hasMysqlError(error, MYSQL_UNFIT_VALUE),
  missingObject: (error: unknown) => hasMysqlError(error, MYSQL_MISSING),
  quoteIdentifier: (name: string) => `\`${name}\``,
  lock_rows: ' FOR UPDATE',
  transactionSetup: (ms: number) => [`SET SESSION innodb_lock_wait_timeout = ${Math.max(1, Math.ceil(ms / 1000))}`],
  timestamp: (d: Date) => d,
});

/**
 * SQLite 3.35+. One writer at a time: the connection begins every transaction
 * IMMEDIATE (the write lock up front), so there are no row locks to ask for;
 * a busy database waits out the connection's busy timeout, then fails.
 * Timestamps are ISO-8601 text, which sorts and compares in time order.
 */
export const SQLITE_DIALECT: SqlDialect = Object.freeze({
  name: 'sqlite',
  placeholder: question,
  insertIgnore: (table: string, columns: readonly string[], placeholders: readonly string[]) =>
    `INSERT INTO ${table} ${values(columns, placeholders)} ON CONFLICT DO NOTHING`,
  // Backticks, not double quotes: some SQLite builds read a double-quoted name that matches no column as a
  // string, so a mistyped mapping would select the text 'ownr' instead of failing.
  quoteIdentifier: (name: string) => `\`${name}\``,
  lock_rows: '',
  transactionSetup: () => [],
  timestamp: (d: Date) => d.toISOString(),
  // better-sqlite3, sqlite3 and libSQL say SQLITE_ERROR, node:sqlite ERR_SQLITE_ERROR; Prisma 6's P2010 carries
  // SQLite's 1, Prisma 7's the driver's SQLITE_ERROR.
  missingObject: (error: unknown) =>
    someCause(error, ({ code, message, prisma }) =>
      (code === 'SQLITE_ERROR' || code === 'ERR_SQLITE_ERROR' || (prisma === true && code === '1')) &&
      typeof message === 'string' &&
      SQLITE_MISSING.test(message)),
});

const DIALECTS: Record<SqlDialectName, SqlDialect> = { postgres: POSTGRES_DIALECT, mysql: MYSQL_DIALECT, sqlite: SQLITE_DIALECT };

/**
 * The built-in dialect `name`, with `placeholders` when your driver writes
 * parameters differently from the database's usual driver (Knex and Prisma's
 * MySQL use `?`; on PostgreSQL, Knex also wants `?`).
 *
 * @throws {SiglumeValidationError} for an unknown name or placeholder style.
 * @example
 * const dialect = sqlDialect('postgres', { placeholders: 'question' }); // Knex on PostgreSQL
 */
export function sqlDialect(name: SqlDialectName, options: { placeholders?: SqlPlaceholderStyle } = {}): SqlDialect {
  const base = (DIALECTS as Record<string, SqlDialect | undefined>)[name as string];
  if (!base) throw new SiglumeValidationError('dialect', `Invalid dialect: must be one of ${Object.keys(DIALECTS).join(', ')}`);
  const style = options.placeholders;
  if (style === undefined) return base;
  if (style !== 'numbered' && style !== 'question') {
    throw new SiglumeValidationError('placeholders', "Invalid placeholders: must be 'numbered' or 'question'");
  }
  return Object.freeze({ ...base, placeholder: style === 'numbered' ? numbered : question });
}
