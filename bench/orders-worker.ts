/**
 * One app instance of the order bench (bench/orders-webhooks.ts forks it
 * through tsx, with an IPC channel). Two modes:
 *
 * - `core`: the checkout service of the order core over the adapter's store
 *   (the same stores the conformance suite runs); each event goes through
 *   `service.handleWebhook(raw_body, signature)`: signature, parsing,
 *   classification, the decision and the store's transaction. Two services
 *   share the store: with and without confirmation with Siglume.
 * - `floor`: a bare driver loop doing the same statements in one
 *   transaction per event (insert the event, find the attempt, lock the
 *   order, read its payment, mark the order and the attempt paid, store the
 *   outcome), with no verification and no decision: what the database
 *   costs by itself.
 *
 * Messages in: { kind: 'run', events, confirm }; out: { kind: 'done', failures }.
 */
import mysql from 'mysql2';
import pg from 'pg';
import { DirectRequestPaymentMerchantClient } from '../src/clients/merchant.js';
import { createOrderCheckoutService, type OrderCheckoutService } from '../src/orders/index.js';
import { adapterNamed } from '../test/orders/support/adapters.js';
import { MERCHANT, SECRET, TOKEN } from '../test/orders/support/shop.js';
import { mysqlPoolOptions } from '../test/orders/support/mysql.js';
import { openSqlite } from '../test/orders/support/sqlite.js';

/** One delivery: what the core gets (bytes + header) and what the floor writes. */
export interface BenchEvent {
  raw_body: string;
  header: string;
  event_id: string;
  challenge_hash: string;
  requirement_id: string;
  chain_receipt_id: string;
}

type Message = { kind: 'run'; events: BenchEvent[]; confirm: boolean };

const env = process.env;
const mode = env.BENCH_MODE === 'floor' ? 'floor' : 'core';
const adapter = env.SDRP_ADAPTER!;
const concurrency = Number(env.BENCH_CONCURRENCY ?? 8);

/** The statements of one paid delivery, as the store runs them (`?` placeholders; `lock` is the dialect's row lock). */
const SQL = {
  attempt: 'SELECT attempt_id, order_id, status, amount_minor, currency, checkout_session_id FROM siglume_checkout_attempts WHERE challenge_hash = ?',
  order: (lock: string) => `SELECT order_id, amount_minor, currency, status, user_id FROM orders WHERE order_id = ?${lock}`,
  payment: (lock: string) => `SELECT requirement_id, payment_status FROM siglume_checkout_attempts WHERE order_id = ? AND requirement_id IS NOT NULL${lock}`,
  markOrder: "UPDATE orders SET status = 'paid' WHERE order_id = ? AND status = 'pending'",
  markAttempt: `UPDATE siglume_checkout_attempts SET requirement_id = ?, chain_receipt_id = ?, pricing_band = 'standard', payment_status = 'paid',
                paid_event_id = ?, paid_at = ?, updated_at = ? WHERE attempt_id = ? AND order_id = ? AND requirement_id IS NULL`,
  outcome: 'UPDATE siglume_webhook_events SET outcome = ? WHERE event_id = ?',
};

type Run = (sql: string, params: unknown[]) => Promise<Array<Record<string, unknown>>>;

/** The floor's transaction body over an async driver. */
async function floorTransaction(q: Run, e: BenchEvent, now: unknown, insertIgnore: string, lock: string): Promise<void> {
  await q(insertIgnore, [e.event_id, 'direct_payment.confirmed', now]);
  const attempt = (await q(SQL.attempt, [e.challenge_hash]))[0]!;
  const order = String(attempt.order_id);
  await q(SQL.order(lock), [order]);
  await q(SQL.payment(lock), [order]);
  await q(SQL.markOrder, [order]);
  await q(SQL.markAttempt, [e.requirement_id, e.chain_receipt_id, e.event_id, now, now, String(attempt.attempt_id), order]);
  await q(SQL.outcome, ['marked_paid', e.event_id]);
}

