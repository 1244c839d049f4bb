/**
 * The start-up check of the SQL store, statement by statement (the real
 * databases run it in conformance/check-tables.test.ts): it only reads
 * (plain SELECTs, no row lock, no transaction); a database that cannot be
 * reached is the driver's error, not a "missing table"; no driver message
 * (which may carry a connection string) reaches a problem; and a store of
 * one's own without `checkTables` is reported `not_checked`.
 */
import { readFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import type { OrderStore } from '../../../src/orders/index.js';
import { createSqlOrderStore, MYSQL_DIALECT, POSTGRES_DIALECT, SqlOrderStore, SQLITE_DIALECT } from '../../../src/orders/sql/index.js';
import { driverErrorCode } from '../../../src/orders/sql/dialects.js';
import { SQL_PAYMENT_TABLE_COLUMNS } from '../../../src/orders/sql/check-tables.js';
import { sqliteConnection } from '../../../src/orders/sqlite/connection.js';
import { offlineServiceOver } from '../support/offline-service.js';
import { applySqliteSchema, sqliteSchemaSql } from '../support/sqlite.js';


describe('SqlOrderStore.checkTables', () => {
  it('only reads: plain SELECTs outside any transaction, none locking, whether it finds problems or not', async () => {
    const db = new Database(':memory:');
    applySqliteSchema(db, sqliteSchemaSql('siglume-payments'));
    applySqliteSchema(db, sqliteSchemaSql('orders'));
    const inner = sqliteConnection(db);
    const statements: string[] = [];
    let transactions = 0;
    const connection = {
      query: (sql: string, params: readonly unknown[]) => (statements.push(sql), inner.query(sql, params)),
      transaction: <T>(fn: Parameters<typeof inner.transaction<T>>[0], setup?: readonly string[]) => (transactions++, inner.transaction(fn, setup)),
    };
    expect(await new SqlOrderStore(connection, SQLITE_DIALECT, { orders: { paid_at_column: 'paid_at' } }).checkTables()).toEqual([]);
    const problems = await new SqlOrderStore(connection, SQLITE_DIALECT, { orders: { currency_column: 'curency' } }).checkTables();
    expect(problems.map((p) => p.field)).toEqual(['orders.currency_column']);
    expect(statements.length).toBeGreaterThan(5);
    for (const sql of statements) {
      expect(sql).toMatch(/^SELECT /);
      expect(sql).not.toMatch(/FOR UPDATE|FOR SHARE|LOCK/i);
    }
    expect(transactions).toBe(0);
    db.close();
  });

  it('throws the driver\'s error when the database cannot be reached, rather than reporting every table missing', async () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    const store = createSqlOrderStore({
      dialect: 'postgres',
      query: async () => {
        throw refused;
      },
      transaction: async () => {
        throw refused;
      },
    });
    await expect(store.checkTables()).rejects.toBe(refused);
    await expect(offlineServiceOver(store).assertStoreReady()).rejects.toBe(refused);
  });

  it('keeps the driver\'s message out of every problem: only its code is kept', async () => {
    const secret = 'postgres://shop:hunter2@db.internal/shop';
    const store = createSqlOrderStore({
      dialect: 'postgres',
      query: async (sql) => {
        if (sql === 'SELECT 1' || !sql.includes('"orders"')) return { rows: [], affected_rows: 0 };
        throw Object.assign(new Error(`relation "orders" does not exist (${secret})`), { code: '42P01', detail: secret });
      },
      transaction: async (work) => work(async () => ({ rows: [], affected_rows: 0 })),
    });
    const problems = await store.checkTables();
    expect(problems).toEqual([expect.objectContaining({ code: 'orders_table_unreadable', field: 'orders.table', driver_code: '42P01' })]);
    expect(JSON.stringify(problems)).not.toContain('hunter2');
    const error = await offlineServiceOver(store).assertStoreReady().then(() => null, (e: unknown) => e as Error);
    expect(error?.message).toContain('orders.table');
    expect(error?.message).not.toContain('hunter2');
  });
});

