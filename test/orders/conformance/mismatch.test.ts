/**
 * Conformance: events that must never pay an order (wrong or malformed
 * fields, a re-priced or superseded attempt, the wrong band, Micro / Nano in
 * a Standard-only shop), events that arrive out of order, and events that
 * are no payment at all. Each case asserts the answer, the review row and
 * that the order did not change; a final real delivery proves the order was
 * still payable.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestWebhookEvent } from '../../../src/testing/index.js';
import type { ConformanceDatabase } from '../support/adapter.js';
import { attempts, count, describeEachAdapter, eventOutcomes, insertOrder, orderStatus, payment, reviews, uid } from '../support/conformance.js';
import { mutatedEvent, signed } from '../support/events.js';
import { MERCHANT, deliverWebhook, startCheckout, startShopFixture, type ShopFixture } from '../support/shop.js';

describeEachAdapter('events that must not pay', (adapter) => {
  let db: ConformanceDatabase;
  let f: ShopFixture;
  let metered: ShopFixture;

  beforeAll(async () => {
    db = await adapter.createDatabase();
    f = await startShopFixture(db);
    metered = await startShopFixture(db, { allow_metered_payments: true });
  });
  afterAll(async () => {
    await f?.close();
    await metered?.close();
    await db?.drop();
  });

  /** An order paid in the sandbox whose confirmation was NOT delivered: the test holds it. */
  async function heldPayment(fx: ShopFixture, amount = 1000) {
    const order_id = uid('ord');
    await insertOrder(db, { order_id, amount_minor: amount });
    const start = await startCheckout(fx.shop.url, { order_id });
    expect(start.status).toBe(200);
    const session_id = start.body.session_id as string;
    fx.tap.target = null;
    const paid = await fx.sandbox.pay(session_id);
    fx.tap.target = `${fx.shop.url}/payments/webhooks/siglume`;
    const real = await fx.sandbox.signedEvent(paid.event_id!);
    return { order_id, session_id, real };
  }

  /**
   * Delivers `d` and expects a review: a row of its own, or (`earlier`) none, because an earlier event's row has the
   * same finding (code and reason) about the same payment. Either way the event is recorded as that review.
   */
  async function expectReview(fx: ShopFixture, d: { rawBody: string; header: string; id: string }, order_id: string, code: string, row: 'own' | 'earlier' = 'own') {
    const rows = () => count(db, 'siglume_payment_reviews WHERE order_id = ? AND code = ?', [order_id, code]);
    const before = await rows();
    expect((await deliverWebhook(fx.shop.url, d.rawBody, d.header)).status).toBe(204);
    expect((await reviews(db, d.id)).map((r) => [r.code, r.order_id])).toEqual(row === 'own' ? [[code, order_id]] : []);
    if (row === 'earlier') expect(before).toBeGreaterThan(0);
    expect(await rows()).toBe(row === 'own' ? before + 1 : before);
    expect(await eventOutcomes(db, d.id)).toEqual([`review:${code}`]);
    expect(await orderStatus(db, order_id)).toBe('pending');
    expect(await payment(db, order_id)).toBeUndefined();
  }

  // Copies of the real event (a test delivery forged with the merchant token) that change what it says of the payment,
  // delivered before it: not Siglume's account, so not confirmed, never a "mismatch" that puts the payment up for refund.
  it('sends a copy echoing another amount, currency or merchant to review as not confirmed, then pays on the real event', async () => {
    const { order_id, real } = await heldPayment(f);
    for (const change of [{ amount_minor: 9999 }, { currency: 'USD' }, { merchant: 'other_shop' }]) {
      await expectReview(f, await mutatedEvent(real.event, change), order_id, 'PAYMENT_NOT_CONFIRMED');
    }
    expect((await deliverWebhook(f.shop.url, real.rawBody, real.header)).status).toBe(204);
    expect(await orderStatus(db, order_id)).toBe('paid');
    expect(await count(db, 'siglume_payment_reviews WHERE order_id = ?', [order_id])).toBe(3);
  });

  // What a holder of the merchant token can have Siglume sign (a test delivery), aimed at the operator who refunds.
  it("ignores a forged copy of an order's own payment with another amount: no review puts the only payment up for a refund", async () => {
    const { order_id, real } = await heldPayment(f);
    expect((await deliverWebhook(f.shop.url, real.rawBody, real.header)).status).toBe(204);
    expect(await orderStatus(db, order_id)).toBe('paid');
    for (const change of [{ amount_minor: 100_000 }, { currency: 'USD' }, { merchant: 'shop_other' }]) {
      const copy = await mutatedEvent(real.event, change);
      expect((await deliverWebhook(f.shop.url, copy.rawBody, copy.header)).status).toBe(204);
      expect(await eventOutcomes(db, copy.id)).toEqual(['ignored:already_applied']);
    }
    expect(await count(db, 'siglume_payment_reviews WHERE order_id = ?', [order_id])).toBe(0);
  });

  it("keeps Siglume's chain receipt as the payment's evidence: a forged receipt on a lost payment's event is not confirmed", async () => {
    const { order_id, session_id, real } = await heldPayment(f);
    const forged = await mutatedEvent(real.event, { chain_receipt_id: 'chr_FORGED_BY_ATTACKER' });
    expect((await deliverWebhook(f.shop.url, forged.rawBody, forged.header)).status).toBe(204);
    expect(await reviews(db, forged.id)).toEqual([expect.objectContaining({ code: 'PAYMENT_NOT_CONFIRMED', order_id })]);
    expect(await orderStatus(db, order_id)).toBe('pending');
    // Siglume's own delivery then pays the order, with Siglume's receipt.
    expect((await deliverWebhook(f.shop.url, real.rawBody, real.header)).status).toBe(204);
    expect(await orderStatus(db, order_id)).toBe('paid');
    expect(await payment(db, order_id)).toMatchObject({ chain_receipt_id: f.sandbox.session(session_id)!.chain_receipt_id });
  });

  it('never coerces: a string, hex, padded, fractional or null amount and a non-string merchant or currency are reviews', async () => {
    const { order_id, real } = await heldPayment(f, 1000);
    // Each is a review; one finding (the same reason) about the payment is one row, the first event's.
    const malformed: Array<[Record<string, unknown>, 'own' | 'earlier']> = [
      [{ amount_minor: '0x3e8' }, 'own'], [{ amount_minor: ' 1000 ' }, 'earlier'], [{ amount_minor: '1000' }, 'earlier'],
      [{ amount_minor: 1000.5 }, 'earlier'], [{ amount_minor: null }, 'earlier'],
      [{ merchant: {} }, 'own'], [{ merchant: [MERCHANT] }, 'earlier'], [{ currency: ['JPY'] }, 'own'], [{ currency: 'jpy' }, 'own'],
    ];
    for (const [change, row] of malformed) {
      await expectReview(f, await mutatedEvent(real.event, change), order_id, 'PAYMENT_NOT_CONFIRMED', row);
    }
    expect(await count(db, 'siglume_payment_reviews WHERE order_id = ?', [order_id])).toBe(4);
    expect((await deliverWebhook(f.shop.url, real.rawBody, real.header)).status).toBe(204);
    expect(await orderStatus(db, order_id)).toBe('paid');
  });

  it('sends a payment on a re-priced order to review, never pays the old price, and opens no second session while it is paid', async () => {
    const order_id = uid('ord');
    await insertOrder(db, { order_id, amount_minor: 4200 });
    const first = await startCheckout(f.shop.url, { order_id });
    await db.sql('UPDATE orders SET amount_minor = ? WHERE order_id = ?', [6000, order_id]);
    // Paid at the old price while the attempt is still the active one.
    const old = await f.sandbox.pay(first.body.session_id as string);
    expect(old.deliveries.map((d) => d.response_status)).toEqual([204]);
    expect(await reviews(db, old.event_id!)).toMatchObject([{ code: 'PAYMENT_MISMATCH', order_id }]);
    expect(await orderStatus(db, order_id)).toBe('pending');
    // The buyer presses Pay again: the paid session is handed out (the review decides), never a second one to pay.
    const again = await startCheckout(f.shop.url, { order_id });
    expect(again).toMatchObject({ status: 200, body: { session_id: first.body.session_id } });
    expect(f.sandbox.sessions().filter((x) => x.metadata.order_id === order_id)).toHaveLength(1);
    // A payment replayed on that attempt is still a review: the same finding, so the first event's row.
    const replay = await mutatedEvent((await f.sandbox.signedEvent(old.event_id!)).event, {});
    await expectReview(f, replay, order_id, 'PAYMENT_MISMATCH', 'earlier');
  });

  it('supersedes an unpaid session after a re-price, and the new attempt pays the current price', async () => {
    const order_id = uid('ord');
    await insertOrder(db, { order_id, amount_minor: 4200 });
    const first = await startCheckout(f.shop.url, { order_id });
    await db.sql('UPDATE orders SET amount_minor = ? WHERE order_id = ?', [6000, order_id]);
    const second = await startCheckout(f.shop.url, { order_id });
    expect(second.body.session_id).not.toBe(first.body.session_id);
    expect((await attempts(db, order_id)).map((a) => [a.status, Number(a.amount_minor)])).toEqual([['superseded', 4200], ['active', 6000]]);
    const paid = await f.sandbox.pay(second.body.session_id as string);
    expect(paid.deliveries.map((d) => d.response_status)).toEqual([204]);
    expect(await orderStatus(db, order_id)).toBe('paid');
    expect((await payment(db, order_id))?.requirement_id).toBe(f.sandbox.session(second.body.session_id as string)!.requirement_id);
  });

  it('reviews an event whose band is not the order amount\'s band, and Micro usage in a Standard-only shop', async () => {
    const { order_id, real } = await heldPayment(metered, 120);
    expect(real.event.data.pricing_band).toBe('micro');
    // A "Standard settled" claim for a Micro order (amount left out so only the band differs).
    const standardClaim = await mutatedEvent(real.event, {
      pricing_band: 'standard', finality: 'per_payment_onchain', settlement_status: 'settled', chain_receipt_id: 'chr_x', amount_minor: undefined,
    });
    await expectReview(metered, standardClaim, order_id, 'PAYMENT_NOT_CONFIRMED');
    // The same Micro usage delivered to the Standard-only shop.
    await expectReview(f, await mutatedEvent(real.event, {}), order_id, 'METERED_INTEGRATION_REQUIRED');
    // Delivered to the shop that opted in, it fulfils the order as unsettled.
    expect((await deliverWebhook(metered.shop.url, real.rawBody, real.header)).status).toBe(204);
    expect(await orderStatus(db, order_id)).toBe('fulfilled_unsettled');
    expect(await payment(db, order_id)).toMatchObject({ payment_status: 'fulfilled_unsettled', chain_receipt_id: null });
  });

  it('records a signed batch confirmation whose settled_at holds U+0000 once, without it (PostgreSQL refused the row on every delivery)', async () => {
    const settlement_batch_id = uid('msb_nul');
    const { event } = await createTestWebhookEvent('metered_batch_settled', {
      merchant: MERCHANT, data: { settlement_batch_id, settled_at: '2026-11-27T00:00:00Z\u0000' },
    });
    const d = await signed(event);
    for (let i = 0; i < 2; i++) expect((await deliverWebhook(metered.shop.url, d.rawBody, d.header)).status).toBe(204);
    expect(await db.sql('SELECT settled_at FROM siglume_settlement_batches WHERE settlement_batch_id = ?', [settlement_batch_id])).toEqual([{ settled_at: null }]);
    expect(await eventOutcomes(db, event.id)).toEqual(['batch_recorded']);
  });

  it('handles events out of order: a batch settles before its usage arrives, and a payment of an expired attempt arrives after another paid', async () => {
    // Micro: the batch confirmation overtakes the usage confirmation.
    const micro = await heldPayment(metered, 150);
    metered.tap.target = null;
    const [batch] = await metered.sandbox.settleMeteredBatches();
    metered.tap.target = `${metered.shop.url}/payments/webhooks/siglume`;
    const batchEvent = await metered.sandbox.signedEvent(batch!.event_id);
    expect((await deliverWebhook(metered.shop.url, batchEvent.rawBody, batchEvent.header)).status).toBe(204);
    expect(await count(db, 'siglume_settlement_batches WHERE settlement_batch_id = ?', [batch!.settlement_batch_id])).toBe(1);
    expect(await orderStatus(db, micro.order_id)).toBe('pending'); // a batch never touches an order
    expect((await deliverWebhook(metered.shop.url, micro.real.rawBody, micro.real.header)).status).toBe(204);
    expect(await orderStatus(db, micro.order_id)).toBe('fulfilled_unsettled');
    expect((await deliverWebhook(metered.shop.url, batchEvent.rawBody, batchEvent.header)).status).toBe(204);
    expect(await count(db, 'siglume_settlement_batches WHERE settlement_batch_id = ?', [batch!.settlement_batch_id])).toBe(1);

    // Standard: session 1 nears its end unpaid, so a start replaces it with session 2; the buyer still pays
    // session 1 in its last minutes (delivery lost), then session 2 (delivered); then session 1's event arrives.
    const order_id = uid('ord');
    await insertOrder(db, { order_id, amount_minor: 4200 });
    const first = (await startCheckout(f.shop.url, { order_id })).body.session_id as string;
    await db.sql('UPDATE siglume_checkout_attempts SET expires_at = ? WHERE order_id = ?', [new Date(Date.now() + 60_000), order_id]);
    const second = await startCheckout(f.shop.url, { order_id });
    expect(second.body.session_id).not.toBe(first);
    f.tap.target = null;
    const held = await f.sandbox.pay(first);
    f.tap.target = `${f.shop.url}/payments/webhooks/siglume`;
    const late = { order_id, real: await f.sandbox.signedEvent(held.event_id!) };
    const paid = await f.sandbox.pay(second.body.session_id as string);
    expect(paid.deliveries.map((d) => d.response_status)).toEqual([204]);
    expect(await orderStatus(db, late.order_id)).toBe('paid');
    expect((await deliverWebhook(f.shop.url, late.real.rawBody, late.real.header)).status).toBe(204);
    expect(await reviews(db, late.real.event.id)).toMatchObject([{ code: 'ORDER_STATE_CONFLICT', order_id: late.order_id }]);
    expect((await payment(db, late.order_id))?.paid_event_id).toBe(paid.event_id);
  });

  it('acknowledges the readiness probe once without a review, other event types without a review, and reviews unknown confirmations', async () => {
    const probe = {
      id: uid('evt_probe'), type: 'direct_payment.confirmed', api_version: '2026-06-11', occurred_at: new Date().toISOString(),
      data: { mode: 'readiness_probe', readiness_probe: true, pricing_band: 'standard', settlement_status: 'readiness_probe', merchant: MERCHANT },
    };
    const p = await signed(probe);
    for (let i = 0; i < 2; i++) expect((await deliverWebhook(f.shop.url, p.rawBody, p.header)).status).toBe(204);
    expect(await eventOutcomes(db, probe.id)).toEqual(['ignored:readiness_probe']);
    expect(await reviews(db, probe.id)).toEqual([]);

    const spent = { ...probe, id: uid('evt_spent'), type: 'direct_payment.spent', data: {} };
    const s = await signed(spent);
    expect((await deliverWebhook(f.shop.url, s.rawBody, s.header)).status).toBe(204);
    expect(await eventOutcomes(db, spent.id)).toEqual(['ignored:not_a_payment_confirmation']);
    expect(await reviews(db, spent.id)).toEqual([]);

    const { order_id, real } = await heldPayment(f);
    const odd = await mutatedEvent(real.event, { mode: 'something_new' });
    expect((await deliverWebhook(f.shop.url, odd.rawBody, odd.header)).status).toBe(204);
    expect(await reviews(db, odd.id)).toMatchObject([{ code: 'UNKNOWN_CONFIRMATION', kind: 'unknown' }]);
    // Ids the database could not store are a review, never a 500 (which would loop redeliveries).
    const nul = await mutatedEvent(real.event, { challenge_hash: 'sha256:\u0000' });
    expect((await deliverWebhook(f.shop.url, nul.rawBody, nul.header)).status).toBe(204);
    expect(await reviews(db, nul.id)).toMatchObject([{ code: 'UNKNOWN_CONFIRMATION', order_id: null }]);
    const unmatched = await mutatedEvent(real.event, { challenge_hash: 'sha256:nobody' });
    expect((await deliverWebhook(f.shop.url, unmatched.rawBody, unmatched.header)).status).toBe(204);
    expect(await reviews(db, unmatched.id)).toMatchObject([{ code: 'ORDER_NOT_FOUND', order_id: null }]);
    expect(await orderStatus(db, order_id)).toBe('pending');
  });

  it("acknowledges another merchant's payments and batches once, without a review (every merchant of the account reaches this endpoint)", async () => {
    const other = { merchant: 'other_shop' };
    for (const [fx, kind] of [[f, 'standard_settled'], [f, 'metered_usage_accepted'], [f, 'metered_batch_settled'], [metered, 'metered_batch_settled']] as const) {
      const { event } = await createTestWebhookEvent(kind, { ...other, ...(kind === 'standard_settled' ? {} : { amount_minor: 150 }) });
      const d = await signed(event);
      for (let i = 0; i < 2; i++) expect((await deliverWebhook(fx.shop.url, d.rawBody, d.header)).status).toBe(204);
      expect(await eventOutcomes(db, event.id), kind).toEqual(['ignored:other_merchant']);
      expect(await reviews(db, event.id)).toEqual([]);
    }
    // This shop's own batch is still recorded.
    const mine = await createTestWebhookEvent('metered_batch_settled', { merchant: MERCHANT, amount_minor: 150 });
    const d = await signed(mine.event);
    expect((await deliverWebhook(metered.shop.url, d.rawBody, d.header)).status).toBe(204);
    expect(await eventOutcomes(db, mine.event.id)).toEqual(['batch_recorded']);
  });
});
