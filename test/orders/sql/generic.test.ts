/**
 * The generic SQL adapter's options and the built-in dialects: a wrong
 * option is a SiglumeValidationError naming it when the store is made (at
 * startup), and the SQL each dialect writes is the SQL its database accepts.
 * (Drizzle and Kysely run the whole conformance suite through it:
 * test/orders/support/drizzle.ts, kysely.ts.)
 */
import { describe, expect, it } from 'vitest';
import { SiglumeValidationError } from '../../../src/core/errors.js';
import pg from 'pg';
import { MysqlOrderStore } from '../../../src/orders/mysql/index.js';
import { PostgresOrderStore } from '../../../src/orders/postgres/index.js';
import { MYSQL_DIALECT, POSTGRES_DIALECT, SQLITE_DIALECT, createSqlOrderStore, sqlDialect, type SqlQueryFunction } from '../../../src/orders/sql/index.js';
import { SqliteOrderStore } from '../../../src/orders/sqlite/index.js';

const query: SqlQueryFunction = async () => ({ rows: [], affected_rows: 0 });

describe('createSqlOrderStore', () => {
  it('names the missing function or the unknown dialect', () => {
    const cases: Array<[unknown, string]> = [
      [{ dialect: 'postgres', transaction: async () => undefined }, 'query'],
      [{ dialect: 'postgres', query }, 'transaction'],
      [{ dialect: 'oracle', query, transaction: async () => undefined }, 'dialect'],
      [{ dialect: 'postgres', placeholders: 'colon', query, transaction: async () => undefined }, 'placeholders'],
      [{ dialect: {}, query, transaction: async () => undefined }, 'dialect'],
    ];
    for (const [options, field] of cases) {
      expect(() => createSqlOrderStore(options as Parameters<typeof createSqlOrderStore>[0]), field).toThrow(SiglumeValidationError);
      expect(() => createSqlOrderStore(options as Parameters<typeof createSqlOrderStore>[0])).toThrow(expect.objectContaining({ field }));
    }
  });

  it('runs the dialect\'s setup first in each webhook transaction, and every statement through the transaction\'s query', async () => {
    const seen: string[] = [];
    const store = createSqlOrderStore({
      dialect: 'postgres',
      placeholders: 'question',
      lock_timeout_ms: 2500,
      query,
      transaction: async (work) => work(async (sql) => {
        seen.push(sql);
        return { rows: [], affected_rows: sql.startsWith('INSERT') ? 1 : 0 };
      }),
    });
    await store.processWebhookEvent({ event_id: 'evt_1', event_type: 'x' }, async () => ({ outcome: 'ignored:test', result: null }));
    expect(seen[0]).toBe("SET LOCAL lock_timeout = '2500ms'");
    expect(seen[1]).toMatch(/^INSERT INTO "siglume_webhook_events" \(event_id, event_type, received_at\) VALUES \(\?, \?, \?\) ON CONFLICT DO NOTHING$/);
    expect(seen[2]).toBe('UPDATE "siglume_webhook_events" SET outcome = ? WHERE event_id = ?');
  });
});

describe('the built-in dialects', () => {
  it('write each database\'s insert-or-ignore, row locks and placeholders', () => {
    const cols = ['a', 'b'];
    expect(POSTGRES_DIALECT.insertIgnore('t', cols, ['$1', '$2'])).toBe('INSERT INTO t (a, b) VALUES ($1, $2) ON CONFLICT DO NOTHING');
    expect(MYSQL_DIALECT.insertIgnore('t', cols, ['?', '?'])).toBe('INSERT INTO t (a, b) VALUES (?, ?)');
    expect(SQLITE_DIALECT.insertIgnore('t', cols, ['?', '?'])).toBe('INSERT INTO t (a, b) VALUES (?, ?) ON CONFLICT DO NOTHING');
    expect(['ownerId', 'user'].map((n) => [POSTGRES_DIALECT, MYSQL_DIALECT, SQLITE_DIALECT].map((d) => d.quoteIdentifier!(n)))).toEqual([
      ['"ownerid"', '`ownerId`', '`ownerId`'],
      ['"user"', '`user`', '`user`'],
    ]);
    expect([POSTGRES_DIALECT.lock_rows, MYSQL_DIALECT.lock_rows, SQLITE_DIALECT.lock_rows]).toEqual([' FOR UPDATE', ' FOR UPDATE', '']);
    expect(MYSQL_DIALECT.transactionSetup(1500)).toEqual(['SET SESSION innodb_lock_wait_timeout = 2']);
    expect(SQLITE_DIALECT.timestamp(new Date(0))).toBe('1970-01-01T00:00:00.000Z');
    expect(sqlDialect('postgres', { placeholders: 'question' }).placeholder(3)).toBe('?');
    expect(sqlDialect('mysql', { placeholders: 'numbered' }).placeholder(3)).toBe('$3');
    expect(sqlDialect('sqlite')).toBe(SQLITE_DIALECT);
  });
});