describe('checkTables and a database failing briefly during the check', () => {
  /** A generic PostgreSQL store whose statements succeed but for those `fail` throws for (by position, 1-based). */
  function flaky(fail: (n: number) => unknown) {
    let n = 0;
    return createSqlOrderStore({
      dialect: 'postgres',
      query: async () => {
        const error = fail(++n);
        if (error !== undefined) throw error;
        return { rows: [], affected_rows: 0 };
      },
      transaction: async (work) => work(async () => ({ rows: [], affected_rows: 0 })),
    });
  }

  it('throws the driver\'s error, reporting no problem, when probes fail with ECONNRESET then 53300 and the database is back', async () => {
    const reset = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
    const tooMany = Object.assign(new Error('sorry, too many clients already'), { code: '53300' });
    const store = flaky((n) => (n === 2 ? reset : n === 3 ? tooMany : undefined));
    const thrown = await store.checkTables().then(() => null, (e: unknown) => e);
    expect([reset, tooMany]).toContain(thrown);
    const service = offlineServiceOver(flaky((n) => (n === 2 ? reset : n === 3 ? tooMany : undefined)));
    const error = await service.assertStoreReady().then(() => null, (e: unknown) => e);
    expect((error as { code?: unknown } | null)?.code).not.toBe('ORDER_STORE_MISCONFIGURED');
  });

  it('throws a cancelled statement, a lock wait or a busy database on the probes of any dialect, rather than blaming the mapping', async () => {
    const cases: Array<['postgres' | 'mysql' | 'sqlite', Record<string, unknown>]> = [
      ['postgres', { code: '57014' }], ['postgres', { code: '55P03' }], ['postgres', { code: '40001' }],
      ['mysql', { code: 'ER_LOCK_WAIT_TIMEOUT', errno: 1205 }], ['mysql', { code: 'PROTOCOL_CONNECTION_LOST' }],
      ['sqlite', { code: 'SQLITE_BUSY' }], ['sqlite', { code: 'SQLITE_ERROR', message: 'disk I/O error' }],
    ];
    for (const [dialect, fields] of cases) {
      const error = Object.assign(new Error('the probe failed'), fields);
      let n = 0;
      const store = createSqlOrderStore({
        dialect,
        // The first two probes of the orders table fail (all columns, then the table alone); the rest run.
        query: async () => {
          n++;
          if (n === 2 || n === 3) throw error;
          return { rows: [], affected_rows: 0 };
        },
        transaction: async (work) => work(async () => ({ rows: [], affected_rows: 0 })),
      });
      await expect(store.checkTables(), `${dialect} ${JSON.stringify(fields)}`).rejects.toBe(error);
    }
  });

  it('counts as missing only what the database says is not there or not readable, per dialect', () => {
    const e = (fields: Record<string, unknown>, message = 'x') => Object.assign(new Error(message), fields);
    const wrapped = (inner: Error) => new Error('query failed', { cause: inner });
    const { missingObject: pg } = POSTGRES_DIALECT;
    const { missingObject: my } = MYSQL_DIALECT;
    const { missingObject: lite } = SQLITE_DIALECT;
    for (const code of ['42P01', '42703', '42501', '3F000']) expect(pg!(wrapped(e({ code }))), code).toBe(true);
    for (const code of ['53300', '57014', '40001', '55P03', 'ECONNRESET', '42601']) expect(pg!(e({ code })), code).toBe(false);
    expect(my!(e({ code: 'ER_BAD_FIELD_ERROR', errno: 1054 }))).toBe(true);
    expect(my!(e({ code: 'P2010', meta: { code: '1146' } }))).toBe(true);
    expect(my!(e({ code: 'ER_LOCK_WAIT_TIMEOUT', errno: 1205 }))).toBe(false);
    expect(my!(e({ code: 'ER_CON_COUNT_ERROR', errno: 1040 }))).toBe(false);
    expect(lite!(e({ code: 'SQLITE_ERROR' }, 'no such column: ownr'))).toBe(true);
    expect(lite!(e({ code: 'SQLITE_ERROR' }, 'near "FROM": syntax error'))).toBe(false);
    expect(lite!(e({ code: 'SQLITE_BUSY' }, 'no such table: orders'))).toBe(false);
  });

  it('reads the database\'s error inside Prisma 7\'s P2010 (meta.driverAdapterError.cause), a driver\'s "SQLITE_ERROR: " prefix, and MariaDB\'s invalid view', () => {
    /** As Prisma 7's `$queryRawUnsafe` rejects through a driver adapter: no meta.code, the original under driverAdapterError. */
    const prisma7 = (originalCode: string, originalMessage: string) =>
      Object.assign(new Error(`Raw query failed. Code: \`${originalCode}\``), {
        name: 'PrismaClientKnownRequestError',
        code: 'P2010',
        clientVersion: '7.10.0',
        meta: {
          modelName: undefined,
          driverAdapterError: Object.assign(new Error('DriverAdapterError'), {
            name: 'DriverAdapterError',
            cause: { originalCode, originalMessage, kind: 'postgres' },
          }),
        },
      });
    expect(POSTGRES_DIALECT.missingObject!(prisma7('42P01', 'relation "orders" does not exist'))).toBe(true);
    expect(POSTGRES_DIALECT.missingObject!(prisma7('53300', 'sorry, too many clients already'))).toBe(false);
    expect(MYSQL_DIALECT.missingObject!(prisma7('1146', "Table 'test.orders' doesn't exist"))).toBe(true);
    expect(MYSQL_DIALECT.missingObject!(prisma7('1205', 'Lock wait timeout exceeded'))).toBe(false);
    expect(MYSQL_DIALECT.duplicateKey!(prisma7('1062', "Duplicate entry 'evt_1' for key 'PRIMARY'"))).toBe(true);
    expect(SQLITE_DIALECT.missingObject!(prisma7('SQLITE_ERROR', 'no such table: orders'))).toBe(true);
    expect(SQLITE_DIALECT.missingObject!(Object.assign(new Error('SQLITE_ERROR: no such column: ownr'), { code: 'SQLITE_ERROR', errno: 1 }))).toBe(true);
    expect(SQLITE_DIALECT.missingObject!(Object.assign(new Error('SQLITE_ERROR: near "FROM": syntax error'), { code: 'SQLITE_ERROR' }))).toBe(false);
    expect(MYSQL_DIALECT.missingObject!(Object.assign(new Error('View references invalid table(s)'), { code: 'ER_VIEW_INVALID', errno: 1356 }))).toBe(true);
  });

  it('reads a bare number, an inherited name or a SQLite "1" as a database code only when Prisma\'s P2010 carried it', () => {
    const plain = (fields: Record<string, unknown>, message = 'x') => Object.assign(new Error(message), fields);
    const prisma6 = (code: unknown, message = 'x') => plain({ code: 'P2010', meta: { code, message } });
    // The exactly-once path: only MySQL's own duplicate key is one.
    for (const code of ['1062', 'toString', 'constructor', '__proto__']) expect(MYSQL_DIALECT.duplicateKey!(plain({ code })), code).toBe(false);
    expect(MYSQL_DIALECT.duplicateKey!(plain({ code: 'ER_DUP_ENTRY', errno: 1062 }))).toBe(true);
    expect(MYSQL_DIALECT.duplicateKey!(prisma6('1062'))).toBe(true);
    expect(MYSQL_DIALECT.missingObject!(plain({ code: '1146' }))).toBe(false);
    expect(MYSQL_DIALECT.missingObject!(prisma6('1146'))).toBe(true);
    expect(SQLITE_DIALECT.missingObject!(plain({ code: '1' }, 'no such table: orders'))).toBe(false);
    expect(SQLITE_DIALECT.missingObject!(prisma6('1', 'no such table: orders'))).toBe(true);
    expect(POSTGRES_DIALECT.rejectsValue!(prisma6('22P02'))).toBe(true);
    expect(POSTGRES_DIALECT.rejectsValue!(prisma6(null))).toBe(false);
    // driver_code: the database's code when Prisma carried one, else P2010 itself, never the text "null".
    expect(driverErrorCode(prisma6('42P01'))).toBe('42P01');
    expect(driverErrorCode(prisma6(null))).toBe('P2010');
  });

  it('throws a P2010 that carries no database code (meta.code null) as it is, rather than guessing a missing table', async () => {
    const store = createSqlOrderStore({
      dialect: 'postgres',
      query: async (sql) => {
        if (sql === 'SELECT 1' || !sql.includes('"orders"')) return { rows: [], affected_rows: 0 };
        throw Object.assign(new Error('Raw query failed.'), { code: 'P2010', meta: { code: null, message: null } });
      },
      transaction: async (work) => work(async () => ({ rows: [], affected_rows: 0 })),
    });
    // Without the database's code the dialect cannot tell a missing table: the failure is thrown as it is.
    await expect(store.checkTables()).rejects.toMatchObject({ code: 'P2010' });
  });

  it('reports a table missing under Prisma 7 as a problem with the SQLSTATE as driver_code, not as a failure of the database', async () => {
    const store = createSqlOrderStore({
      dialect: 'postgres',
      query: async (sql) => {
        if (sql === 'SELECT 1' || !sql.includes('"orders"')) return { rows: [], affected_rows: 0 };
        const cause = { originalCode: '42P01', originalMessage: 'relation "orders" does not exist', kind: 'postgres' };
        throw Object.assign(new Error('Raw query failed. Code: `42P01`.'), {
          code: 'P2010',
          meta: { driverAdapterError: Object.assign(new Error('DriverAdapterError'), { name: 'DriverAdapterError', cause }) },
        });
      },
      transaction: async (work) => work(async () => ({ rows: [], affected_rows: 0 })),
    });
    expect(await store.checkTables()).toEqual([
      expect.objectContaining({ code: 'orders_table_unreadable', field: 'orders.table', driver_code: '42P01' }),
    ]);
  });

  it('reports a missing table that Prisma wraps (P2010 with meta.code 42P01) with the SQLSTATE as driver_code', async () => {
    const store = createSqlOrderStore({
      dialect: 'postgres',
      query: async (sql) => {
        if (sql === 'SELECT 1' || !sql.includes('"orders"')) return { rows: [], affected_rows: 0 };
        throw Object.assign(new Error('Raw query failed. Code: `42P01`.'), { code: 'P2010', meta: { code: '42P01', message: 'relation does not exist' } });
      },
      transaction: async (work) => work(async () => ({ rows: [], affected_rows: 0 })),
    });
    expect(await store.checkTables()).toEqual([
      expect.objectContaining({ code: 'orders_table_unreadable', field: 'orders.table', driver_code: '42P01' }),
    ]);
  });
});

