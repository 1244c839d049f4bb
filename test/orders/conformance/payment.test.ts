/**
 * Conformance: a real payment through the sandbox, duplicates, and the
 * forged test delivery, for every adapter on its real database. Each case
 * asserts the answer AND the rows.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { DirectRequestPaymentMerchantClient } from '../../../src/clients/merchant.js';
import type { ConformanceDatabase } from '../support/adapter.js';
import { attempts, count, describeEachAdapter, eventOutcomes, insertOrder, orderStatus, payment, reviews, uid, waitFor } from '../support/conformance.js';
import { mutatedEvent } from '../support/events.js';
import { MERCHANT, TOKEN, deliverWebhook, startCheckout, startShopFixture, type ShopFixture } from '../support/shop.js';

describeEachAdapter('order payments', (adapter) => {
  let db: ConformanceDatabase;
  let f: ShopFixture;

  beforeAll(async () => {
    db = await adapter.createDatabase();
    f = await startShopFixture(db);
  });
  afterAll(async () => {
    await f?.close();
    await db?.drop();
  });

  async function pendingCheckout(amount = 4200) {
    const order_id = uid('ord');
    await insertOrder(db, { order_id, amount_minor: amount });
    const start = await startCheckout(f.shop.url, { order_id });
    expect(start.status).toBe(200);
    return { order_id, session_id: start.body.session_id as string };
  }

  it('marks an order paid exactly once when the sandbox pays it, and acknowledges redeliveries without a second write', async () => {
    const { order_id, session_id } = await pendingCheckout();
    const paid = await f.sandbox.pay(session_id);
    expect(paid.deliveries.map((d) => d.response_status), String(f.shop.errors.map((e) => (e as Error).stack))).toEqual([204]);
    const session = f.sandbox.session(session_id)!;
    expect(await orderStatus(db, order_id)).toBe('paid');
    expect(await payment(db, order_id)).toMatchObject({
      requirement_id: session.requirement_id, chain_receipt_id: session.chain_receipt_id, payment_status: 'paid', paid_event_id: paid.event_id,
    });
    expect(await eventOutcomes(db, paid.event_id!)).toEqual(['marked_paid']);

    const again = await f.sandbox.redeliver(paid.event_id!);
    expect(again.map((d) => d.response_status)).toEqual([204]);
    expect(await eventOutcomes(db, paid.event_id!)).toEqual(['marked_paid']);
    expect(await count(db, 'siglume_payment_reviews WHERE order_id = ?', [order_id])).toBe(0);
    expect((await startCheckout(f.shop.url, { order_id })).body).toMatchObject({ error: 'order_not_payable' });
  });

  it('keeps the order unpaid when the merchant token forges a test delivery (503 while young, then a PAYMENT_NOT_CONFIRMED review), and pays it once for real afterwards', async () => {
    const { order_id, session_id } = await pendingCheckout(5000);
    // The attacker: only the merchant API token. They read the pending order's challenge hash...
    const attacker = new DirectRequestPaymentMerchantClient({ auth_token: TOKEN, base_url: f.sandbox.api_base, max_retries: 0 });
    const { challenge_hash } = await attacker.getCheckoutSession(session_id);
    // ...and have Siglume sign a "settled" confirmation for it.
    const queued = await attacker.queueWebhookTestDelivery({
      event_type: 'direct_payment.confirmed',
      data: {
        mode: 'external_402', pricing_band: 'standard', finality: 'per_payment_onchain', settlement_status: 'settled',
        requirement_id: 'req_forged', challenge_hash, chain_receipt_id: 'x', merchant: MERCHANT, amount_minor: 5000, currency: 'JPY',
      },
    });
    const forgedId = queued.event.id;
    await waitFor(async () => f.tap.seen.some((s) => s.event_id === forgedId), 'the forged delivery');
    // Signed with the real secret and classified standard_settled, yet Siglume shows the session open: while the
    // event is young that may be Siglume's record lagging, so 503 and nothing recorded; onError hears of it.
    expect(f.tap.seen.find((s) => s.event_id === forgedId)?.status).toBe(503);
    expect(await reviews(db, forgedId)).toEqual([]);
    expect(f.shop.errors.map((e) => (e as { code?: string }).code)).toContain('PAYMENT_CONFIRMATION_PENDING');
    // Redelivered once the event is older than the window: a PAYMENT_NOT_CONFIRMED review, and still not paid.
    const forged = await f.sandbox.signedEvent(forgedId);
    const old = await mutatedEvent(forged.event, {}, { id: forgedId, occurred_at: new Date(Date.now() - 16 * 60_000).toISOString() });
    expect(await deliverWebhook(f.shop.url, old.rawBody, old.header)).toMatchObject({ status: 204 });
    expect(await reviews(db, forgedId)).toEqual([
      { code: 'PAYMENT_NOT_CONFIRMED', kind: 'standard_settled', order_id, requirement_id: 'req_forged', settlement_batch_id: null },
    ]);
    expect(await orderStatus(db, order_id)).toBe('pending');
    expect(await payment(db, order_id)).toBeUndefined();
    // The sandbox keeps test deliveries from changing the session.
    expect(f.sandbox.session(session_id)).toMatchObject({ status: 'open', requirement_id: null });

    const paid = await f.sandbox.pay(session_id);
    expect(paid.deliveries.map((d) => d.response_status)).toEqual([204]);
    expect(await orderStatus(db, order_id)).toBe('paid');
    expect((await payment(db, order_id))?.requirement_id).toBe(f.sandbox.session(session_id)!.requirement_id);
    expect(await count(db, 'siglume_checkout_attempts WHERE order_id = ? AND requirement_id IS NOT NULL', [order_id])).toBe(1);
  });

  it('answers 2xx to a duplicate delivered while the first is processed, with one event row', async () => {
    const { order_id, session_id } = await pendingCheckout();
    f.tap.target = null; // the sandbox's own delivery is dropped; the test delivers
    const paid = await f.sandbox.pay(session_id);
    f.tap.target = `${f.shop.url}/payments/webhooks/siglume`;
    const e = await f.sandbox.signedEvent(paid.event_id!);
    const answers = await Promise.all(Array.from({ length: 10 }, () => deliverWebhook(f.shop.url, e.rawBody, e.header)));
    expect(answers.map((a) => a.status)).toEqual(Array(10).fill(204));
    expect(await eventOutcomes(db, e.event.id)).toEqual(['marked_paid']);
    expect(await attempts(db, order_id)).toHaveLength(1);
    expect(await orderStatus(db, order_id)).toBe('paid');
  });
});
