/**
 * Running a suite once per adapter, and the row-level assertions every
 * conformance case makes (in portable SQL, so they hold for every adapter).
 */
import { describe } from 'vitest';
import type { ConformanceAdapter, ConformanceDatabase, Row } from './adapter.js';
import { ADAPTERS } from './adapters.js';

const availability = await Promise.all(ADAPTERS.map(async (a) => [a, await a.unavailable()] as const));
for (const [adapter, reason] of availability) {
  if (reason !== null && process.env.CI === 'true') throw new Error(`${adapter.name} is required in CI: ${reason}`);
  if (reason !== null) console.warn(`[orders] ${adapter.name} conformance skipped: ${reason}`);
}

/** Declares `suite` once per adapter (skipped, with the reason printed, where its database is unreachable outside CI). */
export function describeEachAdapter(title: string, suite: (adapter: ConformanceAdapter) => void): void {
  for (const [adapter, reason] of availability) {
    describe.skipIf(reason !== null)(`${title} [${adapter.name}]`, () => suite(adapter));
  }
}

let seq = 0;
/** A unique id for this test process. */
export const uid = (prefix: string) => `${prefix}_${process.pid}_${Date.now().toString(36)}_${++seq}`;

export async function insertOrder(db: ConformanceDatabase, o: { order_id: string; user_id?: string; amount_minor: number; currency?: 'JPY' | 'USD' }): Promise<void> {
  await db.sql('INSERT INTO orders (order_id, user_id, amount_minor, currency) VALUES (?, ?, ?, ?)', [
    o.order_id, o.user_id ?? 'alice', o.amount_minor, o.currency ?? 'JPY',
  ]);
}

export async function orderStatus(db: ConformanceDatabase, order_id: string): Promise<string | undefined> {
  return (await db.sql('SELECT status FROM orders WHERE order_id = ?', [order_id]))[0]?.status as string | undefined;
}

/** The attempts of an order, oldest first. */
export async function attempts(db: ConformanceDatabase, order_id: string): Promise<Row[]> {
  return db.sql(
    `SELECT attempt_id, status, amount_minor, checkout_session_id, challenge_hash, requirement_id, chain_receipt_id, payment_status, paid_event_id
       FROM siglume_checkout_attempts WHERE order_id = ? ORDER BY created_at, attempt_id`, [order_id]);
}

/** The paid attempt's payment columns, or undefined. */
export async function payment(db: ConformanceDatabase, order_id: string): Promise<Row | undefined> {
  return (await attempts(db, order_id)).find((a) => a.requirement_id !== null);
}

export async function reviews(db: ConformanceDatabase, event_id: string): Promise<Row[]> {
  return db.sql('SELECT code, kind, order_id, requirement_id, settlement_batch_id FROM siglume_payment_reviews WHERE event_id = ?', [event_id]);
}

export async function eventOutcomes(db: ConformanceDatabase, event_id: string): Promise<unknown[]> {
  return (await db.sql('SELECT outcome FROM siglume_webhook_events WHERE event_id = ?', [event_id])).map((r) => r.outcome);
}

export async function count(db: ConformanceDatabase, fromWhere: string, params: unknown[] = []): Promise<number> {
  return Number((await db.sql(`SELECT count(*) AS n FROM ${fromWhere}`, params))[0]?.n ?? 0);
}

/** Polls `check` until it is true; bounded. */
export async function waitFor(check: () => Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** An order whose checkout session is already stored: what a webhook matches by challenge hash (for tests that sign their own events). */
export async function insertOrderWithSession(db: ConformanceDatabase, o: { order_id: string; amount_minor: number; challenge_hash: string; currency?: 'JPY' | 'USD' }): Promise<void> {
  await insertOrder(db, o);
  const now = new Date();
  await db.sql(
    `INSERT INTO siglume_checkout_attempts (attempt_id, order_id, nonce, amount_minor, currency, status, checkout_session_id, checkout_url, challenge_hash, created_at, updated_at)
     VALUES (?, ?, ?, ?, ?, 'active', ?, ?, ?, ?, ?)`,
    [`att_${o.order_id}`, o.order_id, `sdrp-${o.order_id}`, o.amount_minor, o.currency ?? 'JPY', `cs_${o.order_id}`, `https://pay.test/${o.order_id}`, o.challenge_hash, now, now],
  );
}