/** The bare-driver floor for the adapter's database. */
function floor(): (e: BenchEvent) => Promise<void> {
  if (adapter === 'postgres' || adapter === 'kysely' || adapter === 'drizzle') {
    const pool = new pg.Pool({ connectionString: env.DATABASE_URL, max: 10, options: `-c search_path=${env.SDRP_PG_SCHEMA}` });
    const numbered = (sql: string) => {
      let i = 0;
      return sql.replace(/\?/g, () => `$${++i}`);
    };
    return async (e) => {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        await floorTransaction(async (sql, params) => (await client.query(numbered(sql), params)).rows,
          e, new Date(), 'INSERT INTO siglume_webhook_events (event_id, event_type, received_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING', ' FOR UPDATE');
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK');
        throw error;
      } finally {
        client.release();
      }
    };
  }
  if (adapter === 'mysql') {
    const pool = mysql.createPool(mysqlPoolOptions(env.SDRP_MYSQL_DATABASE!, { connectionLimit: 10 })).promise();
    return async (e) => {
      const connection = await pool.getConnection();
      try {
        await connection.query('START TRANSACTION');
        await floorTransaction(async (sql, params) => {
          const [rows] = await connection.query(sql, params);
          return Array.isArray(rows) ? (rows as Array<Record<string, unknown>>) : [];
        }, e, new Date(), 'INSERT IGNORE INTO siglume_webhook_events (event_id, event_type, received_at) VALUES (?, ?, ?)', ' FOR UPDATE');
        await connection.query('COMMIT');
      } catch (error) {
        await connection.query('ROLLBACK');
        throw error;
      } finally {
        connection.release();
      }
    };
  }
  // SQLite: better-sqlite3 is synchronous, so the floor is one synchronous transaction per event.
  const db = openSqlite(env.SDRP_SQLITE_FILE!);
  const insert = db.prepare('INSERT INTO siglume_webhook_events (event_id, event_type, received_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING');
  const [attempt, order, payment, markOrder, markAttempt, outcome] = [SQL.attempt, SQL.order(''), SQL.payment(''), SQL.markOrder, SQL.markAttempt, SQL.outcome].map((q) => db.prepare(q));
  const pay = db.transaction((e: BenchEvent) => {
    const now = new Date().toISOString();
    insert.run(e.event_id, 'direct_payment.confirmed', now);
    const a = attempt!.get(e.challenge_hash) as { attempt_id: string; order_id: string };
    order!.get(a.order_id);
    payment!.get(a.order_id);
    markOrder!.run(a.order_id);
    markAttempt!.run(e.requirement_id, e.chain_receipt_id, e.event_id, now, now, a.attempt_id, a.order_id);
    outcome!.run('marked_paid', e.event_id);
  });
  return async (e) => {
    pay.immediate(e);
  };
}

function services(): Record<'confirmed' | 'unconfirmed', OrderCheckoutService<null>> {
  const store = adapterNamed(adapter).storeFromEnv(env, { pool_max: 10, onError: () => undefined });
  const make = (confirm: boolean) =>
    createOrderCheckoutService<null>({
      merchant_client: new DirectRequestPaymentMerchantClient({ auth_token: TOKEN, base_url: env.SIGLUME_API_BASE ?? 'http://127.0.0.1:9/v1', max_retries: 0 }),
      order_store: store,
      merchant: MERCHANT,
      webhook_secret: SECRET,
      shop_public_origin: 'https://shop.example',
      confirm_payments: confirm,
      allow_unverified_order_lookup: true,
    });
  return { confirmed: make(true), unconfirmed: make(false) };
}

const run: (e: BenchEvent, confirm: boolean) => Promise<boolean> = (() => {
  if (mode === 'floor') {
    const f = floor();
    return async (e) => {
      await f(e);
      return true;
    };
  }
  const s = services();
  return async (e, confirm) => {
    const result = await (confirm ? s.confirmed : s.unconfirmed).handleWebhook(e.raw_body, e.header);
    return result.kind === 'processed' && result.decision.kind === 'mark_paid';
  };
})();

process.on('message', (message: Message) => {
  void (async () => {
    let next = 0;
    let failures = 0;
    const errors: string[] = [];
    await Promise.all(Array.from({ length: concurrency }, async () => {
      for (let i = next++; i < message.events.length; i = next++) {
        try {
          if (!(await run(message.events[i]!, message.confirm))) failures += 1;
        } catch (error) {
          failures += 1;
          if (errors.length < 3) errors.push(error instanceof Error ? error.message : String(error));
        }
      }
    }));
    process.send!({ kind: 'done', failures, errors });
  })();
});
process.send!({ kind: 'ready' });
