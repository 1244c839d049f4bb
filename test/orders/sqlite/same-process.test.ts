/**
 * The documented SQLite setup: the store on a connection of its own, the app
 * writing through another one, in one process. better-sqlite3 is
 * synchronous, so an app write that met the store's write lock would block
 * the event loop until the busy timeout (the store could not get on to its
 * COMMIT meanwhile) and fail with SQLITE_BUSY: a 3 s freeze and a 500. The
 * store's transactions run with no other JavaScript between BEGIN and
 * COMMIT, so the app's writes never meet its lock.
 */
import Database from 'better-sqlite3';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { SqliteOrderStore } from '../../../src/orders/sqlite/index.js';
import type { OrderCheckoutAttemptPolicy, OrderPaymentContext, OrderStoreTransaction } from '../../../src/orders/store.js';
import type { ConformanceDatabase } from '../support/adapter.js';
import { count, eventOutcomes, insertOrder, insertOrderWithSession, orderStatus } from '../support/conformance.js';
import { openSqlite, sqliteAdapter } from '../support/sqlite.js';

// A busy timeout of a few seconds on both connections: an app write that met the lock would take that long.
const BUSY_MS = 3000;
const FAST_MS = 1000;
const policy = (nonce: string): OrderCheckoutAttemptPolicy => ({
  new_nonce: nonce, creation_lease_seconds: 30, session_reuse_margin_seconds: 120, default_session_lifetime_seconds: 1800,
});

