/**
 * PostgreSQL for the template tests: DATABASE_URL (default: the local test
 * database), one throw-away schema per test file, tables from
 * templates/express/schema.sql.
 *
 * Without a reachable database the suites are skipped locally, with the
 * reason printed; in CI (CI=true) they fail instead, so a broken database
 * can never pass as "skipped".
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import pg from 'pg';

export const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const SCHEMA_SQL = readFileSync(new URL('../../../templates/express/schema.sql', import.meta.url), 'utf8');

async function probe(): Promise<string | null> {
  const client = new pg.Client({ connectionString: DATABASE_URL, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return null;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  } finally {
    await client.end().catch(() => undefined);
  }
}

const unreachable = await probe();
if (unreachable !== null && process.env.CI === 'true') {
  throw new Error(`PostgreSQL at DATABASE_URL is unreachable in CI: ${unreachable}`);
}
if (unreachable !== null) {
  console.warn(`[templates] PostgreSQL suites skipped: cannot reach DATABASE_URL (${unreachable}).`);
}

/** True when the PostgreSQL suites must be skipped (never in CI). */
export const skipPostgres = unreachable !== null;

/** A fresh schema with the template tables; `drop()` removes it. */
export interface TestSchema {
  name: string;
  /** A pool whose connections see the schema (search_path), for assertions. */
  pool: pg.Pool;
  /** A plain pool (no search_path): give it to the store together with `schema`. */
  newPool(max?: number): pg.Pool;
  drop(): Promise<void>;
}

export async function createTestSchema(): Promise<TestSchema> {
  const name = `sdrp_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: DATABASE_URL });
  await admin.connect();
  try {
    await admin.query(`CREATE SCHEMA ${name}`);
    await admin.query(`SET search_path TO ${name}`);
    await admin.query(SCHEMA_SQL);
  } finally {
    await admin.end();
  }
  const pools: pg.Pool[] = [];
  const makePool = (max: number, searchPath: boolean) => {
    const p = new pg.Pool({ connectionString: DATABASE_URL, max, ...(searchPath ? { options: `-c search_path=${name}` } : {}) });
    p.on('error', () => undefined); // a killed backend must not crash the test process
    pools.push(p);
    return p;
  };
  const newPool = (max = 10) => makePool(max, false);
  const pool = makePool(5, true);
  return {
    name,
    pool,
    newPool,
    async drop() {
      await Promise.all(pools.map((p) => p.end().catch(() => undefined)));
      const c = new pg.Client({ connectionString: DATABASE_URL });
      await c.connect();
      try {
        await c.query(`DROP SCHEMA IF EXISTS ${name} CASCADE`);
      } finally {
        await c.end();
      }
    },
  };
}

/** Inserts an order owned by `userId`. */
export async function insertOrder(
  pool: pg.Pool,
  order: { order_id: string; user_id: string; amount_minor: number; currency?: 'JPY' | 'USD' },
): Promise<void> {
  await pool.query('INSERT INTO orders (order_id, user_id, amount_minor, currency) VALUES ($1, $2, $3, $4)', [
    order.order_id, order.user_id, order.amount_minor, order.currency ?? 'JPY',
  ]);
}

export async function orderRow(pool: pg.Pool, orderId: string): Promise<Record<string, unknown>> {
  const r = await pool.query('SELECT * FROM orders WHERE order_id = $1', [orderId]);
  return r.rows[0];
}

export async function count(pool: pg.Pool, sql: string, params: unknown[] = []): Promise<number> {
  const r = await pool.query(`SELECT count(*)::int AS n FROM ${sql}`, params);
  return r.rows[0].n;
}

/** An order with a checkout session already stored: what the webhook matches on. */
export async function insertOrderWithSession(
  pool: pg.Pool,
  order: { order_id: string; user_id?: string; amount_minor: number; currency?: 'JPY' | 'USD'; challenge_hash: string },
): Promise<void> {
  const currency = order.currency ?? 'JPY';
  await insertOrder(pool, { order_id: order.order_id, user_id: order.user_id ?? 'alice', amount_minor: order.amount_minor, currency });
  await pool.query(
    `INSERT INTO siglume_checkout_attempts (order_id, nonce, amount_minor, currency, checkout_session_id, checkout_url, challenge_hash)
     VALUES ($1, $2, $3, $4, $5, $6, $7)`,
    [order.order_id, `sdrp-${order.order_id}`, order.amount_minor, currency, `cs_${order.order_id}`, `https://pay.test/${order.order_id}`, order.challenge_hash],
  );
}