describe('the MySQL and SQLite stores', () => {
  it('refuse something that is not a driver object, naming the option', () => {
    expect(() => new MysqlOrderStore({ pool: {} as never })).toThrow(expect.objectContaining({ field: 'pool' }));
    expect(() => new SqliteOrderStore({ database: { prepare: 1 } as never })).toThrow(expect.objectContaining({ field: 'database' }));
  });

  it('refuse a pg.Client as the PostgreSQL pool (its transactions would interleave on one connection), and take a pg.Pool', async () => {
    const client = new pg.Client({ connectionString: 'postgres://127.0.0.1:1/none' });
    const error = (() => {
      try {
        return new PostgresOrderStore({ pool: client as never });
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(SiglumeValidationError);
    expect(error).toMatchObject({ field: 'pool' });
    expect((error as Error).message).toContain('must be a pg.Pool, not a pg.Client: the store runs transactions concurrently, each on its own pooled connection');
    const pool = new pg.Pool({ connectionString: 'postgres://127.0.0.1:1/none' });
    expect(new PostgresOrderStore({ pool })).toBeInstanceOf(PostgresOrderStore);
    // A pool that extends pg's (as @neondatabase/serverless's does) is a pool.
    class ExtendedPool extends pg.Pool {}
    expect(new PostgresOrderStore({ pool: new ExtendedPool({ connectionString: 'postgres://127.0.0.1:1/none' }) })).toBeInstanceOf(PostgresOrderStore);
    await pool.end();
  });
});

describe('the PostgreSQL dialect\'s rejectsValue', () => {
  it('recognises a data exception (class 22) from the driver, also wrapped by an ORM, and nothing else', () => {
    const rejects = POSTGRES_DIALECT.rejectsValue!;
    expect(rejects(Object.assign(new Error('invalid input syntax for type integer: "abc"'), { code: '22P02' }))).toBe(true);
    expect(rejects(new Error('query failed', { cause: Object.assign(new Error('out of range'), { code: '22003' }) }))).toBe(true);
    expect(rejects(Object.assign(new Error('P2010 raw query failed'), { code: 'P2010', cause: Object.assign(new Error('x'), { code: '22P02' }) }))).toBe(true);
    expect(rejects(Object.assign(new Error('connection refused'), { code: 'ECONNREFUSED' }))).toBe(false);
    expect(rejects(Object.assign(new Error('lock timeout'), { code: '55P03' }))).toBe(false);
  });
});

describe('the MySQL dialect\'s rejectsValue', () => {
  it('recognises a value the column\'s character set cannot hold (mysql2, Prisma 6 and 7), and nothing else', () => {
    const rejects = MYSQL_DIALECT.rejectsValue!;
    const mysql2 = (code: string, errno: number) => Object.assign(new Error('Illegal mix of collations'), { code, errno, sqlState: 'HY000' });
    const prisma6 = (code: string) => Object.assign(new Error('Raw query failed.'), { code: 'P2010', meta: { code, message: 'x' } });
    const prisma7 = (originalCode: string) =>
      Object.assign(new Error('Raw query failed.'), { code: 'P2010', meta: { driverAdapterError: { cause: { originalCode, originalMessage: 'x' } } } });
    expect(rejects(mysql2('ER_CANT_AGGREGATE_2COLLATIONS', 1267))).toBe(true);
    expect(rejects(mysql2('ER_CANT_AGGREGATE_NCOLLATIONS', 1271))).toBe(true);
    expect(rejects(mysql2('ER_TRUNCATED_WRONG_VALUE_FOR_FIELD', 1366))).toBe(true);
    expect(rejects(new Error('query failed', { cause: mysql2('ER_CANT_AGGREGATE_3COLLATIONS', 1270) }))).toBe(true);
    expect(rejects(prisma6('1267'))).toBe(true);
    expect(rejects(prisma7('1267'))).toBe(true);
    expect(rejects(mysql2('ER_LOCK_WAIT_TIMEOUT', 1205))).toBe(false);
    expect(rejects(mysql2('ER_NO_SUCH_TABLE', 1146))).toBe(false);
    expect(rejects(prisma7('1205'))).toBe(false);
    expect(rejects(Object.assign(new Error('1267'), { code: '1267' }))).toBe(false);
  });
});

describe('SqlOrderStore writing names', () => {
  it('quotes each part of a schema-qualified name, as the database folds the same name unquoted', async () => {
    const seen: string[] = [];
    const capture: SqlQueryFunction = async (sql) => {
      seen.push(sql);
      return { rows: [], affected_rows: 1 };
    };
    for (const dialect of ['postgres', 'mysql'] as const) {
      const store = createSqlOrderStore({
        dialect, schema: 'Payments', orders: { table: 'Shop.Orders', owner_column: 'ownerId' }, query: capture, transaction: async (work) => work(capture),
      });
      await store.findOrder('o1');
      await store.processWebhookEvent({ event_id: 'evt_1', event_type: 'x' }, async () => ({ outcome: 'ignored:test', result: null }));
    }
    expect(seen.filter((s) => s.startsWith('SELECT') || s.startsWith('INSERT')).map((s) => s.replace(/\s+/g, ' '))).toEqual([
      'SELECT "order_id" AS order_id, "amount_minor" AS amount_minor, "currency" AS currency, "status" AS status, "ownerid" AS owner_id FROM "shop"."orders" WHERE "order_id" = $1',
      'INSERT INTO "payments"."siglume_webhook_events" (event_id, event_type, received_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING',
      'SELECT `order_id` AS order_id, `amount_minor` AS amount_minor, `currency` AS currency, `status` AS status, `ownerId` AS owner_id FROM `Shop`.`Orders` WHERE `order_id` = ?',
      'INSERT INTO `Payments`.`siglume_webhook_events` (event_id, event_type, received_at) VALUES (?, ?, ?)',
    ]);
  });
});

describe('the MySQL dialect\'s duplicateKey', () => {
  it('recognises the duplicate-key error (1062), also wrapped by an ORM, and no other failure of the insert', () => {
    const duplicate = MYSQL_DIALECT.duplicateKey!;
    expect(duplicate(Object.assign(new Error("Duplicate entry 'evt_1' for key 'PRIMARY'"), { code: 'ER_DUP_ENTRY', errno: 1062 }))).toBe(true);
    expect(duplicate(new Error('Failed query', { cause: Object.assign(new Error('dup'), { errno: 1062 }) }))).toBe(true);
    expect(duplicate(Object.assign(new Error('Raw query failed. Code: `1062`'), { code: 'P2010', meta: { code: '1062' } }))).toBe(true);
    expect(duplicate(Object.assign(new Error('Raw query failed. Code: `1406`'), { code: 'P2010', meta: { code: '1406' } }))).toBe(false);
    expect(duplicate(Object.assign(new Error('Data too long'), { code: 'ER_DATA_TOO_LONG', errno: 1406 }))).toBe(false);
    expect(duplicate(Object.assign(new Error("Column 'event_type' cannot be null"), { code: 'ER_BAD_NULL_ERROR', errno: 1048 }))).toBe(false);
    expect([POSTGRES_DIALECT.duplicateKey, SQLITE_DIALECT.duplicateKey]).toEqual([undefined, undefined]);
  });
});

describe('Prisma\'s raw-query error P2010 carrying MySQL\'s duplicate key', () => {
  /** As `prisma.$executeRawUnsafe` rejects on MySQL: a PrismaClientKnownRequestError whose `meta.code` is the server's error number. */
  const prismaError = (serverCode: string) =>
    Object.assign(new Error(`Invalid \`prisma.$executeRawUnsafe()\` invocation: Raw query failed. Code: \`${serverCode}\``), {
      name: 'PrismaClientKnownRequestError',
      code: 'P2010',
      clientVersion: '6.0.0',
      meta: { code: serverCode, message: "Duplicate entry 'evt_1' for key 'siglume_webhook_events.PRIMARY'" },
    });

  it('is a duplicate key, bare and wrapped as the cause of your own error, and only for 1062', () => {
    const duplicate = MYSQL_DIALECT.duplicateKey!;
    expect(duplicate(prismaError('1062'))).toBe(true);
    expect(duplicate(new Error('recording the event failed', { cause: prismaError('1062') }))).toBe(true);
    expect(duplicate(new Error('outer', { cause: new Error('inner', { cause: prismaError('1062') }) }))).toBe(true);
    expect(duplicate(new Error('recording the event failed', { cause: prismaError('1406') }))).toBe(false);
  });

  it('makes a redelivered event a duplicate in the generic store on MySQL (work runs with first_delivery false, nothing thrown)', async () => {
    const seen: boolean[] = [];
    const store = createSqlOrderStore({
      dialect: 'mysql',
      query,
      transaction: async (work) => work(async (sql) => {
        if (sql.startsWith('INSERT INTO `siglume_webhook_events`')) throw new Error('repository: insert failed', { cause: prismaError('1062') });
        return { rows: [], affected_rows: 0 };
      }),
    });
    const result = await store.processWebhookEvent({ event_id: 'evt_1', event_type: 'payment.succeeded' }, async (tx) => {
      seen.push(tx.first_delivery);
      return { outcome: 'ignored:duplicate', result: 'done' };
    });
    expect(result).toBe('done');
    expect(seen).toEqual([false]);
  });
});

describe('SqlOrderStore reading an order id', () => {
  it('refuses an id the driver rounded (a BIGINT read as a number beyond 2^53) instead of naming another order', async () => {
    const store = createSqlOrderStore({
      dialect: 'mysql',
      query: async () => ({ rows: [{ order_id: 9007199254740993, amount_minor: 5000, currency: 'JPY', status: 'pending' }], affected_rows: 0 }),
      transaction: async (work) => work(query),
    });
    await expect(store.findOrder('9007199254740993')).rejects.toMatchObject({ code: 'ORDER_ID_NOT_EXACT' });
  });

  it('reads a big id the driver returns as a string exactly', async () => {
    const store = createSqlOrderStore({
      dialect: 'mysql',
      query: async () => ({ rows: [{ order_id: '9007199254740993', amount_minor: 5000, currency: 'JPY', status: 'pending' }], affected_rows: 0 }),
      transaction: async (work) => work(query),
    });
    expect(await store.findOrder('9007199254740993')).toMatchObject({ order_id: '9007199254740993' });
  });
});

describe('SqlOrderStore reading an order amount', () => {
  const storeReading = (amount_minor: unknown) => createSqlOrderStore({
    dialect: 'postgres',
    orders: { amount_column: 'total' },
    query: async () => ({ rows: [{ order_id: '3', amount_minor, currency: 'USD', status: 'pending' }], affected_rows: 0 }),
    transaction: async (work) => work(query),
  });

  it('refuses a decimal (pg and mysql2 return NUMERIC as text), an exponent or a fraction, naming the mapping field, column, order and value', async () => {
    // "500.00" was read as 500: $5.00 charged for a $500 order.
    for (const [value, shown] of [['500.00', '"500.00"'], ['4200.50', '"4200.50"'], ['5e2', '"5e2"'], [4200.5, '4200.5'], [{ toString: () => '500' }, 'a value of type object']] as const) {
      const error = await storeReading(value).findOrder('3').then(() => null, (e: unknown) => e as Error & { code: string });
      expect(error?.code, String(value)).toBe('ORDER_AMOUNT_NOT_MINOR_UNITS');
      expect(error?.message).toContain('column total (orders.amount_column)');
      expect(error?.message).toContain(`holds ${shown} for order 3`);
      expect(error?.message).toContain('integer minor units (JPY yen, USD cents)');
    }
  });

  it('reads an integer, also as a bigint or the integer text a BIGINT comes back as', async () => {
    for (const value of [50000, 50000n, '50000']) {
      expect((await storeReading(value).findOrder('3'))?.amount_minor).toBe(50000);
    }
  });
});
