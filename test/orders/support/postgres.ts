/**
 * The PostgreSQL entries of the conformance adapter list: a throw-away schema
 * per suite in DATABASE_URL (CI default .../test), with the payment tables
 * from templates/schema/postgres and the sample orders table. The `postgres`
 * adapter makes stores with `@siglume/direct-request-payment/orders/postgres`;
 * the generic adapter's ORM entries (drizzle.ts, kysely.ts) reuse the same
 * databases with their own store.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { PostgresOrderStore } from '../../../src/orders/postgres/index.js';
import type { OrderStore } from '../../../src/orders/index.js';
import type { ConformanceAdapter, ConformanceDatabase, ConformanceStoreOptions } from './adapter.js';

export const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** A schema file as the pg client can run it (psql meta-commands removed; BEGIN / COMMIT kept). */
export function postgresSchemaSql(file: 'siglume-payments' | 'orders'): string {
  const text = readFileSync(new URL(`../../../templates/schema/postgres/${file}.sql`, import.meta.url), 'utf8');
  return text.split('\n').filter((line) => !line.startsWith('\\')).join('\n');
}

function pool(schema: string, max = 10, application_name?: string): pg.Pool {
  return new pg.Pool({ connectionString: DATABASE_URL, max, options: `-c search_path=${schema}`, ...(application_name ? { application_name } : {}) });
}

/** Why PostgreSQL at DATABASE_URL cannot be used, or null. */
export async function postgresUnavailable(): Promise<string | null> {
  const client = new pg.Client({ connectionString: DATABASE_URL, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return null;
  } catch (error) {
    return `PostgreSQL at DATABASE_URL is unreachable (${error instanceof Error ? error.message : String(error)})`;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** How an adapter on PostgreSQL turns a pool (search_path set to the suite's schema) into a store. */
export type PostgresStoreFactory = (pool: pg.Pool, options: ConformanceStoreOptions) => OrderStore;

/**
 * A conformance adapter on PostgreSQL: a throw-away schema per suite, with
 * the payment tables from templates/schema/postgres and the sample orders
 * table; `makeStore` builds the store under test over a pool of it.
 */
export function postgresBackedAdapter(name: string, makeStore: PostgresStoreFactory): ConformanceAdapter {
  const storeFor = (schema: string, options: ConformanceStoreOptions = {}, application_name?: string) => {
    return makeStore(pool(schema, options.pool_max ?? 10, application_name), options);
  };
  return {
    name,
    unavailable: postgresUnavailable,
    async createDatabase(): Promise<ConformanceDatabase> {
      const schema = `sdrp_orders_${randomBytes(6).toString('hex')}`;
      const admin = new pg.Client({ connectionString: DATABASE_URL });
      await admin.connect();
      try {
        await admin.query(`CREATE SCHEMA ${schema}`);
        await admin.query(`SET search_path TO ${schema}`);
        await admin.query(postgresSchemaSql('siglume-payments'));
        await admin.query(postgresSchemaSql('orders'));
      } finally {
        await admin.end();
      }
      const assertions = pool(schema, 4);
      assertions.on('error', () => undefined);
      return {
        env: { SDRP_ADAPTER: name, DATABASE_URL, SDRP_PG_SCHEMA: schema },
        createStore: (options) => storeFor(schema, options),
        async sql(text, params = []) {
          let i = 0;
          return (await assertions.query(text.replace(/\?/g, () => `$${++i}`), params)).rows;
        },
        async holdLock(table, where, params) {
          const holder = new pg.Client({ connectionString: DATABASE_URL, options: `-c search_path=${schema}` });
          holder.on('error', () => undefined);
          await holder.connect();
          let i = 0;
          await holder.query('BEGIN');
          await holder.query(`SELECT 1 FROM ${table} WHERE ${where.replace(/\?/g, () => `$${++i}`)} FOR UPDATE`, params);
          return async () => {
            await holder.query('ROLLBACK').catch(() => undefined);
            await holder.end().catch(() => undefined);
          };
        },
        async drop() {
          await assertions.end().catch(() => undefined);
          const c = new pg.Client({ connectionString: DATABASE_URL });
          await c.connect();
          try {
            await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
          } finally {
            await c.end();
          }
        },
      };
    },
    storeFromEnv: (env, options) => storeFor(env.SDRP_PG_SCHEMA ?? 'public', options, env.SDRP_PG_APPLICATION_NAME),
  };
}

/** `@siglume/direct-request-payment/orders/postgres` over `pg`. */
export const postgresAdapter: ConformanceAdapter = postgresBackedAdapter('postgres', (p, options) =>
  new PostgresOrderStore({
    pool: p,
    ...(options.orders ? { orders: options.orders } : {}),
    ...(options.lock_timeout_ms ? { lock_timeout_ms: options.lock_timeout_ms } : {}),
    onError: options.onError ?? (() => undefined),
  }),
);