describe('the service\'s checkStore over a store without checkTables', () => {
  it('reports not_checked, and assertStoreReady does not throw', async () => {
    const sqlite = new Database(':memory:');
    const full = new SqlOrderStore(sqliteConnection(sqlite), SQLITE_DIALECT);
    // A store of one's own: the OrderStore methods, no checkTables.
    const own: OrderStore = {
      findOrder: (id) => full.findOrder(id),
      beginCheckoutAttempt: (id, policy) => full.beginCheckoutAttempt(id, policy),
      markCheckoutPending: (attempt, session) => full.markCheckoutPending(attempt, session),
      markCheckoutFailed: (attempt, message) => full.markCheckoutFailed(attempt, message),
      previewWebhookEvent: (event_id, hash) => full.previewWebhookEvent(event_id, hash),
      processWebhookEvent: (event, work) => full.processWebhookEvent(event, work),
      listUnpaidCheckoutAttempts: (query) => full.listUnpaidCheckoutAttempts(query),
      retireCheckoutAttempt: (id) => full.retireCheckoutAttempt(id),
    };
    expect(await offlineServiceOver(own).checkStore()).toEqual({ status: 'not_checked', problems: [] });
    expect(await offlineServiceOver(own).assertStoreReady()).toEqual({ status: 'not_checked', problems: [] });
    // The same empty database through the SQL store: every table is reported.
    expect((await offlineServiceOver(full).checkStore()).problems.map((p) => p.table)).toEqual([
      'orders', 'siglume_checkout_attempts', 'siglume_webhook_events', 'siglume_payment_reviews', 'siglume_settlement_batches',
    ]);
    sqlite.close();
  });
});