describe('SqliteOrderStore and app writes through another connection of the same process', () => {
  let db: ConformanceDatabase;
  let storeDb: Database.Database;
  let app: Database.Database;
  let store: SqliteOrderStore;

  beforeAll(async () => {
    db = await sqliteAdapter.createDatabase();
    storeDb = openSqlite(db.env.SDRP_SQLITE_FILE!, BUSY_MS);
    app = openSqlite(db.env.SDRP_SQLITE_FILE!, BUSY_MS);
    store = new SqliteOrderStore({ database: storeDb });
    await insertOrder(db, { order_id: 'app_row', amount_minor: 1 });
  });
  afterEach(() => {
    // A failed case must not leave a lock behind for the next.
    if (app?.inTransaction) app.exec('ROLLBACK');
  });
  afterAll(async () => {
    app?.close();
    storeDb?.close();
    await db?.drop();
  });

  /** The app's own write, as a request handler does it; its outcome and how long it blocked the process. */
  const appWrite = (): { result: string; ms: number } => {
    const t = performance.now();
    try {
      app.prepare("UPDATE orders SET amount_minor = amount_minor + 1 WHERE order_id = 'app_row'").run();
      return { result: 'ok', ms: performance.now() - t };
    } catch (error) {
      return { result: String((error as { code?: unknown }).code ?? error), ms: performance.now() - t };
    }
  };

  /** Marks the order paid, as the webhook's decision does. */
  const pay = async (tx: OrderStoreTransaction, found: OrderPaymentContext | null, event_id: string) => {
    if (!found) throw new Error('no attempt');
    const marked = await tx.markOrderPaid(found.order.order_id, {
      event_id, attempt_id: found.attempt.attempt_id, requirement_id: `req_${event_id}`, challenge_hash: `h_${event_id}`, chain_receipt_id: null, pricing_band: 'standard',
    });
    if (!marked) throw new Error('not marked');
  };

  /** Runs `call` and, `hops` microtasks later, the app's write; stops at the first slow or failed write. */
  async function raceAppWrites(name: string, call: (i: number) => Promise<unknown>) {
    for (let hops = 0; hops < 24; hops++) {
      const [, write] = await Promise.all([
        call(hops),
        (async () => {
          for (let i = 0; i < hops; i++) await null;
          return appWrite();
        })(),
      ]);
      expect({ name, hops, result: write.result, fast: write.ms < FAST_MS }).toEqual({ name, hops, result: 'ok', fast: true });
    }
  }

  it('an app write a few microtasks after a store call never waits for the store (every transactional call)', async () => {
    for (let i = 0; i < 24; i++) await insertOrder(db, { order_id: `race_${i}`, amount_minor: 1000 });
    const attempts: Array<{ attempt_id: string; order_id: string; nonce: string; amount_minor: number; currency: 'JPY' }> = [];
    await raceAppWrites('beginCheckoutAttempt', async (i) => {
      const start = await store.beginCheckoutAttempt(`race_${i}`, policy(`n_race_${i}`));
      if (start.kind === 'create') attempts.push(start.attempt as (typeof attempts)[number]);
    });
    expect(attempts).toHaveLength(24);
    await raceAppWrites('markCheckoutPending', (i) => store.markCheckoutPending(attempts[i]!, {
      checkout_session_id: `cs_race_${i}`, checkout_url: `https://pay.test/race_${i}`, challenge_hash: `h_race_${i}`, expires_at: null,
    }));
    await raceAppWrites('markCheckoutFailed', (i) => store.markCheckoutFailed(attempts[i]!, 'x'));
    await raceAppWrites('processWebhookEvent', (i) => store.processWebhookEvent({ event_id: `evt_race_${i}`, event_type: 'payment.succeeded' }, async (tx) => {
      await pay(tx, await tx.findPayment(`h_race_${i}`), `evt_race_${i}`);
      return { outcome: 'marked_paid', result: null };
    }));
    await raceAppWrites('retireCheckoutAttempt', (i) => store.retireCheckoutAttempt(`att_none_${i}`));
    expect(await count(db, "orders WHERE order_id LIKE 'race_%' AND status = 'paid'")).toBe(24);
  }, 30_000);

  it('under load: each request writes the orders table right after its store call, while the next call begins', async () => {
    for (let i = 0; i < 16; i++) await insertOrderWithSession(db, { order_id: `load_${i}`, amount_minor: 500, challenge_hash: `h_load_${i}` });
    let slow: { result: string; ms: number } | null = null;
    await Promise.all(Array.from({ length: 16 }, async (_, i) => {
      await store.processWebhookEvent({ event_id: `evt_load_${i}`, event_type: 'payment.succeeded' }, async (tx) => {
        await pay(tx, await tx.findPayment(`h_load_${i}`), `evt_load_${i}`);
        return { outcome: 'marked_paid', result: null };
      });
      if (slow) return; // one blocked write is enough to fail; do not wait out the others
      const write = appWrite();
      if (write.result !== 'ok' || write.ms >= FAST_MS) slow = write;
    }));
    expect(slow).toBeNull();
    expect(await count(db, "orders WHERE order_id LIKE 'load_%' AND status = 'paid'")).toBe(16);
  }, 30_000);

  it('rolls back a transaction whose body awaits something else (a timer) while holding the lock, and rejects', async () => {
    await insertOrderWithSession(db, { order_id: 'slow_body', amount_minor: 700, challenge_hash: 'h_slow_body' });
    const call = store.processWebhookEvent({ event_id: 'evt_slow_body', event_type: 'payment.succeeded' }, async (tx) => {
      const found = await tx.findPayment('h_slow_body');
      await new Promise((resolve) => setTimeout(resolve, 20));
      await pay(tx, found, 'evt_slow_body');
      return { outcome: 'marked_paid', result: null };
    });
    await expect(call).rejects.toMatchObject({ code: 'ORDER_STORE_TRANSACTION_AWAITED', message: expect.stringMatching(/awaited something other than its own queries/) });
    expect(await eventOutcomes(db, 'evt_slow_body')).toEqual([]);
    expect(await orderStatus(db, 'slow_body')).toBe('pending');
    expect(appWrite().result).toBe('ok');
    // The store goes on.
    expect((await store.beginCheckoutAttempt('slow_body', policy('n_after'))).kind).toBe('reuse');
  });

  it("runs under a test's fake timers: a transaction neither waits for a faked setImmediate nor is rolled back by a synchronous advance", async () => {
    await insertOrderWithSession(db, { order_id: 'fake_timers', amount_minor: 700, challenge_hash: 'h_fake_timers' });
    // Only the immediates are faked, so this test's own bound below still runs on a real timer.
    vi.useFakeTimers({ toFake: ['setImmediate', 'clearImmediate'] });
    try {
      const call = store.processWebhookEvent({ event_id: 'evt_fake_timers', event_type: 'payment.succeeded' }, async (tx) => {
        await pay(tx, await tx.findPayment('h_fake_timers'), 'evt_fake_timers');
        return { outcome: 'marked_paid', result: null };
      });
      vi.advanceTimersByTime(1); // a test's synchronous advance, mid-transaction
      const bound = new Promise((resolve) => setTimeout(() => resolve('hung'), FAST_MS));
      expect(await Promise.race([call.then(() => 'done'), bound])).toBe('done');
    } finally {
      vi.useRealTimers();
    }
    expect(await orderStatus(db, 'fake_timers')).toBe('paid');
  });
});
