/**
 * Conformance: a payment the shop cannot apply (a second payment, a payment of a re-priced or cancelled order) is
 * answered 204 and recorded as a review; `onReview` is how the shop hears of it. Once per review, after the commit,
 * from the webhook and from reconciliation alike; never for a redelivery or a dry run; and a callback that throws
 * changes neither the answer nor the row.
 */
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import type { OrderPaymentReview, OrderReviewContext } from '../../../src/orders/index.js';
import { orderReconcileEventId } from '../../../src/orders/index.js';
import type { ConformanceDatabase } from '../support/adapter.js';
import { count, describeEachAdapter, insertOrder, orderStatus, reviews, uid } from '../support/conformance.js';
import { deliverWebhook, startCheckout, startShopFixture, type ShopFixture } from '../support/shop.js';

describeEachAdapter('onReview', (adapter) => {
  let db: ConformanceDatabase;
  let f: ShopFixture;
  const heard: Array<{ review: OrderPaymentReview; context: OrderReviewContext }> = [];
  let callback: 'record' | 'throw' | 'reject' = 'record';

  beforeAll(async () => {
    db = await adapter.createDatabase();
    f = await startShopFixture(db, {
      onReview: (review, context) => {
        heard.push({ review, context });
        if (callback === 'throw') throw new Error('the pager is down');
        if (callback === 'reject') return Promise.reject(new Error('the pager is down')) as unknown as void;
      },
    });
  });
  afterAll(async () => {
    await f?.close();
    await db?.drop();
  });
  beforeEach(() => {
    heard.length = 0;
    callback = 'record';
  });

  /** An order with two open sessions (the first about to expire when the buyer pressed Pay again). */
  async function twoSessions() {
    const order_id = uid('ord');
    await insertOrder(db, { order_id, amount_minor: 4200 });
    const s1 = (await startCheckout(f.shop.url, { order_id })).body.session_id as string;
    await db.sql('UPDATE siglume_checkout_attempts SET expires_at = ? WHERE checkout_session_id = ?', [new Date(Date.now() + 60_000), s1]);
    const s2 = (await startCheckout(f.shop.url, { order_id })).body.session_id as string;
    expect(s2).not.toBe(s1);
    return { order_id, s1, s2 };
  }

  it('hears a second payment once, with its code, order, event and reason, and not again on its redelivery', async () => {
    const { order_id, s1, s2 } = await twoSessions();
    await f.sandbox.pay(s1);
    expect(heard).toEqual([]);
    const second = await f.sandbox.pay(s2);
    expect(second.deliveries.map((d) => d.response_status)).toEqual([204]);
    expect(heard).toEqual([{
      review: expect.objectContaining({ code: 'ORDER_STATE_CONFLICT', order_id, event_id: second.event_id, reason: expect.stringContaining('may need a refund') }),
      context: { operation: 'webhook', order_id },
    }]);
    expect((await f.sandbox.redeliver(second.event_id!)).map((d) => d.response_status)).toEqual([204]);
    expect(heard).toHaveLength(1);
    expect(await reviews(db, second.event_id!)).toEqual([expect.objectContaining({ code: 'ORDER_STATE_CONFLICT', order_id })]);
  });

  it('hears a payment of a re-priced order and of a cancelled one', async () => {
    const repriced = uid('ord');
    await insertOrder(db, { order_id: repriced, amount_minor: 4200 });
    const first = await startCheckout(f.shop.url, { order_id: repriced });
    await db.sql('UPDATE orders SET amount_minor = ? WHERE order_id = ?', [6000, repriced]);
    const old = await f.sandbox.pay(first.body.session_id as string);

    const cancelled = uid('ord');
    await insertOrder(db, { order_id: cancelled, amount_minor: 4200 });
    const start = await startCheckout(f.shop.url, { order_id: cancelled });
    await db.sql('UPDATE orders SET status = ? WHERE order_id = ?', ['cancelled', cancelled]);
    const late = await f.sandbox.pay(start.body.session_id as string);

    expect([...old.deliveries, ...late.deliveries].map((d) => d.response_status)).toEqual([204, 204]);
    expect(heard.map((h) => [h.review.code, h.review.event_id, h.context])).toEqual([
      ['PAYMENT_MISMATCH', old.event_id, { operation: 'webhook', order_id: repriced }],
      ['ORDER_STATE_CONFLICT', late.event_id, { operation: 'webhook', order_id: cancelled }],
    ]);
  });

  it('hears a review reconciliation recorded, with operation reconcile, once: not in a dry run nor on the next run', async () => {
    const since = new Date();
    const { order_id, s1, s2 } = await twoSessions();
    await f.sandbox.pay(s1);
    f.sandbox.setFaults({ drop_webhook_deliveries: true });
    await f.sandbox.pay(s2).finally(() => f.sandbox.resetFaults());
    expect(heard).toEqual([]);

    const dry = await f.shop.service.reconcile({ since, min_age_seconds: 0, dry_run: true });
    expect(dry.review).toHaveLength(1);
    expect(heard).toEqual([]);
    const event_id = await orderReconcileEventId(s2);
    const report = await f.shop.service.reconcile({ since, min_age_seconds: 0 });
    expect(report.review).toEqual([expect.objectContaining({ order_id, event_id })]);
    expect(heard).toEqual([{
      review: expect.objectContaining({ code: 'ORDER_STATE_CONFLICT', order_id, event_id }),
      context: { operation: 'reconcile', order_id },
    }]);
    expect((await f.shop.service.reconcile({ since, min_age_seconds: 0 })).review).toHaveLength(1);
    expect(heard).toHaveLength(1);
  });

  /** Review rows of the order's payments: one payment is one refund, so one row and one notice. */
  const reviewRows = (order_id: string) => count(db, 'siglume_payment_reviews WHERE order_id = ?', [order_id]);

  it('hears a second payment once when its webhook and a later reconciliation both found it: one row, the webhook\'s', async () => {
    const since = new Date();
    const { order_id, s1, s2 } = await twoSessions();
    await f.sandbox.pay(s1);
    const second = await f.sandbox.pay(s2);
    expect(heard).toHaveLength(1);

    const report = await f.shop.service.reconcile({ since, min_age_seconds: 0 });
    expect(report.review).toEqual([expect.objectContaining({
      order_id, event_id: second.event_id, detail: expect.stringContaining(`reviewed already, under event ${second.event_id}`),
    })]);
    expect(heard).toHaveLength(1);
    expect(await reviewRows(order_id)).toBe(1);
    // The next run reports it from what the first recorded, and still hears nothing new.
    expect((await f.shop.service.reconcile({ since, min_age_seconds: 0 })).review).toHaveLength(1);
    expect(heard).toHaveLength(1);
  });

  it('hears a second payment once when reconciliation found it before its late webhook', async () => {
    const since = new Date();
    const { order_id, s1, s2 } = await twoSessions();
    await f.sandbox.pay(s1);
    f.sandbox.setFaults({ drop_webhook_deliveries: true });
    const second = await f.sandbox.pay(s2).finally(() => f.sandbox.resetFaults());
    await f.shop.service.reconcile({ since, min_age_seconds: 0 });
    expect(heard.map((h) => h.context.operation)).toEqual(['reconcile']);

    expect((await f.sandbox.redeliver(second.event_id!)).map((d) => d.response_status)).toEqual([204]);
    expect(heard).toHaveLength(1);
    expect(await reviewRows(order_id)).toBe(1);
    expect(await reviews(db, second.event_id!)).toEqual([]);
  });

  it('keeps a different finding about the same payment as a review of its own (an earlier row cannot hide a real one)', async () => {
    const since = new Date();
    const { order_id, s1, s2 } = await twoSessions();
    await f.sandbox.pay(s1);
    const second = await f.sandbox.pay(s2);
    // As if a test delivery forged with the merchant token had named this payment first, with another finding.
    await db.sql('UPDATE siglume_payment_reviews SET code = ? WHERE event_id = ?', ['PAYMENT_NOT_CONFIRMED', second.event_id]);
    heard.length = 0;

    await f.shop.service.reconcile({ since, min_age_seconds: 0 });
    expect(heard).toEqual([{
      review: expect.objectContaining({ code: 'ORDER_STATE_CONFLICT', order_id, event_id: await orderReconcileEventId(s2) }),
      context: { operation: 'reconcile', order_id },
    }]);
    expect(await reviewRows(order_id)).toBe(2);
  });

  /** A paid session of an order cancelled meanwhile, its event held back: delivered, it is a review. */
  async function paymentOfCancelledOrder() {
    const order_id = uid('ord');
    await insertOrder(db, { order_id, amount_minor: 1000 });
    const session_id = (await startCheckout(f.shop.url, { order_id })).body.session_id as string;
    f.tap.target = null;
    const paid = await f.sandbox.pay(session_id);
    f.tap.target = `${f.shop.url}/payments/webhooks/siglume`;
    await db.sql('UPDATE orders SET status = ? WHERE order_id = ?', ['cancelled', order_id]);
    return f.sandbox.signedEvent(paid.event_id!);
  }

  // SQLite has one writer: a held write lock stops every write there, by design.
  if (adapter.name !== 'sqlite') {
    it("records one order's review while another order's review row is locked (a person resolving it in a SQL tool)", async () => {
      const first = await paymentOfCancelledOrder();
      expect((await deliverWebhook(f.shop.url, first.rawBody, first.header)).status).toBe(204);
      const second = await paymentOfCancelledOrder();
      const release = await db.holdLock('siglume_payment_reviews', 'event_id = ?', [first.event.id]);
      let status: number;
      try {
        status = (await deliverWebhook(f.shop.url, second.rawBody, second.header)).status;
      } finally {
        await release();
      }
      expect(status).toBe(204);
      expect(await reviews(db, second.event.id)).toEqual([expect.objectContaining({ code: 'ORDER_STATE_CONFLICT' })]);
    }, 40_000);
  }

  it('answers 204 and keeps the review when onReview throws or its promise rejects', async () => {
    for (const mode of ['throw', 'reject'] as const) {
      callback = mode;
      heard.length = 0;
      const errors = f.shop.errors.length;
      const { order_id, s1, s2 } = await twoSessions();
      await f.sandbox.pay(s1);
      const second = await f.sandbox.pay(s2);
      expect(second.deliveries.map((d) => d.response_status)).toEqual([204]);
      expect(heard).toHaveLength(1);
      expect(await reviews(db, second.event_id!)).toEqual([expect.objectContaining({ code: 'ORDER_STATE_CONFLICT', order_id })]);
      expect(await orderStatus(db, order_id)).toBe('paid');
      expect(f.shop.errors).toHaveLength(errors);
    }
  });
});