describe('the fix checkTables gives for a missing payment table', () => {
  it('is to run the whole migration (tables and the unique indexes exactly-once relies on), never to create a table by hand', async () => {
    const db = new Database(':memory:');
    applySqliteSchema(db, sqliteSchemaSql('orders'));
    const problems = await new SqlOrderStore(sqliteConnection(db), SQLITE_DIALECT).checkTables();
    expect(problems.map((p) => p.code)).toEqual(Array(4).fill('payment_table_unreadable'));
    for (const { fix } of problems) {
      expect(fix).toMatch(/^Run the whole migration siglume-payments\.sqlite\.sql /);
      expect(fix).toContain('unique indexes');
      expect(fix).not.toMatch(/create the missing table/i);
    }
    db.close();
  });
});

describe('the fix checkTables gives for missing payment tables on PostgreSQL without a schema option', () => {
  it('names the schema option first: run in a schema of its own, the migration would otherwise be run a second time', async () => {
    // Every payment table answers "relation does not exist" (42P01); the orders table is there.
    const db = {
      query: async (sql: string) => {
        if (sql === 'SELECT 1' || sql.includes('"orders"')) return [];
        throw Object.assign(new Error('relation does not exist'), { code: '42P01' });
      },
      transaction: async () => {
        throw new Error('not used');
      },
    };
    const problems = await new SqlOrderStore(db as never, POSTGRES_DIALECT).checkTables();
    expect(problems.map((p) => p.code)).toEqual(Array(4).fill('payment_table_unreadable'));
    for (const { fix } of problems) {
      expect(fix).toMatch(/^If you ran the migration in a schema of its own, give the store that schema \(its schema option\) instead; otherwise run the whole migration siglume-payments\.postgres\.sql /);
    }
  });
});

