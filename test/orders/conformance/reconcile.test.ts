/**
 * Conformance: reconciliation. Buyers pay while the sandbox drops every
 * webhook delivery past its retries; `reconcile` repairs each order exactly
 * once through the webhook's decision path; the real events delivered later
 * change nothing; a dry run changes no row; a session paid at another amount
 * goes to review. The store's listing query is held to the same contract on
 * every adapter.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { DirectRequestPaymentMerchantClient } from '../../../src/clients/merchant.js';
import { orderReconcileEventId, reconcileOrderPayments, type OrderReconcileReport, type OrderStore } from '../../../src/orders/index.js';
import type { ConformanceDatabase, Row } from '../support/adapter.js';
import { count, describeEachAdapter, eventOutcomes, insertOrder, orderStatus, payment, reviews, uid } from '../support/conformance.js';
import { MERCHANT, TOKEN, startCheckout, startShopFixture, type ShopFixture } from '../support/shop.js';

const RETRIES = 2;

describeEachAdapter('reconciliation', (adapter) => {
  let db: ConformanceDatabase;
  let f: ShopFixture;

  beforeAll(async () => {
    db = await adapter.createDatabase();
    f = await startShopFixture(db, {}, { delivery_retries: RETRIES, delivery_backoff_ms: 5 });
  });
  afterAll(async () => {
    await f?.close();
    await db?.drop();
  });

  /** `n` orders with a checkout session each, paid by their buyers while every delivery is dropped. */
  async function paidWithLostWebhooks(n: number, amount = 4200): Promise<Array<{ order_id: string; session_id: string; event_id: string }>> {
    const out: Array<{ order_id: string; session_id: string; event_id: string }> = [];
    for (let i = 0; i < n; i++) {
      const order_id = uid('ord');
      await insertOrder(db, { order_id, amount_minor: amount });
      const start = await startCheckout(f.shop.url, { order_id });
      expect(start.status).toBe(200);
      out.push({ order_id, session_id: start.body.session_id as string, event_id: '' });
    }
    f.sandbox.setFaults({ drop_webhook_deliveries: true });
    try {
      for (const o of out) {
        const paid = await f.sandbox.pay(o.session_id);
        // Dropped on the first attempt and on every retry: the webhook is lost for good.
        expect(paid.deliveries).toEqual([expect.objectContaining({ response_status: null, attempts: RETRIES + 1 })]);
        o.event_id = paid.event_id!;
      }
    } finally {
      f.sandbox.resetFaults();
    }
    for (const o of out) expect(f.sandbox.deliveries(o.event_id)[0]).toMatchObject({ delivery_status: 'failed', attempts: RETRIES + 1 });
    return out;
  }

  const ids = (entries: OrderReconcileReport['repaired']) => entries.map((e) => e.order_id).sort();

  it('lists unpaid attempts with a session in [created_after, created_before), paged by (created_at, attempt_id), and retires only active unpaid ones', async () => {
    const t0 = new Date(Date.UTC(2031, 0, 1, 12, 0, 0));
    const at = (s: number) => new Date(t0.getTime() + s * 1000);
    const p = uid('lst');
    const put = async (suffix: string, created: Date, o: { status?: string; session?: boolean; paid?: boolean } = {}) => {
      const id = `${p}_${suffix}`;
      await db.sql(
        `INSERT INTO siglume_checkout_attempts (attempt_id, order_id, nonce, amount_minor, currency, status, checkout_session_id, checkout_url, challenge_hash,
           requirement_id, payment_status, created_at, updated_at) VALUES (?, ?, ?, 1000, 'JPY', ?, ?, ?, ?, ?, ?, ?, ?)`,
        [id, `ord_${id}`, `n-${id}`, o.status ?? 'active', o.session === false ? null : `cs_${id}`, o.session === false ? null : 'https://pay.test/x',
          o.session === false ? null : `ch_${id}`, o.paid ? `req_${id}` : null, o.paid ? 'paid' : null, created, created],
      );
      return id;
    };
    await put('before', at(-1));
    const a1 = await put('a1', at(0));
    const a2 = await put('a2', at(1), { status: 'superseded' });
    await put('nosession', at(2), { session: false });
    const paid = await put('paid', at(3), { paid: true });
    const tieB = await put('tie_b', at(4), { status: 'expired' });
    const tieA = await put('tie_a', at(4));
    await put('after', at(5));

    const store = db.createStore();
    const query = { created_after: at(0), created_before: at(5), limit: 2 };
    const first = await store.listUnpaidCheckoutAttempts({ ...query, after: null });
    expect(first.map((a) => a.attempt_id)).toEqual([a1, a2]);
    expect(first[0]).toMatchObject({ order_id: `ord_${a1}`, status: 'active', amount_minor: 1000, currency: 'JPY', checkout_session_id: `cs_${a1}`, challenge_hash: `ch_${a1}`, created_at: at(0).toISOString() });
    const cursor = (a: { created_at: string; attempt_id: string }) => ({ created_at: a.created_at, attempt_id: a.attempt_id });
    const second = await store.listUnpaidCheckoutAttempts({ ...query, after: cursor(first[1]!) });
    expect(second.map((a) => [a.attempt_id, a.status])).toEqual([[tieA, 'active'], [tieB, 'expired']]);
    expect(await store.listUnpaidCheckoutAttempts({ ...query, after: cursor(second[1]!) })).toEqual([]);
    // A cursor in the middle of a tie continues after it, not past the tie.
    expect((await store.listUnpaidCheckoutAttempts({ ...query, after: cursor(second[0]!) })).map((a) => a.attempt_id)).toEqual([tieB]);
    await expect(store.listUnpaidCheckoutAttempts({ ...query, limit: 0, after: null })).rejects.toThrow(/limit/);

    expect(await store.retireCheckoutAttempt(a1)).toBe(true);
    expect(await store.retireCheckoutAttempt(a1)).toBe(false);
    expect(await store.retireCheckoutAttempt(a2)).toBe(false); // superseded stays superseded
    expect(await store.retireCheckoutAttempt(paid)).toBe(false); // a paid attempt is never retired
    const statuses = await db.sql('SELECT attempt_id, status FROM siglume_checkout_attempts WHERE attempt_id IN (?, ?, ?) ORDER BY attempt_id', [a1, a2, paid]);
    expect(statuses.map((r) => [r.attempt_id, r.status])).toEqual([[a1, 'expired'], [a2, 'superseded'], [paid, 'active']].sort());
  });

  it('lists an old attempt whose session was stored in the window, and leaves out one whose session was stored after it', async () => {
    const t0 = new Date(Date.UTC(2032, 0, 1, 12, 0, 0));
    const at = (s: number) => new Date(t0.getTime() + s * 1000);
    const p = uid('sto');
    const put = async (suffix: string, created: Date, stored: Date | null) => {
      const id = `${p}_${suffix}`;
      await db.sql(
        `INSERT INTO siglume_checkout_attempts (attempt_id, order_id, nonce, amount_minor, currency, status, checkout_session_id, checkout_url, challenge_hash,
           session_stored_at, created_at, updated_at) VALUES (?, ?, ?, 1000, 'JPY', 'active', ?, 'https://pay.test/x', ?, ?, ?, ?)`,
        [id, `ord_${id}`, `n-${id}`, `cs_${id}`, `ch_${id}`, stored, created, created],
      );
      return id;
    };
    const late = await put('late', at(-4 * 86_400), at(2)); // created 4 days before the window, session stored in it
    const inside = await put('inside', at(1), at(1));
    await put('fresh', at(3), at(5)); // created in the window, session stored at its end: left to its webhook
    await put('stale', at(-4 * 86_400), at(-3 * 86_400)); // neither in the window
    const legacy = await put('legacy', at(4), null); // stored by a version that did not record session_stored_at

    const store = db.createStore();
    const query = { created_after: at(0), created_before: at(5), limit: 2 };
    const first = await store.listUnpaidCheckoutAttempts({ ...query, after: null });
    expect(first.map((a) => a.attempt_id)).toEqual([late, inside]);
    expect(first[0]!.created_at).toBe(at(-4 * 86_400).toISOString());
    const second = await store.listUnpaidCheckoutAttempts({ ...query, after: { created_at: first[1]!.created_at, attempt_id: first[1]!.attempt_id } });
    expect(second.map((a) => a.attempt_id)).toEqual([legacy]);
  });

  it('repairs 50 orders paid while every webhook was lost, each exactly once; the real events are then duplicates and a second run is consistent', async () => {
    const since = new Date(); // this test's attempts only (the store stamps them with this clock)
    const lost = await paidWithLostWebhooks(50);
    const open = uid('ord');
    await insertOrder(db, { order_id: open, amount_minor: 4200 });
    expect((await startCheckout(f.shop.url, { order_id: open })).status).toBe(200); // a buyer who has not paid yet
    for (const o of lost) expect(await orderStatus(db, o.order_id)).toBe('pending');

    const first = await f.shop.service.reconcile({ since, min_age_seconds: 0, page_size: 7 });
    expect(first).toMatchObject({ ok: true, dry_run: false, examined: 51, review: [], errors: [], retired: [], stopped: null });
    expect(ids(first.repaired)).toEqual(lost.map((o) => o.order_id).sort());
    expect(first.repaired.every((e) => e.detail === 'marked_paid')).toBe(true);
    expect(first.consistent).toEqual([expect.objectContaining({ order_id: open, detail: 'session open' })]);
    for (const o of lost) {
      const session = f.sandbox.session(o.session_id)!;
      expect(await orderStatus(db, o.order_id)).toBe('paid');
      expect(await payment(db, o.order_id)).toMatchObject({
        requirement_id: session.requirement_id, chain_receipt_id: session.chain_receipt_id, payment_status: 'paid',
        paid_event_id: await orderReconcileEventId(o.session_id),
      });
      expect(await count(db, 'siglume_checkout_attempts WHERE order_id = ? AND requirement_id IS NOT NULL', [o.order_id])).toBe(1);
    }

    // Siglume redelivers the real events afterwards: acknowledged, and nothing changes.
    for (const o of lost) {
      expect((await f.sandbox.redeliver(o.event_id)).map((d) => d.response_status)).toEqual([204]);
      expect(await eventOutcomes(db, o.event_id)).toEqual(['ignored:already_applied']);
      expect((await payment(db, o.order_id))?.paid_event_id).toBe(await orderReconcileEventId(o.session_id));
    }
    expect(await count(db, 'siglume_payment_reviews')).toBe(0);

    const second = await f.shop.service.reconcile({ since, min_age_seconds: 0 });
    expect(second).toMatchObject({ ok: true, examined: 1, repaired: [], review: [], errors: [], retired: [] });
    expect(ids(second.consistent)).toEqual([open]);
  });

  // The race on the two databases the issue names; defined only there, so CI (which refuses skipped tests) sees no skip.
  if (adapter.name === 'postgres' || adapter.name === 'mysql') it(
    'pays each of 50 orders exactly once when two reconcile runs and the webhook redeliveries race each other',
    async () => {
      const since = new Date(); // this test's attempts only (the store stamps them with this clock)
      const lost = await paidWithLostWebhooks(50);
      // Both runs walk the attempts oldest first, racing each other on every session; the redeliveries walk them
      // newest first in two lanes, so they meet the runs somewhere in the middle.
      const delivered = new Map<string, Array<number | null>>();
      const lane = async (events: string[]) => {
        for (const id of events) delivered.set(id, (await f.sandbox.redeliver(id)).map((d) => d.response_status));
      };
      const newestFirst = lost.map((o) => o.event_id).reverse();
      const [a, b] = await Promise.all([
        f.shop.service.reconcile({ since, min_age_seconds: 0, page_size: 10 }),
        f.shop.service.reconcile({ since, min_age_seconds: 0, page_size: 13 }),
        lane(newestFirst.filter((_, i) => i % 2 === 0)),
        lane(newestFirst.filter((_, i) => i % 2 === 1)),
      ]);
      const runs = [a, b] as OrderReconcileReport[];
      expect(lost.map((o) => delivered.get(o.event_id))).toEqual(lost.map(() => [204]));
      for (const r of runs) expect(r).toMatchObject({ review: [], errors: [], retired: [], ok: true });

      let viaWebhook = 0;
      for (const o of lost) {
        expect(await orderStatus(db, o.order_id)).toBe('paid');
        expect(await count(db, 'siglume_checkout_attempts WHERE order_id = ? AND requirement_id IS NOT NULL', [o.order_id])).toBe(1);
        const outcomes = await eventOutcomes(db, o.event_id);
        expect([['marked_paid'], ['ignored:already_applied']]).toContainEqual(outcomes);
        const paidBy = (await payment(db, o.order_id))?.paid_event_id;
        if (outcomes[0] === 'marked_paid') {
          viaWebhook += 1;
          expect(paidBy).toBe(o.event_id);
        } else {
          expect(paidBy).toBe(await orderReconcileEventId(o.session_id));
        }
      }
      // Every order marked paid by exactly one of the three racers.
      expect(a.repaired.length + b.repaired.length + viaWebhook).toBe(50);
      const repairedIds = [...ids(a.repaired), ...ids(b.repaired)];
      expect(new Set(repairedIds).size).toBe(repairedIds.length);
      expect(await count(db, 'siglume_payment_reviews')).toBe(0);

      // The events once more, then a third run: duplicates, and nothing left to do.
      for (const o of lost) expect((await f.sandbox.redeliver(o.event_id)).map((d) => d.response_status)).toEqual([204]);
      const again = await f.shop.service.reconcile({ since, min_age_seconds: 0 });
      expect(again).toMatchObject({ ok: true, examined: 0, repaired: [], review: [], errors: [] });
    },
    120_000,
  );

  it('changes no row in a dry run, yet reports what a real run then does', async () => {
    const since = new Date(); // this test's attempts only (the store stamps them with this clock)
    const lost = await paidWithLostWebhooks(3);
    const cancelled = uid('ord');
    await insertOrder(db, { order_id: cancelled, amount_minor: 4200 });
    const start = await startCheckout(f.shop.url, { order_id: cancelled });
    const page = await fetch(`${start.body.checkout_url as string}/cancel`, { method: 'POST', redirect: 'manual' });
    expect(page.status).toBeLessThan(400);
    expect(f.sandbox.session(start.body.session_id as string)?.status).toBe('cancelled');

    const snapshot = async (): Promise<Row[][]> => Promise.all([
      db.sql('SELECT * FROM orders ORDER BY order_id'),
      db.sql('SELECT * FROM siglume_checkout_attempts ORDER BY attempt_id'),
      db.sql('SELECT * FROM siglume_webhook_events ORDER BY event_id'),
      db.sql('SELECT * FROM siglume_payment_reviews ORDER BY event_id'),
    ]);
    const before = await snapshot();
    const dry = await f.shop.service.reconcile({ since, min_age_seconds: 0, dry_run: true });
    expect(dry).toMatchObject({ ok: true, dry_run: true, examined: 4, review: [], errors: [] });
    expect(ids(dry.repaired)).toEqual(lost.map((o) => o.order_id).sort());
    expect(ids(dry.retired)).toEqual([cancelled]);
    expect(await snapshot()).toEqual(before);

    const real = await f.shop.service.reconcile({ since, min_age_seconds: 0 });
    expect(ids(real.repaired)).toEqual(ids(dry.repaired));
    expect(ids(real.retired)).toEqual([cancelled]);
    for (const o of lost) expect(await orderStatus(db, o.order_id)).toBe('paid');
    expect((await db.sql('SELECT status FROM siglume_checkout_attempts WHERE order_id = ?', [cancelled])).map((r) => r.status)).toEqual(['expired']);
    // The retired attempt is not handed out again: a new checkout gets a new session.
    const restart = await startCheckout(f.shop.url, { order_id: cancelled });
    expect(restart.status).toBe(200);
    expect(restart.body.session_id).not.toBe(start.body.session_id);
    const after = await f.shop.service.reconcile({ since, min_age_seconds: 0 });
    expect(after).toMatchObject({ ok: true, repaired: [], retired: [] });
  });

  it('sends a session paid at another amount than its attempt to review, never paid, on every run and for the real event', async () => {
    const since = new Date(); // this test's attempts only (the store stamps them with this clock)
    const order_id = uid('ord');
    await insertOrder(db, { order_id, amount_minor: 4200 });
    const start = await startCheckout(f.shop.url, { order_id });
    const session_id = start.body.session_id as string;
    // The attempt (and the order) now say 4300; Siglume's session was made, and is paid, at 4200.
    await db.sql('UPDATE siglume_checkout_attempts SET amount_minor = 4300 WHERE order_id = ?', [order_id]);
    await db.sql('UPDATE orders SET amount_minor = 4300 WHERE order_id = ?', [order_id]);
    f.sandbox.setFaults({ drop_webhook_deliveries: true });
    const paid = await f.sandbox.pay(session_id).finally(() => f.sandbox.resetFaults());

    const report = await f.shop.service.reconcile({ since, min_age_seconds: 0 });
    expect(report).toMatchObject({ ok: false, repaired: [], errors: [] });
    expect(report.review).toEqual([expect.objectContaining({ order_id, checkout_session_id: session_id, event_id: await orderReconcileEventId(session_id) })]);
    expect(report.review[0]!.detail).toBe("review:PAYMENT_MISMATCH: Siglume reports the checkout session paid at 4200, the checkout attempt's amount is 4300");
    expect(await reviews(db, await orderReconcileEventId(session_id))).toEqual([
      { code: 'PAYMENT_MISMATCH', kind: 'standard_settled', order_id, requirement_id: f.sandbox.session(session_id)!.requirement_id, settlement_batch_id: null },
    ]);
    expect(await orderStatus(db, order_id)).toBe('pending');
    expect(await payment(db, order_id)).toBeUndefined();

    const again = await f.shop.service.reconcile({ since, min_age_seconds: 0 });
    expect(again).toMatchObject({ ok: false, repaired: [] });
    expect(again.review.map((e) => e.order_id)).toEqual([order_id]);
    expect(await count(db, 'siglume_payment_reviews WHERE order_id = ?', [order_id])).toBe(1);

    expect((await f.sandbox.redeliver(paid.event_id!)).map((d) => d.response_status)).toEqual([204]);
    expect(await eventOutcomes(db, paid.event_id!)).toEqual(['review:PAYMENT_MISMATCH']);
    expect(await orderStatus(db, order_id)).toBe('pending');
    expect(await payment(db, order_id)).toBeUndefined();
  });

  // These two leave a review row and reconcile the default window: after the tests that count every review.
  it('repairs a session stored days after its attempt was made (Siglume was down at the first "Pay") when its webhook is lost', async () => {
    const order_id = uid('ord');
    await insertOrder(db, { order_id, amount_minor: 4200 });
    f.sandbox.setFaults({ error_503_rate: 1 });
    const down = await startCheckout(f.shop.url, { order_id }).finally(() => f.sandbox.resetFaults());
    expect(down.status).toBeGreaterThanOrEqual(500);
    // Four days later the buyer tries again: the same attempt (made four days ago) gets its session now.
    await db.sql('UPDATE siglume_checkout_attempts SET created_at = ?, updated_at = ? WHERE order_id = ?', [new Date(Date.now() - 4 * 86_400_000), new Date(), order_id]);
    const start = await startCheckout(f.shop.url, { order_id });
    expect(start.status).toBe(200);
    expect(await count(db, 'siglume_checkout_attempts WHERE order_id = ?', [order_id])).toBe(1);
    const session_id = start.body.session_id as string;
    f.sandbox.setFaults({ drop_webhook_deliveries: true });
    await f.sandbox.pay(session_id).finally(() => f.sandbox.resetFaults());

    // The session was stored moments ago: left to its webhook by the default min_age.
    const early = await f.shop.service.reconcile();
    expect([...early.repaired, ...early.consistent, ...early.review].map((e) => e.order_id)).not.toContain(order_id);
    // The default 72-hour window, once the session is old enough.
    const report = await f.shop.service.reconcile({ min_age_seconds: 0 });
    expect(report.repaired).toContainEqual(expect.objectContaining({ order_id, checkout_session_id: session_id, detail: 'marked_paid' }));
    expect(await orderStatus(db, order_id)).toBe('paid');
  });

  it('reports a second payment of a paid order as review on every run, not as consistent on the second', async () => {
    const since = new Date(); // this test's attempts only (the store stamps them with this clock)
    const order_id = uid('ord');
    await insertOrder(db, { order_id, amount_minor: 4200 });
    const s1 = (await startCheckout(f.shop.url, { order_id })).body.session_id as string;
    // The first session is about to expire: the next "Pay" retires its attempt and opens another session.
    await db.sql('UPDATE siglume_checkout_attempts SET expires_at = ? WHERE checkout_session_id = ?', [new Date(Date.now() + 60_000), s1]);
    const s2 = (await startCheckout(f.shop.url, { order_id })).body.session_id as string;
    expect(s2).not.toBe(s1);
    // The buyer pays both; the first webhook arrives, the second is lost.
    await f.sandbox.pay(s1);
    f.sandbox.setFaults({ drop_webhook_deliveries: true });
    await f.sandbox.pay(s2).finally(() => f.sandbox.resetFaults());
    expect(await orderStatus(db, order_id)).toBe('paid');

    const event_id = await orderReconcileEventId(s2);
    const first = await f.shop.service.reconcile({ since, min_age_seconds: 0 });
    expect(first).toMatchObject({ ok: false, repaired: [], consistent: [] });
    expect(first.review).toEqual([expect.objectContaining({ order_id, checkout_session_id: s2, event_id })]);
    expect(first.review[0]!.detail).toMatch(/^review:ORDER_STATE_CONFLICT: /);
    for (const dry_run of [false, true]) {
      const again = await f.shop.service.reconcile({ since, min_age_seconds: 0, dry_run });
      expect(again).toMatchObject({ ok: false, repaired: [], consistent: [] });
      expect(again.review).toEqual([expect.objectContaining({ order_id, checkout_session_id: s2, event_id })]);
      expect(again.review[0]!.detail).toMatch(/^review:ORDER_STATE_CONFLICT: /);
    }
    // A custom store without the optional recordedOutcome(): still review, since the order's payment is not this session's.
    const store = db.createStore();
    const bare = new Proxy(store, {
      get: (target, key) => key === 'processWebhookEvent'
        ? (event: Parameters<OrderStore['processWebhookEvent']>[0], work: Parameters<OrderStore['processWebhookEvent']>[1]) =>
            target.processWebhookEvent(event, (tx) => work(new Proxy(tx, { get: (t, k) => (k === 'recordedOutcome' ? undefined : Reflect.get(t, k)) })))
        : (Reflect.get(target, key) as (...args: unknown[]) => unknown).bind(target),
    });
    const client = new DirectRequestPaymentMerchantClient({ auth_token: TOKEN, base_url: f.sandbox.api_base, max_retries: 0 });
    const custom = await reconcileOrderPayments({ merchant_client: client, order_store: bare, merchant: MERCHANT }, { since, min_age_seconds: 0 });
    expect(custom).toMatchObject({ ok: false, repaired: [], consistent: [] });
    expect(custom.review).toEqual([expect.objectContaining({ order_id, checkout_session_id: s2, event_id })]);
    expect(await reviews(db, event_id)).toEqual([expect.objectContaining({ code: 'ORDER_STATE_CONFLICT', order_id })]);
    expect((await payment(db, order_id))?.checkout_session_id).toBe(s1);
  });
});
