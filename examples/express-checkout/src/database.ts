/**
 * The shop's database: one PostgreSQL schema holding the sample orders table
 * (./siglume/orders.postgres.sql) and the package's payment tables
 * (./siglume/siglume-payments.postgres.sql: checkout attempts, processed
 * webhook events, payment reviews, settlement batches), plus the few order
 * queries the shop pages need. The payment writes are the order core's job,
 * not this file's.
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
    // The schema files are written for psql (`\set ON_ERROR_STOP on`); the pg client runs them without that line.
    const file = (fileName: string) =>
      readFileSync(new URL(`./siglume/${fileName}`, import.meta.url), 'utf8').split('\n').filter((l) => !l.startsWith('\\')).join('\n');
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${name}`);
    await client.query(`SET search_path TO ${name}`);
    // Each file is one transaction: all of its tables, or none.
    await client.query(file('orders.postgres.sql'));
    await client.query(file('siglume-payments.postgres.sql'));
    return 'created';
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

// The payment (requirement, chain receipt) is recorded on the paid checkout attempt.
const ORDER_COLUMNS = `o.order_id, o.amount_minor, o.currency, o.status, a.requirement_id, a.chain_receipt_id
  FROM orders o LEFT JOIN siglume_checkout_attempts a ON a.order_id = o.order_id AND a.requirement_id IS NOT NULL`;

/** Creates a pending order. The amount is whatever the server priced, never a client value. */
export async function createOrder(
  pool: pg.Pool,
  order: { user_id: string; amount_minor: number; currency: 'JPY' | 'USD' },
): Promise<ShopOrder> {
  const orderId = `ord_${randomUUID().slice(0, 8)}`;
  await pool.query('INSERT INTO orders (order_id, user_id, amount_minor, currency) VALUES ($1, $2, $3, $4)', [
    orderId, order.user_id, order.amount_minor, order.currency,
  ]);
  return (await findOrder(pool, orderId, order.user_id))!;
}

/** One of the user's orders, or null (also for someone else's order). */
export async function findOrder(pool: pg.Pool, orderId: string, userId: string): Promise<ShopOrder | null> {
  const result = await pool.query(`SELECT ${ORDER_COLUMNS} WHERE o.order_id = $1 AND o.user_id = $2`, [orderId, userId]);
  return result.rows[0] ? toOrder(result.rows[0]) : null;
}

/** The user's orders, newest first. */
export async function listOrders(pool: pg.Pool, userId: string): Promise<ShopOrder[]> {
  const result = await pool.query(`SELECT ${ORDER_COLUMNS} WHERE o.user_id = $1 ORDER BY o.created_at DESC LIMIT 50`, [userId]);
  return result.rows.map(toOrder);
}

/** Payment reviews nobody resolved yet: what a person should look at. */
export async function openReviews(pool: pg.Pool): Promise<Array<{ event_id: string; code: string; reason: string }>> {
  const result = await pool.query(
    'SELECT event_id, code, reason FROM siglume_payment_reviews WHERE resolved_at IS NULL ORDER BY created_at',
  );
  return result.rows.map((r: Record<string, unknown>) => ({ event_id: String(r.event_id), code: String(r.code), reason: String(r.reason) }));
}