describe('the fix checkTables gives when only some payment tables are missing', () => {
  it('is to create the missing one from the migration (which cannot run whole over the others), indexes included, or to grant access', async () => {
    const db = new Database(':memory:');
    applySqliteSchema(db, sqliteSchemaSql('orders'));
    applySqliteSchema(db, sqliteSchemaSql('siglume-payments'));
    db.exec('DROP TABLE siglume_payment_reviews');
    // The fix the whole-migration text gave cannot be followed: the migration stops at a table that exists.
    expect(() => applySqliteSchema(db, sqliteSchemaSql('siglume-payments'))).toThrow(/already exists/);
    const problems = await new SqlOrderStore(sqliteConnection(db), SQLITE_DIALECT).checkTables();
    expect(problems).toEqual([expect.objectContaining({ code: 'payment_table_unreadable', table: 'siglume_payment_reviews' })]);
    expect(problems[0]!.fix).not.toContain('Run the whole migration');
    expect(problems[0]!.fix).toContain('create siglume_payment_reviews with its CREATE TABLE and CREATE UNIQUE INDEX statements from siglume-payments.sqlite.sql');
    expect(problems[0]!.fix).toContain('grant');
    db.close();
  });
});

describe('the columns checkTables probes in the payment tables', () => {
  /** Columns of each CREATE TABLE of a migration (MySQL's are created as <name>__sdrp_new, then renamed). */
  function migrationColumns(database: 'postgres' | 'mysql' | 'sqlite'): Record<string, string[]> {
    const text = readFileSync(new URL(`../../../templates/schema/${database}/siglume-payments.sql`, import.meta.url), 'utf8');
    const tables: Record<string, string[]> = {};
    let current: string[] | null = null;
    for (const line of text.split('\n')) {
      const create = /^CREATE TABLE (siglume_[a-z_]+?)(?:__sdrp_new)? \($/.exec(line);
      if (create) tables[create[1]!] = current = [];
      else if (current && /^\)/.test(line)) current = null;
      else if (current) {
        const column = /^\s+([a-z_]+)\s/.exec(line)?.[1];
        if (column) current.push(column);
      }
    }
    return tables;
  }

  it('are every column of each migration\'s tables, but for those the store never reads or writes', () => {
    // resolved_at is for the person resolving a review; MySQL's generated columns back its partial unique keys.
    const unused = new Set(['resolved_at', 'active_order_id', 'paid_order_id']);
    for (const database of ['postgres', 'mysql', 'sqlite'] as const) {
      const tables = migrationColumns(database);
      expect(Object.keys(tables).sort(), database).toEqual(Object.keys(SQL_PAYMENT_TABLE_COLUMNS).sort());
      for (const [table, columns] of Object.entries(tables)) {
        expect([...SQL_PAYMENT_TABLE_COLUMNS[table]!].sort(), `${database} ${table}`).toEqual(columns.filter((c) => !unused.has(c)).sort());
      }
    }
  });
});
