/**
 * The MySQL / MariaDB entry of the conformance adapter list: a throw-away
 * database per suite next to the one in MYSQL_URL (CI default
 * mysql://root@127.0.0.1:3306/test; the suite's database is named after it),
 * with the payment tables from templates/schema/mysql and the sample orders
 * table, and stores made with `@siglume/direct-request-payment/orders/mysql`.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import mysql from 'mysql2';
import { MysqlOrderStore } from '../../../src/orders/mysql/index.js';
import type { ConformanceAdapter, ConformanceDatabase, ConformanceStoreOptions, Row } from './adapter.js';

export const MYSQL_URL = process.env.MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test';
const BASE_DATABASE = decodeURIComponent(new URL(MYSQL_URL).pathname.slice(1)) || 'test';

/** A schema file of templates/schema/mysql, as text. */
export function mysqlSchemaSql(file: 'siglume-payments' | 'orders'): string {
  return readFileSync(new URL(`../../../templates/schema/mysql/${file}.sql`, import.meta.url), 'utf8');
}

/** Options of a pool on `database` (no database: the server only). */
export function mysqlPoolOptions(database: string | null, extra: mysql.PoolOptions = {}): mysql.PoolOptions {
  const url = new URL(MYSQL_URL);
  return {
    host: url.hostname,
    port: Number(url.port || 3306),
    user: decodeURIComponent(url.username || 'root'),
    password: decodeURIComponent(url.password),
    ...(database ? { database } : {}),
    ...extra,
  };
}

/** Runs statements on a short-lived connection (several per call allowed). */
export async function mysqlAdmin(sql: string, database: string | null = null): Promise<void> {
  const c = mysql.createConnection({ ...mysqlPoolOptions(database), multipleStatements: true });
  try {
    await c.promise().query(sql);
  } finally {
    await c.promise().end().catch(() => c.destroy());
  }
}

function storeFor(database: string, options: ConformanceStoreOptions = {}): MysqlOrderStore {
  return new MysqlOrderStore({
    pool: mysql.createPool(mysqlPoolOptions(database, { connectionLimit: options.pool_max ?? 10 })),
    ...(options.orders ? { orders: options.orders } : {}),
    ...(options.lock_timeout_ms ? { lock_timeout_ms: options.lock_timeout_ms } : {}),
    onError: options.onError ?? (() => undefined),
  });
}

export const mysqlAdapter: ConformanceAdapter = {
  name: 'mysql',
  async unavailable() {
    const c = mysql.createConnection({ ...mysqlPoolOptions(null), connectTimeout: 3000 });
    try {
      await c.promise().query('SELECT 1');
      return null;
    } catch (error) {
      return `MySQL / MariaDB at MYSQL_URL is unreachable (${error instanceof Error ? error.message : String(error)})`;
    } finally {
      c.destroy();
    }
  },
  async createDatabase(): Promise<ConformanceDatabase> {
    const database = `${BASE_DATABASE}_sdrp_${randomBytes(5).toString('hex')}`;
    await mysqlAdmin(`CREATE DATABASE ${database} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
    await mysqlAdmin(`${mysqlSchemaSql('siglume-payments')}\n${mysqlSchemaSql('orders')}`, database);
    const assertions = mysql.createPool(mysqlPoolOptions(database, { connectionLimit: 4 }));
    assertions.on('connection', (c) => c.on('error', () => undefined));
    return {
      env: { SDRP_ADAPTER: 'mysql', MYSQL_URL, SDRP_MYSQL_DATABASE: database },
      createStore: (options) => storeFor(database, options),
      async sql(text, params = []) {
        const [rows] = await assertions.promise().query(text, params);
        return Array.isArray(rows) ? (rows as Row[]) : [];
      },
      async holdLock(table, where, params) {
        const holder = mysql.createConnection(mysqlPoolOptions(database)).promise();
        await holder.query('START TRANSACTION');
        await holder.query(`SELECT 1 FROM ${table} WHERE ${where} FOR UPDATE`, params);
        return async () => {
          await holder.query('ROLLBACK').catch(() => undefined);
          await holder.end().catch(() => undefined);
        };
      },
      async drop() {
        await assertions.promise().end().catch(() => undefined);
        await mysqlAdmin(`DROP DATABASE IF EXISTS ${database}`);
      },
    };
  },
  storeFromEnv: (env, options) => storeFor(env.SDRP_MYSQL_DATABASE ?? BASE_DATABASE, options),
};
