/**
 * The shop's database: one PostgreSQL schema holding the tables of
 * ./siglume/schema.sql (orders, checkout attempts, processed webhook events,
 * payment reviews, settlement batches), plus the few order queries the shop
 * pages need. The payment writes are the order store's job, not this file's.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import pg from 'pg';

/** Schema the example uses, so it never touches tables of another app in the same database. */
export const DEFAULT_SCHEMA = 'sdrp_example_shop';

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

function checkSchema(schema: string): string {
  if (!IDENTIFIER.test(schema)) throw new Error(`schema must be a plain lower-case SQL identifier, got "${schema}"`);
  return schema;
}

/** A pool whose connections see `schema` first. */
export function createPool(databaseUrl: string, schema: string): pg.Pool {
  const pool = new pg.Pool({ connectionString: databaseUrl, options: `-c search_path=${checkSchema(schema)}` });
  // An idle client dropped by the server must not crash the shop.
  pool.on('error', (error) => console.error('postgres pool error', error.message));
  return pool;
}

/**
 * Creates `schema` and the template's tables in it. Existing tables are kept
 * unless `reset` is set, which drops the schema first (its data is lost).
 */
export async function setupDatabase(databaseUrl: string, schema: string, options: { reset?: boolean } = {}): Promise<'created' | 'exists'> {
  const name = checkSchema(schema);
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    if (options.reset) await client.query(`DROP SCHEMA IF EXISTS ${name} CASCADE`);
    const exists = await client.query('SELECT 1 FROM information_schema.tables WHERE table_schema = $1 AND table_name = $2', [name, 'orders']);
    if (exists.rowCount === 1) return 'exists';
    const sql = readFileSync(new URL('./siglume/schema.sql', import.meta.url), 'utf8');
    await client.query('BEGIN');
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${name}`);
    await client.query(`SET LOCAL search_path TO ${name}`);
    await client.query(sql);
    await client.query('COMMIT');
    return 'created';
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    await client.end();
  }
}

/** An order as the shop pages show it. */
export interface ShopOrder {
  order_id: string;
  amount_minor: number;
  currency: 'JPY' | 'USD';
  status: 'pending' | 'paid' | 'fulfilled_unsettled';
  requirement_id: string | null;
  chain_receipt_id: string | null;
}

function toOrder(row: Record<string, unknown>): ShopOrder {
  return {
    order_id: String(row.order_id),
    amount_minor: Number(row.amount_minor),
    currency: row.currency as ShopOrder['currency'],
    status: row.status as ShopOrder['status'],
    requirement_id: (row.requirement_id as string | null) ?? null,
    chain_receipt_id: (row.chain_receipt_id as string | null) ?? null,
  };
}

const ORDER_COLUMNS = 'order_id, amount_minor, currency, status, requirement_id, chain_receipt_id';

/** Creates a pending order. The amount is whatever the server priced, never a client value. */
export async function createOrder(
  pool: pg.Pool,
  order: { user_id: string; amount_minor: number; currency: 'JPY' | 'USD' },
): Promise<ShopOrder> {
  const result = await pool.query(
    `INSERT INTO orders (order_id, user_id, amount_minor, currency) VALUES ($1, $2, $3, $4) RETURNING ${ORDER_COLUMNS}`,
    [`ord_${randomUUID().slice(0, 8)}`, order.user_id, order.amount_minor, order.currency],
  );
  return toOrder(result.rows[0]);
}

/** One of the user's orders, or null (also for someone else's order). */
export async function findOrder(pool: pg.Pool, orderId: string, userId: string): Promise<ShopOrder | null> {
  const result = await pool.query(`SELECT ${ORDER_COLUMNS} FROM orders WHERE order_id = $1 AND user_id = $2`, [orderId, userId]);
  return result.rows[0] ? toOrder(result.rows[0]) : null;
}

/** The user's orders, newest first. */
export async function listOrders(pool: pg.Pool, userId: string): Promise<ShopOrder[]> {
  const result = await pool.query(`SELECT ${ORDER_COLUMNS} FROM orders WHERE user_id = $1 ORDER BY created_at DESC LIMIT 50`, [userId]);
  return result.rows.map(toOrder);
}

/** Payment reviews nobody resolved yet: what a person should look at. */
export async function openReviews(pool: pg.Pool): Promise<Array<{ event_id: string; code: string; reason: string }>> {
  const result = await pool.query(
    'SELECT event_id, code, reason FROM siglume_payment_reviews WHERE resolved_at IS NULL ORDER BY created_at',
  );
  return result.rows.map((r: Record<string, unknown>) => ({ event_id: String(r.event_id), code: String(r.code), reason: String(r.reason) }));
}
